// Who may use the studio API: the studio page (or a local tool) holding the studio's token, from its own origin.
//
//   every request    Origin, when sent, is exactly this server's origin ("null" and other local pages refused);
//                    Sec-Fetch-Site, when sent, is same-origin or none (a browser's cross-site request is refused)
//   launch token     (no --token) the Host must be loopback (no DNS rebinding); GET /api/studio/session hands
//                    the token to the page: cross-origin pages cannot read it (no CORS), foreign Hosts never get it
//   every other call carries the token (Authorization: Bearer, or ?token= for EventSource); POSTs are JSON
import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
/** The one studio route a request without the token may use (only in launch-token mode). */
export const SESSION_PATH = '/api/studio/session';

export interface StudioGuard {
  /** The token every call needs. */
  token: string;
  /** True for the per-launch token the studio made itself (no --token): loopback only, handed out by /session. */
  launch: boolean;
}

export interface Refusal {
  status: 401 | 403 | 415;
  message: string;
}

/** A fresh per-launch token: 256 random bits, URL-safe. */
export function newLaunchToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/**
 * Why `token` (from `source`, e.g. "--token") cannot protect a studio, or undefined when it can: at least
 * 16 visible ASCII characters (it travels in an HTTP header), no whitespace, at least 8 different characters.
 */
export function studioTokenProblem(token: string, source: string): string | undefined {
  if (/[^\x21-\x7e]/.test(token)) return `${source} must be visible ASCII characters only (no spaces, tabs, control or non-ASCII characters)`;
  if (token.length < 16) return `${source} must be at least 16 characters (got ${token.length})`;
  if (new Set(token).size < 8) return `${source} is too easy to guess: use at least 8 different characters (e.g. \`openssl rand -base64 24\`)`;
  return undefined;
}

/** Constant-time comparison of two tokens (hashing first hides the length too). */
export function sameToken(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

function hostOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(value.trim().toLowerCase());
  return m?.[1];
}

/** Why the request's Origin is not this server's own, or undefined when it is (or when none was sent). */
function originProblem(req: FastifyRequest): string | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  if (origin === 'null') return 'a page with "Origin: null" (a sandboxed frame, a file or a redirect) may not use the studio API';
  const shown = `Origin ${origin.slice(0, 80)}`;
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return `requests from ${shown} may not use the studio API`;
  }
  const host = String(req.headers.host ?? '').toLowerCase();
  let own: string | undefined;
  try {
    own = host ? new URL(`${u.protocol}//${host}`).host : undefined;
  } catch {
    own = undefined;
  }
  const exact = (u.protocol === 'http:' || u.protocol === 'https:') && origin === u.origin && own !== undefined && u.host === own;
  return exact ? undefined : `requests from ${shown} may not use the studio API (only the studio page at its own origin may)`;
}

function fetchSiteProblem(req: FastifyRequest): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (site === undefined || site === 'same-origin' || site === 'none') return undefined;
  return `a ${String(site).slice(0, 20)} request may not use the studio API (only the studio page may)`;
}

function givenToken(req: FastifyRequest): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
  const query = (req.query as Record<string, unknown> | undefined)?.token;
  return bearer ?? (typeof query === 'string' ? query : undefined);
}

function isJson(req: FastifyRequest): boolean {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/json';
}

/** Why this request may not use the studio API, or undefined when it may. */
export function studioRefusal(req: FastifyRequest, guard: StudioGuard): Refusal | undefined {
  if (guard.launch && !LOOPBACK_HOSTS.has(hostOf(req.headers.host) ?? '')) {
    return { status: 403, message: 'without --token the studio API answers only on a loopback address' };
  }
  const cross = originProblem(req) ?? fetchSiteProblem(req);
  if (cross) return { status: 403, message: cross };
  // the route fastify matched, not the URL text (a percent-encoded path must not dodge or reach this exemption)
  if (guard.launch && req.method === 'GET' && req.routeOptions.url === SESSION_PATH) return undefined;
  const given = givenToken(req);
  if (given === undefined || !sameToken(given, guard.token)) {
    return { status: 401, message: guard.launch
      ? `the studio API needs the studio's token (Authorization: Bearer <token>; the studio page gets it from ${SESSION_PATH})`
      : 'the studio API needs its token (Authorization: Bearer <token>)' };
  }
  if (req.method === 'POST' && !isJson(req)) return { status: 415, message: 'studio calls must be sent as Content-Type: application/json' };
  return undefined;
}
