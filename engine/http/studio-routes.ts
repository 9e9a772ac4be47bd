// `/api/studio/*`: the studio contract over HTTP (one POST per method) and its events as a Server-Sent Events stream.
//
//   POST /api/studio/call/<method>   body: the argument (JSON object)  ->  200 {result} | 4xx/5xx {error: StudioErrorInfo}
//   GET  /api/studio/events[?events=reload,log]  ->  text/event-stream: "hello", then one event per studio event
//   GET  /api/studio/contract        ->  {methods, events}
//   GET  /api/studio/session         ->  {token}   (without --token: the per-launch token, for the studio page)
//
// Every request carries the studio's token (--token, or one made per launch) and comes from no other origin;
// see studio-guard.ts for the rules.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import { STUDIO_EVENTS, STUDIO_METHODS, type StudioErrorInfo, type StudioEventName, type StudioMethods } from '../api/contract';
import { formatSse, SSE_HEARTBEAT } from '../api/sse';
import type { StudioEventBus } from '../studio/event-bus';
import { newLaunchToken, SESSION_PATH, studioRefusal, type Refusal, type StudioGuard } from './studio-guard';

/** What the routes need from the service. */
export interface StudioBackend extends StudioMethods {
  events: StudioEventBus;
  errorInfo(e: unknown): StudioErrorInfo;
}

export interface StudioRouteOptions {
  /** The token every studio request needs (`--token` / AUTHSTUDIO_TOKEN); without it one is made per launch. */
  token?: string;
  /** Largest request body for a call (file saves), default 16 MiB. */
  bodyLimit?: number;
}

const HEARTBEAT_MS = 15_000;
/** A client this far behind gets no more events until it catches up (a stuck tab must not grow memory). */
const MAX_BUFFERED = 4 * 1024 * 1024;

function deny(reply: FastifyReply, refusal: Refusal): FastifyReply {
  const error: StudioErrorInfo = refusal.status === 415
    ? { code: 'AS_ERR_BAD_REQUEST', message: refusal.message, status: 415 }
    : { code: 'AS_ERR_UNAUTHORIZED', message: refusal.message, status: refusal.status };
  if (refusal.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="authstudio-studio"');
  return reply.code(refusal.status).send({ error });
}

/** Register the studio API on an app built by buildHttpApp (before it listens). */
export function registerStudioRoutes(app: FastifyInstance, service: StudioBackend, opts: StudioRouteOptions = {}): { token: string } {
  const guard: StudioGuard = opts.token !== undefined ? { token: opts.token, launch: false } : { token: newLaunchToken(), launch: true };
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const res of streams) res.end();
    streams.clear();
  });

  app.register(async (scope) => {
    // fastify's own refusals here (bad JSON, body too large, wrong content type) keep the studio error shape
    scope.setErrorHandler((err: unknown, _req, reply) => {
      const e = err as { statusCode?: number; message?: string };
      const error: StudioErrorInfo = e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500
        ? { code: 'AS_ERR_BAD_REQUEST', message: e.message || 'bad request', status: e.statusCode }
        : service.errorInfo(err);
      return reply.code(error.status).send({ error });
    });
    scope.addHook('onRequest', async (req, reply) => {
      const refusal = studioRefusal(req, guard);
      if (refusal) return deny(reply, refusal);
    });

    // the page's token (launch mode): readable only from the studio's own origin; never cached
    scope.get(SESSION_PATH, async (_req, reply) => reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').send({ token: guard.token }));

    scope.get('/api/studio/contract', async () => ({ methods: STUDIO_METHODS, events: STUDIO_EVENTS }));

    scope.post('/api/studio/call/:method', { bodyLimit: opts.bodyLimit ?? 16 * 1024 * 1024 }, async (req, reply) => {
      const name = (req.params as { method: string }).method;
      if (!(STUDIO_METHODS as readonly string[]).includes(name)) {
        return reply.code(404).send({ error: { code: 'AS_ERR_NOT_FOUND', message: `the studio has no method "${name.slice(0, 60)}"`, status: 404 } });
      }
      try {
        const fn = service[name as keyof StudioMethods] as (arg: unknown) => Promise<unknown>;
        const result = await fn.call(service, req.body ?? {});
        return reply.code(200).send({ result });
      } catch (e) {
        const info = service.errorInfo(e);
        return reply.code(info.status).send({ error: info });
      }
    });

    scope.get('/api/studio/events', async (req, reply) => {
      const asked = String((req.query as Record<string, unknown>)?.events ?? '').split(',').filter(Boolean);
      const names = (asked.length ? STUDIO_EVENTS.filter((n) => asked.includes(n)) : [...STUDIO_EVENTS]) as StudioEventName[];
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      streams.add(res);
      const off = service.events.onAny((name, payload) => {
        if (res.writableLength < MAX_BUFFERED) res.write(formatSse(name, payload));
      }, names);
      const heartbeat = setInterval(() => res.write(SSE_HEARTBEAT), HEARTBEAT_MS);
      heartbeat.unref();
      const stop = () => {
        off();
        clearInterval(heartbeat);
        streams.delete(res);
      };
      req.raw.on('close', stop);
      res.on('close', stop);
      // subscribed before "hello": a client that waits for it sees every later event
      res.write(formatSse('hello', { events: names }));
    });
  });
  return { token: guard.token };
}
