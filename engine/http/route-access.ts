// Who may call which route, decided on the route fastify matched (request.routeOptions.url), never on the URL text.
//
//   request --router (decodes %xx, strips an absolute-form origin)--> matched route pattern --RULES--> access kind
//     open           nothing asked (ping, metrics, /auth/basic which carries the user's own credentials, jwt/*)
//     auth-endpoint  HTTP Basic (server.basic_auth) when enabled
//     admin          HTTP Basic, or a bearer token carrying one of the route's roles (server.jwt_auth)
//     api            HTTP Basic or any valid bearer token (custom hooks: the hook's own roles are checked by its handler)
//   with no API credentials configured, admin and api routes answer only peers in server.trusted_proxies.
//   a /api/v1/ pattern missing from RULES is admin-only: a new route is closed until someone opens it.
//   no route matched: nothing runs but the 404 answer; under /api/v1/ that answer too needs credentials, so
//   unauthenticated callers cannot map which routes exist (the URL text can only add a refusal here, never open one).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthEngine } from '../engine';
import { AuthStudioError } from '../errors/registry';
import { basicOk } from './api-auth';
import { callerTrusted } from './caller-trust';
import { verifyJwt, type JwtClaims } from './jwt';
import { sendError } from './errors';

declare module 'fastify' {
  interface FastifyRequest {
    /** Claims of the verified bearer token, when the caller used one. */
    jwtClaims?: JwtClaims;
    /** The API credentials this request proved (absent: none were needed or none were sent). */
    apiCredentials?: 'basic' | 'jwt';
  }
}

export type AccessKind = 'open' | 'auth-endpoint' | 'admin' | 'api';
export interface AccessRule { kind: AccessKind; roles?: readonly string[] }

const OPEN: AccessRule = { kind: 'open' };
/** Roles of Nauthilus 1.10 (server/definitions/const.go); brute-force listing takes security or admin (server/core/rest.go). */
const SECURITY_OR_ADMIN = ['admin', 'security'] as const;

const RULES: Record<string, AccessRule> = {
  '/api/v1/auth/basic': OPEN,
  '/api/v1/jwt/token': OPEN,
  '/api/v1/jwt/refresh': OPEN,
  '/api/v1/auth/json': { kind: 'auth-endpoint' },
  '/api/v1/auth/header': { kind: 'auth-endpoint' },
  '/api/v1/auth/nginx': { kind: 'auth-endpoint' },
  '/api/v1/bruteforce/list': { kind: 'admin', roles: SECURITY_OR_ADMIN },
  '/api/v1/bruteforce/flush': { kind: 'admin', roles: SECURITY_OR_ADMIN },
  '/api/v1/cache/flush': { kind: 'admin', roles: ['admin'] },
  '/api/v1/custom/*': { kind: 'api' },
};
const ANY_CREDENTIALS: AccessRule = { kind: 'api' };
const CLOSED_BY_DEFAULT: AccessRule = { kind: 'admin', roles: ['admin'] };

/** The access rule of a matched route pattern (undefined: no route matched, the 404 handler answers `url`). */
export function accessRule(routePattern: string | undefined, url = ''): AccessRule {
  if (routePattern === undefined) return pathForLog(url).startsWith('/api/v1/') ? ANY_CREDENTIALS : OPEN;
  return RULES[routePattern] ?? (routePattern.startsWith('/api/v1/') ? CLOSED_BY_DEFAULT : OPEN);
}

/** The request's path for logs: no query string, no absolute-form origin, bounded. */
export function pathForLog(url: string): string {
  return url.split('?')[0].replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').slice(0, 200);
}

/** Answer a refused API request (401/403/429) and write one log line (no credentials, no query string). */
export function refuseApiRequest(engine: AuthEngine, req: FastifyRequest, reply: FastifyReply, err: AuthStudioError): FastifyReply {
  engine.logger.warn({
    method: req.method, path: pathForLog(req.url), route: req.routeOptions.url, client_ip: req.ip, status: err.status, error: err.code, reason: err.message,
  }, 'API request refused');
  return sendError(reply, err);
}

/** Check API credentials for every request once fastify has routed it (an onRequest hook runs after routing). */
export function registerRouteAccess(app: FastifyInstance, engine: AuthEngine): void {
  // the callback form (every request passes it: no promise per request); a refusal answers and does not go on
  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (!refused(engine, req, reply)) done();
  });
}

/** Whether `req` was refused (and answered) for missing or wrong API credentials. */
function refused(engine: AuthEngine, req: FastifyRequest, reply: FastifyReply): boolean {
  const refuse = (err: AuthStudioError): true => {
    refuseApiRequest(engine, req, reply, err);
    return true;
  };
  const rule = accessRule(req.routeOptions.url, req.url);
  if (rule.kind === 'open') return false;
  const s = engine.config.server;
  const basicOn = !!s.basicAuth?.enabled;
  // the auth endpoints are what Dovecot, nginx and Postfix call: they take HTTP Basic only
  const jwtOn = !!s.jwtAuth?.enabled && rule.kind !== 'auth-endpoint';
  if (!basicOn && !jwtOn) {
    // no API credentials configured: the auth endpoints serve anyone (caller-trust.ts decides which facts
    // count); admin endpoints and hooks change state, so they answer only addresses in trusted_proxies
    if (rule.kind === 'auth-endpoint' || callerTrusted(engine, req)) return false;
    return refuse(new AuthStudioError('AS_ERR_UNTRUSTED_CALLER', `${pathForLog(req.url)} answers only addresses in server.trusted_proxies while no API credentials are configured (server.basic_auth / jwt_auth)`));
  }
  const header = String(req.headers.authorization ?? '');
  if (jwtOn && /^Bearer\s+/i.test(header)) {
    const claims = verifyJwt(header.replace(/^Bearer\s+/i, '').trim(), s.jwtAuth!.secretKey);
    if (typeof claims === 'string') {
      reply.header('WWW-Authenticate', 'Bearer realm="authstudio"');
      return refuse(new AuthStudioError('AS_ERR_UNAUTHORIZED', `bearer token refused: ${claims}`));
    }
    if (rule.roles && !claims.roles.some((r) => rule.roles!.includes(r))) {
      return refuse(new AuthStudioError('AS_ERR_FORBIDDEN', `the token's roles (${claims.roles.join(', ') || 'none'}) do not include one of: ${rule.roles.join(', ')}`));
    }
    req.jwtClaims = claims;
    req.apiCredentials = 'jwt';
    return false;
  }
  if (basicOn && basicOk(engine, header)) {
    req.apiCredentials = 'basic';
    return false;
  }
  reply.header('WWW-Authenticate', jwtOn ? 'Bearer realm="authstudio"' : 'Basic realm="authstudio"');
  const need = jwtOn ? 'this API needs a bearer token (POST /api/v1/jwt/token)' : 'this API needs HTTP Basic credentials (server.basic_auth)';
  return refuse(new AuthStudioError('AS_ERR_UNAUTHORIZED', need));
}
