// The engine's pipeline worker threads (main-thread side): each runs whole requests on its own Lua pools.
//
//   authenticate(req) -> least busy worker --auth--> pipeline on that thread --done--> outcome (+ post records later)
//   reload(config)    -> every worker builds the new version, then swaps (requests in flight finish on the old one)
//   a worker that dies: its requests in flight fail as temporary failures, and a new worker takes its place
//
// The embedded Redis and nauthilus_cache stay on this thread (one state per engine); a real Redis gets one
// connection per worker.
import path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { AuthStudioConfig, RedisSettings } from '../config/types';
import type { SharedCache } from '../lua/services';
import type { RedisStore } from '../redis/store';
import { atomicScriptNamed } from '../redis/atomic-script';
import type { AuthRequest } from '../pipeline/auth-request';
import type { AuthOutcome } from '../pipeline/pipeline';
import type { StageRecord } from '../pipeline/trace';
import { AuthStudioError } from '../errors/registry';
import { serveCache } from './remote-services';
import type { FromWorker, RedisCallBody, ToWorker, WorkerInit, WorkerTask } from './protocol';

export interface WorkerContext {
  /** The engine's Redis store now in force (switchRedis replaces it). */
  redis: () => RedisStore;
  cache: SharedCache;
  env: Record<string, string | undefined>;
  logger: Logger;
}

interface Slot {
  worker: Worker;
  inFlight: number;
  waiting: Map<number, { resolve: (o: AuthOutcome) => void; reject: (e: Error) => void; post: (r: StageRecord[]) => void; answered?: boolean }>;
  acks: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
  exited: boolean;
}

const WORKER_FILE = path.join(__dirname, 'worker-main.js');

export class PipelineWorkers {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private config: AuthStudioConfig;
  private closing = false;
  /** Workers started after a crash (for /healthz and logs). */
  restarts = 0;

  private constructor(config: AuthStudioConfig, private readonly ctx: WorkerContext) {
    this.config = config;
  }

