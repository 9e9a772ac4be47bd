// The auth engine: config + services + Lua pools + pipeline. Every face (CLI, HTTP, studio, tests) drives this.
import { EventEmitter } from 'node:events';
import pino, { type Logger } from 'pino';
import { AggregatorRegistry, Registry, Histogram, collectDefaultMetrics } from 'prom-client';
import { BatchedCounter } from './monitoring/batched-counter';
import type { AuthStudioConfig, CustomHookConfig, RedisSettings } from './config/types';
import { isNauthilus3, type EngineServices } from './lua/services';
import { MemoryCache } from './lua/shared-cache';
import { RedisStore } from './redis/store';
import { ScriptPool } from './lua/script-pool';
import { CallContext, type HookHttpRequest } from './lua/call-context';
import { chunkName } from './lua/chunk-name';
import { AuthPipeline, type AuthOutcome } from './pipeline/pipeline';
import type { AuthRequest } from './pipeline/auth-request';
import { AuthStudioError } from './errors/registry';
import type { Protection } from './protection/index';
import { PipelineWorkers } from './workers/worker-pool';
import { buildGeneration, closePools, poolStats, retirePools, retireTracer, type EngineGeneration } from './generation';
import { findHook, hookFailed, runCustomHook, type HookResult } from './pipeline/custom-hook';
import { runLuaStage } from './pipeline/lua-stages';
import { runBackendCommand, type BackendCommand, type BackendCommandArgs } from './pipeline/backend-commands';
import { runCacheFlushScript, type CacheFlushResult } from './pipeline/cache-flush';
import { encodeLuaRequest } from './pipeline/lua-request';
import { closeDbPools } from './lua/modules/db-pools';
import { roundMs, type StageRecord } from './pipeline/trace';
import { protocolLabeler } from './metric-labels';
import { BackendServerMonitor } from './monitoring/backend-monitor';
import { upstreamsFromEnv, type NginxUpstreams, type Upstream } from './http/nginx-upstream';
import { ipScopingOf } from './lua/modules/ip-scoper';
import { softWhitelistSeedsOf } from './protection/soft-whitelist';
import { LdapPools } from './ldap/pools';
import { ConnectionTargets } from './lua/connection-targets';
import { formatHostPort } from './config/net';
import type { LineListener } from './lua/line-hook';
import type { LineHitList } from './lua/line-hits';

export interface EngineOptions {
  logger?: Logger;
  /** Environment for os.getenv (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Use this Redis store instead of building one from the config (tests, studio switch). */
  redis?: RedisStore;
  /** Record Redis commands, HTTP calls and log lines per stage in traces (simulator, studio). */
  recordEvents?: boolean;
  /**
   * Pipeline worker threads: each runs whole requests and custom hooks on its own Lua pools, so logins use
   * every core and this thread never waits for Lua (a watchdog replaces a thread stuck in a script).
   * 0 (the default) runs every script on this thread (tests, simulate).
   */
  workers?: number;
  /** Worker threads' log lines go through `logger` (the studio's live log) instead of straight to stdout. */
  forwardWorkerLogs?: boolean;
  /** Told about every workspace line the engine's scripts run (coverage; see collectLines for worker threads). */
  lineListener?: LineListener;
  /** The debugger scripts report lines to while it is attached (engine/debug/; with workers 0 only). */
  debugger?: EngineServices['debugger'];
  /** The wall clock scripts see (ms since the epoch; with workers 0 only); unset: the real clock. */
  clock?: () => number;
  /** Run on each new VM before its scripts load (test mocks; with workers 0 only). */
  vmSetup?: EngineServices['vmSetup'];
}

export type { HookResult };

/** What a reload did: how long it took and which pools were rebuilt. */
export interface ReloadReport {
  duration_ms: number;
  generation: number;
}

