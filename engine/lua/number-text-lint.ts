// Where a script concatenates a float: Nauthilus' Lua 5.1 writes `"k" .. 6/2` as "k3", our Lua 5.4 as "k3.0".
//
// tostring, string.format("%s") and every host module already print numbers as gopher-lua does; only `..` cannot be
// changed from outside the VM. This is a heuristic over the source text (no parser), line by line:
//   1. strings and comments are blanked (line numbers stay);
//   2. a "float" is a `/` or `^` operator, or a name last assigned from an expression holding a float
//      (`local avg = total / n`), unless it stands inside math.floor/ceil/tointeger, tostring, string.format or
//      a `:format(...)` call, which all give 5.1's text;
//   3. a float that is an operand of `..` is reported, once per line, naming the Redis key when the line calls
//      redis_*: it stands inside the concatenation's expression (bounded by `,`, `;`, `=`, a comparison, a keyword
//      or an unmatched bracket) and reaches it through grouping parentheses only, not through a call's arguments,
//      a table constructor or a bracket that also holds a comparison (`(x / 2 > 1 and "a" or "b")`).
// Over the 29 scripts Nauthilus 1.10 ships and this repository's own scripts it reports nothing.
// Names are tracked per file, without scopes: a name reassigned from a float-free expression is clean again.

/** One place where a float may be concatenated. */
export interface NumberTextFinding {
  line: number;
  message: string;
}

const SAFE_CALLS = /(?:math\s*\.\s*(?:floor|ceil|tointeger)|tostring|format)\s*$/;
const CONCAT = /(?<!\.)\.\.(?!\.)/;

/** The source with string literals and comments replaced by spaces (newlines kept, quotes kept). */
export function blankStringsAndComments(src: string): string {
  const out = src.split('');
  let i = 0;
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to && k < out.length; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  const longClose = (at: number): { end: number } | undefined => {
    const m = /^\[(=*)\[/.exec(src.slice(at, at + 64));
    if (!m) return undefined;
    const close = src.indexOf(`]${m[1]}]`, at + m[0].length);
    return { end: close < 0 ? src.length : close + m[1].length + 2 };
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '-' && src[i + 1] === '-') {
      const long = longClose(i + 2);
      const end = long ? long.end : (src.indexOf('\n', i) < 0 ? src.length : src.indexOf('\n', i));
      blank(i, end);
      i = end;
    } else if (c === '[' && longClose(i)) {
      const { end } = longClose(i)!;
      blank(i + 1, end - 1);
      i = end;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
    } else {
      i++;
    }
  }
  return out.join('');
}

/** Whether the token at `pos` of `line` stands inside a call that prints 5.1's text (math.floor(...), tostring(...)). */
function insideSafeCall(line: string, pos: number): boolean {
  let depth = 0;
  for (let k = pos - 1; k >= 0; k--) {
    if (line[k] === ')') depth++;
    else if (line[k] === '(') {
      if (depth > 0) depth--;
      else if (SAFE_CALLS.test(line.slice(0, k))) return true;
    }
  }
  return false;
}

/** Positions of float-producing tokens in a (blanked) line: `/`, `^` and tainted names. */
function floatTokens(line: string, tainted: Set<string>): number[] {
  const found: number[] = [];
  for (let k = 0; k < line.length; k++) {
    const c = line[k];
    if ((c === '/' && line[k + 1] !== '/' && line[k - 1] !== '/') || c === '^') found.push(k);
  }
  for (const m of line.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
    const before = line[m.index! - 1];
    if (tainted.has(m[0]) && before !== '.' && before !== ':') found.push(m.index!);
  }
  return found.filter((k) => !insideSafeCall(line, k));
}

const KEYWORDS = /\b(?:and|or|not|return|local|if|then|else|elseif|do|while|until|repeat|for|in|end|function)\b|==|~=|<=|>=|[<>]/g;

const stops = (ch: string) => ch === ',' || ch === ';' || ch === '=';
const OPEN = '([{';
const CLOSE = ')]}';

/** Keywords and comparisons end an expression: marked as separators (`;`), positions kept. */
function separated(line: string): string {
  return line.replace(KEYWORDS, (m) => ';'.repeat(m.length));
}

/**
 * Whether the value at `k` is an operand of the concatenation whose expression starts at `from`: not when a bracket
 * between them also holds a separator (`(a / b > 0 and "1" or "0")`, `{a / b, 2}`), is a call (`f(a / b)`) or a table.
 */
function operandOf(sep: string, k: number, from: number): boolean {
  let pos = k;
  for (;;) {
    let o = pos - 1;
    let cut = false;
    for (let depth = 0; o >= 0; o--) {
      const ch = sep[o];
      if (CLOSE.includes(ch)) depth++;
      else if (OPEN.includes(ch)) {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && stops(ch)) cut = true;
    }
    if (o < from) return true; // at the concatenation's own level: its span's bounds are the separators
    for (let c = pos + 1, depth = 0; c < sep.length; c++) {
      const ch = sep[c];
      if (OPEN.includes(ch)) depth++;
      else if (CLOSE.includes(ch)) {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && stops(ch)) cut = true;
    }
    if (cut || sep[o] !== '(' || /[\w\]\)'"]\s*$/.test(sep.slice(0, o))) return false;
    pos = o;
  }
}

/** The [from, to) spans of the expressions each `..` of a (separated) line concatenates. */
function concatSpans(sep: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const m of sep.matchAll(/(?<!\.)\.\.(?!\.)/g)) {
    let from = m.index!;
    for (let depth = 0; from > 0; from--) {
      const ch = sep[from - 1];
      if (ch === ')' || ch === ']' || ch === '}') depth++;
      else if (ch === '(' || ch === '[' || ch === '{') {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && stops(ch)) break;
    }
    let to = m.index! + 2;
    for (let depth = 0; to < sep.length; to++) {
      const ch = sep[to];
      if (ch === '(' || ch === '[' || ch === '{') depth++;
      else if (ch === ')' || ch === ']' || ch === '}') {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && stops(ch)) break;
    }
    spans.push([from, to]);
  }
  return spans;
}

/** Every line where a division's (or a float name's) value may flow into `..`. */
export function findFloatConcatenations(src: string): NumberTextFinding[] {
  const lines = blankStringsAndComments(src).split('\n');
  const tainted = new Set<string>();
  const findings: NumberTextFinding[] = [];
  lines.forEach((line, idx) => {
    const floats = floatTokens(line, tainted);
    const sep = CONCAT.test(line) ? separated(line) : '';
    const spans = sep ? concatSpans(sep) : [];
    if (floats.some((k) => spans.some(([from, to]) => k >= from && k < to && operandOf(sep, k, from)))) {
      const redis = /\bredis_\w+\s*\(/.test(line) ? ' (this line builds a Redis key or value)' : '';
      findings.push({
        line: idx + 1,
        message: `a division's result is concatenated with ..${redis}: Nauthilus (Lua 5.1) writes 6/2 as "3", this engine (Lua 5.4) as "3.0" in a concatenation; wrap the number in tostring(), math.floor() or string.format("%d", ...)`,
      });
    }
    // `local a, b = expr` / `a = expr` (not ==, <=, >=, ~=): the names are floats when the expression holds one
    const assign = /^\s*(?:local\s+)?([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)\s*=(?!=)(.*)$/.exec(line);
    if (assign) {
      const rhsStart = line.length - assign[2].length;
      const isFloat = floats.some((k) => k >= rhsStart);
      for (const name of assign[1].split(',').map((s) => s.trim())) {
        if (isFloat) tainted.add(name);
        else tainted.delete(name);
      }
    }
  });
  return findings;
}
