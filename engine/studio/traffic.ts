// Traffic replay: many requests from a profile at a rate, through the real HTTP path, with progress and a summary.
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Decision, TrafficOptions, TrafficOutcome, TrafficSummary } from '../api/contract';
import type { AuthEngine } from '../engine';
import type { AuthOutcome } from '../pipeline/pipeline';
import { AuthStudioError } from '../errors/registry';
import type { StudioEventBus } from './event-bus';
import { buildWireRequest } from './presets';
import { decisionOf, injectWire } from './simulator';
import { fromWireHeader } from '../http/header-bytes';
import { compileProfile, type TrafficAttempt } from './traffic-profiles';
import { classifyOutcome } from './traffic-outcome';

const MAX_COUNT = 1_000_000;
const MAX_CONCURRENCY = 256;
const MAX_RUNNING = 4;
const KEEP_FINISHED = 20;
/** Progress is reported at least this often while a run goes on. */
const PROGRESS_EVERY_MS = 250;

interface Run {
  summary: TrafficSummary;
  latencies: number[];
  cancelled: boolean;
  wake: (() => void) | undefined;
  done: Promise<void>;
  lastProgressAt: number;
  step: number;
}

function int(v: unknown, name: string, min: number, max: number, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `${name} must be a number from ${min} to ${max}`, { path: name });
  return v;
}

/** Runs traffic replays; each run is identified by its run_id. */
export class TrafficRunner {
  private readonly runs = new Map<string, Run>();
  /** Outcomes of traffic requests in flight, by session, caught as the engine decides them. */
  private readonly outcomes = new Map<string, TrafficOutcome>();
  private listening = 0;
  private readonly onAuth = (_req: unknown, out: AuthOutcome) => {
    if (this.listening > 0) this.outcomes.set(out.session, classifyOutcome(out));
  };

  constructor(
    private readonly engine: AuthEngine,
    private readonly app: FastifyInstance,
    private readonly bus: StudioEventBus,
  ) {}

