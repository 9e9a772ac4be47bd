// The HTTP face of the engine: builds the fastify app (never listens itself; tests use inject()).
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AuthEngine } from '../engine';
import { AuthStudioError, isAuthStudioError } from '../errors/registry';
import { buildAuthRequest, newSessionId, type AuthRequest, type RequestMode } from '../pipeline/auth-request';
import { parseBasicEndpoint, parseHeaderEndpoint, parseJsonEndpoint, parseNginxEndpoint } from './auth-parse';
import { sendAuthReply, sendNginxReply, sendScriptHeaders } from './auth-response';
import { authRequestView } from './request-view';
import { registerRouteAccess, refuseApiRequest } from './route-access';
import { registerJwtRoutes } from './jwt-routes';
import { registerExpectContinue } from './expect-continue';
import { believedFields, peerAddress, peerIsTrustedProxy } from './caller-trust';
import { registerAdminRoutes } from './admin-routes';
import { sendError } from './errors';
import { TEMPFAIL_MESSAGE, type AuthOutcome } from '../pipeline/pipeline';
import { registerHookRoutes } from './hook-routes';

export interface HttpAppOptions {
  /** Log each HTTP request through fastify's logger (off: the engine logs one line per auth request). */
  logRequests?: boolean;
  /** Where request log lines go (default stdout). */
  requestLogStream?: NodeJS.WritableStream;
}

export async function buildHttpApp(engine: AuthEngine, opts: HttpAppOptions = {}): Promise<FastifyInstance> {
  const server = engine.config.server;
  const app = Fastify({
    // a URL's query may hold a password (GET /api/v1/auth/json?password=...): request logs carry the path only
    logger: opts.logRequests ? { level: 'info', stream: opts.requestLogStream, serializers: { req: requestLogFields } } : false,
    bodyLimit: server.maxBodyBytes,
    // One spelling per route. API access does not depend on these (route-access.ts decides on the matched
    // route), but strict matching keeps what is logged and what runs the same thing. (`;` stays an ordinary
    // path character: fastify 5's useSemicolonDelimiter is off by default.)
    routerOptions: { maxParamLength: 512, caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false },
    // errors fastify raises before routing (a broken percent-escape in the URL, ...) get our JSON shape
    frameworkErrors: (err, _req, reply) => {
      void (reply as FastifyReply).code(400).send({ error: 'AS_ERR_BAD_REQUEST', message: `malformed request: ${err.message}` });
    },
    // requests node's HTTP parser rejects (bad header bytes, smuggling attempts, oversized headers) get the
    // same JSON error shape as every other bad request
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy();
      const big = err.code === 'HPE_HEADER_OVERFLOW';
      const status = big ? 431 : 400;
      const body = JSON.stringify({ error: 'AS_ERR_BAD_REQUEST', message: big ? 'request headers are too large' : `malformed HTTP request (${err.code ?? 'parse error'})` });
      socket.end(`HTTP/1.1 ${status} ${big ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
    // header values are bounded by node's maxHeaderSize (16 KiB)
  });

  // On shutdown, answers go out with Connection: close so keep-alive clients let go at once and the
  // process can exit right after the last in-flight request (instead of after the keep-alive timeout).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // hooks every request passes through take fastify's callback form: no promise and no extra microtask per request
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('Connection', 'close');
    done(null, payload);
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    // a refusal raised while parsing (e.g. /auth/basic without credentials) is logged like every other refusal
    if (isAuthStudioError(err) && (err.status === 401 || err.status === 403)) return refuseApiRequest(engine, req, reply, err);
    if (isAuthStudioError(err)) return sendError(reply, err);
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      // fastify's own client errors: bad JSON, body too large, wrong content type
      return reply.code(e.statusCode).send({ error: 'AS_ERR_BAD_REQUEST', message: e.message ?? 'bad request', fastify_code: e.code });
    }
    engine.logger.error({ err: e.message, method: req.method, path: urlPath(req.url) }, 'unexpected error while serving a request');
    return reply.code(500).send({ error: 'AS_ERR_INTERNAL', message: 'internal error (logged on the server)' });
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, new AuthStudioError('AS_ERR_NOT_FOUND', `no route for ${req.method} ${req.url.split('?')[0]}`)));

  registerExpectContinue(app);
  registerRouteAccess(app, engine);
  registerJwtRoutes(app, engine);
  registerAdminRoutes(app, engine);

  const authRoute = (endpoint: AuthRequest['endpoint'], parse: (r: FastifyRequest) => Record<string, unknown>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const mode = parseMode(req);
      let raw: Record<string, unknown>;
      try {
        raw = believedFields(engine, req, parse(req), mode);
      } catch (e) {
        if (isAuthStudioError(e) && e.code === 'AS_ERR_UNTRUSTED_CALLER') return refuseApiRequest(engine, req, reply, e);
        throw e;
      }
      const authReq = buildAuthRequest(raw, mode, endpoint);
      authReq.http = authRequestView(req, endpoint, urlPath(req.url));
      authReq.peer = { ip: peerAddress(req), trustedProxy: peerIsTrustedProxy(engine, req) };
      if (authReq.fields.client_ip === '' && endpoint !== 'json') authReq.fields.client_ip = '';
      const out = await authenticateOrTempfail(engine, authReq);
      sendScriptHeaders(reply, out);
      if (endpoint === 'nginx') return sendNginxReply(reply, authReq, out, engine.nginxUpstreams());
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
    const body = {
      status: redisOk ? 'ok' : 'degraded', redis: { mode: engine.services.redis.mode, ok: redisOk }, in_flight: engine.busy, pools: engine.poolStats(),
      workers: await engine.workerStats(),
    };
    return reply.code(redisOk ? 200 : 503).send(body);
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await engine.metricsText();
    return reply.type(engine.services.metrics.contentType).send(text);
  });
  return app;
}

/** A URL without its query (which may hold a password): what logs may show. */
export function urlPath(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function requestLogFields(req: { method: string; url: string; ip?: string }): Record<string, unknown> {
  return { method: req.method, path: urlPath(req.url), remoteAddress: req.ip };
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
      latencyMs: 0, postActions: Promise.resolve([]), protocol: req.fields.protocol,
      statusMessage: TEMPFAIL_MESSAGE, error: e.message,
    };
  }
}