  /** Start `count` workers on `config`; resolves once every one has compiled its pools. */
  static async start(count: number, config: AuthStudioConfig, ctx: WorkerContext): Promise<PipelineWorkers> {
    const pool = new PipelineWorkers(config, ctx);
    try {
      await Promise.all(Array.from({ length: count }, () => pool.spawn()));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  private redisFor(): RedisSettings | null {
    const store = this.ctx.redis();
    return store.mode === 'mock' ? null : store.settings;
  }

  private spawn(): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const cacheFlag = new SharedArrayBuffer(4);
    serveCache(this.ctx.cache, port1, cacheFlag);
    port1.unref();
    const init: WorkerInit = { config: this.config, redis: this.redisFor(), env: { ...this.ctx.env }, cachePort: port2, cacheFlag };
    const worker = new Worker(WORKER_FILE, { workerData: init, transferList: [port2] });
    const slot: Slot = { worker, inFlight: 0, waiting: new Map(), acks: new Map(), exited: false };
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: FromWorker) => {
        if (m.t === 'ready') {
          ready = true;
          this.slots.push(slot);
          resolve();
        } else if (m.t === 'failed') {
          reject(new AuthStudioError((m.code as 'AS_ERR_LUA_INIT') ?? 'AS_ERR_INTERNAL', m.error, { location: m.location }));
          void worker.terminate();
        } else this.onMessage(slot, m);
      });
      worker.on('error', (e) => {
        this.ctx.logger.error({ err: e.message }, 'pipeline worker crashed');
        if (!ready) reject(e);
      });
      worker.on('exit', (code) => {
        slot.exited = true;
        port1.close();
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        const gone = new Error(`pipeline worker stopped (exit code ${code})`);
        for (const w of slot.waiting.values()) {
          // answered already: only its post actions are lost with the thread
          if (w.answered) w.post([]);
          else w.reject(gone);
        }
        for (const a of slot.acks.values()) a.reject(gone);
        slot.waiting.clear();
        slot.acks.clear();
        if (!ready) reject(gone);
        else if (!this.closing) {
          this.restarts++;
          this.spawn().catch((e) => this.ctx.logger.error({ err: String(e) }, 'could not restart a pipeline worker'));
        }
      });
    });
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    switch (m.t) {
      case 'done': {
        const w = slot.waiting.get(m.id);
        if (!w) return;
        slot.inFlight--;
        if (m.outcome) {
          let post!: (r: StageRecord[]) => void;
          const postActions = new Promise<StageRecord[]>((r) => (post = r));
          w.post = post;
          w.answered = true;
          w.resolve({ ...m.outcome, postActions });
        } else {
          slot.waiting.delete(m.id);
          w.reject(new AuthStudioError((m.code as 'AS_ERR_INTERNAL') ?? 'AS_ERR_INTERNAL', m.error ?? 'pipeline worker failed'));
        }
        return;
      }
      case 'post': {
        slot.waiting.get(m.id)?.post(m.records);
        slot.waiting.delete(m.id);
        return;
      }
      case 'ack': {
        const a = slot.acks.get(m.id);
        slot.acks.delete(m.id);
        if (a) m.error ? a.reject(new AuthStudioError('AS_ERR_LUA_LOAD', m.error)) : a.resolve(m.value);
        return;
      }
      case 'redis-call':
        this.redisCall(m).then(
          (value) => this.post(slot, { t: 'reply', id: m.id, ok: true, value }),
          (e) => this.post(slot, { t: 'reply', id: m.id, ok: false, error: (e as Error)?.message ?? String(e) }),
        );
        return;
    }
  }

  private post(slot: Slot, m: ToWorker): void {
    if (!slot.exited) slot.worker.postMessage(m);
  }

  private async redisCall(m: RedisCallBody): Promise<unknown> {
    const store = this.ctx.redis();
    if (m.op === 'batch') return store.batch(m.commands, m.atomic);
    if (m.op === 'script') {
      const script = atomicScriptNamed(m.name);
      if (!script) throw new Error(`no atomic script named "${m.name}"`);
      return store.runScript(script, m.keys, m.args);
    }
    const client = store.client as unknown as Record<string, (...a: unknown[]) => unknown>;
    if (m.op === 'command') {
      if (typeof client[m.cmd] !== 'function') throw new Error(`ERR unknown command '${m.cmd}'`);
      return client[m.cmd](...m.args);
    }
    const p = (m.atomic ? client.multi(m.commands) : client.pipeline(m.commands)) as { exec(): Promise<Array<[Error | null, unknown]> | null> };
    const res = (await p.exec()) ?? [];
    return res.map(([err, v]) => [err ? err.message : null, v]);
  }

  /** Run one request on the least busy worker. */
  run(req: AuthRequest, recordEvents: boolean): Promise<AuthOutcome> {
    let best: Slot | undefined;
    for (const s of this.slots) if (!best || s.inFlight < best.inFlight) best = s;
    if (!best) return Promise.reject(new AuthStudioError('AS_ERR_POOL_BUSY', 'no pipeline worker is running (one is restarting)'));
    const slot = best;
    const id = ++this.nextId;
    slot.inFlight++;
    return new Promise<AuthOutcome>((resolve, reject) => {
      slot.waiting.set(id, { resolve, reject: (e) => { slot.inFlight = Math.max(0, slot.inFlight - 1); reject(e); }, post: () => undefined });
      this.post(slot, { t: 'auth', id, req, recordEvents });
    });
  }

  private ask(slot: Slot, m: WorkerTask): Promise<unknown> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      slot.acks.set(id, { resolve, reject });
      this.post(slot, { ...m, id });
    });
  }

  /** Every worker builds `config` and swaps to it; rejects with the first worker's error. */
  async reload(config: AuthStudioConfig): Promise<void> {
    this.config = config;
    await Promise.all(this.slots.map((s) => this.ask(s, { t: 'reload', config })));
  }

  /** Workers follow the engine to another Redis (their own connection, or the main thread's embedded store). */
  async switchRedis(): Promise<void> {
    const settings = this.redisFor();
    await Promise.all(this.slots.map((s) => this.ask(s, { t: 'redis', settings })));
  }

  /** Pool statistics of each worker. */
  stats(): Promise<Array<Record<string, { vms: number; busy: number; queued: number; replaced: number; memoryBytes: number }>>> {
    return Promise.all(this.slots.map((s) => this.ask(s, { t: 'stats' }))) as never;
  }

  /** Each worker's metrics registry as prom-client JSON (for the engine's /metrics). */
  metrics(): Promise<unknown[]> {
    return Promise.all(this.slots.map((s) => this.ask(s, { t: 'metrics' })));
  }

  /**
   * Let every worker finish its post actions, then stop it. Post actions still running at `deadline` (a
   * performance.now() time) are abandoned; returns how many. A worker that has not answered 1 s after the
   * deadline is terminated.
   */
  async close(deadline = Infinity): Promise<number> {
    this.closing = true;
    const counts = await Promise.all(this.slots.map(async (s) => {
      let abandoned = 0;
      let timer: NodeJS.Timeout | undefined;
      try {
        const left = deadline === Infinity ? undefined : Math.max(0, deadline - performance.now());
        const acked = this.ask(s, { t: 'close', deadlineMs: left });
        const late = left === undefined ? new Promise<never>(() => undefined) : new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), left + 1000)));
        const v = await Promise.race([acked, late]);
        if (v === 'late') this.ctx.logger.warn('a pipeline worker did not stop by the shutdown deadline: terminated');
        else abandoned = Number(v ?? 0);
      } catch {
        // it stopped already
      } finally {
        clearTimeout(timer);
      }
      await s.worker.terminate();
      return abandoned;
    }));
    return counts.reduce((a, b) => a + b, 0);
  }
}
