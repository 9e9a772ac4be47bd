// The HTTP request as scripts read it (nauthilus_http_request): for custom hooks and for the auth endpoints.
import type { FastifyRequest } from 'fastify';
import type { HookHttpRequest } from '../lua/call-context';
import type { AuthRequest } from '../pipeline/auth-request';
import { fromWireHeader } from './header-bytes';

/** Header values as text: a script gets the bytes the client sent (UTF-8 stays UTF-8), as in Nauthilus. */
function multi(obj: Record<string, unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = (Array.isArray(v) ? v : [v]).map((x) => fromWireHeader(String(x)));
  }
  return out;
}

function bodyText(raw: unknown): string {
  return typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : raw === undefined || raw === null ? '' : JSON.stringify(raw);
}

/** `req` as a script sees it at `path` (the path without the query string). */
export function requestView(req: FastifyRequest, path: string, body = bodyText(req.body)): HookHttpRequest {
  const query: Record<string, string[]> = {};
  for (const [k, v] of Object.entries((req.query as Record<string, unknown>) ?? {})) {
    query[k] = Array.isArray(v) ? v.map(String) : [String(v)];
  }
  return { method: req.method, path, query, headers: multi(req.headers as Record<string, unknown>), body };
}

/**
 * The auth request as features, filters, actions and backends read it. Nauthilus 1.10 binds the JSON body of
 * /api/v1/auth/json (gin's ShouldBindJSON) before any stage runs, which consumes it: stages read "" there, as
 * there; the other endpoints' bodies are left for the scripts.
 */
export function authRequestView(req: FastifyRequest, endpoint: AuthRequest['endpoint'], path: string): HookHttpRequest {
  return requestView(req, path, endpoint === 'json' ? '' : bodyText(req.body));
}
