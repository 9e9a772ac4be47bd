// The engine's pipeline worker threads (main-thread side): each runs whole requests on its own Lua pools.
//
//   authenticate(req) -> least busy worker --auth--> pipeline on that thread --done--> outcome (+ post records later)
//   reload(config)    -> every worker builds the new version, then swaps (requests in flight finish on the old one)
//   a worker that dies: its requests in flight fail as temporary failures, and a new worker takes its place
//   watchdog (every 50 ms): a worker whose Lua run is past its deadline + grace (stuck in a C call the count
//   hook cannot stop, e.g. a pathological string.find) is terminated: its requests answer tempfail, it is replaced
//
// The embedded Redis and nauthilus_cache stay on this thread (one state per engine); a real Redis gets one
// connection per worker.
import path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { AuthStudioConfig, BackendServerConfig, RedisSettings } from '../config/types';
import type { SharedCache } from '../lua/services';
import type { RedisStore } from '../redis/store';
import { answerRedisCalls, postReplies } from './redis-rpc';
import type { AuthRequest } from '../pipeline/auth-request';
import type { AuthOutcome } from '../pipeline/pipeline';
import type { StageRecord } from '../pipeline/trace';
import { AuthStudioError, type ErrorCode } from '../errors/registry';
import type { HookHttpRequest } from '../lua/call-context';
import type { HookResult } from '../pipeline/custom-hook';
import { serveCache } from './remote-services';
import type { FromWorker, PostRecords, RedisCall, ToWorker, WorkerInit, WorkerTask } from './protocol';
import { readScriptSources } from '../generation';
import { startWatchdog } from './watchdog';
import { relayLog } from './log-relay';
import { mergeLineHits, type LineHitList } from '../lua/line-hits';

export interface WorkerContext {
  /** The engine's Redis store now in force (switchRedis replaces it). */
  redis: () => RedisStore;
  cache: SharedCache;
  env: Record<string, string | undefined>;
  logger: Logger;
  /** Worker log lines go through `logger` (the studio's log stream) instead of straight to stdout. */
  forwardLogs?: boolean;
}

interface Slot {
  worker: Worker;
  inFlight: number;
  waiting: Map<number, { resolve: (o: AuthOutcome) => void; reject: (e: Error) => void; post: (r: StageRecord[]) => void; answered?: boolean }>;
  hooks: Map<number, { resolve: (r: HookResult | undefined) => void; reject: (e: Error) => void }>;
  acks: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
  exited: boolean;
  /** The worker's run beacon: deadline (epoch ms) of its Lua run in progress, 0 when none. */
  beacon: Float64Array;
  /** Why the watchdog ended it (its requests are answered with this). */
  killed?: AuthStudioError;
}

const WORKER_FILE = path.join(__dirname, 'worker-main.js');
/** Statistics and metrics do not wait longer than this for a thread. */
const ASK_STATS_MS = 1000;
/** While every thread is being replaced, a request waits this long for one before it is a temporary failure. */
const WAIT_FOR_WORKER_MS = 5000;

export class PipelineWorkers {
  private readonly slots: Slot[] = [];
  /** Requests waiting for a worker to be ready (every thread is being replaced). */
  private readonly readyWaiters = new Set<() => void>();
  /** Every live worker, starting ones included: the watchdog looks at all of them. */
  private readonly live = new Set<Slot>();
  private readonly stopWatchdog: () => void;
  private nextId = 0;
  private config: AuthStudioConfig;
  /** The script texts of the version in force: a replacement thread builds from these, not from the files. */
  private sources: Record<string, string>;
  private closing = false;
  /** Workers started after a crash (for /healthz and logs). */
  restarts = 0;

  /** Workers the watchdog ended (for /healthz and logs). */
  killed = 0;
  /** The backend servers alive now: sent to every thread, and to a new one at its start. */
  private backendServers: BackendServerConfig[] = [];
  /** Whether threads count the lines their scripts run (coverage); replacements start with it too. */
  private collectLines = false;

  private constructor(config: AuthStudioConfig, private readonly ctx: WorkerContext) {
    this.config = config;
    this.sources = readScriptSources(config);
    this.stopWatchdog = startWatchdog(() => this.live, (slot, overMs) => this.kill(slot, overMs));
  }

