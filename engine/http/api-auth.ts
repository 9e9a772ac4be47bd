// Who may call /api/v1/*: HTTP Basic (server.basic_auth) and/or JWT bearer tokens (server.jwt_auth).
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthEngine } from '../engine';
import { AuthStudioError } from '../errors/registry';
import { signJwt, verifyJwt, type JwtClaims } from './jwt';
import { sendError } from './errors';

declare module 'fastify' {
  interface FastifyRequest {
    /** Claims of the verified bearer token, when the caller used one. */
    jwtClaims?: JwtClaims;
  }
}

const REFRESH_LIFETIME_SEC = 7 * 24 * 3600;

/** Constant-time string comparison (only the hashes are compared, so lengths do not leak either). */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

function basicOk(engine: AuthEngine, header: string): boolean {
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

/** Paths that never need API credentials (the Basic endpoint carries the user's own credentials). */
function isOpen(url: string): boolean {
  return !url.startsWith('/api/v1/') || url.startsWith('/api/v1/auth/basic') || url.startsWith('/api/v1/jwt/');
}

/**
 * The auth endpoints are what Dovecot, nginx and Postfix call: they take HTTP Basic (server.basic_auth)
 * only. Hooks and admin endpoints take Basic or a bearer token (server.jwt_auth).
 */
function isAuthEndpoint(url: string): boolean {
  return url.startsWith('/api/v1/auth/');
}

export function registerApiAuth(app: FastifyInstance, engine: AuthEngine): void {
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const s = engine.config.server;
    const jwtOn = !!s.jwtAuth?.enabled && !isAuthEndpoint(req.url);
    if (!(s.basicAuth?.enabled || jwtOn) || isOpen(req.url)) return;
    const header = String(req.headers.authorization ?? '');
    if (jwtOn && /^Bearer\s+/i.test(header)) {
      const claims = verifyJwt(header.replace(/^Bearer\s+/i, '').trim(), s.jwtAuth!.secretKey);
      if (typeof claims === 'string') return sendError(reply, new AuthStudioError('AS_ERR_UNAUTHORIZED', `bearer token refused: ${claims}`));
      req.jwtClaims = claims;
      return;
    }
    if (basicOk(engine, header)) return;
    reply.header('WWW-Authenticate', jwtOn ? 'Bearer realm="authstudio"' : 'Basic realm="authstudio"');
    return sendError(reply, new AuthStudioError('AS_ERR_UNAUTHORIZED', jwtOn ? 'this API needs a bearer token (POST /api/v1/jwt/token)' : 'this API needs HTTP Basic credentials (server.basic_auth)'));
  });

  app.post('/api/v1/jwt/token', async (req, reply) => {
    const jwt = engine.config.server.jwtAuth;
    if (!jwt?.enabled) return sendError(reply, new AuthStudioError('AS_ERR_NOT_FOUND', 'JWT is not enabled (server.jwt_auth)'));
    const body = (req.body ?? {}) as { username?: unknown; password?: unknown };
    if (typeof body.username !== 'string' || typeof body.password !== 'string') {
      return sendError(reply, new AuthStudioError('AS_ERR_BAD_REQUEST', 'send {"username": "...", "password": "..."}'));
    }
    // compare against every user so timing does not reveal which names exist
    let user: (typeof jwt.users)[number] | undefined;
    for (const u of jwt.users) if (safeEqual(u.username, body.username) && safeEqual(u.password, body.password)) user = u;
    if (!user) return sendError(reply, new AuthStudioError('AS_ERR_UNAUTHORIZED', 'wrong user name or password'));
    return reply.send(issue(jwt.secretKey, user.username, user.roles, jwt.tokenExpirySec, jwt.refreshToken));
  });

  app.post('/api/v1/jwt/refresh', async (req, reply) => {
    const jwt = engine.config.server.jwtAuth;
    if (!jwt?.enabled || !jwt.refreshToken) return sendError(reply, new AuthStudioError('AS_ERR_NOT_FOUND', 'refresh tokens are not enabled (server.jwt_auth.refresh_token)'));
    const token = (req.body as { refresh_token?: unknown } | undefined)?.refresh_token;
    if (typeof token !== 'string') return sendError(reply, new AuthStudioError('AS_ERR_BAD_REQUEST', 'send {"refresh_token": "..."}'));
    const claims = verifyJwt(token, jwt.secretKey, 'refresh');
    if (typeof claims === 'string') return sendError(reply, new AuthStudioError('AS_ERR_UNAUTHORIZED', `refresh token refused: ${claims}`));
    const user = jwt.users.find((u) => u.username === claims.sub);
    if (!user) return sendError(reply, new AuthStudioError('AS_ERR_UNAUTHORIZED', 'the token\'s user no longer exists'));
    return reply.send(issue(jwt.secretKey, user.username, user.roles, jwt.tokenExpirySec, true));
  });
}

function issue(secret: string, sub: string, roles: string[], expirySec: number, refresh: boolean) {
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + expirySec;
  const out: Record<string, unknown> = { token: signJwt({ sub, roles, iat, exp, typ: 'access' }, secret), expires_at: exp };
  if (refresh) out.refresh_token = signJwt({ sub, roles, iat, exp: iat + REFRESH_LIFETIME_SEC, typ: 'refresh' }, secret);
  return out;
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
