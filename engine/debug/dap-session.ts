// `authstudio dap`: the debugger over the Debug Adapter Protocol (VS Code and any DAP client), framing and
// message types from @vscode/debugadapter. One session debugs simulated logins of one workspace.
//
//   initialize -> (initialized) -> setBreakpoints* -> configurationDone ; launch {workspace, request, stage?}
//   (or launch {workspace, corpus: DIR, entry: N}: a recorded login, run as `authstudio replay` runs it)
//   launch: engine built under the debugger (init scripts can pause), one login sent -> stopped / output ...
//   the login's decision is printed (output) and the session ends (terminated); disconnect resumes and closes.
import path from 'node:path';
import { DebugSession, InitializedEvent, OutputEvent, Scope, Source, StackFrame, StoppedEvent, TerminatedEvent, ContinuedEvent, Thread } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ScriptDebugger, type StoppedEvent as EngineStopped } from './debugger';
import { DebugTarget, type DebugLaunchArgs } from './debug-launch';
import type { BreakpointSpec } from './breakpoints';
import { isAuthStudioError } from '../errors/registry';
import type { RedisStore } from '../redis/store';

type LaunchArguments = DebugProtocol.LaunchRequestArguments & Omit<DebugLaunchArgs, 'workspace'> & { workspace?: string };

/** What a session served by the studio takes from it when a launch leaves it out. */
export interface DapDefaults {
  workspace: string;
  configFile?: string;
  /** The studio's Redis: a debugged login sees the same keys as the live engine. */
  redis?: () => RedisStore;
}

/** Frame ids carry the paused request (thread) and the frame's index in its capture. */
const FRAME_SPAN = 10_000;

export class AuthStudioDapSession extends DebugSession {
  private readonly dbg = new ScriptDebugger();
  private target: DebugTarget | undefined;
  private root: string | undefined;
  /** Breakpoints by the path the client named them with, applied once the workspace is known. */
  private readonly requested = new Map<string, BreakpointSpec[]>();
  private configured!: () => void;
  private readonly configurationDone = new Promise<void>((r) => (this.configured = r));

  constructor(private readonly defaults?: DapDefaults) {
    super();
    this.dbg.on('stopped', (e: EngineStopped) => {
      const ev = new StoppedEvent(e.reason, e.threadId, e.text) as DebugProtocol.StoppedEvent;
      if (e.breakpointId) ev.body.hitBreakpointIds = [e.breakpointId];
      this.sendEvent(ev);
    });
    this.dbg.on('continued', (threadId: number) => this.sendEvent(new ContinuedEvent(threadId, false)));
    this.dbg.on('output', (o: { text: string; source: string; line: number }) => {
      const ev = new OutputEvent(o.text, 'console') as DebugProtocol.OutputEvent;
      if (this.root && o.source) ev.body.source = new Source(path.basename(o.source), path.join(this.root, o.source));
      ev.body.line = o.line;
      this.sendEvent(ev);
    });
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsTerminateRequest: true,
      exceptionBreakpointFilters: [{ filter: 'error', label: 'Lua errors', description: 'Pause where a script raises an error nothing catches', default: false }],
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const key = args.source.path ?? args.source.name ?? '';
    const specs = (args.breakpoints ?? []).map((b) => ({ line: b.line, condition: b.condition, hitCondition: b.hitCondition, logMessage: b.logMessage }));
    this.requested.set(key, specs);
    const set = this.applyBreakpoints(key, specs);
    response.body = { breakpoints: set.map((b) => ({ id: b.id, verified: b.verified, line: b.line, message: b.message })) };
    this.sendResponse(response);
  }

