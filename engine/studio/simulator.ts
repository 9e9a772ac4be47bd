// The simulator: send a preset's request through the running engine's real HTTP path and collect the full trace,
// every Redis command, HTTP call and log line the scripts made, and the final response.
import type { FastifyInstance } from 'fastify';
import type { Decision, SimulateInput, SimulationResult, TraceEvent, TraceStage, WireRequest } from '../api/contract';
import type { AuthEngine } from '../engine';
import type { AuthOutcome } from '../pipeline/pipeline';
import { TEMPFAIL_MESSAGE } from '../pipeline/pipeline';
import type { AuthRequest } from '../pipeline/auth-request';
import { buildWireRequest } from './presets';
import { fromWireHeader, toWireHeader } from '../http/header-bytes';
import { decidingStage } from '../testing/run-request';

/** The part of an HTTP response a decision is read from. */
export interface ResponseShape {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
}

/**
 * The decision an HTTP answer stands for, as the client sees it: nginx always answers 200 and says it in
 * Auth-Status; the other endpoints use 200 / 403 / 5xx. A 4xx other than 403 (a malformed request) is a failure.
 */
export function decisionOf(res: ResponseShape): Decision {
  const status = headerText(res.headers['auth-status']);
  if (res.statusCode === 200) {
    if (status === undefined || status === 'OK') return 'ok';
    return status === TEMPFAIL_MESSAGE ? 'tempfail' : 'fail';
  }
  if (res.statusCode >= 500) return 'tempfail';
  return 'fail';
}

/** A response header as text (the engine sends text beyond ASCII as UTF-8 bytes). */
function headerText(v: string | string[] | number | undefined): string | undefined {
  if (v === undefined) return undefined;
  return fromWireHeader(Array.isArray(v) ? v.join(', ') : String(v));
}

/** Send a wire request through the app (no socket, same routes and hooks as a real client; headers as UTF-8 bytes). */
export function injectWire(app: FastifyInstance, wire: WireRequest) {
  const headers = wire.headers && Object.fromEntries(Object.entries(wire.headers).map(([k, v]) => [k, typeof v === 'string' ? toWireHeader(v) : v]));
  return app.inject({ method: wire.method, url: wire.url, headers, ...(wire.body === undefined ? {} : { payload: wire.body }) });
}

export class Simulator {
  constructor(
    private readonly engine: AuthEngine,
    private readonly app: FastifyInstance,
  ) {}

  /** One simulated request; post actions are awaited so their stages are in the trace. */
  async simulate(input: SimulateInput): Promise<SimulationResult> {
    const wire = buildWireRequest(input);
    // catch this request's outcome as it happens: under traffic the engine's recent-trace memory may move on
    const seen = new Map<string, AuthOutcome>();
    const listener = (_req: AuthRequest, out: AuthOutcome) => seen.set(out.session, out);
    this.engine.events.on('auth', listener);
    const t0 = performance.now();
    let res;
    try {
      res = await injectWire(this.app, wire);
    } finally {
      this.engine.events.off('auth', listener);
    }
    const latency = Math.round((performance.now() - t0) * 1000) / 1000;
    const session = headerText(res.headers['x-nauthilus-session']);
    const outcome = session ? seen.get(session) ?? this.engine.lastTrace(session) : undefined;
    const post = outcome ? await outcome.postActions : [];
    const trace = JSON.parse(JSON.stringify([...(outcome?.trace ?? []), ...post])) as TraceStage[];
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = headerText(v) as string;
    const result: SimulationResult = {
      preset: input.preset,
      decision: outcome?.decision ?? decisionOf(res),
      status: res.statusCode,
      headers,
      body: parseBody(res.body, headers['content-type']),
      trace,
      events: eventsOf(trace),
      request: wire,
      latency_ms: latency,
      generation: this.engine.generation,
    };
    if (session) result.session = session;
    const decider = decidingStage(trace);
    if (decider) result.decided_by = `${decider.stage}:${decider.name}`;
    if (outcome?.statusMessage && outcome.decision !== 'ok') result.status_message = outcome.statusMessage;
    return result;
  }
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '' || !/json/i.test(contentType ?? '')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Every recorded event of every stage, in the order they happened, tagged with its stage. */
function eventsOf(trace: TraceStage[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const s of trace) for (const e of s.events ?? []) out.push({ stage: s.stage, name: s.name, kind: e.kind, at_ms: e.at_ms, detail: e.detail });
  return out.sort((a, b) => a.at_ms - b.at_ms);
}
