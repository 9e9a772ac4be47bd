// Breakpoints by script path (relative to the workspace): plain, conditional, hit count, log points.
//
// Hit conditions: "N" or ">= N" pauses on the Nth hit and after, "> N", "== N" (only the Nth), "% N" (every Nth).
import { parse } from 'luaparse';

/** What a client asks for on one line. */
export interface BreakpointSpec {
  line: number;
  /** A Lua expression evaluated in the paused frame: pause only when it is true (not nil or false). */
  condition?: string;
  /** How many hits before pausing (see the module header). */
  hitCondition?: string;
  /** Print instead of pausing; `{expr}` parts are evaluated in the frame. */
  logMessage?: string;
}

export interface Breakpoint extends BreakpointSpec {
  id: number;
  source: string;
  /** False when the hit condition cannot be read (the message says why). */
  verified: boolean;
  message?: string;
  hits: number;
}

let nextId = 0;

/** Parse a hit condition: a test on the hit count, or an error text. */
export function parseHitCondition(text: string): ((hits: number) => boolean) | string {
  const m = /^\s*(>=|>|==|=|%)?\s*(\d+)\s*$/.exec(text);
  if (!m) return `hit count "${text}" is not understood: use N, >= N, > N, == N or % N`;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>':
      return (h) => h > n;
    case '==':
    case '=':
      return (h) => h === n;
    case '%':
      return n === 0 ? `hit count "${text}": % needs a number above 0` : (h) => h % n === 0;
    default:
      return (h) => h >= n;
  }
}

export class BreakpointTable {
  private readonly bySource = new Map<string, Map<number, Breakpoint>>();

  /**
   * Replace the breakpoints of one script (as DAP setBreakpoints does); returns them with ids. A breakpoint sent
   * again unchanged keeps its id and its hit count.
   */
  set(source: string, specs: BreakpointSpec[]): Breakpoint[] {
    const key = normalizeSource(source);
    const before = this.bySource.get(key);
    const lines = new Map<number, Breakpoint>();
    const out: Breakpoint[] = [];
    for (const spec of specs) {
      const old = before?.get(spec.line);
      if (old && sameSpec(old, spec)) {
        lines.set(spec.line, old);
        out.push(old);
        continue;
      }
      const bp: Breakpoint = { ...spec, id: ++nextId, source: key, verified: true, hits: 0 };
      const problem = specProblem(spec);
      if (problem) {
        bp.verified = false;
        bp.message = problem;
      }
      if (!Number.isInteger(spec.line) || spec.line < 1) {
        bp.verified = false;
        bp.message = `line ${spec.line} is not a line number`;
      }
      if (bp.verified) lines.set(spec.line, bp);
      out.push(bp);
    }
    if (lines.size) this.bySource.set(key, lines);
    else this.bySource.delete(key);
    return out;
  }

  at(source: string, line: number): Breakpoint | undefined {
    return this.bySource.get(source)?.get(line);
  }

  /** Whether the hit condition (if any) lets this hit pause. */
  passesHitCount(bp: Breakpoint): boolean {
    if (!bp.hitCondition) return true;
    const test = parseHitCondition(bp.hitCondition);
    return typeof test === 'function' && test(bp.hits);
  }

  all(): Breakpoint[] {
    return [...this.bySource.values()].flatMap((m) => [...m.values()]);
  }

  clear(): void {
    this.bySource.clear();
  }
}

/** Why a breakpoint cannot work as given: a hit count not understood, a condition or `{expr}` that is no Lua expression. */
export function specProblem(spec: BreakpointSpec): string | undefined {
  if (spec.hitCondition) {
    const parsed = parseHitCondition(spec.hitCondition);
    if (typeof parsed === 'string') return parsed;
  }
  if (spec.condition) {
    const p = expressionProblem(spec.condition);
    if (p) return `condition "${spec.condition}" is not a Lua expression: ${p}`;
  }
  if (spec.logMessage) {
    for (const [, expr] of spec.logMessage.matchAll(/\{([^{}]+)\}/g)) {
      const p = expressionProblem(expr);
      if (p) return `log message part {${expr}} is not a Lua expression: ${p}`;
    }
  }
  return undefined;
}

/** The syntax error of a Lua expression (as a condition or watch would be run: `return (expr)`), or undefined. */
function expressionProblem(expr: string): string | undefined {
  try {
    parse(`return (${expr}\n)`, { luaVersion: '5.3', comments: false });
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/^\[\d+:\d+\]\s*/, '');
  }
}

function sameSpec(a: BreakpointSpec, b: BreakpointSpec): boolean {
  return (a.condition || undefined) === (b.condition || undefined) && (a.hitCondition || undefined) === (b.hitCondition || undefined) && a.logMessage === b.logMessage;
}

/** Scripts are named by their path relative to the workspace with forward slashes (their chunk name). */
export function normalizeSource(source: string): string {
  return source.replace(/\\/g, '/').replace(/^\.\//, '');
}
