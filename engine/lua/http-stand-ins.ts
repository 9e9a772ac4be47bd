// Stand-ins for internet services: AUTHSTUDIO_HTTP_STANDINS sends a script's HTTP requests for an origin to a local
// server instead (`https://api.example.org=http://127.0.0.1:8081,...`), so a script that calls a fixed internet host
// can be run and tested against a local server that speaks the same protocol. Scripts still see their own URL.

/** The environment variable that names the stand-ins. */
export const HTTP_STANDINS_ENV = 'AUTHSTUDIO_HTTP_STANDINS';

/** origin (scheme://host[:port], lower case, default port dropped) -> the stand-in's base URL. */
export type StandIns = ReadonlyMap<string, URL>;

const parsed = new Map<string, StandIns>();

/**
 * Reads `ORIGIN=BASE[,ORIGIN=BASE...]`. A malformed pair is an error naming it: a typo must not send a request
 * to the real service when a stand-in was meant.
 */
export function parseStandIns(text: string): StandIns {
  const cached = parsed.get(text);
  if (cached) return cached;
  const out = new Map<string, URL>();
  for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    let from: URL;
    let to: URL;
    try {
      if (eq < 0) throw new Error('no "="');
      from = new URL(pair.slice(0, eq).trim());
      to = new URL(pair.slice(eq + 1).trim());
    } catch {
      throw new Error(`${HTTP_STANDINS_ENV}: "${pair}" is not ORIGIN=URL (e.g. https://api.example.org=http://127.0.0.1:8081)`);
    }
    for (const u of [from, to]) {
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${HTTP_STANDINS_ENV}: "${pair}": only http and https URLs`);
    }
    out.set(from.origin, to);
  }
  if (parsed.size > 16) parsed.clear();
  parsed.set(text, out);
  return out;
}

/**
 * The URL a request for `u` really goes to: the stand-in's base with `u`'s path (appended to the base's path) and
 * query, or `u` itself when no stand-in covers its origin.
 */
export function standInFor(u: URL, getenv: (name: string) => string | undefined): URL | undefined {
  const text = getenv(HTTP_STANDINS_ENV);
  return text ? standInIn(u, parseStandIns(text)) : undefined;
}

/** {@link standInFor} with the stand-ins given (the Dovecot harness' `urlMap`, already parsed). */
export function standInIn(u: URL, standIns: StandIns): URL | undefined {
  const base = standIns.get(u.origin);
  if (!base) return undefined;
  const to = new URL(base.toString());
  to.pathname = base.pathname.replace(/\/$/, '') + u.pathname;
  to.search = u.search;
  to.username = u.username;
  to.password = u.password;
  return to;
}
