// The studio's debugger: breakpoints kept per script (their hit counts go on over runs), one debug run at a time (a
// simulated login on an engine of its own that shares the studio's Redis, or a recorded corpus entry replayed on a
// fresh one), its pauses and end as studio events.
import type {
  DebugBreakpointInfo, DebugBreakpointSpec, DebugEnded, DovecotRunResult, DebugFrameInfo, DebugLaunchInput, DebugScopeInfo, DebugVariable,
} from '../api/contract-types';
import { ScriptDebugger, type StoppedEvent } from '../debug/debugger';
import { BreakpointTable } from '../debug/breakpoints';
import { DEBUG_STAGES, DebugTarget } from '../debug/debug-launch';
import { planReplay, type CorpusPick } from '../debug/debug-replay';
import { buildWireRequest } from './presets';
import { AuthStudioError, isAuthStudioError } from '../errors/registry';
import type { RedisStore } from '../redis/store';
import type { StudioEventBus } from './event-bus';

interface Run {
  dbg: ScriptDebugger;
  target?: DebugTarget;
}

export interface StudioDebuggerDeps {
  bus: StudioEventBus;
  /** The workspace folder and its config file. */
  root: string;
  configFile: () => string;
  /** The studio's Redis now (a debug run sees the same keys as the live engine). */
  redis: () => RedisStore;
}

export class StudioDebugger {
  /** Kept over debug runs: a hit count counts the logins of every run until its breakpoint changes. */
  private readonly breakpoints = new BreakpointTable();
  private run: Run | undefined;

  constructor(private readonly deps: StudioDebuggerDeps) {}

  setBreakpoints(file: string, breakpoints: DebugBreakpointSpec[]): DebugBreakpointInfo[] {
    if (breakpoints.some((b) => !b || typeof b.line !== 'number')) throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'debugSetBreakpoints: every breakpoint needs a line number', { path: 'breakpoints' });
    const set = this.breakpoints.set(file, breakpoints.map(toEngine));
    return set.map((b) => ({ id: b.id, line: b.line, verified: b.verified, ...(b.message ? { message: b.message } : {}) }));
  }

  /** Start a debug run; an earlier one is stopped first. The login's end comes as the debugEnded event. */
  async launch(input: DebugLaunchInput): Promise<{ started: boolean }> {
    const { stage, stop_on_entry: stopOnEntry, pause_on_error: pauseOnError, corpus, entry, ...rest } = input;
    if (stage !== undefined && (typeof stage !== 'string' || !DEBUG_STAGES.includes(stage))) {
      throw new AuthStudioError('AS_ERR_BAD_REQUEST', `stage must be one of ${DEBUG_STAGES.join(', ')}`, { path: 'stage' });
    }
    const args = { workspace: this.deps.root, configFile: this.deps.configFile(), stage, stopOnEntry: stopOnEntry === true };
    if (corpus !== undefined) {
      const replay = { ...args, corpus, entry };
      planReplay(this.deps.root, replay as CorpusPick); // a bad corpus or entry is refused now, not reported later
      await this.stop();
      // a replayed entry runs on a fresh Redis of its own, as `authstudio replay` runs it
      return this.start(pauseOnError === true, async (dbg, run) => {
        run.target = await DebugTarget.open(replay, dbg);
        return { replay: await run.target.replay((text) => dbg.emit('output', { text, source: '', line: 0 })) };
      });
    }
    if (rest.preset === undefined) throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'debugLaunch: give a login (preset and fields) or a corpus entry (corpus and entry)', { path: 'preset' });
    const login = { ...rest, preset: rest.preset };
    buildWireRequest(login); // a malformed login is refused now, not reported later
    await this.stop();
    return this.start(pauseOnError === true, async (dbg, run) => {
      run.target = await DebugTarget.open(args, dbg, this.deps.redis());
      return { result: await run.target.simulateInput(login) };
    });
  }

  /** Start a debug run of a Dovecot script in the harness (`run` is the runner's, given the debugger). */
  async launchDovecot(run: (dbg: ScriptDebugger) => Promise<DovecotRunResult>): Promise<{ started: boolean }> {
    await this.stop();
    return this.start(false, async (dbg) => ({ dovecot: await run(dbg) }));
  }

  private start(pauseOnError: boolean, body: (dbg: ScriptDebugger, run: Run) => Promise<DebugEnded>): { started: boolean } {
    const dbg = new ScriptDebugger(this.breakpoints);
    dbg.attach();
    dbg.workspaceRoot = this.deps.root;
    dbg.pauseOnError = pauseOnError;
    const run: Run = { dbg };
    this.run = run;
    const bus = this.deps.bus;
    dbg.on('stopped', (e: StoppedEvent) => bus.emit('debugStopped', { thread: e.threadId, name: e.name, reason: e.reason, file: e.source, line: e.line, ...(e.text ? { text: e.text } : {}) }));
    dbg.on('continued', (thread: number) => bus.emit('debugContinued', { thread }));
    dbg.on('output', (o: { text: string; source: string; line: number }) => bus.emit('debugOutput', { text: o.text, file: o.source, line: o.line }));
    void (async () => {
      let ended: DebugEnded;
      try {
        ended = await body(dbg, run);
      } catch (e) {
        ended = { error: { code: isAuthStudioError(e) ? e.code : 'AS_ERR_INTERNAL', message: isAuthStudioError(e) ? e.format() : String((e as Error)?.message ?? e) } };
      }
      await run.target?.close().catch(() => undefined);
      if (this.run === run) {
        this.run = undefined;
        bus.emit('debugEnded', ended);
      }
    })();
    return { started: true };
  }

  private paused(): ScriptDebugger {
    if (!this.run) throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'no debug run: start one with Debug');
    return this.run.dbg;
  }

  stackTrace(thread: number): DebugFrameInfo[] {
    return this.paused().stackTrace(thread).map((f) => ({ id: f.index, file: f.source, line: f.line, name: f.name }));
  }

  scopes(thread: number, frame: number): DebugScopeInfo[] {
    return this.paused().scopes(thread, frame);
  }

  variables(ref: number): DebugVariable[] {
    return this.paused().variables(ref);
  }

  evaluate(thread: number, frame: number, expression: string): DebugVariable {
    const r = this.paused().evaluate(thread, frame, expression);
    if (!r.ok || typeof r.result === 'string') throw new AuthStudioError('AS_ERR_BAD_REQUEST', `${expression}: ${String(r.result)}`, { path: 'expression' });
    return r.result;
  }

  resume(thread: number, step?: 'next' | 'stepIn' | 'stepOut'): { resumed: boolean } {
    const dbg = this.paused();
    return { resumed: step ? dbg.step(thread, step) : dbg.continue(thread) };
  }

  /** End the run: paused requests resume, its engine closes (the login's end is still reported). */
  async stop(): Promise<{ stopped: boolean }> {
    const run = this.run;
    if (!run) return { stopped: false };
    run.dbg.detach();
    return { stopped: true };
  }
}

function toEngine(b: DebugBreakpointSpec) {
  return { line: b.line, condition: b.condition || undefined, hitCondition: b.hit_condition || undefined, logMessage: b.log_message };
}
