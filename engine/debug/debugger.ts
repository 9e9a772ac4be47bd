// The engine's debugger: breakpoints and stepping over every VM of one engine; a paused request holds only its
// own VM (other requests go on), its timeout clock stands still, and detaching resumes everything.
//
//   VM line hook -> onLine(port, L, source, line)
//       stepping this call?  next: depth <= paused depth | stepIn: any line | stepOut: depth < paused depth
//       breakpoint here?     condition true? hit count reached? log message -> 'output' : pause
//   pause -> 'stopped' {threadId = VM id}; stackTrace / scopes / variables / evaluate read the captured frames
//   continue / next / stepIn / stepOut -> the VM's call resumes
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { DebugFrame, DebugValue, LineDebugger, ScopeKind, VmDebugPort } from '../lua/debug-port';
import { BreakpointTable, normalizeSource, type Breakpoint, type BreakpointSpec } from './breakpoints';

export type StopReason = 'breakpoint' | 'step' | 'entry' | 'exception';
export type StepMode = 'next' | 'stepIn' | 'stepOut';

/** A paused request as a debug client sees it (a DAP thread). */
export interface PausedRequest {
  threadId: number;
  name: string;
  reason: StopReason;
  source: string;
  line: number;
  breakpointId?: number;
  /** reason 'exception': the error's message. */
  text?: string;
}

export interface StoppedEvent extends PausedRequest {}

/** A scope of a frame: its rows are read with variables(ref). */
export interface DebugScope {
  name: string;
  ref: number;
}

interface Paused {
  info: PausedRequest;
  port: VmDebugPort;
  depth: number;
  call: object | null;
  resume: () => void;
}

type VarRef =
  | { kind: 'scope'; threadId: number; frame: number; scope: ScopeKind }
  | { kind: 'lua'; threadId: number; ref: number }
  | { kind: 'hostCalls'; threadId: number }
  | { kind: 'js'; threadId: number; value: unknown };

interface Step {
  mode: StepMode;
  depth: number;
  call: object | null;
}

const SCOPE_NAMES: Record<ScopeKind, string> = { locals: 'Locals', upvalues: 'Upvalues', request: 'Request', globals: 'Globals' };

/**
 * One debugger per engine (EngineOptions.debugger). Events: 'stopped' (StoppedEvent), 'continued' (threadId),
 * 'output' ({ text, source, line }) for log points.
 */
export class ScriptDebugger extends EventEmitter implements LineDebugger {
  attached = false;
  /** Pause where a script raises an error nothing catches (before the request reports it). */
  pauseOnError = false;
  /** Pause at the first workspace line a call of a matching VM runs (DAP stopOnEntry; `stage` by pool name). */
  stopOnEntry: ((label: string) => boolean) | undefined;
  readonly breakpoints: BreakpointTable;
  /** Whether detach() forgets the breakpoints (not when they are the studio's, kept over several debug runs). */
  private readonly ownsBreakpoints: boolean;
  private readonly paused = new Map<number, Paused>();
  private readonly steps = new Map<number, Step>();
  private readonly refs = new Map<number, VarRef>();
  private nextRef = 0;
  /** Chunk names (relative to the process's folder, or absolute) by the workspace-relative path clients use. */
  private readonly names = new Map<string, string>();
  private root: string | undefined;

  /** `breakpoints`: a table kept by the caller (its hit counts go on from one debug run to the next). */
  constructor(breakpoints?: BreakpointTable) {
    super();
    this.breakpoints = breakpoints ?? new BreakpointTable();
    this.ownsBreakpoints = breakpoints === undefined;
  }

  /** The workspace folder: breakpoints and frames name scripts relative to it. */
  set workspaceRoot(dir: string) {
    this.root = path.resolve(dir);
    this.names.clear();
  }

  /** A chunk name as the workspace-relative path a client knows it by. */
  scriptPath(chunk: string): string {
    let name = this.names.get(chunk);
    if (name === undefined) {
      const rel = this.root ? path.relative(this.root, path.resolve(chunk)) : chunk;
      name = normalizeSource(rel.startsWith('..') || path.isAbsolute(rel) ? chunk : rel.split(path.sep).join('/'));
      this.names.set(chunk, name);
    }
    return name;
  }

  /** Start reporting lines (VMs pick it up at their next call). */
  attach(): void {
    this.attached = true;
  }

  /** Forget breakpoints and steps and resume every paused request: closing the debugger never leaves one hanging. */
  detach(): void {
    this.attached = false;
    this.stopOnEntry = undefined;
    this.pauseOnError = false;
    if (this.ownsBreakpoints) this.breakpoints.clear();
    this.steps.clear();
    for (const id of [...this.paused.keys()]) this.resume(id);
  }

