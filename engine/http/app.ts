// The HTTP face of the engine: builds the fastify app (never listens itself; tests use inject()).
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import crypto from 'node:crypto';
import type { AuthEngine } from '../engine';
import { AuthStudioError, isAuthStudioError } from '../errors/registry';
import { buildAuthRequest, newSessionId, type AuthRequest, type RequestMode } from '../pipeline/auth-request';
import { parseBasicEndpoint, parseHeaderEndpoint, parseJsonEndpoint, parseNginxEndpoint } from './auth-parse';
import { sendAuthReply, sendNginxReply, headerSafe } from './auth-response';
import { TEMPFAIL_MESSAGE, type AuthOutcome } from '../pipeline/pipeline';
import { registerHookRoutes } from './hook-routes';

export interface HttpAppOptions {
  /** Log each HTTP request through fastify's logger (off: the engine logs one line per auth request). */
  logRequests?: boolean;
}

/** Constant-time string comparison (length leaks only through the hash, not the content). */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

export async function buildHttpApp(engine: AuthEngine, opts: HttpAppOptions = {}): Promise<FastifyInstance> {
  const server = engine.config.server;
  const app = Fastify({
    logger: opts.logRequests ? { level: 'info' } : false,
    bodyLimit: server.maxBodyBytes,
    routerOptions: { maxParamLength: 512 },
    // header values are bounded by node's maxHeaderSize (16 KiB)
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    if (isAuthStudioError(err)) return sendError(reply, err);
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      // fastify's own client errors: bad JSON, body too large, wrong content type
      return reply.code(e.statusCode).send({ error: 'AS_ERR_BAD_REQUEST', message: e.message ?? 'bad request', fastify_code: e.code });
    }
    engine.logger.error({ err: e.message, url: req.url }, 'unexpected error while serving a request');
    return reply.code(500).send({ error: 'AS_ERR_INTERNAL', message: 'internal error (logged on the server)' });
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, new AuthStudioError('AS_ERR_NOT_FOUND', `no route for ${req.method} ${req.url.split('?')[0]}`)));

  // basic auth for /api/v1/* when enabled (the /auth/basic endpoint carries the user's own credentials)
  const basic = server.basicAuth;
  if (basic?.enabled) {
    app.addHook('onRequest', async (req, reply) => {
      if (!req.url.startsWith('/api/v1/') || req.url.startsWith('/api/v1/auth/basic')) return;
      const m = /^Basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
      const cred = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
      const i = cred.indexOf(':');
      const ok = i >= 0 && safeEqual(cred.slice(0, i), basic.username) && safeEqual(cred.slice(i + 1), basic.password);
      if (!ok) {
        reply.header('WWW-Authenticate', 'Basic realm="authstudio"');
        return sendError(reply, new AuthStudioError('AS_ERR_UNAUTHORIZED', 'this API needs HTTP Basic credentials (server.basic_auth)'));
      }
    });
  }

  const authRoute = (endpoint: AuthRequest['endpoint'], parse: (r: FastifyRequest) => Record<string, unknown>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const mode = parseMode(req);
      const authReq = buildAuthRequest(parse(req), mode, endpoint);
      if (authReq.fields.client_ip === '' && endpoint !== 'json') authReq.fields.client_ip = '';
      const out = await authenticateOrTempfail(engine, authReq);
      if (endpoint === 'nginx') return sendNginxReply(reply, authReq, out);
      return sendAuthReply(reply, authReq, out, req.headers.accept);
    };

  app.route({ method: ['GET', 'POST'], url: '/api/v1/auth/json', handler: authRoute('json', parseJsonEndpoint) });
  app.route({ method: ['GET', 'POST'], url: '/api/v1/auth/header', handler: authRoute('header', parseHeaderEndpoint) });
  app.get('/api/v1/auth/basic', authRoute('basic', parseBasicEndpoint));
  app.get('/api/v1/auth/nginx', authRoute('nginx', parseNginxEndpoint));

  registerHookRoutes(app, engine);

  app.get('/ping', async (_req, reply) => reply.type('text/plain').send('pong'));
  app.get('/healthz', async (_req, reply) => {
    const redisOk = await engine.services.redis.ping();
    const body = { status: redisOk ? 'ok' : 'degraded', redis: { mode: engine.services.redis.mode, ok: redisOk }, in_flight: engine.busy, pools: engine.poolStats() };
    return reply.code(redisOk ? 200 : 503).send(body);
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await engine.services.metrics.metrics();
    return reply.type(engine.services.metrics.contentType).send(text);
  });
  return app;
}

function parseMode(req: FastifyRequest): RequestMode {
  const q = req.query as Record<string, unknown>;
  const mode = q?.mode;
  if (mode === undefined || mode === '' || mode === 'auth') return 'auth';
  if (mode === 'no-auth') return 'no-auth';
  if (mode === 'list-accounts') return 'list-accounts';
  throw new AuthStudioError('AS_ERR_BAD_REQUEST', `unknown mode "${String(mode).slice(0, 40)}" (use no-auth or list-accounts)`, { path: 'mode' });
}

/** The engine refuses work when overloaded or closing: that is a temporary failure, never a success. */
async function authenticateOrTempfail(engine: AuthEngine, req: AuthRequest): Promise<AuthOutcome> {
  try {
    return await engine.authenticate(req);
  } catch (e) {
    if (!isAuthStudioError(e)) throw e;
    return {
      decision: 'tempfail', session: req.session ?? newSessionId(), attributes: {}, fromCache: false, trace: [], customLogs: [],
      latencyMs: 0, postActions: Promise.resolve([]), protocol: req.fields.protocol, authWaitSec: 0,
      statusMessage: TEMPFAIL_MESSAGE, error: e.message,
    };
  }
}

export function sendError(reply: FastifyReply, err: AuthStudioError): FastifyReply {
  const body: Record<string, unknown> = { error: err.code, message: err.message };
  if (err.path) body.field = err.path;
  if (err.status === 401 && !reply.hasHeader('WWW-Authenticate')) reply.header('WWW-Authenticate', 'Basic realm="authstudio"');
  if (err.status >= 500) reply.header('Auth-Status', headerSafe(TEMPFAIL_MESSAGE));
  return reply.code(err.status).send(body);
}