export class AuthEngine {
  readonly services: EngineServices;
  readonly pipeline: AuthPipeline;
  readonly logger: Logger;
  private gen: EngineGeneration;
  private generationId = 1;
  private reloading: Promise<unknown> = Promise.resolve();
  /** 'auth' (req: AuthRequest, out: AuthOutcome) after every auth request; 'reload' (ReloadReport). */
  readonly events = new EventEmitter();
  private inFlight = 0;
  /** Custom hook calls in flight: bounded by max_concurrent_requests like auth requests, counted apart from them. */
  private hooksInFlight = 0;
  private closing = false;
  /** Worker threads serving auth requests (absent: they run on this thread). */
  private workers?: PipelineWorkers;
  /** The embedded Redis left by a switch to a real one, kept with its data for the switch back. */
  private keptEmbedded?: RedisStore;
  private readonly requests: BatchedCounter<'decision' | 'protocol'>;
  private readonly latency: Histogram<string>;
  private readonly stageSeconds: BatchedCounter<'stage'>;
  private readonly stageRuns: BatchedCounter<'stage'>;
  private readonly recordEvents: boolean;
  /** Request protocol -> metric label (known protocols, else "other"): clients cannot grow /metrics. */
  private protocolLabel: (protocol: string) => string;
  /** The latest outcomes by session, for simulate and the studio (bounded). */
  private readonly recent = new Map<string, AuthOutcome>();
  /** backend_server_monitoring: health checks every 10 s; the servers alive go to every pipeline thread. */
  readonly backendMonitor: BackendServerMonitor;
  /** nginx upstreams per protocol when monitoring is off (NAUTHILUS_*_BACKEND_* or Nauthilus' defaults). */
  private readonly upstreamDefaults: Record<string, Upstream>;

