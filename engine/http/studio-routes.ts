// `/api/studio/*`: the studio contract over HTTP (one POST per method) and its events as a Server-Sent Events stream.
//
//   POST /api/studio/call/<method>   body: the argument (JSON object)  ->  200 {result} | 4xx/5xx {error: StudioErrorInfo}
//   GET  /api/studio/events[?events=reload,log]  ->  text/event-stream: "hello", then one event per studio event
//   GET  /api/studio/contract        ->  {methods, events}
//
// Without a token the API answers only requests addressed to a loopback host (no DNS rebinding, no foreign
// origins); with a token every request must carry it (Authorization: Bearer, or ?token= for EventSource).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import crypto from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { STUDIO_EVENTS, STUDIO_METHODS, type StudioErrorInfo, type StudioEventName, type StudioMethods } from '../api/contract';
import { formatSse, SSE_HEARTBEAT } from '../api/sse';
import type { StudioEventBus } from '../studio/event-bus';

/** What the routes need from the service. */
export interface StudioBackend extends StudioMethods {
  events: StudioEventBus;
  errorInfo(e: unknown): StudioErrorInfo;
}

export interface StudioRouteOptions {
  /** Required on every studio request when set (`--token` / AUTHSTUDIO_TOKEN). */
  token?: string;
  /** Largest request body for a call (file saves), default 16 MiB. */
  bodyLimit?: number;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const HEARTBEAT_MS = 15_000;
/** A client this far behind gets no more events until it catches up (a stuck tab must not grow memory). */
const MAX_BUFFERED = 4 * 1024 * 1024;

/** Constant-time comparison of two tokens (hashing first hides the length too). */
function sameToken(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

function hostOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(value.trim().toLowerCase());
  return m?.[1];
}

function deny(reply: FastifyReply, status: number, message: string): FastifyReply {
  const error: StudioErrorInfo = { code: 'AS_ERR_UNAUTHORIZED', message, status };
  if (status === 401) reply.header('WWW-Authenticate', 'Bearer realm="authstudio-studio"');
  return reply.code(status).send({ error });
}

/** Why this request may not use the studio API, or undefined when it may. */
function refusal(req: FastifyRequest, token: string | undefined): string | undefined {
  if (token !== undefined) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const query = (req.query as Record<string, unknown> | undefined)?.token;
    const given = bearer ?? (typeof query === 'string' ? query : undefined);
    return given !== undefined && sameToken(given, token) ? undefined : 'the studio API needs its token (Authorization: Bearer <token>)';
  }
  if (!LOOPBACK_HOSTS.has(hostOf(req.headers.host) ?? '')) return 'without a token the studio API answers only on a loopback address';
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).hostname.toLowerCase();
    } catch {
      host = undefined;
    }
    if (!host || !LOOPBACK_HOSTS.has(host)) return `requests from ${origin.slice(0, 80)} may not use the studio API`;
  }
  return undefined;
}

/** Register the studio API on an app built by buildHttpApp (before it listens). */
export function registerStudioRoutes(app: FastifyInstance, service: StudioBackend, opts: StudioRouteOptions = {}): void {
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
      const why = refusal(req, opts.token);
      if (why) return deny(reply, opts.token === undefined ? 403 : 401, why);
    });

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
}