  /** Start a run; resolves at once with its first summary (state "running"). */
  start(opts: TrafficOptions): TrafficSummary {
    const { kind, attempt } = compileProfile(opts?.profile);
    const count = Math.floor(int(opts.count, 'count', 1, MAX_COUNT, 0));
    const rate = int(opts.rate, 'rate', 0, 100_000, 0);
    const concurrency = Math.floor(int(opts.concurrency, 'concurrency', 1, MAX_CONCURRENCY, 16));
    const preset = opts.preset ?? 'dovecot-imap';
    buildWireRequest({ preset, username: 'probe', password: 'probe' }); // an unknown preset fails now, not per request
    if ((preset as string) === 'custom') throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'traffic needs a client preset, not "custom"', { path: 'preset' });
    if ([...this.runs.values()].filter((r) => r.summary.state === 'running').length >= MAX_RUNNING) {
      throw new AuthStudioError('AS_ERR_BAD_REQUEST', `${MAX_RUNNING} traffic runs are already running: cancel one first`);
    }
    const summary: TrafficSummary = {
      run_id: crypto.randomBytes(8).toString('hex'), state: 'running', profile: kind, total: count, sent: 0, completed: 0,
      by_decision: { ok: 0, fail: 0, tempfail: 0 }, by_outcome: { ok: 0, wrong_password: 0, blocked: 0, refused: 0, tempfail: 0 }, by_status_message: {}, elapsed_ms: 0, rate: 0, latency_ms: { p50: 0, p95: 0, max: 0 },
    };
    const run: Run = { summary, latencies: [], cancelled: false, wake: undefined, done: Promise.resolve(), lastProgressAt: performance.now(), step: Math.max(1, Math.floor(count / 20)) };
    this.runs.set(summary.run_id, run);
    this.prune();
    const send = (a: TrafficAttempt) => buildWireRequest({ preset, username: a.username, password: a.password, fields: { client_ip: a.client_ip } });
    run.done = this.loop(run, count, rate, concurrency, (i) => send(attempt(i)));
    return copy(summary);
  }

  /** Stop sending; resolves with the final summary once the requests in flight have finished. */
  async cancel(runId: unknown): Promise<TrafficSummary> {
    const run = this.find(runId);
    run.cancelled = true;
    run.wake?.();
    await run.done;
    return copy(run.summary);
  }

  async get(runId: unknown, wait = false): Promise<TrafficSummary> {
    const run = this.find(runId);
    if (wait) await run.done;
    return copy(run.summary);
  }

  /** Cancel every run and wait for them (service shutdown). */
  async closeAll(): Promise<void> {
    for (const run of this.runs.values()) {
      run.cancelled = true;
      run.wake?.();
    }
    await Promise.all([...this.runs.values()].map((r) => r.done));
  }

  private find(runId: unknown): Run {
    const run = typeof runId === 'string' ? this.runs.get(runId) : undefined;
    if (!run) throw new AuthStudioError('AS_ERR_NOT_FOUND', `no traffic run "${String(runId).slice(0, 40)}"`, { path: 'run_id' });
    return run;
  }

  private async loop(run: Run, count: number, rate: number, concurrency: number, wire: (i: number) => ReturnType<typeof buildWireRequest>): Promise<void> {
    const t0 = performance.now();
    const inflight = new Set<Promise<void>>();
    if (this.listening++ === 0) this.engine.events.on('auth', this.onAuth);
    try {
      await this.send(run, count, rate, concurrency, wire, t0, inflight);
    } finally {
      if (--this.listening === 0) {
        this.engine.events.off('auth', this.onAuth);
        this.outcomes.clear();
      }
    }
    run.summary.state = run.cancelled ? 'cancelled' : 'done';
    this.update(run, t0);
    this.bus.emit('trafficProgress', copy(run.summary));
    this.bus.emit('trafficDone', copy(run.summary));
  }

  private async send(run: Run, count: number, rate: number, concurrency: number, wire: (i: number) => ReturnType<typeof buildWireRequest>, t0: number, inflight: Set<Promise<void>>): Promise<void> {
    for (let i = 0; i < count && !run.cancelled; i++) {
      if (rate > 0) await this.pace(run, t0 + (i * 1000) / rate);
      while (inflight.size >= concurrency) await Promise.race(inflight);
      if (run.cancelled) break;
      const p: Promise<void> = this.one(run, wire(i), t0).finally(() => inflight.delete(p));
      inflight.add(p);
      run.summary.sent++;
    }
    await Promise.all(inflight);
  }

  /** Wait until `due` (rate limiting); a cancel wakes it at once. */
  private pace(run: Run, due: number): Promise<void> {
    const wait = due - performance.now();
    if (wait <= 1) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, wait);
      function done() {
        clearTimeout(timer);
        run.wake = undefined;
        resolve();
      }
      run.wake = done;
    });
  }

  private async one(run: Run, wire: ReturnType<typeof buildWireRequest>, t0: number): Promise<void> {
    const start = performance.now();
    let decision: Decision;
    let outcome: TrafficOutcome | undefined;
    let statusMessage: string | undefined;
    try {
      const res = await injectWire(this.app, wire);
      decision = decisionOf(res);
      const h = res.headers['auth-status'];
      if (decision !== 'ok' && h !== undefined) statusMessage = fromWireHeader(String(h));
      const session = res.headers['x-nauthilus-session'];
      if (typeof session === 'string') {
        outcome = this.outcomes.get(session);
        this.outcomes.delete(session);
      }
    } catch {
      decision = 'tempfail';
    }
    const s = run.summary;
    s.completed++;
    s.by_decision[decision]++;
    // the pipeline's word when the engine decided; a request refused before it (bad input) is as HTTP says
    s.by_outcome[outcome ?? (decision === 'fail' ? 'refused' : decision)]++;
    if (statusMessage !== undefined) s.by_status_message[statusMessage] = (s.by_status_message[statusMessage] ?? 0) + 1;
    if (run.latencies.length < 200_000) run.latencies.push(performance.now() - start);
    const now = performance.now();
    if (s.completed < s.total && (s.completed % run.step === 0 || now - run.lastProgressAt >= PROGRESS_EVERY_MS)) {
      run.lastProgressAt = now;
      this.update(run, t0);
      this.bus.emit('trafficProgress', copy(s));
    }
  }

  private update(run: Run, t0: number): void {
    const s = run.summary;
    s.elapsed_ms = Math.round(performance.now() - t0);
    s.rate = s.elapsed_ms > 0 ? Math.round((s.completed * 1000 * 10) / s.elapsed_ms) / 10 : 0;
    const sorted = [...run.latencies].sort((a, b) => a - b);
    const at = (q: number) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 100) / 100 : 0);
    s.latency_ms = { p50: at(0.5), p95: at(0.95), max: at(1) };
  }

  private prune(): void {
    const finished = [...this.runs.entries()].filter(([, r]) => r.summary.state !== 'running');
    for (const [id] of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.runs.delete(id);
  }
}

function copy(s: TrafficSummary): TrafficSummary {
  return JSON.parse(JSON.stringify(s)) as TrafficSummary;
}
