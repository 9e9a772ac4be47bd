// A pipeline worker thread: builds its own Lua pools and checks from the engine's config and runs whole
// requests (every stage of a request on this thread; one message in, one out). Started by PipelineWorkers.
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { RedisSettings } from '../config/types';
import type { EngineServices } from '../lua/services';
import { RedisStore } from '../redis/store';
import { AuthPipeline } from '../pipeline/pipeline';
import { buildGeneration, closePools, poolStats, retirePools, retireTracer, type EngineGeneration } from '../generation';
import { closeDbPools } from '../lua/modules/db-pools';
import { isAuthStudioError, type SourceLocation } from '../errors/registry';
import { installSharedBeacon } from '../lua/run-beacon';
import { runCustomHook } from '../pipeline/custom-hook';
import { ipScopingOf } from '../lua/modules/ip-scoper';
import { softWhitelistSeedsOf } from '../protection/soft-whitelist';
import { ConnectionTargets } from '../lua/connection-targets';
import { LdapPools } from '../ldap/pools';
import { RemoteCache, RemoteRedisStore } from './remote-services';
import { LineHits } from '../lua/line-hits';
import type { FromWorker, PostRecords, ToWorker, WorkerInit } from './protocol';
import { RedisRpcClient } from './redis-rpc';
import type { StageRecord } from '../pipeline/trace';

const port = parentPort!;
const init = workerData as WorkerInit;
const send = (m: FromWorker) => port.postMessage(m);
installSharedBeacon(init.beacon);

// the embedded Redis lives on the main thread: calls made together leave in one message, one message answers them
const rpc = new RedisRpcClient((calls) => send({ t: 'redis-calls', calls }));

function storeFor(settings: RedisSettings | null): RedisStore {
  return settings ? new RedisStore(settings) : new RemoteRedisStore({ ...init.config.server.redis, mode: 'mock' }, rpc);
}

const services: EngineServices = {
  // pino's own destination writes to the fd directly: a worker's process.stdout is a pipe through the main thread
  logger: pino({ level: init.config.server.logLevel }, init.forwardLogs ? { write: (line: string) => send({ t: 'log', line }) } : pino.destination({ fd: 1, sync: false })),
  redis: storeFor(init.redis),
  metrics: new Registry(),
  cache: new RemoteCache(init.cachePort, init.cacheFlag),
  getenv: (name) => init.env[name],
  baseDir: init.config.baseDir,
  dnsResolver: init.config.server.dnsResolver,
  dnsTimeoutMs: init.config.server.dnsTimeoutMs,
  passwordNonce: init.config.server.passwordNonce,
  aliveBackendServers: init.backendServers,
  ipScoping: ipScopingOf(init.config),
  softWhitelistSeeds: softWhitelistSeedsOf(init.config),
  bruteForceBuckets: init.config.bruteForce?.buckets,
  bruteForceTolerations: init.config.bruteForce?.tolerations?.custom,
  ldap: new LdapPools(init.config.ldapPools),
  profile: init.config.profile,
};
/** Coverage: the lines this thread's VMs ran, while the engine collects them. */
const lineHits = new LineHits();
if (init.collectLines) services.lineListener = lineHits.listener;
services.connections = new ConnectionTargets({ logger: services.logger, metrics: services.metrics, dnsResolver: services.dnsResolver, dnsTimeoutMs: services.dnsTimeoutMs });
if (init.config.server.monitorConnections) services.connections.start();
let gen: EngineGeneration;
/** A version built by `prepare`, waiting for commit or abort. */
let prepared: EngineGeneration | undefined;
const pipeline = new AuthPipeline({ services, current: () => gen });

/**
 * Post actions that finished: their records go out with the next answer, or within POST_FLUSH_MS when none goes
 * out (under load one message fewer per login for the HTTP thread; the records only feed metrics and traces).
 */
const POST_FLUSH_MS = 2;
let posts: PostRecords[] = [];
let postTimer: NodeJS.Timeout | undefined;
function queuePost(id: number, records: StageRecord[]): void {
  posts.push({ id, records });
  postTimer ??= setTimeout(() => {
    postTimer = undefined;
    const batch = takePosts();
    if (batch) send({ t: 'posts', posts: batch });
  }, POST_FLUSH_MS);
}
function takePosts(): PostRecords[] | undefined {
  if (posts.length === 0) return undefined;
  const batch = posts;
  posts = [];
  return batch;
}

function errorText(e: unknown): { error: string; code?: string } {
  return isAuthStudioError(e) ? { error: e.format(), code: e.code } : { error: String((e as Error)?.message ?? e) };
}