  private constructor(config: AuthStudioConfig, services: EngineServices, opts: EngineOptions) {
    this.gen = { config, pools: { backends: new Map() }, checks: [], protection: { checks: [] } };
    this.services = services;
    this.logger = services.logger;
    this.recordEvents = opts.recordEvents ?? false;
    this.pipeline = new AuthPipeline({ services, current: () => this.gen });
    this.protocolLabel = protocolLabeler(config);
    this.requests = new BatchedCounter({ name: 'authstudio_auth_requests_total', help: 'Auth requests by decision and protocol', labelNames: ['decision', 'protocol'], registers: [services.metrics] });
    // per-stage time as two counters (a histogram per stage costs more than the cheapest stages)
    this.stageSeconds = new BatchedCounter({ name: 'authstudio_stage_seconds_total', help: 'Time spent in each pipeline stage', labelNames: ['stage'], registers: [services.metrics] });
    this.stageRuns = new BatchedCounter({ name: 'authstudio_stage_runs_total', help: 'Pipeline stage runs', labelNames: ['stage'], registers: [services.metrics] });
    this.backendMonitor = new BackendServerMonitor(services.logger, (alive) => {
      this.services.aliveBackendServers = alive;
      this.workers?.setBackendServers(alive);
    }, services.metrics);
    this.upstreamDefaults = upstreamsFromEnv(services.getenv, (msg) => services.logger.warn(msg));
    this.latency = new Histogram({ name: 'authstudio_auth_duration_seconds', help: 'Auth request latency', labelNames: ['decision'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [services.metrics] });
  }

  /** Build an engine: Redis, pools (every script compiled once now), init scripts run. */
  static async create(config: AuthStudioConfig, opts: EngineOptions = {}): Promise<AuthEngine> {
    const env = opts.env ?? process.env;
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    const services: EngineServices = {
      logger: opts.logger ?? pino({ level: config.server.logLevel }),
      redis: opts.redis ?? new RedisStore(config.server.redis),
      metrics,
      cache: new MemoryCache({ maxBytes: config.server.luaCacheMemoryBytes }),
      getenv: (name) => env[name],
      baseDir: config.baseDir,
      dnsResolver: config.server.dnsResolver,
      dnsTimeoutMs: config.server.dnsTimeoutMs,
      passwordNonce: config.server.passwordNonce,
      ipScoping: ipScopingOf(config),
      softWhitelistSeeds: softWhitelistSeedsOf(config),
      bruteForceBuckets: config.bruteForce?.buckets,
      bruteForceTolerations: config.bruteForce?.tolerations?.custom,
      ldap: new LdapPools(config.ldapPools),
      profile: config.profile,
      lineListener: opts.lineListener,
      debugger: opts.debugger,
      clock: opts.clock,
      vmSetup: opts.vmSetup,
    };
    services.connections = new ConnectionTargets({ logger: services.logger, metrics, dnsResolver: services.dnsResolver, dnsTimeoutMs: services.dnsTimeoutMs });
    const engine = new AuthEngine(config, services, opts);
    try {
      const workers = (opts.workers ?? 0) > 0;
      // with worker threads every script runs there: this thread keeps only the built-in checks
      engine.gen = await buildGeneration(config, services, { lua: !workers });
      if (workers && opts.workers) {
        engine.workers = await PipelineWorkers.start(opts.workers, config, { redis: () => engine.services.redis, cache: services.cache, env, logger: services.logger, forwardLogs: opts.forwardWorkerLogs });
      }
      engine.backendMonitor.start(config.backendServerMonitoring);
    } catch (e) {
      await engine.close();
      throw e;
    }
    if (config.server.monitorConnections) {
      // as Nauthilus: the HTTP server's own address is a target too, and counting starts
      await services.connections.register(formatHostPort({ host: config.server.host, port: config.server.port }), 'local', 'HTTP server');
      services.connections.start();
    }
    return engine;
  }

  /** Brute-force protection and password cache now in force (admin endpoints use them). */
  get protection(): Protection {
    return this.gen.protection;
  }

  /** The configuration now in force. */
  get config(): AuthStudioConfig {
    return this.gen.config;
  }

  /** Increases with every successful reload. */
  get generation(): number {
    return this.generationId;
  }

  /**
   * Apply a new configuration (or re-read every script of the current one): compile everything in fresh
   * VMs and run the init scripts first; if anything fails the running version stays and the error (with
   * file:line) is thrown. Then swap atomically: requests in flight finish on the old pools.
   * Listener address and Redis changes are not applied here (the HTTP listener keeps running).
   */
  async reload(config: AuthStudioConfig = this.gen.config): Promise<ReloadReport> {
    const run = this.reloading.then(async () => {
      const t0 = performance.now();
      const next = await buildGeneration(config, this.services, { lua: !this.workers });
      try {
        // every thread builds the new version first; only when all succeeded do they switch
        await this.workers?.reload(config);
      } catch (e) {
        retirePools(next.pools);
        void retireTracer(next);
        throw e;
      }
      const old = this.gen;
      this.gen = next;
      this.services.ipScoping = ipScopingOf(config);
      this.services.softWhitelistSeeds = softWhitelistSeedsOf(config);
      this.services.bruteForceBuckets = config.bruteForce?.buckets;
      this.services.bruteForceTolerations = config.bruteForce?.tolerations?.custom;
      this.services.profile = config.profile;
      this.services.ldap?.configure(config.ldapPools);
      this.protocolLabel = protocolLabeler(config);
      this.generationId++;
      retirePools(old.pools);
      void retireTracer(old);
      // as Nauthilus does on reload: monitoring starts over with the new list (all listed until checked)
      this.backendMonitor.start(config.backendServerMonitoring);
      const report = { duration_ms: roundMs(performance.now() - t0), generation: this.generationId };
      this.events.emit('reload', report);
      return report;
    });
    this.reloading = run.catch(() => undefined);
    return run;
  }

  /** Requests being served right now. */
  get busy(): number {
    return this.inFlight;
  }

  /** Serve one auth request through the pipeline. Never throws for script or backend errors: tempfail. */
  async authenticate(req: AuthRequest, opts: { recordEvents?: boolean } = {}): Promise<AuthOutcome> {
    if (this.closing) throw new AuthStudioError('AS_ERR_SHUTTING_DOWN', 'the server is shutting down');
    if (this.inFlight >= this.config.server.maxConcurrentRequests) {
      throw new AuthStudioError('AS_ERR_POOL_BUSY', `more than ${this.config.server.maxConcurrentRequests} requests in flight`);
    }
    this.inFlight++;
    try {
      const recordEvents = opts.recordEvents ?? this.recordEvents;
      const out = this.workers ? await this.workers.run(req, recordEvents) : await this.pipeline.run(req, { recordEvents });
      this.remember(out);
      if (this.events.listenerCount('auth') > 0) this.events.emit('auth', req, out);
      const protocol = this.protocolLabel(req.fields.protocol);
      this.requests.inc(`${out.decision}\0${protocol}`, { decision: out.decision, protocol });
      this.latency.observe({ decision: out.decision }, out.latencyMs / 1000);
      this.countStages(out.trace);
      void out.postActions.then((records) => this.countStages(records));
      this.logRequest(req, out);
      return out;
    } finally {
      this.inFlight--;
    }
  }

  private countStages(records: StageRecord[]): void {
    for (const r of records) {
      this.stageSeconds.inc(r.stage, { stage: r.stage }, r.duration_ms / 1000);
      this.stageRuns.inc(r.stage, { stage: r.stage });
    }
  }

  private remember(out: AuthOutcome): void {
    this.recent.set(out.session, out);
    if (this.recent.size > 200) this.recent.delete(this.recent.keys().next().value as string);
  }

  /** The outcome (with its trace) of a recent request, by session id. */
  lastTrace(session: string | undefined): AuthOutcome | undefined {
    return session ? this.recent.get(session) : undefined;
  }

  private logRequest(req: AuthRequest, out: AuthOutcome): void {
    const level = out.decision === 'tempfail' ? 'warn' : 'info';
    if (!this.logger.isLevelEnabled(level)) return;
    const line: Record<string, unknown> = {
      session: req.session, username: req.fields.username, client_ip: req.fields.client_ip || undefined,
      protocol: req.fields.protocol, mode: req.mode, result: out.decision, latency_ms: out.latencyMs,
      backend: out.backend, account: out.account, from_cache: out.fromCache || undefined,
    };
    if (out.statusMessage && out.decision !== 'ok') line.status_message = out.statusMessage;
    if (out.error) line.error = out.error;
    for (const [k, v] of out.customLogs) line[k] = v;
    this.logger[level](line, 'auth');
  }

  /**
   * Store a TOTP secret through the Lua backend's nauthilus_backend_add_totp(request).
   * Throws AuthStudioError when no backend is configured, the script fails, or it returns BACKEND_RESULT_FAIL.
   */
  async addTotp(username: string, totpSecret: string): Promise<void> {
    const pool = this.gen.pools.backends.get('default');
    const script = this.config.lua.config.backendScript;
    if (this.workers) throw new AuthStudioError('AS_ERR_BACKEND', 'adding a TOTP secret runs the backend on this thread: not available with pipeline worker threads');
    if (!pool || !script) throw new AuthStudioError('AS_ERR_BACKEND', 'no Lua backend is configured (lua.config.backend_script_path)');
    const call = new CallContext(`totp-${Date.now().toString(36)}`);
    // Nauthilus 1.10 (backend/lua.go setLuaRequestParameters) gives totp_secret, debug and session; username is
    // kept because its shipped backend.lua reads request.username here
    const encoded = encodeLuaRequest({ username, totp_secret: totpSecret, debug: this.config.server.logLevel === 'debug', session: call.session, no_auth: true });
    const r = await runLuaStage(pool, 'backend', 'lua', chunkName(script), 'add_totp', encoded, call, this.config.server.luaScriptTimeoutMs);
    if (r.error) throw r.error;
    if (r.values[0] !== 0) throw new AuthStudioError('AS_ERR_BACKEND', 'nauthilus_backend_add_totp returned BACKEND_RESULT_FAIL');
  }

  /**
   * Run one of Nauthilus 3.0's MFA commands of the Lua backend (nauthilus_backend_delete_totp, the TOTP recovery
   * codes, the WebAuthn credentials; see pipeline/backend-commands.ts). get_webauthn_credentials resolves to the
   * credentials. Throws AuthStudioError when no backend is configured, the script fails or returns a failure.
   */
  async backendCommand(cmd: BackendCommand, args: BackendCommandArgs): Promise<unknown[] | undefined> {
    if (this.workers) throw new AuthStudioError('AS_ERR_BACKEND', 'backend commands run the backend on this thread: not available with pipeline worker threads');
    if (!isNauthilus3(this.services)) throw new AuthStudioError('AS_ERR_BACKEND', `${cmd} is a Nauthilus 3.x backend command; this workspace targets Nauthilus ${this.services.profile ?? '1.10'}`);
    return runBackendCommand({
      pool: this.gen.pools.backends.get('default'), script: this.config.lua.config.backendScript,
      debug: this.config.server.logLevel === 'debug', timeoutMs: this.config.server.luaScriptTimeoutMs,
    }, cmd, args);
  }

  /**
   * Nauthilus 3.0's cache flush callback for `user` (lua.config.cache_flush_script_path): deletes the Redis keys the
   * script names and returns the ones that were there, and the account it gave. A failing script is logged and
   * counts as none (as Nauthilus goes on with the flush).
   */
  async runCacheFlush(user: string): Promise<{ removedKeys: string[]; account?: string } | undefined> {
    const session = `flush-${Date.now().toString(36)}`;
    let result: CacheFlushResult | undefined;
    try {
      result = await runCacheFlushScript(this.config, this.services, user, session);
    } catch (e) {
      this.logger.error({ session, user, error: e instanceof AuthStudioError ? e.format() : String((e as Error)?.message ?? e) }, 'Error executing Lua cache flush script');
      return undefined;
    }
    if (!result) return undefined;
    const removedKeys: string[] = [];
    if (result.additionalKeys.length) {
      // core/rest.go: one UNLINK of them all; when it removed any, every key asked for counts as removed
      const n = await this.services.redis.client.unlink(...result.additionalKeys);
      if (n > 0) removedKeys.push(...result.additionalKeys);
    }
    return { removedKeys, ...(result.accountName ? { account: result.accountName } : {}) };
  }

  /** The custom hook configured for a location and method. */
  findHook(location: string, method: string): CustomHookConfig | undefined {
    return findHook(this.gen, location, method);
  }

  /** Run the custom hook at location+method (on a worker thread when there are any). Undefined when no hook matches. */
  async runHook(location: string, req: HookHttpRequest): Promise<HookResult | undefined> {
    if (!this.findHook(location, req.method)) return undefined;
    if (this.closing) throw new AuthStudioError('AS_ERR_SHUTTING_DOWN', 'the server is shutting down');
    const max = this.config.server.maxConcurrentRequests;
    if (this.hooksInFlight >= max) throw new AuthStudioError('AS_ERR_POOL_BUSY', `more than ${max} custom hook calls in flight (server.max_concurrent_requests)`);
    this.hooksInFlight++;
    try {
      if (!this.workers) return await runCustomHook(this.gen, this.logger, location, req, { recordEvents: this.recordEvents });
      try {
        return await this.workers.runHook(location, req, this.recordEvents);
      } catch (e) {
        this.logger.warn({ hook: location, err: String((e as Error)?.message ?? e) }, 'custom hook failed');
        return hookFailed(`hook-${Date.now().toString(36)}`);
      }
    } finally {
      this.hooksInFlight--;
    }
  }

  /**
   * Switch to another Redis (embedded or real) at runtime: the new connection is tested first; scripts
   * use it from their next command on. Leaving the embedded store does not empty it: it is kept (brute-force
   * blocks, script data) and is the store switched back to; a real Redis left is closed, never written to.
   */
  async switchRedis(settings: RedisSettings): Promise<void> {
    const old = this.services.redis;
    if (settings.mode === 'mock' && old.mode === 'mock' && old.settings.prefix === settings.prefix) return;
    const kept = this.keptEmbedded;
    const reuse = settings.mode === 'mock' && kept?.settings.prefix === settings.prefix;
    const next = reuse ? kept! : new RedisStore(settings);
    if (!(await next.ping())) {
      if (!reuse) await next.close();
      throw new AuthStudioError('AS_ERR_REDIS', `cannot reach Redis at ${settings.mode === 'mock' ? 'the embedded store' : settings.addresses.join(', ')}`);
    }
    this.services.redis = next;
    await this.workers?.switchRedis();
    if (reuse) this.keptEmbedded = undefined;
    if (old.mode === 'mock') {
      // the embedded store's state is the user's work: keep it for the switch back (one kept store at most)
      if (this.keptEmbedded && this.keptEmbedded !== old) await this.keptEmbedded.close();
      this.keptEmbedded = old;
    } else {
      await old.close();
    }
  }

  /** The embedded store kept while a real Redis is in use (undefined while the embedded one runs). */
  get keptEmbeddedStore(): RedisStore | undefined {
    return this.keptEmbedded;
  }

  /**
   * Coverage at runtime: count the workspace lines scripts run in the VMs built from now on (`listener` on this
   * thread; worker threads count their own), or stop (undefined). Reload afterwards so every VM is rebuilt with
   * or without the line hook (a VM without one pays nothing). Returns the hits worker threads counted since the
   * last call.
   */
  async collectLines(listener: LineListener | undefined): Promise<LineHitList> {
    this.services.lineListener = listener;
    return (await this.workers?.lines(listener !== undefined)) ?? [];
  }

  /** The hits worker threads counted since the last call, collection going on (empty without workers). */
  async takeLineHits(): Promise<LineHitList> {
    return (await this.workers?.lines(this.services.lineListener !== undefined)) ?? [];
  }

  /** Pool statistics for /healthz and the studio's status bar. */
  poolStats(): Record<string, ReturnType<ScriptPool['stats']>> {
    return poolStats(this.gen.pools);
  }

  /** Pool statistics of each pipeline worker thread (empty when requests run on this thread). */
  async workerStats(): Promise<Array<Record<string, ReturnType<ScriptPool['stats']>>>> {
    return this.workers ? this.workers.stats() : [];
  }

  /** Prometheus text for /metrics: this thread's registry, summed with every worker thread's. */
  async metricsText(): Promise<string> {
    if (!this.workers) return this.services.metrics.metrics();
    const all = [await this.services.metrics.getMetricsAsJSON(), ...(await this.workers.metrics())];
    return AggregatorRegistry.aggregate(all as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
  }

  /** What decides Auth-Server/Auth-Port of a successful nginx answer now. */
  nginxUpstreams(): NginxUpstreams {
    return {
      monitoring: this.config.backendServerMonitoring !== undefined,
      aliveCount: this.backendMonitor.alive.length,
      defaults: this.upstreamDefaults,
    };
  }

  /** How many pipeline worker threads serve auth requests (0: this thread). */
  get workerCount(): number {
    return this.workers?.size ?? 0;
  }

  /**
   * Stop taking requests, wait for post actions, close pools and Redis. With `deadline` (a performance.now()
   * time), post actions still running then are abandoned, with one log line naming how many.
   */
  async close(opts: { deadline?: number } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.backendMonitor.stop();
    const deadline = opts.deadline ?? Infinity;
    let abandoned = await this.pipeline.drain(deadline);
    await this.reloading;
    abandoned += (await this.workers?.close(deadline)) ?? 0;
    if (abandoned > 0) this.logger.warn({ abandoned_post_actions: abandoned }, `shutdown deadline passed: abandoned ${abandoned} post action${abandoned === 1 ? '' : 's'} still running`);
    this.services.connections?.stop();
    this.services.ldap?.close();
    await closePools(this.gen.pools);
    await retireTracer(this.gen);
    await closeDbPools(this.services);
    // past the deadline, connections are dropped without waiting for Redis to answer QUIT
    await this.keptEmbedded?.close(0);
    await this.services.redis.close(deadline === Infinity ? undefined : Math.min(1000, Math.max(0, deadline - performance.now())));
  }
}

