// Test helper: a real Redis Cluster (3 masters, 3 replicas by default) on free loopback ports, built from
// startRedisServer() and `redis-cli --cluster create`; every process is stopped by its PID.
import { spawn } from 'node:child_process';
import Redis from 'ioredis';
import { startRedisServer, type RedisServer } from './redis-server';
import { keySlot } from '../../engine/redis/cluster-slots';

export interface RedisCluster {
  /** Every node, in start order (the first `masters` were created as masters). */
  nodes: RedisServer[];
  /** `127.0.0.1:<port>` of every node: what `server.redis.cluster.addresses` takes. */
  addresses: string[];
  /** The node serving `key`'s slot as master right now (the full key, prefix included). */
  masterOf(key: string): Promise<RedisServer>;
  /**
   * Resolves once every answering node reports cluster_state:ok (every slot has a live master) and at least
   * `replicasLinked` replicas are in sync with their master.
   */
  waitHealthy(opts?: { replicasLinked?: number; timeoutMs?: number }): Promise<void>;
  /** Stop every node (replicas first, so no failover starts while they go). Safe to call twice. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  masters?: number;
  /** Replicas per master (default 1). */
  replicasPerMaster?: number;
  /** cluster-node-timeout: how long a silent master stays up before its replica takes over (default 1000 ms). */
  nodeTimeoutMs?: number;
  /** How long to wait for the cluster to become healthy (default 20 s). */
  readyTimeoutMs?: number;
}

/** `redis-cli <args>`: resolves with its output, rejects with it on a non-zero exit. */
function redisCli(args: string[], timeoutMs = 20000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`redis-cli ${args.slice(0, 2).join(' ')} exited with ${code}:\n${out}`));
    });
  });
}

/** One command on a short-lived connection to one node; undefined when the node does not answer. */
async function ask(server: RedisServer, ...args: string[]): Promise<string | undefined> {
  const c = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return String(await c.call(args[0], ...args.slice(1)));
  } catch {
    return undefined;
  } finally {
    c.disconnect();
  }
}

/** CLUSTER NODES as [port, flags, slot ranges] per node. */
function parseNodes(text: string): Array<{ port: number; master: boolean; failed: boolean; ranges: Array<[number, number]> }> {
  return text.trim().split('\n').map((line) => {
    const f = line.split(' ');
    const port = Number(/:(\d+)@/.exec(f[1])?.[1]);
    const ranges = f.slice(8).filter((s) => /^\d+(-\d+)?$/.test(s)).map((s) => {
      const [a, b] = s.split('-').map(Number);
      return [a, b ?? a] as [number, number];
    });
    return { port, master: f[2].includes('master'), failed: /fail/.test(f[2]), ranges };
  });
}

/**
 * Start a Redis Cluster of `masters` masters with `replicasPerMaster` replicas each on free loopback ports.
 * Resolves once every node reports cluster_state:ok and every replica is in sync with its master.
 *
 * @example
 *   const cluster = await startRedisCluster();
 *   after(() => cluster.stop());
 */
export async function startRedisCluster(opts: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = opts.masters ?? 3;
  const perMaster = opts.replicasPerMaster ?? 1;
  const nodeTimeout = opts.nodeTimeoutMs ?? 1000;
  const nodes: RedisServer[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= (async () => {
    for (const n of [...nodes].reverse()) await n.stop();
  })());
  try {
    const starts = Array.from({ length: masters * (1 + perMaster) }, () => startRedisServer({
      // a replica may take over whatever its replication lag (validity factor 0): a test kills masters at will
      args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeout),
        '--cluster-replica-validity-factor', '0', '--cluster-require-full-coverage', 'yes'],
    }));
    const settled = await Promise.allSettled(starts);
    for (const s of settled) if (s.status === 'fulfilled') nodes.push(s.value);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    // redis-cli makes the first `masters` addresses masters and assigns the rest as their replicas
    await redisCli(['--cluster', 'create', ...nodes.map((n) => n.address), '--cluster-replicas', String(perMaster), '--cluster-yes']);
    const cluster: RedisCluster = {
      nodes,
      addresses: nodes.map((n) => n.address),
      async masterOf(key) {
        const slot = keySlot(key);
        for (const n of nodes) {
          const text = await ask(n, 'CLUSTER', 'NODES');
          if (!text) continue;
          const owner = parseNodes(text).find((e) => e.master && !e.failed && e.ranges.some(([a, b]) => slot >= a && slot <= b));
          const server = owner && nodes.find((x) => x.port === owner.port);
          if (server) return server;
        }
        throw new Error(`no node serves slot ${slot} (key "${key}")`);
      },
      waitHealthy: (w = {}) => waitHealthy(nodes, w.replicasLinked ?? 0, w.timeoutMs ?? opts.readyTimeoutMs ?? 20000),
      stop,
    };
    await cluster.waitHealthy({ replicasLinked: masters * perMaster });
    return cluster;
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Every answering node says cluster_state:ok, and at least `replicas` replicas are linked to their master. */
async function waitHealthy(nodes: RedisServer[], replicas: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const infos = await Promise.all(nodes.map((n) => ask(n, 'CLUSTER', 'INFO')));
    const live = infos.filter((i): i is string => i !== undefined);
    const ok = live.length > 0 && live.every((i) => /cluster_state:ok/.test(i));
    const links = await Promise.all(nodes.map((n) => ask(n, 'INFO', 'replication')));
    const linked = links.filter((i) => i !== undefined && /role:slave/.test(i) && /master_link_status:up/.test(i)).length;
    last = `${live.length} nodes answer, states: ${live.map((i) => /cluster_state:(\w+)/.exec(i)?.[1]).join(',')}, ${linked} replicas linked`;
    if (ok && linked >= replicas) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the Redis Cluster did not become healthy within ${timeoutMs} ms (${last})`);
}
