// Go's regexp syntax (RE2, Perl flags as regexp.Compile uses) translated to a JS RegExp source, refusing what
// Go refuses with Go's error text. Go's ASCII classes, `.` without \n, flags in groups, \Q..\E, {n,m} <= 1000.

export interface Translated {
  /** JS source for new RegExp(source, 'u'). */
  source: string;
  /** True when backtracking could run long: a quantified group, or more than one unbounded quantifier. */
  risky: boolean;
}

class Re2Error extends Error {}
const fail = (code: string, expr: string): never => {
  throw new Re2Error(`error parsing regexp: ${code}: \`${expr}\``);
};

type Range = [number, number];
interface Flags { i: boolean; m: boolean; s: boolean; U: boolean }

const MAX_CP = 0x10ffff;
const DIGIT: Range[] = [[48, 57]];
const SPACE: Range[] = [[9, 10], [12, 13], [32, 32]];
const WORD: Range[] = [[48, 57], [65, 90], [95, 95], [97, 122]];
const POSIX: Record<string, Range[]> = {
  alnum: [[48, 57], [65, 90], [97, 122]], alpha: [[65, 90], [97, 122]], ascii: [[0, 127]], blank: [[9, 9], [32, 32]],
  cntrl: [[0, 31], [127, 127]], digit: DIGIT, graph: [[33, 126]], lower: [[97, 122]], print: [[32, 126]],
  punct: [[33, 47], [58, 64], [91, 96], [123, 126]], space: [[9, 13], [32, 32]], upper: [[65, 90]], word: WORD,
  xdigit: [[48, 57], [65, 70], [97, 102]],
};

