// The Requests history: every request the engine serves in studio mode (auth endpoints, custom hooks, other API
// routes; from the studio's own tools or any outside client such as curl), newest first, bounded, each with the
// trace of what ran for it. Studio API calls and the UI's files are not requests the engine serves: left out.
import net from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServedRequest, ServedRequestDetail, TraceEvent, TraceStage } from '../api/contract';
import type { AuthEngine } from '../engine';
import { AuthStudioError } from '../errors/registry';
import type { AuthOutcome } from '../pipeline/pipeline';
import type { AuthRequest } from '../pipeline/auth-request';
import type { HookResult } from '../pipeline/custom-hook';
import { fromWireHeader } from '../http/header-bytes';
import { decisionOf } from './simulator';
import { decidingStage } from '../testing/run-request';

/** Entries kept (the oldest go first). */
export const HISTORY_LIMIT = 200;
/** Bodies are kept up to this many characters. */
const BODY_LIMIT = 64 * 1024;
/** Outcomes waiting for their response (a login whose answer never comes must not pin memory). */
const PENDING_LIMIT = 1000;

interface Entry {
  summary: ServedRequest;
  request: ServedRequestDetail['request'];
  response: ServedRequestDetail['response'];
  outcome?: AuthOutcome;
  hook?: HookResult;
}

function text(v: unknown): string {
  const s = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : v === undefined || v === null ? '' : JSON.stringify(v);
  return s.length > BODY_LIMIT ? `${s.slice(0, BODY_LIMIT)}… (${s.length - BODY_LIMIT} more characters)` : s;
}

function headerMap(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = fromWireHeader(Array.isArray(v) ? v.join(', ') : String(v));
  return out;
}

/** Requests the history records: the engine's API and auth endpoints, not the studio's own API or its UI files. */
export function recorded(url: string): boolean {
  return url.startsWith('/api/') && !url.startsWith('/api/studio/');
}

/** Every recorded event of the stages, in the order they happened. */
export function eventsOf(trace: TraceStage[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const s of trace) for (const e of s.events ?? []) out.push({ stage: s.stage, name: s.name, kind: e.kind, at_ms: e.at_ms, detail: e.detail });
  return out.sort((a, b) => a.at_ms - b.at_ms);
}

export class RequestHistory {
  private readonly entries: Entry[] = [];
  private readonly byId = new Map<string, Entry>();
  private readonly logins = new Map<string, { req: AuthRequest; out: AuthOutcome }>();
  private readonly hooks = new Map<string, HookResult>();
  private readonly payloads = new WeakMap<FastifyRequest, unknown>();
  private seq = 0;
  private readonly onAuth = (req: AuthRequest, out: AuthOutcome) => this.remember(this.logins, out.session, { req, out });
  private readonly onHook = (requestId: string, _location: string, result: HookResult) => this.remember(this.hooks, requestId, result);

  /** Attach to the app (before it listens) and the engine's events; `announce` gets every new entry. */
  constructor(private readonly engine: AuthEngine, app: FastifyInstance, private readonly announce: (e: ServedRequest) => void) {
    engine.events.on('auth', this.onAuth);
    engine.events.on('hook', this.onHook);
    app.addHook('onSend', async (req, _reply, payload) => {
      if (recorded(req.url)) this.payloads.set(req, payload);
      return payload;
    });
    app.addHook('onResponse', async (req, reply) => {
      if (recorded(req.url)) this.record(req, reply);
    });
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.set(key, value);
    if (map.size > PENDING_LIMIT) map.delete(map.keys().next().value as string);
  }

  private record(req: FastifyRequest, reply: FastifyReply): void {
    const headers = headerMap(reply.getHeaders() as Record<string, unknown>);
    const path = req.url.split('?')[0];
    const kind: ServedRequest['kind'] = path.startsWith('/api/v1/auth/') ? 'login' : path.startsWith('/api/v1/custom/') ? 'hook' : 'other';
    const summary: ServedRequest = {
      id: `r${++this.seq}`, at: Date.now(), method: req.method, url: req.url, status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 1000) / 1000, kind,
      // the studio's tools send through app.inject (no socket); everything else came over the network
      source: req.raw.socket instanceof net.Socket ? 'external' : 'studio',
    };
    const entry: Entry = {
      summary,
      request: { headers: headerMap(req.headers as Record<string, unknown>), body: text(req.body) },
      response: { headers, body: text(this.payloads.get(req)) },
    };
    if (kind === 'login') {
      const session = headers['x-nauthilus-session'];
      const seen = session ? this.logins.get(session) : undefined;
      if (session) this.logins.delete(session);
      summary.decision = seen?.out.decision ?? decisionOf({ statusCode: reply.statusCode, headers });
      if (session) summary.session = session;
      const user = seen?.req.fields.username;
      if (user) summary.username = user;
      entry.outcome = seen?.out;
    } else if (kind === 'hook') {
      entry.hook = this.hooks.get(req.id);
      this.hooks.delete(req.id);
    }
    this.entries.unshift(entry);
    this.byId.set(summary.id, entry);
    while (this.entries.length > HISTORY_LIMIT) this.byId.delete(this.entries.pop()!.summary.id);
    this.announce(summary);
  }

  /** Newest first; with `since`, only the entries after that one. */
  list(since?: string): ServedRequest[] {
    const out: ServedRequest[] = [];
    for (const e of this.entries) {
      if (e.summary.id === since) break;
      out.push(e.summary);
    }
    return out;
  }

  /** One entry with its trace (a login's post actions included once they finished). */
  async get(id: string): Promise<ServedRequestDetail> {
    const e = this.byId.get(String(id));
    if (!e) throw new AuthStudioError('AS_ERR_NOT_FOUND', `no request "${String(id).slice(0, 40)}" in the history (it keeps the last ${HISTORY_LIMIT})`, { path: 'id' });
    const post = e.outcome ? await e.outcome.postActions : [];
    const trace = JSON.parse(JSON.stringify([...(e.outcome?.trace ?? e.hook?.trace ?? []), ...post])) as TraceStage[];
    const detail: ServedRequestDetail = { ...e.summary, request: e.request, response: e.response, trace, events: eventsOf(trace) };
    if (e.outcome?.statusMessage && e.outcome.decision !== 'ok') detail.status_message = e.outcome.statusMessage;
    const decider = e.outcome ? decidingStage(trace) : undefined;
    if (decider) detail.decided_by = `${decider.stage}:${decider.name}`;
    return detail;
  }

  /** The newest entry for which `match` holds. */
  find(match: (e: ServedRequest) => boolean): ServedRequest | undefined {
    return this.entries.find((e) => match(e.summary))?.summary;
  }

  clear(): number {
    const n = this.entries.length;
    this.entries.length = 0;
    this.byId.clear();
    return n;
  }

  close(): void {
    this.engine.events.off('auth', this.onAuth);
    this.engine.events.off('hook', this.onHook);
  }
}