/** An error as an ack carries it: message, code and location (the engine rebuilds the AuthStudioError). */
function ackError(e: unknown): { error: string; code?: string; location?: SourceLocation } {
  return isAuthStudioError(e) ? { error: e.message, code: e.code, location: e.location } : { error: String((e as Error)?.message ?? e) };
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.t) {
    case 'replies': {
      rpc.answer(m.replies);
      return;
    }
    case 'auth': {
      let outcome;
      try {
        outcome = await pipeline.run(m.req, { recordEvents: m.recordEvents });
      } catch (e) {
        send({ t: 'done', id: m.id, ...errorText(e), posts: takePosts(), calls: rpc.takeOutbox() });
        return;
      }
      const { postActions, ...wire } = outcome;
      // Redis calls not sent yet (a detached slot give-back) go with the answer: one message fewer per login
      send({ t: 'done', id: m.id, outcome: wire, posts: takePosts(), calls: rpc.takeOutbox() });
      postActions.then((records) => queuePost(m.id, records));
      return;
    }
    case 'backend-servers': {
      services.aliveBackendServers = m.servers;
      return;
    }
    case 'hook': {
      try {
        const result = await runCustomHook(gen, services.logger, m.location, m.req, { recordEvents: m.recordEvents === true });
        send({ t: 'hook-done', id: m.id, result: result ?? null });
      } catch (e) {
        send({ t: 'hook-done', id: m.id, error: errorText(e).error });
      }
      return;
    }
    case 'prepare': {
      try {
        if (prepared) retirePools(prepared.pools);
        void retireTracer(prepared);
        prepared = undefined;
        prepared = await buildGeneration(m.config, { ...services, baseDir: m.config.baseDir }, { sources: m.sources, logInitErrors: m.logInit });
        send({ t: 'ack', id: m.id });
      } catch (e) {
        send({ t: 'ack', id: m.id, ...ackError(e) });
      }
      return;
    }
    case 'commit':
    case 'abort': {
      if (prepared && m.t === 'commit') {
        const old = gen;
        gen = prepared;
        services.ipScoping = ipScopingOf(gen.config);
        services.softWhitelistSeeds = softWhitelistSeedsOf(gen.config);
        services.bruteForceBuckets = gen.config.bruteForce?.buckets;
        services.bruteForceTolerations = gen.config.bruteForce?.tolerations?.custom;
        services.profile = gen.config.profile;
        services.ldap?.configure(gen.config.ldapPools);
        retirePools(old.pools);
        void retireTracer(old);
      } else if (prepared) {
        retirePools(prepared.pools);
        void retireTracer(prepared);
      }
      prepared = undefined;
      send({ t: 'ack', id: m.id });
      return;
    }
    case 'redis': {
      const old = services.redis;
      services.redis = storeFor(m.settings);
      await old.close();
      send({ t: 'ack', id: m.id });
      return;
    }
    case 'lines': {
      // VMs read the listener when they are built: the engine reloads after switching it
      services.lineListener = m.collect ? lineHits.listener : undefined;
      send({ t: 'ack', id: m.id, value: lineHits.take() });
      return;
    }
    case 'stats': {
      send({ t: 'ack', id: m.id, value: poolStats(gen.pools) });
      return;
    }
    case 'metrics': {
      // metrics scripts create with nauthilus_prometheus live in this thread's registry; the engine sums them
      send({ t: 'ack', id: m.id, value: await services.metrics.getMetricsAsJSON() });
      return;
    }
    case 'close': {
      // the deadline comes as milliseconds from now (each thread has its own clock origin)
      const deadline = m.deadlineMs === undefined ? Infinity : performance.now() + m.deadlineMs;
      const abandoned = await pipeline.drain(deadline);
      services.connections?.stop();
      services.ldap?.close();
      if (prepared) await closePools(prepared.pools);
      await closePools(gen.pools);
      await retireTracer(prepared);
      await retireTracer(gen);
      await closeDbPools(services);
      await services.redis.close(deadline === Infinity ? undefined : Math.min(1000, Math.max(0, deadline - performance.now())));
      send({ t: 'ack', id: m.id, value: abandoned });
      port.close();
      return;
    }
  }
}

buildGeneration(init.config, services, { sources: init.sources, logInitErrors: init.logInit }).then(
  (g) => {
    gen = g;
    port.on('message', (m: ToWorker) => void handle(m));
    send({ t: 'ready' });
  },
  (e) => {
    const err = errorText(e);
    send({ t: 'failed', ...err, location: isAuthStudioError(e) ? e.location : undefined });
  },
);
