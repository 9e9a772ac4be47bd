// Test helper: a Sentinel-managed Redis group (master, replicas, sentinels) on free loopback ports, built from
// startRedisServer(); every process is stopped by its PID.
import net from 'node:net';
import { startRedisServer, type RedisServer } from './redis-server';

export interface SentinelGroup {
  masterName: string;
  master: RedisServer;
  replicas: RedisServer[];
  sentinels: RedisServer[];
  /** The sentinels' `127.0.0.1:<port>` addresses (what `sentinels.addresses` / register_redis_pool take). */
  sentinelAddresses: string[];
  /** Stop sentinels first (no failover while the data servers go), then replicas and master. Safe to call twice. */
  stop(): Promise<void>;
}

export interface SentinelGroupOptions {
  masterName?: string;
  /** Replicas of the master (default 1). */
  replicas?: number;
  /** Sentinel processes (default 1; quorum 1). */
  sentinels?: number;
  /** Extra arguments for master and replicas (e.g. a password: then pass `sentinelArgs` with auth-pass). */
  args?: string[];
  /** Extra arguments for every sentinel. */
  sentinelArgs?: string[];
  /** The sentinels demand this password (`requirepass`); clients give it as sentinel_password / sentinels.password. */
  sentinelPassword?: string;
  /** How long to wait for replication and the sentinels' view of it (default 15 s). */
  readyTimeoutMs?: number;
}

/**
 * Start a Sentinel-managed group: one master, `replicas` replicas and `sentinels` sentinels, all on free loopback
 * ports. Resolves once every replica is in sync and every sentinel lists every replica as healthy.
 *
 * @example
 *   const group = await startSentinelGroup({ replicas: 1, sentinels: 2 });
 *   after(() => group.stop());
 */
export async function startSentinelGroup(opts: SentinelGroupOptions = {}): Promise<SentinelGroup> {
  const masterName = opts.masterName ?? 'authstudio-test';
  const started: RedisServer[] = [];
  const stopAll = async () => {
    // sentinels first: a master stopping under a live sentinel would start a failover
    for (const s of [...started].reverse()) await s.stop();
  };
  try {
    const master = await startRedisServer({ args: opts.args });
    started.push(master);
    const replicas: RedisServer[] = [];
    for (let i = 0; i < (opts.replicas ?? 1); i++) {
      const r = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port), ...(opts.args ?? [])] });
      started.push(r);
      replicas.push(r);
    }
    const sentinels: RedisServer[] = [];
    for (let i = 0; i < (opts.sentinels ?? 1); i++) {
      const auth = opts.sentinelPassword ? ['--requirepass', opts.sentinelPassword] : [];
      const s = await startRedisServer({ sentinel: { masterName, masterAddress: master.address }, args: [...auth, ...(opts.sentinelArgs ?? [])] });
      started.push(s);
      sentinels.push(s);
    }
    await waitForGroup(masterName, replicas, sentinels, opts.readyTimeoutMs ?? 15000, opts.sentinelPassword);
    let stopped: Promise<void> | undefined;
    return {
      masterName, master, replicas, sentinels,
      sentinelAddresses: sentinels.map((s) => s.address),
      stop: () => (stopped ??= stopAll()),
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** One command on a fresh plain connection (RESP arrays of bulk strings), returning the raw reply text. */
function rawCommand(port: number, args: string[], timeoutMs = 2000, password?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (err?: Error) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(buf);
    };
    const timer = setTimeout(() => done(), timeoutMs);
    const resp = (cmd: string[]) => `*${cmd.length}\r\n${cmd.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    sock.once('connect', () => sock.write((password ? resp(['AUTH', password]) : '') + resp(args)));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      // replies here are short: a pause of 50 ms after data means the reply is complete
      clearTimeout(timer);
      setTimeout(() => done(), 50);
    });
    sock.once('error', (e) => done(e));
  });
}

async function waitForGroup(masterName: string, replicas: RedisServer[], sentinels: RedisServer[], timeoutMs: number, sentinelPassword?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const synced = await Promise.all(replicas.map(async (r) => /master_link_status:up/.test(await rawCommand(r.port, ['INFO', 'replication']))));
    const seen = await Promise.all(sentinels.map(async (s) => {
      last = await rawCommand(s.port, ['SENTINEL', 'REPLICAS', masterName], 2000, sentinelPassword);
      // every replica listed by port, and no flag but "slave" (not s_down / disconnected)
      return replicas.every((r) => last.includes(`\r\n${r.port}\r\n`)) && !/s_down|o_down|disconnected/.test(last);
    }));
    if (synced.every(Boolean) && seen.every(Boolean)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the sentinel group did not come up within ${timeoutMs} ms; last SENTINEL REPLICAS reply: ${last}`);
}