  setBreakpoints(source: string, specs: BreakpointSpec[]): Breakpoint[] {
    return this.breakpoints.set(source, specs);
  }

  /** Called by a VM's line hook for each workspace line while attached. */
  onLine(port: VmDebugPort, L: number, chunk: string, line: number): void {
    const source = this.scriptPath(chunk);
    const reason = this.stopReason(port, L, source, line);
    if (!reason || !port.canPause(L)) return;
    const depth = port.depth(L);
    let resume!: () => void;
    const resumed = new Promise<void>((r) => (resume = r));
    const frames = port.pause(L, resumed);
    const info: PausedRequest = { threadId: port.vmId, name: port.host.label(), reason: reason.why, source, line: frames[0]?.line ?? line };
    if (reason.bp) info.breakpointId = reason.bp.id;
    this.paused.set(port.vmId, { info, port, depth, call: port.host.currentCall(), resume });
    this.emit('stopped', info satisfies StoppedEvent);
  }

  /** Called by a VM when its call stopped with an error: pauses there when pauseOnError is set. */
  onError(port: VmDebugPort, L: number, message: string): Promise<void> | undefined {
    if (!this.pauseOnError || !this.attached) return undefined;
    let resume!: () => void;
    const resumed = new Promise<void>((r) => (resume = r));
    const frames = port.holdAfterError(L, resumed);
    const top = frames[0];
    if (!top) return undefined;
    const info: PausedRequest = { threadId: port.vmId, name: port.host.label(), reason: 'exception', source: this.scriptPath(top.source), line: top.line, text: message };
    this.steps.delete(port.vmId);
    this.paused.set(port.vmId, { info, port, depth: 0, call: null, resume });
    this.emit('stopped', info satisfies StoppedEvent);
    return resumed;
  }

  private stopReason(port: VmDebugPort, L: number, source: string, line: number): { why: StopReason; bp?: Breakpoint } | undefined {
    if (this.stopOnEntry?.(port.host.label()) && port.canPause(L)) {
      this.stopOnEntry = undefined;
      return { why: 'entry' };
    }
    const step = this.steps.get(port.vmId);
    if (step) {
      if (step.call !== port.host.currentCall()) this.steps.delete(port.vmId); // that request has finished
      else if (step.mode === 'stepIn' || (step.mode === 'next' ? port.depth(L) <= step.depth : port.depth(L) < step.depth)) {
        this.steps.delete(port.vmId);
        return { why: 'step' };
      }
    }
    const bp = this.breakpoints.at(source, line);
    if (!bp) return undefined;
    if (bp.condition) {
      const r = port.evalInHook(L, bp.condition);
      if (!r.ok) {
        this.emit('output', { text: `breakpoint condition at ${source}:${line} failed: ${String(r.value)}\n`, source, line });
        return undefined;
      }
      if (r.value === false || r.value === undefined) return undefined;
    }
    bp.hits++;
    if (!this.breakpoints.passesHitCount(bp)) return undefined;
    if (bp.logMessage !== undefined) {
      this.emit('output', { text: this.interpolate(port, L, bp.logMessage) + '\n', source, line });
      return undefined;
    }
    return { why: 'breakpoint', bp };
  }

  /** A log point's message with each `{expr}` replaced by its value in the frame. */
  private interpolate(port: VmDebugPort, L: number, message: string): string {
    return message.replace(/\{([^{}]+)\}/g, (_, expr: string) => {
      const r = port.evalInHook(L, expr);
      return r.ok ? String(r.value ?? 'nil') : `<error: ${String(r.value)}>`;
    });
  }

  /** The paused requests (DAP threads). */
  threads(): PausedRequest[] {
    return [...this.paused.values()].map((p) => p.info);
  }

  stackTrace(threadId: number): DebugFrame[] {
    return (this.paused.get(threadId)?.port.frames ?? []).map((f) => ({ ...f, source: this.scriptPath(f.source) }));
  }

  /** The scopes of a frame (`frame` is DebugFrame.index): Locals, Upvalues, Request, Globals, Host calls. */
  scopes(threadId: number, frame: number): DebugScope[] {
    if (!this.paused.has(threadId)) return [];
    const out: DebugScope[] = (['locals', 'upvalues', 'request', 'globals'] as ScopeKind[]).map((scope) => ({
      name: SCOPE_NAMES[scope],
      ref: this.keep({ kind: 'scope', threadId, frame, scope }),
    }));
    out.push({ name: 'Host calls', ref: this.keep({ kind: 'hostCalls', threadId }) });
    return out;
  }

