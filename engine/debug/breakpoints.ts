// Breakpoints by script path (relative to the workspace): plain, conditional, hit count, log points.
//
// Hit conditions: "N" or ">= N" pauses on the Nth hit and after, "> N", "== N" (only the Nth), "% N" (every Nth).

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

  /** Replace the breakpoints of one script (as DAP setBreakpoints does); returns them with ids. */
  set(source: string, specs: BreakpointSpec[]): Breakpoint[] {
    const key = normalizeSource(source);
    const lines = new Map<number, Breakpoint>();
    const out: Breakpoint[] = [];
    for (const spec of specs) {
      const bp: Breakpoint = { ...spec, id: ++nextId, source: key, verified: true, hits: 0 };
      if (spec.hitCondition) {
        const parsed = parseHitCondition(spec.hitCondition);
        if (typeof parsed === 'string') {
          bp.verified = false;
          bp.message = parsed;
        }
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

/** Scripts are named by their path relative to the workspace with forward slashes (their chunk name). */
export function normalizeSource(source: string): string {
  return source.replace(/\\/g, '/').replace(/^\.\//, '');
}
