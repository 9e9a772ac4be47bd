// `/api/v1/custom/<http_location>`: Lua custom hooks, routed by location and method.
import type { FastifyInstance } from 'fastify';
import type { AuthEngine } from '../engine';
import { AuthStudioError, isAuthStudioError } from '../errors/registry';
import { headerSafe, sendError } from './errors';
import { hookAccess } from './api-auth';
import { refuseApiRequest } from './route-access';
import { requestView } from './request-view';
import { HEADER_NAME } from '../lua/response-headers';

export function registerHookRoutes(app: FastifyInstance, engine: AuthEngine): void {
  // hooks read the raw body themselves (nauthilus_http_request.get_http_request_body)
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    // the hook's roles are checked once the route is known and before the body is read (or "100 Continue" sent)
    scope.addHook('onRequest', async (req, reply) => {
      const hook = engine.findHook((req.params as Record<string, string>)['*'] ?? '', req.method);
      const denied = hook && hookAccess(engine, req, hook.roles);
      if (denied) return refuseApiRequest(engine, req, reply, denied);
    });
    scope.route({
      // the methods Nauthilus 1.10 accepts for a hook (config/lua.go); a HEAD answer carries headers, no body
      method: ['HEAD', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
      url: '/api/v1/custom/*',
      handler: async (req, reply) => {
        const location = (req.params as Record<string, string>)['*'] ?? '';
        const hookReq = requestView(req, `/api/v1/custom/${location}`);
        let result: Awaited<ReturnType<AuthEngine['runHook']>>;
        try {
          result = await engine.runHook(location, hookReq);
        } catch (e) {
          // overloaded or stopping: a quick 503 the caller may retry, never a wait in an unbounded queue
          if (isAuthStudioError(e) && e.status === 503) reply.header('Retry-After', '1');
          throw e;
        }
        // the studio's Requests history keeps the trace of the hook's script (by fastify's request id)
        if (result && engine.events.listenerCount('hook') > 0) engine.events.emit('hook', req.id, location, result);
        if (!result) return sendError(reply, new AuthStudioError('AS_ERR_NOT_FOUND', `no custom hook for ${req.method} /api/v1/custom/${location}`));
        for (const [k, values] of Object.entries(result.headers)) {
          // a script's header names and values never break the answer (node throws on both): names HTTP does not
          // allow are dropped, values go out as their UTF-8 bytes without control characters (headerSafe)
          if (!HEADER_NAME.test(k)) {
            engine.logger.warn({ hook: location, header: k.slice(0, 64) }, 'custom hook set an invalid header name (dropped)');
            continue;
          }
          const safe = values.map((v) => headerSafe(String(v)));
          reply.header(k, safe.length === 1 ? safe[0] : safe);
        }
        // HEAD: Go's server (Nauthilus) sends the written bytes' length as Content-Length and no Content-Length at
        // all when the hook wrote nothing; node drops a HEAD body itself
        if (req.method === 'HEAD' && result.body === '') return reply.code(result.status).type(headerSafe(result.contentType)).send();
        // a Buffer body: with a string body node re-encodes the header block, garbling UTF-8 header bytes
        return reply.code(result.status).type(headerSafe(result.contentType)).send(Buffer.from(result.body, 'utf8'));
      },
    });
  });
}