  /** The rows behind a scope or an expandable value. */
  variables(ref: number): DebugValue[] {
    const r = this.refs.get(ref);
    const p = r && this.paused.get(r.threadId);
    if (!r || !p) return [];
    switch (r.kind) {
      case 'scope':
        return this.mapRefs(r.threadId, p.port.scope(r.frame, r.scope));
      case 'lua':
        return this.mapRefs(r.threadId, p.port.children(r.ref));
      case 'hostCalls':
        return p.port.hostCalls().map((e, i) => this.jsRow(r.threadId, `#${i + 1} ${e.kind}`, e.detail, hostCallSummary(e.kind, e.detail)));
      case 'js':
        return Object.entries(r.value as Record<string, unknown>).map(([k, v]) => this.jsRow(r.threadId, k, v));
    }
  }

  /** A watch or console expression in a paused frame. */
  evaluate(threadId: number, frame: number, expr: string): { ok: boolean; result: DebugValue | string } {
    const p = this.paused.get(threadId);
    if (!p) return { ok: false, result: 'that request is not paused' };
    const r = p.port.evaluate(frame, expr);
    if (!r.ok || typeof r.result === 'string') return r;
    return { ok: true, result: this.mapRefs(threadId, [r.result])[0] };
  }

  continue(threadId: number): boolean {
    return this.resume(threadId);
  }

  step(threadId: number, mode: StepMode): boolean {
    const p = this.paused.get(threadId);
    if (!p) return false;
    this.steps.set(threadId, { mode, depth: p.depth, call: p.call });
    return this.resume(threadId);
  }

  private resume(threadId: number): boolean {
    const p = this.paused.get(threadId);
    if (!p) return false;
    this.paused.delete(threadId);
    for (const [id, r] of this.refs) if (r.threadId === threadId) this.refs.delete(id);
    p.resume();
    this.emit('continued', threadId);
    return true;
  }

  private keep(r: VarRef): number {
    this.refs.set(++this.nextRef, r);
    return this.nextRef;
  }

  /** Lua's own references (per VM) become this debugger's (unique over every paused request). */
  private mapRefs(threadId: number, rows: DebugValue[]): DebugValue[] {
    return rows.map((row) => (row.ref > 0 ? { ...row, ref: this.keep({ kind: 'lua', threadId, ref: row.ref }) } : row));
  }

  private jsRow(threadId: number, name: string, v: unknown, text?: string): DebugValue {
    if (v !== null && typeof v === 'object') {
      return { name, type: 'table', value: text ?? JSON.stringify(v).slice(0, 200), ref: this.keep({ kind: 'js', threadId, value: v }) };
    }
    return { name, type: typeof v, value: typeof v === 'string' ? JSON.stringify(v) : String(v), ref: 0 };
  }
}

/**
 * One line for a host call: what was sent and what came back, e.g. `INCR debug:logins:carol -> 1`,
 * `GET https://api.example/x -> 200 (12 ms)`, `query SELECT ... -> 3 rows`. The row expands to every recorded field.
 */
export function hostCallSummary(kind: string, d: Record<string, unknown>): string {
  const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const sent: string[] = [];
  let got: string | undefined;
  switch (kind) {
    case 'redis':
      // args (studio traces) are everything after the command name, keys included
      sent.push(String(d.cmd ?? ''), ...(Array.isArray(d.args) ? (d.args as string[]) : d.key !== undefined ? [String(d.key)] : ((d.keys as string[] | undefined) ?? [])));
      got = d.nil ? 'nil' : d.reply !== undefined ? text(d.reply) : undefined;
      break;
    case 'http':
      sent.push(String(d.method ?? ''), String(d.url ?? ''));
      got = d.status !== undefined ? `${String(d.status)}${d.duration_ms !== undefined ? ` (${String(d.duration_ms)} ms)` : ''}` : undefined;
      break;
    case 'db':
      sent.push(String(d.op ?? ''), String(d.sql ?? ''));
      got = d.rows !== undefined ? `${String(d.rows)} rows` : d.rows_affected !== undefined ? `${String(d.rows_affected)} rows affected` : undefined;
      break;
    case 'dns':
      sent.push(String(d.type ?? ''), String(d.name ?? ''));
      got = d.values !== undefined ? text(d.values) : d.answers !== undefined ? `${String(d.answers)} answers` : undefined;
      break;
    case 'ldap':
      sent.push(String(d.op ?? ''), String(d.filter ?? d.dn ?? ''));
      got = d.entries !== undefined ? `${String(d.entries)} entries` : d.op === 'modify' && d.error === undefined ? 'OK' : undefined;
      break;
    default:
      sent.push(...['op', 'address', 'line', 'to'].filter((k) => d[k] !== undefined).map((k) => text(d[k])));
  }
  if (d.error !== undefined) got = `error: ${String(d.error)}`;
  const line = sent.filter((x) => x !== '').join(' ') || JSON.stringify(d);
  return (got !== undefined ? `${line} -> ${got}` : line).slice(0, 300);
}

export { normalizeSource };