  private kill(slot: Slot, overMs: number): void {
    this.killed++;
    slot.killed = new AuthStudioError('AS_ERR_LUA_TIMEOUT', `a script ran ${overMs} ms past lua_script_timeout in a call its thread could not interrupt (e.g. string.find on a pathological pattern): the pipeline thread was replaced`);
    this.ctx.logger.error({ over_ms: overMs, in_flight: slot.waiting.size + slot.hooks.size }, 'pipeline worker stuck in a script past its timeout: terminating it');
    this.fail(slot, slot.killed);
    void slot.worker.terminate();
  }

  /** Answer everything a worker owed: requests fail (tempfail), answered ones settle their post actions empty. */
  private fail(slot: Slot, err: Error): void {
    for (const w of slot.waiting.values()) {
      // answered already: only its post actions are lost with the thread
      if (w.answered) w.post([]);
      else w.reject(err);
    }
    for (const h of slot.hooks.values()) h.reject(err);
    for (const a of slot.acks.values()) a.reject(err);
    slot.waiting.clear();
    slot.hooks.clear();
    slot.acks.clear();
    slot.inFlight = 0;
  }

  /** Start `count` workers on `config`; resolves once every one has compiled its pools. */
  static async start(count: number, config: AuthStudioConfig, ctx: WorkerContext): Promise<PipelineWorkers> {
    const pool = new PipelineWorkers(config, ctx);
    try {
      await Promise.all(Array.from({ length: count }, (_, i) => pool.spawn(i === 0)));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** backend_server_monitoring changed the servers alive: every thread's filters see the new list from now on. */
  setBackendServers(servers: BackendServerConfig[]): void {
    this.backendServers = servers;
    for (const slot of this.live) if (!slot.exited) slot.worker.postMessage({ t: 'backend-servers', servers } satisfies ToWorker);
  }

  private redisFor(): RedisSettings | null {
    const store = this.ctx.redis();
    return store.mode === 'mock' ? null : store.settings;
  }

  /** Start a thread; `logInit`: it logs failing init scripts (the first thread; a replacement stays quiet). */
  private spawn(logInit = false): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const cacheFlag = new SharedArrayBuffer(4);
    serveCache(this.ctx.cache, port1, cacheFlag);
    port1.unref();
    const beacon = new SharedArrayBuffer(8);
    const init: WorkerInit = {
      config: this.config, redis: this.redisFor(), env: { ...this.ctx.env }, cachePort: port2, cacheFlag, beacon, sources: this.sources, forwardLogs: this.ctx.forwardLogs ?? false, logInit,
      backendServers: this.backendServers, collectLines: this.collectLines,
    };
    const worker = new Worker(WORKER_FILE, { workerData: init, transferList: [port2] });
    const slot: Slot = { worker, inFlight: 0, waiting: new Map(), hooks: new Map(), acks: new Map(), exited: false, beacon: new Float64Array(beacon) };
    this.live.add(slot);
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: FromWorker) => {
        if (m.t === 'ready') {
          ready = true;
          this.slots.push(slot);
          resolve();
          for (const wake of [...this.readyWaiters]) wake();
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
        this.live.delete(slot);
        port1.close();
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        const gone = slot.killed ?? new AuthStudioError('AS_ERR_INTERNAL', `pipeline worker stopped (exit code ${code})`);
        this.fail(slot, gone);
        if (!ready) reject(gone);
        else if (!this.closing) {
          this.restarts++;
          this.respawn();
        }
      });
    });
  }

  /** Start a replacement; if it cannot start (its init failed), try again a second later. */
  private respawn(): void {
    this.spawn().catch((e) => {
      if (this.closing) return;
      this.ctx.logger.error({ err: String((e as Error)?.message ?? e) }, 'could not restart a pipeline worker (retrying in 1 s)');
      if (!this.closing) setTimeout(() => !this.closing && this.respawn(), 1000).unref();
    });
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    switch (m.t) {
      case 'log':
        relayLog(this.ctx.logger, m.line);
        return;
      case 'hook-done': {
        const h = slot.hooks.get(m.id);
        if (!h) return;
        slot.hooks.delete(m.id);
        slot.inFlight = Math.max(0, slot.inFlight - 1);
        if (m.error !== undefined) h.reject(new AuthStudioError('AS_ERR_INTERNAL', m.error));
        else h.resolve(m.result ?? undefined);
        return;
      }
      case 'done': {
        // calls the thread issued before answering go first, in its order
        if (m.calls) this.redisCalls(slot, m.calls);
        if (m.posts) this.posts(slot, m.posts);
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
      case 'posts':
        this.posts(slot, m.posts);
        return;
      case 'ack': {
        const a = slot.acks.get(m.id);
        slot.acks.delete(m.id);
        if (a) m.error !== undefined ? a.reject(new AuthStudioError((m.code as ErrorCode) ?? 'AS_ERR_LUA_LOAD', m.error, { location: m.location })) : a.resolve(m.value);
        return;
      }
      case 'redis-calls':
        this.redisCalls(slot, m.calls);
        return;
    }
  }

  /** Post actions that finished: their requests' postActions resolve with the records. */
  private posts(slot: Slot, posts: PostRecords[]): void {
    for (const p of posts) {
      slot.waiting.get(p.id)?.post(p.records);
      slot.waiting.delete(p.id);
    }
  }

  private post(slot: Slot, m: ToWorker): void {
    if (!slot.exited) slot.worker.postMessage(m);
  }

  /** A detached script of a worker failed: nobody waits for it, so the log is the only trace. */
  private readonly detachedFailed = (e: unknown, c: RedisCall): void => {
    this.ctx.logger.warn({ err: (e as Error)?.message ?? String(e), script: c.op === 'script' ? c.name : c.op }, 'a Redis script of a pipeline thread failed (nobody waited for its answer)');
  };

  /** Start a worker's calls in their order; one message answers them all. */
  private redisCalls(slot: Slot, calls: RedisCall[]): void {
    void answerRedisCalls(this.ctx.redis(), calls, this.detachedFailed).then((replies) => {
      if (replies.length > 0) postReplies((r) => this.post(slot, { t: 'replies', replies: r }), replies);
    });
  }

  private leastBusy(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) if (!s.killed && (!best || s.inFlight < best.inFlight)) best = s;
    return best;
  }

  /** The least busy worker; when every one is being replaced, wait (bounded) for the first to be ready. */
  private async worker(): Promise<Slot> {
    const deadline = Date.now() + WAIT_FOR_WORKER_MS;
    for (;;) {
      const slot = this.leastBusy();
      if (slot) return slot;
      const left = deadline - Date.now();
      if (left <= 0 || this.closing || this.live.size === 0) {
        throw new AuthStudioError('AS_ERR_POOL_BUSY', 'no pipeline worker is running (one is restarting)');
      }
      await new Promise<void>((resolve) => {
        const wake = () => { clearTimeout(timer); this.readyWaiters.delete(wake); resolve(); };
        const timer = setTimeout(wake, left);
        this.readyWaiters.add(wake);
      });
    }
  }

  /** Run one request on the least busy worker. */
  async run(req: AuthRequest, recordEvents: boolean): Promise<AuthOutcome> {
    const slot = await this.worker();
    const id = ++this.nextId;
    slot.inFlight++;
    return new Promise<AuthOutcome>((resolve, reject) => {
      slot.waiting.set(id, { resolve, reject: (e) => { slot.inFlight = Math.max(0, slot.inFlight - 1); reject(e); }, post: () => undefined });
      this.post(slot, { t: 'auth', id, req, recordEvents });
    });
  }

  /** Run a custom hook on the least busy worker; undefined when no hook matches. */
  async runHook(location: string, req: HookHttpRequest, recordEvents = false): Promise<HookResult | undefined> {
    const slot = await this.worker();
    const id = ++this.nextId;
    slot.inFlight++;
    return new Promise<HookResult | undefined>((resolve, reject) => {
      slot.hooks.set(id, { resolve, reject });
      this.post(slot, { t: 'hook', id, location, req, recordEvents });
    });
  }

  private ask(slot: Slot, m: WorkerTask): Promise<unknown> {
    if (slot.exited || slot.killed) return Promise.reject(slot.killed ?? new AuthStudioError('AS_ERR_INTERNAL', 'pipeline worker stopped'));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      slot.acks.set(id, { resolve, reject });
      this.post(slot, { ...m, id });
    });
  }

  /** ask(), but a thread that does not answer within `ms` (busy, stuck until the watchdog ends it) gives `fallback`. */
  private askWithin<T>(slot: Slot, m: WorkerTask, ms: number, fallback: T): Promise<T> {
    return new Promise<T>((resolve) => {
      const timer = setTimeout(() => resolve(fallback), ms);
      this.ask(slot, m).then(
        (v) => { clearTimeout(timer); resolve(v as T); },
        () => { clearTimeout(timer); resolve(fallback); },
      );
    });
  }

  /**
   * Every worker builds `config`; only when all succeeded do they switch to it (else all keep the running version
   * and this rejects with the first worker's error). Workers started later use the version in force.
   */
  async reload(config: AuthStudioConfig): Promise<void> {
    const slots = [...this.slots];
    // with no thread running, nothing would check the new version before replacements start on it
    if (slots.length === 0) throw new AuthStudioError('AS_ERR_POOL_BUSY', 'no pipeline worker is running (one is restarting): reload again in a moment');
    const sources = readScriptSources(config);
    try {
      await Promise.all(slots.map((s, i) => this.ask(s, { t: 'prepare', config, sources, logInit: i === 0 })));
    } catch (e) {
      await Promise.all(slots.map((s) => this.ask(s, { t: 'abort' }).catch(() => undefined)));
      throw e;
    }
    this.config = config;
    this.sources = sources;
    await Promise.all(slots.map((s) => this.ask(s, { t: 'commit' }).catch(() => undefined)));
  }

  /** Workers follow the engine to another Redis (their own connection, or the main thread's embedded store). */
  async switchRedis(): Promise<void> {
    const settings = this.redisFor();
    await Promise.all(this.slots.map((s) => this.ask(s, { t: 'redis', settings })));
  }

  /**
   * Count the workspace lines scripts run in VMs built from now on (`collect`), or stop; returns the hits every
   * thread counted since the last call (a thread replaced meanwhile loses its own).
   */
  async lines(collect: boolean): Promise<LineHitList> {
    this.collectLines = collect;
    return mergeLineHits(await Promise.all(this.slots.map((s) => (this.ask(s, { t: 'lines', collect }) as Promise<LineHitList>).catch(() => [] as LineHitList))));
  }

  /** Pool statistics of each worker. */
  stats(): Promise<Array<Record<string, { vms: number; busy: number; queued: number; replaced: number; memoryBytes: number }>>> {
    return Promise.all(this.slots.map((s) => this.askWithin(s, { t: 'stats' }, ASK_STATS_MS, {}))) as never;
  }

  /** Each worker's metrics registry as prom-client JSON (for the engine's /metrics); a busy thread's is left out. */
  async metrics(): Promise<unknown[]> {
    const all = await Promise.all(this.slots.map((s) => this.askWithin<unknown>(s, { t: 'metrics' }, ASK_STATS_MS, undefined)));
    return all.filter((m) => m !== undefined);
  }

  /**
   * Let every worker finish its post actions, then stop it. Post actions still running at `deadline` (a
   * performance.now() time) are abandoned; returns how many. A worker that has not answered 1 s after the
   * deadline is terminated.
   */
  async close(deadline = Infinity): Promise<number> {
    this.closing = true;
    for (const wake of [...this.readyWaiters]) wake();
    // the watchdog keeps running: a thread stuck in a script is ended, and close goes on; a thread still
    // starting (a replacement) is ended too, or it would keep the process alive
    const counts = await Promise.all([...this.live].map(async (s) => {
      let abandoned = 0;
      let timer: NodeJS.Timeout | undefined;
      if (this.slots.includes(s)) {
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
      }
      await s.worker.terminate();
      return abandoned;
    }));
    this.stopWatchdog();
    return counts.reduce((a, b) => a + b, 0);
  }
}

