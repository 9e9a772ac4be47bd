// API credentials: the HTTP Basic check (server.basic_auth) and the role check of custom hooks (server.jwt_auth).
// Which route needs which credentials is decided in route-access.ts; the JWT endpoints are in jwt-routes.ts.
import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AuthEngine } from '../engine';
import { AuthStudioError } from '../errors/registry';

/** Constant-time string comparison (only the hashes are compared, so lengths do not leak either). */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/** True when `header` carries the configured server.basic_auth credentials. */
export function basicOk(engine: AuthEngine, header: string): boolean {
  const basic = engine.config.server.basicAuth;
  if (!basic?.enabled) return false;
  const m = /^Basic\s+(\S+)$/i.exec(header);
  if (!m) return false;
  const cred = Buffer.from(m[1], 'base64').toString('utf8');
  const i = cred.indexOf(':');
  // evaluate both comparisons always: no early exit on a wrong user name
  const userOk = safeEqual(i >= 0 ? cred.slice(0, i) : '', basic.username);
  const passOk = safeEqual(i >= 0 ? cred.slice(i + 1) : '', basic.password);
  return i >= 0 && userOk && passOk;
}

/**
 * Role check for a custom hook: with JWT on, a hook that lists roles needs a token carrying one of them
 * (401 without a token, 403 without the role); a hook without roles accepts any authenticated caller.
 */
export function hookAccess(engine: AuthEngine, req: FastifyRequest, roles: string[]): AuthStudioError | undefined {
  if (!engine.config.server.jwtAuth?.enabled || roles.length === 0) return undefined;
  if (!req.jwtClaims) return new AuthStudioError('AS_ERR_UNAUTHORIZED', 'this hook needs a bearer token with one of the roles: ' + roles.join(', '));
  if (!req.jwtClaims.roles.some((r) => roles.includes(r))) {
    return new AuthStudioError('AS_ERR_FORBIDDEN', `the token's roles (${req.jwtClaims.roles.join(', ') || 'none'}) do not include one of: ${roles.join(', ')}`);
  }
  return undefined;
}