function complement(rs: Range[]): Range[] {
  const sorted = [...rs].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

/** The ranges plus their other-case letters (Go's (?i) on a class). */
function fold(rs: Range[]): Range[] {
  const out = [...rs];
  for (const [lo, hi] of rs) {
    if (hi - lo > 2000) continue;
    for (let c = lo; c <= hi; c++) {
      const ch = String.fromCodePoint(c);
      for (const v of [ch.toLowerCase(), ch.toUpperCase()]) {
        const cp = v.codePointAt(0)!;
        if (v.length === String.fromCodePoint(cp).length && cp !== c) out.push([cp, cp]);
      }
    }
  }
  return out;
}

const hex = (c: number): string => `\\u{${c.toString(16)}}`;
const classSource = (rs: Range[], tokens: string[], negated: boolean): string =>
  `[${negated ? '^' : ''}${rs.map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`)).join('')}${tokens.join('')}]`;

/** \pL, \p{Greek}, \p{^Greek}, \PL as a JS class token; unknown names are Go's "invalid character class range". */
function unicodeClass(p: string[], i: number): { token: string; negated: boolean; end: number } {
  const neg0 = p[i + 1] === 'P';
  let name: string;
  let end: number;
  if (p[i + 2] === '{') {
    const close = p.indexOf('}', i + 3);
    if (close < 0) fail('invalid character class range', p.slice(i).join(''));
    name = p.slice(i + 3, close).join('');
    end = close + 1;
  } else {
    if (i + 2 >= p.length) fail('invalid character class range', p.slice(i).join(''));
    name = p[i + 2];
    end = i + 3;
  }
  let negated = neg0;
  if (name.startsWith('^')) { negated = !negated; name = name.slice(1); }
  const text = p.slice(i, end).join('');
  let token: string;
  if (name === 'Any') token = '\\s\\S';
  else if (/^[CLMNPSZ][a-z]?$/.test(name)) token = `\\p{${name}}`;
  else if (/^[A-Za-z_]+$/.test(name)) token = `\\p{Script=${name}}`;
  else return fail('invalid character class range', text);
  try { new RegExp(`[${token}]`, 'u'); } catch { fail('invalid character class range', text); }
  return { token, negated, end };
}

/** A single escaped character at p[i] == '\\' (octal, \x, \a..\v, punctuation); null when it is a class escape. */
function escapedChar(p: string[], i: number): { cp: number; end: number } | null {
  if (i + 1 >= p.length) fail('trailing backslash at end of expression', '');
  const c = p[i + 1];
  const bad = (end: number): never => fail('invalid escape sequence', p.slice(i, end).join(''));
  if (c >= '1' && c <= '7' && !(p[i + 2] >= '0' && p[i + 2] <= '7')) bad(i + 2);
  if (c >= '0' && c <= '7') {
    let j = i + 1;
    let v = 0;
    while (j < i + 4 && p[j] >= '0' && p[j] <= '7') v = v * 8 + Number(p[j++]);
    return { cp: v, end: j };
  }
  if (c === 'x') {
    if (p[i + 2] === '{') {
      const close = p.indexOf('}', i + 3);
      const h = close < 0 ? '' : p.slice(i + 3, close).join('');
      if (!/^[0-9a-fA-F]{1,8}$/.test(h) || parseInt(h, 16) > MAX_CP) bad(close < 0 ? p.length : close + 1);
      return { cp: parseInt(h, 16), end: close + 1 };
    }
    const h = p.slice(i + 2, i + 4).join('');
    if (!/^[0-9a-fA-F]{2}$/.test(h)) bad(Math.min(p.length, i + 4));
    return { cp: parseInt(h, 16), end: i + 4 };
  }
  const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
  if (c in simple) return { cp: simple[c], end: i + 2 };
  const cp = c.codePointAt(0)!;
  if (cp < 128 && !/[0-9A-Za-z]/.test(c)) return { cp, end: i + 2 };
  if ('dDsSwWpP'.includes(c)) return null;
  return bad(i + 2);
}

const PERL: Record<string, Range[]> = { d: DIGIT, s: SPACE, w: WORD };

function parseClass(p: string[], start: number, flags: Flags): { src: string; end: number } {
  let i = start + 1;
  let negated = false;
  if (p[i] === '^') { negated = true; i++; }
  const ranges: Range[] = [];
  const tokens: string[] = [];
  const missing = () => fail('missing closing ]', p.slice(start).join(''));
  let first = true;
  const classChar = (): number => {
    if (i >= p.length) missing();
    if (p[i] === '\\') {
      const e = escapedChar(p, i);
      if (!e) return fail('invalid escape sequence', p.slice(i, i + 2).join(''));
      i = e.end;
      return e.cp;
    }
    return p[i++].codePointAt(0)!;
  };
  while (i >= p.length || p[i] !== ']' || first) {
    if (i >= p.length) missing();
    first = false;
    if (p[i] === '[' && p[i + 1] === ':') {
      const close = p.indexOf(']', i + 2);
      const m = /^\[:(\^?)([a-z]+):\]$/.exec(close < 0 ? '' : p.slice(i, close + 1).join(''));
      if (m) {
        const set = POSIX[m[2]];
        if (!set) fail('invalid character class range', m[0]);
        ranges.push(...(m[1] ? complement(set) : set));
        i = close + 1;
        continue;
      }
    }
    if (p[i] === '\\' && i + 1 < p.length && (p[i + 1] === 'p' || p[i + 1] === 'P')) {
      const u = unicodeClass(p, i);
      tokens.push(u.negated ? u.token.replace(/^\\p/, '\\P') : u.token);
      i = u.end;
      continue;
    }
    if (p[i] === '\\' && i + 1 < p.length && 'dDsSwW'.includes(p[i + 1])) {
      const set = PERL[p[i + 1].toLowerCase()];
      ranges.push(...(p[i + 1] === p[i + 1].toUpperCase() ? complement(set) : set));
      i += 2;
      continue;
    }
    const rangeStart = i;
    const lo = classChar();
    let hi = lo;
    if (p[i] === '-' && i + 1 < p.length && p[i + 1] !== ']') {
      i++;
      hi = classChar();
      if (hi < lo) fail('invalid character class range', p.slice(rangeStart, i).join(''));
    }
    ranges.push([lo, hi]);
  }
  return { src: classSource(flags.i ? fold(ranges) : ranges, tokens, negated), end: i + 1 };
}

/** Translate a Go regexp to JS, or throw Go's compile error text. */
export function translateRe2(pattern: string): Translated {
  const p = Array.from(pattern);
  let flags: Flags = { i: false, m: false, s: false, U: false };
  const stack: Array<{ flags: Flags; start: number }> = [];
  const names = new Set<string>();
  let out = '';
  // what the last item was: an atom to repeat, a group (index of its '(' in out), a repeat, or nothing
  let lastAtomStart = -1;
  let lastWasGroup = false;
  let lastRepeat = '';
  let unbounded = 0;
  let risky = false;
  const atom = (src: string, group = false) => {
    lastAtomStart = out.length;
    out += src;
    lastWasGroup = group;
    lastRepeat = '';
  };
  const literal = (cp: number) => {
    const ch = String.fromCodePoint(cp);
    if (flags.i && ch.toLowerCase() !== ch.toUpperCase()) atom(classSource(fold([[cp, cp]]), [], false));
    else atom(/[\^$\\.*+?()[\]{}|/]/.test(ch) ? '\\' + ch : cp < 32 || cp === 0x2028 || cp === 0x2029 ? hex(cp) : ch);
  };
  let i = 0;
  while (i < p.length) {
    const c = p[i];
    if (c === '*' || c === '+' || c === '?' || c === '{') {
      let op = c;
      let min = c === '+' ? 1 : 0;
      let max = c === '?' ? 1 : Infinity;
      let end = i + 1;
      if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i, i + 30).join(''));
        if (!m) { literal(123); i++; continue; }
        op = m[0];
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        if (min > 1000 || (max !== Infinity && (max > 1000 || max < min))) fail('invalid repeat count', op);
        end = i + Array.from(m[0]).length;
      }
      let lazy = false;
      if (p[end] === '?') { lazy = true; op += '?'; end++; }
      if (lastRepeat) fail('invalid nested repetition operator', lastRepeat + op);
      if (lastAtomStart < 0) fail('missing argument to repetition operator', op);
      if (flags.U) lazy = !lazy;
      const q = c === '{' ? `{${min}${max === min ? '' : `,${max === Infinity ? '' : max}`}}` : c;
      out += q + (lazy ? '?' : '');
      if (max > 1) { unbounded++; if (lastWasGroup) risky = true; }
      lastRepeat = op;
      i = end;
      continue;
    }
    if (c === '\\') {
      const n = p[i + 1];
      if (n === 'Q') {
        let j = i + 2;
        for (; j < p.length; j++) {
          if (p[j] === '\\' && p[j + 1] === 'E') break;
          literal(p[j].codePointAt(0)!);
        }
        i = j < p.length ? j + 2 : j;
        continue;
      }
      const assertions: Record<string, string> = { b: '\\b', B: '\\B', A: '(?<![\\s\\S])', z: '(?![\\s\\S])' };
      if (n !== undefined && n in assertions) { atom(`(?:${assertions[n]})`); i += 2; continue; }
      if (n === 'p' || n === 'P') {
        const u = unicodeClass(p, i);
        atom(`[${u.negated ? '^' : ''}${u.token}]`);
        i = u.end;
        continue;
      }
      if (n !== undefined && 'dDsSwW'.includes(n)) {
        const set = PERL[n.toLowerCase()];
        atom(classSource(set, [], n !== n.toLowerCase()));
        i += 2;
        continue;
      }
      const e = escapedChar(p, i)!;
      literal(e.cp);
      i = e.end;
      continue;
    }
    if (c === '[') {
      const cls = parseClass(p, i, flags);
      atom(cls.src);
      i = cls.end;
      continue;
    }
    if (c === '(') {
      if (p[i + 1] === '?') {
        const rest = p.slice(i).join('');
        const named = /^\(\?P?<([^>]*)>/.exec(rest);
        if (rest.startsWith('(?P<') || rest.startsWith('(?<')) {
          const gt = rest.indexOf('>');
          if (!named || gt < 0) fail('invalid named capture', rest);
          const name = named![1];
          if (!/^[A-Za-z0-9_]+$/.test(name)) fail('invalid named capture', named![0]);
          if (names.has(name)) fail('duplicate capture group name', name);
          names.add(name);
          stack.push({ flags, start: out.length });
          out += '(';
          lastAtomStart = -1; lastRepeat = '';
          i += Array.from(named![0]).length;
          continue;
        }
        const nf = { ...flags };
        let sign = 1;
        let saw = false;
        let j = i + 2;
        let done = false;
        for (; j < p.length; j++) {
          const f = p[j];
          if (f === 'i' || f === 'm' || f === 's' || f === 'U') { nf[f] = sign > 0; saw = true; continue; }
          if (f === '-') { if (sign < 0) break; sign = -1; saw = false; continue; }
          if (f === ':' || f === ')') {
            if (sign < 0 && !saw) break;
            if (f === ':') {
              stack.push({ flags, start: out.length });
              out += '(?:';
              lastAtomStart = -1; lastRepeat = '';
            }
            flags = nf;
            done = true;
            break;
          }
          break;
        }
        if (!done) fail('invalid or unsupported Perl syntax', p.slice(i, Math.min(j + 1, p.length)).join(''));
        i = j + 1;
        continue;
      }
      stack.push({ flags, start: out.length });
      out += '(';
      lastAtomStart = -1; lastRepeat = '';
      i++;
      continue;
    }
    if (c === ')') {
      const g = stack.pop();
      if (!g) fail('unexpected )', pattern);
      out += ')';
      flags = g!.flags;
      lastAtomStart = g!.start;
      lastWasGroup = true;
      lastRepeat = '';
      i++;
      continue;
    }
    if (c === '|') { out += '|'; lastAtomStart = -1; lastRepeat = ''; i++; continue; }
    if (c === '^') { atom(flags.m ? '(?:(?<=^|\\n))' : '(?:^)'); i++; continue; }
    if (c === '$') { atom(flags.m ? '(?:(?=\\n|$))' : '(?:$)'); i++; continue; }
    if (c === '.') { atom(flags.s ? '[\\s\\S]' : '[^\\n]'); i++; continue; }
    literal(c.codePointAt(0)!);
    i++;
  }
  if (stack.length > 0) fail('missing closing )', pattern);
  try {
    new RegExp(out, 'u');
  } catch (e) {
    fail('invalid or unsupported Perl syntax', pattern + ` (${(e as Error).message})`);
  }
  return { source: out, risky: risky || unbounded > 1 };
}

export { Re2Error };
