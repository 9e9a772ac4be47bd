// Admin endpoints: brute-force list/flush and password-cache flush (behind basic auth or JWT when configured).
import type { FastifyInstance } from 'fastify';
import type { AuthEngine } from '../engine';
import { AuthStudioError } from '../errors/registry';
import { normaliseIp } from '../pipeline/auth-request';
import { sendError } from './errors';

export function registerAdminRoutes(app: FastifyInstance, engine: AuthEngine): void {
  const list = async () => {
    const bf = engine.protection.bruteForce;
    const blocked = bf ? await bf.list() : [];
    const buckets = engine.config.bruteForce?.buckets.map((b) => ({
      name: b.name, period_seconds: b.periodSec, cidr: b.cidr, ipv4: b.ipv4, ipv6: b.ipv6, failed_requests: b.failedRequests,
    })) ?? [];
    return { enabled: !!bf, buckets, blocked };
  };
  app.get('/api/v1/bruteforce/list', async (_req, reply) => reply.send(await list()));
  app.post('/api/v1/bruteforce/list', async (_req, reply) => reply.send(await list()));

  app.delete('/api/v1/bruteforce/flush', async (req, reply) => {
    const bf = engine.protection.bruteForce;
    if (!bf) return sendError(reply, new AuthStudioError('AS_ERR_NOT_FOUND', 'brute-force protection is not configured (brute_force.buckets)'));
    const body = (req.body ?? {}) as { ip_address?: unknown; rule_name?: unknown };
    if (typeof body.ip_address !== 'string') {
      return sendError(reply, new AuthStudioError('AS_ERR_BAD_REQUEST', 'send {"ip_address": "<IP>", "rule_name": "<bucket or *>"}', { path: 'ip_address' }));
    }
    const ip = normaliseIp(body.ip_address, 'ip_address'); // throws a 400 naming the field
    const rule = typeof body.rule_name === 'string' && body.rule_name !== '' ? body.rule_name : '*';
    if (rule !== '*' && !engine.config.bruteForce?.buckets.some((b) => b.name === rule)) {
      return sendError(reply, new AuthStudioError('AS_ERR_BAD_REQUEST', `no brute-force bucket named "${rule}"`, { path: 'rule_name' }));
    }
    const flushed = await bf.flush(ip, rule);
    return reply.send({ ip_address: ip, rule_name: rule, flushed });
  });

  app.delete('/api/v1/cache/flush', async (req, reply) => {
    const cache = engine.protection.passwordCache;
    const script = engine.config.lua.config.cacheFlushScript;
    if (!cache && !script) return sendError(reply, new AuthStudioError('AS_ERR_NOT_FOUND', 'the password cache is not configured (server.backends: [cache, lua])'));
    const user = (req.body as { user?: unknown } | undefined)?.user;
    if (typeof user !== 'string' || user === '') return sendError(reply, new AuthStudioError('AS_ERR_BAD_REQUEST', 'send {"user": "<login name or account>"}', { path: 'user' }));
    // Nauthilus 3.0 runs the Lua cache flush callback first (core/rest.go processUserCmd)
    const lua = script ? await engine.runCacheFlush(user) : undefined;
    const removed = cache ? await cache.flush(user) : 0;
    return reply.send({ user, removed, ...(lua ? { removed_keys: lua.removedKeys, ...(lua.account ? { account: lua.account } : {}) } : {}) });
  });
}
