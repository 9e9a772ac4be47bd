// Go's path/filepath on Unix, lexically: Clean, Base, Dir, Ext, Split, Rel, Match (what Nauthilus scripts see on Linux).

/** filepath.Clean: the shortest equivalent path ("." for nothing, "/" for the root). */
export function clean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const body = out.join('/');
  if (rooted) return '/' + body;
  return body === '' ? '.' : body;
}

/** filepath.Base: the last element, trailing slashes ignored. */
export function base(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  const last = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return last === '' ? '/' : last;
}

/** filepath.Dir: everything but the last element, cleaned. */
export function dir(p: string): string {
  return clean(p.slice(0, p.lastIndexOf('/') + 1));
}

/** filepath.Ext: the suffix from the last dot of the last element. */
export function ext(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}

/** filepath.Split: [dir with its trailing slash, file]. */
export function split(p: string): [string, string] {
  const i = p.lastIndexOf('/');
  return [p.slice(0, i + 1), p.slice(i + 1)];
}

/** filepath.Join: non-empty elements from the first one joined with "/" and cleaned ("" when all are empty). */
export function join(elems: string[]): string {
  const first = elems.findIndex((e) => e !== '');
  return first < 0 ? '' : clean(elems.slice(first).join('/'));
}

/** filepath.Rel: targ relative to base, or an error Go words the same way. */
export function rel(basepath: string, targpath: string): [string, string | undefined] {
  const b = clean(basepath);
  const t = clean(targpath);
  if (b === t) return ['.', undefined];
  const refuse: [string, string] = ['', `Rel: can't make ${targpath} relative to ${basepath}`];
  if (b.startsWith('/') !== t.startsWith('/')) return refuse;
  const parts = (x: string): string[] => (x === '.' || x === '/' ? [] : x.replace(/^\//, '').split('/'));
  const bs = parts(b);
  const ts = parts(t);
  let i = 0;
  while (i < bs.length && i < ts.length && bs[i] === ts[i]) i++;
  if (bs[i] === '..') return refuse;
  const up = bs.slice(i).map(() => '..');
  return [[...up, ...ts.slice(i)].join('/'), undefined];
}

export const BAD_PATTERN = 'syntax error in pattern';

/** One chunk of a pattern: the run up to the next `*` outside a class. */
function scanChunk(pat: string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let i = 0;
  let star = false;
  while (i < pat.length && pat[i] === '*') { i++; star = true; }
  pat = pat.slice(i);
  let inrange = false;
  let j = 0;
  for (; j < pat.length; j++) {
    const c = pat[j];
    if (c === '\\') { if (j + 1 < pat.length) j++; } else if (c === '[') inrange = true;
    else if (c === ']') inrange = false;
    else if (c === '*' && !inrange) break;
  }
  return { star, chunk: pat.slice(0, j), rest: pat.slice(j) };
}

/** A class member (an escaped or plain character); throws on a malformed one, as Go's getEsc. */
function getEsc(chunk: string[], k: number): [string, number] {
  if (k >= chunk.length || chunk[k] === '-' || chunk[k] === ']') throw new Error(BAD_PATTERN);
  if (chunk[k] === '\\') { k++; if (k >= chunk.length) throw new Error(BAD_PATTERN); }
  const r = chunk[k];
  if (k + 1 >= chunk.length) throw new Error(BAD_PATTERN);
  return [r, k + 1];
}

/** Match one chunk at the start of s: the rest of s, or null. Keeps checking the chunk's syntax after a miss. */
function matchChunk(chunk: string[], s: string[]): string[] | null {
  let failed = false;
  let k = 0;
  let si = 0;
  while (k < chunk.length) {
    if (!failed && si >= s.length) failed = true;
    const c = chunk[k];
    if (c === '[') {
      const r = failed ? '' : s[si++];
      k++;
      let negated = false;
      if (k < chunk.length && chunk[k] === '^') { negated = true; k++; }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (k < chunk.length && chunk[k] === ']' && nrange > 0) { k++; break; }
        let lo: string;
        [lo, k] = getEsc(chunk, k);
        let hi = lo;
        if (chunk[k] === '-') [hi, k] = getEsc(chunk, k + 1);
        const cp = failed ? -1 : r.codePointAt(0)!;
        if (lo.codePointAt(0)! <= cp && cp <= hi.codePointAt(0)!) match = true;
        nrange++;
      }
      if (match === negated) failed = true;
    } else if (c === '?') {
      if (!failed) { if (s[si] === '/') failed = true; si++; }
      k++;
    } else {
      if (c === '\\') { k++; if (k >= chunk.length) throw new Error(BAD_PATTERN); }
      if (!failed) { if (chunk[k] !== s[si]) failed = true; si++; }
      k++;
    }
  }
  return failed ? null : s.slice(si);
}

/** filepath.Match: whether name matches the shell pattern as a whole; a malformed pattern throws BAD_PATTERN. */
export function match(pattern: string, name: string): boolean {
  let pat = Array.from(pattern);
  let nm = Array.from(name);
  outer: while (pat.length > 0) {
    const { star, chunk, rest } = scanChunk(pat);
    pat = rest;
    if (star && chunk.length === 0) return !nm.includes('/');
    const t = matchChunk(chunk, nm);
    if (t && (t.length === 0 || pat.length > 0)) { nm = t; continue; }
    if (star) {
      for (let i = 0; i < nm.length && nm[i] !== '/'; i++) {
        const t2 = matchChunk(chunk, nm.slice(i + 1));
        if (t2) {
          if (pat.length === 0 && t2.length > 0) continue;
          nm = t2;
          continue outer;
        }
      }
    }
    // a miss: the rest of the pattern must still be well formed
    while (pat.length > 0) {
      const next = scanChunk(pat);
      pat = next.rest;
      matchChunk(next.chunk, []);
    }
    return false;
  }
  return nm.length === 0;
}

/** True when a pattern has characters Match treats specially. */
export function hasMeta(p: string): boolean {
  return /[*?[\\]/.test(p);
}
