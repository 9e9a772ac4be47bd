// Go's net/url as gopher-lua-libs' `http` exposes it (query_escape, query_unescape, parse_url, build_url):
// the same escaping rules and the same fields, so a URL a script builds here is the URL it builds in Nauthilus.

type EscapeMode = 'query' | 'path' | 'user';

/** Go's shouldEscape for the modes the http module uses (net/url, RFC 3986). */
function shouldEscape(c: number, mode: EscapeMode): boolean {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-_.~]/.test(ch)) return false;
  if ('$&+,/:;=?@'.includes(ch)) {
    if (mode === 'query') return true;
    if (mode === 'path') return ch === '?';
    return ch === '@' || ch === '/' || ch === '?' || ch === ':';
  }
  return true;
}

function escape(s: string, mode: EscapeMode): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x20 && mode === 'query') out += '+';
    else if (shouldEscape(b, mode)) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
    else out += String.fromCharCode(b);
  }
  return out;
}

/** url.QueryEscape: "a b&c" -> "a+b%26c". */
export function queryEscape(s: string): string {
  return escape(s, 'query');
}

/** url.QueryUnescape / PathUnescape; throws Go's `invalid URL escape "%zz"`. */
export function unescape(s: string, plusIsSpace = true): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c === '+' && plusIsSpace) {
      bytes.push(0x20);
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export interface ParsedUrl {
  scheme: string;
  host: string;
  path: string;
  raw_query: string;
  port: string;
  user?: { username: string; password?: string };
  query: Record<string, string[]>;
}

/** url.Parse plus the fields parse_url returns. Throws Go's `parse "<url>": <reason>`. */
export function parseUrl(raw: string): ParsedUrl {
  const fail = (why: string): never => {
    throw new Error(`parse ${JSON.stringify(raw)}: ${why}`);
  };
  if (/[\x00-\x1f\x7f]/.test(raw)) fail('net/url: invalid control character in URL');
  const noFrag = raw.split('#')[0];
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(noFrag);
  if (!m && /^:/.test(noFrag)) fail('missing protocol scheme');
  const scheme = m ? m[1].toLowerCase() : '';
  let rest = m ? m[2] : noFrag;
  const q = rest.indexOf('?');
  const rawQuery = q >= 0 ? rest.slice(q + 1) : '';
  if (q >= 0) rest = rest.slice(0, q);
  let host = '';
  let user: ParsedUrl['user'];
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    let authority = slash >= 0 ? rest.slice(2, slash) : rest.slice(2);
    rest = slash >= 0 ? rest.slice(slash) : '';
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      const info = authority.slice(0, at);
      authority = authority.slice(at + 1);
      const colon = info.indexOf(':');
      try {
        user = colon >= 0 ? { username: unescape(info.slice(0, colon), false), password: unescape(info.slice(colon + 1), false) } : { username: unescape(info, false) };
      } catch (e) {
        fail((e as Error).message);
      }
    }
    host = authority;
  }
  let path = '';
  try {
    path = unescape(rest, false);
  } catch (e) {
    fail((e as Error).message);
  }
  const portMatch = /:(\d*)$/.exec(host);
  const port = portMatch && (!host.startsWith('[') || host.includes(']:')) ? portMatch[1] : '';
  return { scheme, host, path, raw_query: rawQuery, port, user, query: parseQuery(rawQuery) };
}

/** url.ParseQuery as u.Query() uses it: pairs that do not unescape (or hold ";") are dropped. */
export function parseQuery(rawQuery: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of rawQuery.split('&')) {
    if (!part || part.includes(';')) continue;
    const eq = part.indexOf('=');
    try {
      const k = unescape(eq >= 0 ? part.slice(0, eq) : part);
      const v = eq >= 0 ? unescape(part.slice(eq + 1)) : '';
      (out[k] ??= []).push(v);
    } catch {
      // Go skips a pair it cannot unescape
    }
  }
  return out;
}

/** url.Values.Encode: keys sorted, each value `k=v`, both query-escaped. */
export function encodeQuery(values: Record<string, string[]>): string {
  return Object.keys(values)
    .sort()
    .flatMap((k) => values[k].map((v) => `${queryEscape(k)}=${queryEscape(v)}`))
    .join('&');
}

/** (&url.URL{Scheme, Host, Path, User, RawQuery}).String() */
export function buildUrl(u: { scheme?: string; host?: string; path?: string; user?: { username: string; password: string }; rawQuery?: string }): string {
  let out = '';
  if (u.scheme) out += u.scheme + ':';
  if (u.scheme || u.host || u.user) {
    if (u.host || u.path || u.user) out += '//';
    if (u.user) out += escape(u.user.username, 'user') + ':' + escape(u.user.password, 'user') + '@';
    if (u.host) out += u.host;
  }
  let p = escape(u.path ?? '', 'path');
  if (p && !p.startsWith('/') && u.host) p = '/' + p;
  out += p;
  if (u.rawQuery) out += '?' + u.rawQuery;
  return out;
}
