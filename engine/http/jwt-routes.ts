// POST /api/v1/jwt/token and /api/v1/jwt/refresh: issue tokens; throttled per client address; refresh tokens are one-time.
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthEngine } from '../engine';
import { AuthStudioError } from '../errors/registry';
import { safeEqual } from './api-auth';
import { signJwt, verifyJwt } from './jwt';
import { sendError } from './errors';
import { refuseApiRequest } from './route-access';
import { TokenThrottle } from './token-throttle';
import { peerAddress } from './caller-trust';
import { networkOf } from '../pipeline/auth-request';

/** Whom the throttle counts: the peer's IPv4 address, or its IPv6 /64 (one host usually holds a whole /64). */
function throttleKey(req: FastifyRequest): string {
  const peer = peerAddress(req);
  return peer.includes(':') ? networkOf(peer, 64) : peer;
}

const REFRESH_LIFETIME_SEC = 7 * 24 * 3600;

/** Redis key (under the engine's prefix) marking a refresh token id as spent, kept until the token expires. */
export const usedRefreshKey = (jti: string) => `jwt:refresh:used:${jti}`;

export function registerJwtRoutes(app: FastifyInstance, engine: AuthEngine): void {
  const throttle = new TokenThrottle();

  /** 429 while the address is blocked; otherwise undefined and the request goes on. */
  const blocked = (req: FastifyRequest, reply: FastifyReply) => {
    const key = throttleKey(req);
    const wait = throttle.retryAfterSec(key);
    if (wait === 0) return undefined;
    reply.header('Retry-After', String(wait));
    return refuseApiRequest(engine, req, reply, new AuthStudioError('AS_ERR_TOO_MANY_ATTEMPTS', `too many failed token requests from ${key}: try again in ${wait} s`));
  };
  const fail = (req: FastifyRequest, reply: FastifyReply, err: AuthStudioError) => {
    throttle.fail(throttleKey(req));
    return refuseApiRequest(engine, req, reply, err);
  };

  app.post('/api/v1/jwt/token', async (req, reply) => {
    const jwt = engine.config.server.jwtAuth;
    if (!jwt?.enabled) return sendError(reply, new AuthStudioError('AS_ERR_NOT_FOUND', 'JWT is not enabled (server.jwt_auth)'));
    const refused = blocked(req, reply);
    if (refused) return refused;
    const body = (req.body ?? {}) as { username?: unknown; password?: unknown };
    if (typeof body.username !== 'string' || typeof body.password !== 'string') {
      return fail(req, reply, new AuthStudioError('AS_ERR_BAD_REQUEST', 'send {"username": "...", "password": "..."}'));
    }
    // compare against every user so timing does not reveal which names exist
    let user: (typeof jwt.users)[number] | undefined;
    for (const u of jwt.users) if (safeEqual(u.username, body.username) && safeEqual(u.password, body.password)) user = u;
    if (!user) return fail(req, reply, new AuthStudioError('AS_ERR_UNAUTHORIZED', 'wrong user name or password'));
    return reply.send(issue(jwt.secretKey, user.username, user.roles, jwt.tokenExpirySec, jwt.refreshToken));
  });

  app.post('/api/v1/jwt/refresh', async (req, reply) => {
    const jwt = engine.config.server.jwtAuth;
    if (!jwt?.enabled || !jwt.refreshToken) return sendError(reply, new AuthStudioError('AS_ERR_NOT_FOUND', 'refresh tokens are not enabled (server.jwt_auth.refresh_token)'));
    const refused = blocked(req, reply);
    if (refused) return refused;
    const token = (req.body as { refresh_token?: unknown } | undefined)?.refresh_token;
    if (typeof token !== 'string') return fail(req, reply, new AuthStudioError('AS_ERR_BAD_REQUEST', 'send {"refresh_token": "..."}'));
    const claims = verifyJwt(token, jwt.secretKey, 'refresh');
    if (typeof claims === 'string') return fail(req, reply, new AuthStudioError('AS_ERR_UNAUTHORIZED', `refresh token refused: ${claims}`));
    if (!claims.jti) return fail(req, reply, new AuthStudioError('AS_ERR_UNAUTHORIZED', 'refresh token refused: it has no token id (jti)'));
    const user = jwt.users.find((u) => u.username === claims.sub);
    if (!user) return fail(req, reply, new AuthStudioError('AS_ERR_UNAUTHORIZED', 'the token\'s user no longer exists'));
    if (!(await spend(engine, claims.jti, claims.exp))) {
      return fail(req, reply, new AuthStudioError('AS_ERR_UNAUTHORIZED', 'refresh token refused: it was already used (each refresh token renews once)'));
    }
    return reply.send(issue(jwt.secretKey, user.username, user.roles, jwt.tokenExpirySec, true));
  });
}

/**
 * Mark a refresh token id as used, atomically (SET NX) in the engine's Redis so every engine sharing it agrees.
 * True for the first use. A Redis that does not answer refuses the refresh (never a second use).
 */
async function spend(engine: AuthEngine, jti: string, exp: number): Promise<boolean> {
  const ttl = Math.max(1, exp - Math.floor(Date.now() / 1000));
  try {
    return (await engine.services.redis.client.set(usedRefreshKey(jti), '1', 'EX', ttl, 'NX')) === 'OK';
  } catch (e) {
    throw new AuthStudioError('AS_ERR_REDIS', `cannot record the refresh token as used: ${(e as Error).message}`, { cause: e });
  }
}

function issue(secret: string, sub: string, roles: string[], expirySec: number, refresh: boolean) {
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + expirySec;
  const jti = () => crypto.randomBytes(16).toString('base64url');
  const out: Record<string, unknown> = { token: signJwt({ sub, roles, iat, exp, typ: 'access', jti: jti() }, secret), expires_at: exp };
  if (refresh) out.refresh_token = signJwt({ sub, roles, iat, exp: iat + REFRESH_LIFETIME_SEC, typ: 'refresh', jti: jti() }, secret);
  return out;
}
