// Go regexp (RE2) escapes and character classes as JS RegExp source (u flag), with Go's compile error texts.

export class Re2Error extends Error {}
export const fail = (code: string, expr: string): never => {
  throw new Re2Error(`error parsing regexp: ${code}: \`${expr}\``);
};

export type Range = [number, number];
export interface Flags { i: boolean; m: boolean; s: boolean; U: boolean }

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
export function fold(rs: Range[]): Range[] {
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

export const hex = (c: number): string => `\\u{${c.toString(16)}}`;
export const classSource = (rs: Range[], tokens: string[], negated: boolean): string =>
  `[${negated ? '^' : ''}${rs.map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`)).join('')}${tokens.join('')}]`;

/** \pL, \p{Greek}, \p{^Greek}, \PL as a JS class token; unknown names are Go's "invalid character class range". */
export function unicodeClass(p: string[], i: number): { token: string; negated: boolean; end: number } {
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
export function escapedChar(p: string[], i: number): { cp: number; end: number } | null {
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

export const PERL: Record<string, Range[]> = { d: DIGIT, s: SPACE, w: WORD };

export function parseClass(p: string[], start: number, flags: Flags): { src: string; end: number } {
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