  /** A client names scripts relative to the workspace, or by absolute path (VS Code). */
  private applyBreakpoints(key: string, specs: BreakpointSpec[]) {
    const rel = this.root && path.isAbsolute(key) ? path.relative(this.root, key).split(path.sep).join('/') : key;
    return this.dbg.setBreakpoints(rel, specs);
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.dbg.pauseOnError = args.filters.includes('error');
    this.sendResponse(response);
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configured();
    this.sendResponse(response);
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArguments): Promise<void> {
    const workspace = typeof args.workspace === 'string' && args.workspace !== '' ? args.workspace : this.defaults?.workspace;
    if (!workspace) {
      this.sendErrorResponse(response, 1, 'launch: "workspace" (the folder with authstudio.yml) is required');
      return;
    }
    this.root = path.resolve(workspace);
    for (const [key, specs] of this.requested) this.applyBreakpoints(key, specs);
    this.sendResponse(response);
    await this.configurationDone;
    try {
      const own = workspace !== this.defaults?.workspace;
      const launch = { ...args, workspace, ...(own ? {} : { configFile: this.defaults?.configFile }) };
      // a replayed entry runs on a fresh Redis of its own, as `authstudio replay` runs it
      const shared = own || launch.corpus !== undefined ? undefined : this.defaults?.redis?.();
      this.target = await DebugTarget.open(launch, this.dbg, shared);
      if (launch.corpus !== undefined) {
        const r = await this.target.replay((text) => this.sendEvent(new OutputEvent(text, 'console')));
        this.sendEvent(new OutputEvent(`decision: ${r.decision} (recorded: ${r.recorded_decision})\n`, 'console'));
      } else {
        const result = await this.target.simulate(launch);
        this.sendEvent(new OutputEvent(`decision: ${result.decision} (HTTP ${result.status})\n`, 'console'));
      }
    } catch (e) {
      const text = isAuthStudioError(e) ? e.format() : e instanceof Error ? e.message : String(e);
      this.sendEvent(new OutputEvent(`launch failed: ${text}\n`, 'stderr'));
    }
    this.sendEvent(new TerminatedEvent());
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: this.dbg.threads().map((t) => new Thread(t.threadId, t.name)) };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const frames = this.dbg.stackTrace(args.threadId);
    response.body = {
      stackFrames: frames.map((f) => new StackFrame(args.threadId * FRAME_SPAN + f.index, f.name, this.source(f.source), f.line)),
      totalFrames: frames.length,
    };
    this.sendResponse(response);
  }

  private source(rel: string): Source {
    return new Source(path.basename(rel), this.root ? path.join(this.root, rel) : rel);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const [thread, frame] = splitFrame(args.frameId);
    response.body = { scopes: this.dbg.scopes(thread, frame).map((s) => new Scope(s.name, s.ref, s.name === 'Globals')) };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    response.body = {
      variables: this.dbg.variables(args.variablesReference).map((v) => ({ name: v.name, value: v.value, type: v.type, variablesReference: v.ref })),
    };
    this.sendResponse(response);
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    if (args.frameId === undefined) {
      this.sendErrorResponse(response, 2, 'evaluate: only in a paused frame (select a frame of a paused request)');
      return;
    }
    const [thread, frame] = splitFrame(args.frameId);
    const r = this.dbg.evaluate(thread, frame, args.expression);
    if (!r.ok || typeof r.result === 'string') {
      this.sendErrorResponse(response, 3, String(r.result));
      return;
    }
    response.body = { result: r.result.value, type: r.result.type, variablesReference: r.result.ref };
    this.sendResponse(response);
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse, args: DebugProtocol.ContinueArguments): void {
    this.dbg.continue(args.threadId);
    response.body = { allThreadsContinued: false };
    this.sendResponse(response);
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.dbg.step(args.threadId, 'next');
    this.sendResponse(response);
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.dbg.step(args.threadId, 'stepIn');
    this.sendResponse(response);
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.dbg.step(args.threadId, 'stepOut');
    this.sendResponse(response);
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse): Promise<void> {
    // closing the debugger resumes every paused request; the login then finishes unobserved
    this.dbg.detach();
    this.configured();
    await this.target?.close().catch(() => undefined);
    this.target = undefined;
    this.sendResponse(response);
    this.emit('closed');
  }

  /** The client went away without a disconnect: resume what is paused and close the run's engine. */
  async closeQuietly(): Promise<void> {
    this.dbg.detach();
    this.configured();
    await this.target?.close().catch(() => undefined);
    this.target = undefined;
  }

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    this.dbg.detach();
    this.sendResponse(response);
  }
}

function splitFrame(frameId: number): [number, number] {
  return [Math.floor(frameId / FRAME_SPAN), frameId % FRAME_SPAN];
}

/** Serve one DAP session on stdin/stdout until the client disconnects or closes the stream. */
export function serveDapOverStdio(): Promise<number> {
  const session = new AuthStudioDapSession();
  session.setRunAsServer(true); // the CLI ends the process itself
  return new Promise((resolve) => {
    session.on('closed', () => {
      process.stdin.pause(); // the client is gone: let the process end
      resolve(0);
    });
    process.stdin.on('end', () => resolve(0));
    session.start(process.stdin, process.stdout);
  });
}
