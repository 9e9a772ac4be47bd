// Go's regexp syntax (RE2, Perl flags as regexp.Compile uses) translated to a JS RegExp source, refusing what
// Go refuses with Go's error text. Go's ASCII classes, `.` without \n, flags in groups, \Q..\E, {n,m} <= 1000.
import { Re2Error, fail, fold, hex, classSource, unicodeClass, escapedChar, PERL, parseClass, type Flags } from './re2-class';

export interface Translated {
  /** JS source for new RegExp(source, 'u'). */
  source: string;
  /** True when backtracking could run long: a quantified group, or more than one unbounded quantifier. */
  risky: boolean;
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
