// Brute-force state at scale: failed logins from many distinct attacker addresses through the engine's own
// BruteForceProtection against a private redis-server, then what Redis holds: keys per bucket, bytes per tracked
// network, keys without a TTL, and the `bf:blocked` index (which only /api/v1/bruteforce/list trims).
//
//   phase 1 (memory):  period 10m, limits never reached; every key must carry a TTL
//   phase 2 (expiry):  period 2s, failed_requests 1 (every network blocked); poll until every key with a TTL is
//                      gone, show what is left (the blocked index), then call list() and show that it trims it
import type Redis from 'ioredis';
import { parseConfigText } from '../engine/config/load';
import { CallContext } from '../engine/lua/call-context';
import { buildAuthRequest } from '../engine/pipeline/auth-request';
import type { AuthOutcome, StageState } from '../engine/pipeline/pipeline';
import { buildProtection } from '../engine/protection';
import type { BruteForceProtection } from '../engine/protection/brute-force';
import { RedisStore, type RedisClient } from '../engine/redis/store';
import { startRedisServer } from '../test/helpers/redis-server';

/** Failed logins in flight at once (a busy engine has about this many). */
const CONCURRENCY = 500;
/** Addresses per /24 network: several, so the /24 and /32 buckets track different numbers of networks. */
const PER_NET = 4;
const PROGRESS_EVERY = 100_000;
/** The expiry phase needs no more than this many addresses to make its point. */
const EXPIRY_ADDRESSES = 100_000;
const BLOCKED_INDEX = 'bf:blocked';

export interface BruteForceMemoryResult {
  addresses: number;
  concurrency: number;
  /** Failed logins from the same /24 network (consecutive addresses share one). */
  addresses_per_24: number;
  /** Seconds for the failed logins of phase 1 alone. */
  elapsed_s: number;
  logins_per_s: number;
  /** Counter keys `bf:<bucket>:<network>` per bucket. */
  tracked_networks: Record<string, number>;
  tracked_networks_total: number;
  /** Failed-password history sets `bf:pw:<network>:<user>` (one per account and widest network). */
  history_keys: number;
  keys_total: number;
  used_memory_before: number;
  used_memory_after: number;
  used_memory_delta: number;
  /** used_memory delta / counter keys: what one tracked network costs, its share of the history included. */
  bytes_per_tracked_network: number;
  bytes_per_address: number;
  /** MEMORY USAGE averaged over a sample of keys of each kind (the key alone, no dict overhead). */
  memory_usage_sample: Record<string, number>;
  keys_without_ttl: number;
  keys_without_ttl_names: string[];
  ttl_check: string;
  /** Largest TTL seen per kind of key (s): bounded by the bucket period (history: max(60 s, periods)). */
  max_ttl_s: Record<string, number>;
  blocked_zset_size: number;
  expiry?: ExpiryResult;
}

export interface ExpiryResult {
  addresses: number;
  period_s: number;
  failed_requests: number;
  elapsed_s: number;
  keys_after_run: number;
  counters_after_run: number;
  history_ttl_s: number;
  blocked_zset_size: number;
  /** TTL of the index once everything else expired (-1: it never expires). */
  blocked_zset_ttl: number;
  blocked_zset_bytes: number;
  blocked_zset_bytes_per_entry: number;
  /** Seconds (after the run) until no counter key was left. */
  counters_gone_after_s: number;
  /** Seconds (after the run) until only keys without a TTL were left. */
  ttl_keys_gone_after_s: number;
  /** Keys left once everything with a TTL had expired (the blocked index alone). */
  keys_left: string[];
  blocked_zset_size_after_expiry: number;
  /** list() (GET /api/v1/bruteforce/list) trims expired index entries: the only thing that does. */
  list_entries: number;
  blocked_zset_size_after_list: number;
  keys_after_list: number;
}

function configText(period: string, failedRequests: number): string {
  return [
    'brute_force:', '  buckets:',
    `    - {name: b24, period: ${period}, cidr: 24, ipv4: true, failed_requests: ${failedRequests}}`,
    `    - {name: b32, period: ${period}, cidr: 32, ipv4: true, failed_requests: ${failedRequests}}`, '',
  ].join('\n');
}

/** Attacker address i: PER_NET consecutive addresses share a /24, and the /24s are scattered over the whole IPv4 space. */
function attackerIp(i: number): string {
  // an odd multiplier is a bijection modulo 2^24: distinct /24 for every network index
  const net24 = Math.imul(Math.floor(i / PER_NET), 0x9e3779b1) & 0xffffff;
  return `${net24 >>> 16}.${(net24 >>> 8) & 255}.${net24 & 255}.${(i % PER_NET) * 64 + 1}`;
}

/** One failed login as the pipeline handles it: the check before features, then (not blocked) afterDecision. */
async function failedLogin(bf: BruteForceProtection, config: StageState['config'], i: number): Promise<void> {
  // credential stuffing: every address tries another account, so each login writes its own history set (worst case)
  const req = buildAuthRequest({ username: `victim${i}`, password: `wrong-${i}`, client_ip: attackerIp(i), protocol: 'imap' }, 'auth', 'json');
  const out: AuthOutcome = {
    decision: 'fail', session: req.session, attributes: {}, fromCache: false, trace: [], customLogs: [], latencyMs: 0,
    postActions: Promise.resolve([]), protocol: req.fields.protocol, authWaitSec: 0,
  };
  const state: StageState = {
    call: new CallContext(req.session), base: {}, out, timeout: 1000, pools: { backends: new Map() }, req, config, checks: [bf],
  };
  const r = await bf.run(state);
  if (r) out.trace.push({ stage: bf.stage, name: bf.name, duration_ms: 0, result: r.result, logs: {} });
  // a blocked network fails at once: no backend judges the password, and afterDecision keeps nothing
  if (r?.decision) return;
  // the backend said "wrong password": the slot taken by run() becomes a count
  state.passwordJudged = true;
  await bf.afterDecision(out, state);
}

async function drive(bf: BruteForceProtection, config: StageState['config'], n: number, label: string): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await failedLogin(bf, config, i);
      done += 1;
      if (done % PROGRESS_EVERY === 0) {
        process.stderr.write(`bruteforce-memory ${label}: ${done}/${n} failed logins, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, n) }, worker));
  return (performance.now() - t0) / 1000;
}

async function usedMemory(client: RedisClient): Promise<number> {
  const info = await client.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
}

/** `bf:b24:…` -> "b24", `bf:pw:…` -> "history", `bf:blocked` -> "blocked index". */
function kindOf(key: string): string {
  if (key === BLOCKED_INDEX) return 'blocked index';
  const m = /^bf:([^:]+):/.exec(key);
  if (!m) return 'other';
  return m[1] === 'pw' ? 'history' : m[1];
}

interface Census {
  perKind: Record<string, number>;
  total: number;
  noTtl: string[];
  maxTtl: Record<string, number>;
  samples: Record<string, string[]>;
}

/** Every key once (SCAN), with its TTL when `ttls` (pipelined per SCAN batch). */
async function census(client: RedisClient, ttls: boolean): Promise<Census> {
  const c: Census = { perKind: {}, total: 0, noTtl: [], maxTtl: {}, samples: {} };
  let cursor = '0';
  do {
    const [nextCursor, keys] = await (client as Redis).scan(cursor, 'COUNT', 5000);
    cursor = nextCursor;
    let ttlOf: number[] = [];
    if (ttls && keys.length) {
      const p = client.pipeline();
      for (const k of keys) p.ttl(k);
      ttlOf = ((await p.exec()) ?? []).map(([err, v]) => (err ? -3 : Number(v)));
    }
    keys.forEach((k, idx) => {
      const kind = kindOf(k);
      c.perKind[kind] = (c.perKind[kind] ?? 0) + 1;
      c.total += 1;
      const s = (c.samples[kind] ??= []);
      if (s.length < 1000) s.push(k);
      if (!ttls) return;
      const t = ttlOf[idx];
      // -2: expired between SCAN and TTL, which is fine
      if (t === -1) c.noTtl.push(k);
      if (t > (c.maxTtl[kind] ?? -Infinity)) c.maxTtl[kind] = t;
    });
  } while (cursor !== '0');
  return c;
}

async function countersLeft(client: RedisClient): Promise<number> {
  const c = await census(client, false);
  return (c.perKind.b24 ?? 0) + (c.perKind.b32 ?? 0);
}

/** Poll `test` until true; throws at the deadline. */
async function until(test: () => Promise<boolean>, deadlineS: number, what: string): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    if (await test()) return;
    if (performance.now() - t0 > deadlineS * 1000) throw new Error(`bruteforce-memory: ${what} not within ${deadlineS} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * `addresses` failed logins (one per address) on a private redis-server, then its census. `expiry: false` skips
 * phase 2, which waits about a minute for the history sets (TTL max(60 s, periods)) to expire.
 */
export async function bruteForceMemoryRun(opts: { addresses: number; expiry?: boolean }): Promise<BruteForceMemoryResult> {
  const n = opts.addresses;
  const server = await startRedisServer();
  let store: RedisStore | undefined;
  try {
    // phase 1: what a long-lived attack leaves in Redis
    const config = parseConfigText(configText('10m', 10), 'bruteforce-memory.yml', { redisOverride: server.url, env: {}, checkFiles: false });
    store = new RedisStore(config.server.redis);
    const s = store;
    const bf = buildProtection(config, () => s).bruteForce!;
    const client = store.client;
    const before = await usedMemory(client);
    const elapsed = await drive(bf, config, n, 'memory');
    const after = await usedMemory(client);
    const c = await census(client, true);
    const tracked: Record<string, number> = {};
    for (const b of config.bruteForce!.buckets) tracked[b.name] = c.perKind[b.name] ?? 0;
    const trackedTotal = Object.values(tracked).reduce((a, b) => a + b, 0);
    const sample: Record<string, number> = {};
    for (const [kind, keys] of Object.entries(c.samples)) {
      const p = client.pipeline();
      for (const k of keys) p.call('MEMORY', 'USAGE', k);
      const sizes = ((await p.exec()) ?? []).map(([, v]) => Number(v));
      sample[kind] = round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
    }
    const result: BruteForceMemoryResult = {
      addresses: n, concurrency: CONCURRENCY, addresses_per_24: PER_NET, elapsed_s: round(elapsed), logins_per_s: Math.round(n / elapsed),
      tracked_networks: tracked, tracked_networks_total: trackedTotal, history_keys: c.perKind.history ?? 0, keys_total: c.total,
      used_memory_before: before, used_memory_after: after, used_memory_delta: after - before,
      bytes_per_tracked_network: trackedTotal ? round((after - before) / trackedTotal) : 0, bytes_per_address: round((after - before) / n),
      memory_usage_sample: sample, keys_without_ttl: c.noTtl.length, keys_without_ttl_names: c.noTtl.slice(0, 10),
      ttl_check: 'every key (SCAN COUNT 5000 + pipelined TTL)', max_ttl_s: c.maxTtl, blocked_zset_size: await client.zcard(BLOCKED_INDEX),
    };
    await store.close();
    store = undefined;
    if (opts.expiry !== false) result.expiry = await expiryRun(server.url, Math.min(n, EXPIRY_ADDRESSES));
    return result;
  } finally {
    await store?.close();
    await server.stop();
  }
}

/** Phase 2: every network blocked, short period; what expires and what stays. */
async function expiryRun(url: string, n: number): Promise<ExpiryResult> {
  const periodS = 2;
  const config = parseConfigText(configText(`${periodS}s`, 1), 'bruteforce-memory.yml', { redisOverride: url, env: {}, checkFiles: false });
  const store = new RedisStore(config.server.redis);
  try {
    const client = store.client;
    await client.flushall('SYNC');
    const bf = buildProtection(config, () => store).bruteForce!;
    const elapsed = await drive(bf, config, n, 'expiry');
    const done = performance.now();
    const keysAfterRun = await client.dbsize();
    const countersAfterRun = await countersLeft(client);
    const zsetSize = await client.zcard(BLOCKED_INDEX);
    const zsetBytes = Number(await client.call('MEMORY', 'USAGE', BLOCKED_INDEX) ?? 0);
    const historyTtl = Math.max(60, ...config.bruteForce!.buckets.map((b) => b.periodSec));
    await until(async () => (await countersLeft(client)) === 0, periodS + elapsed + 30, 'counter keys expired');
    const countersGone = (performance.now() - done) / 1000;
    // the history sets live max(60 s, periods); after them only keys without a TTL can be left
    await until(async () => (await client.dbsize()) <= 1, historyTtl + 30, 'keys with a TTL expired');
    const ttlGone = (performance.now() - done) / 1000;
    const left = (await census(client, false)).samples;
    const zsetAfterExpiry = await client.zcard(BLOCKED_INDEX);
    const zsetTtl = await client.ttl(BLOCKED_INDEX);
    const listed = await bf.list();
    return {
      addresses: n, period_s: periodS, failed_requests: 1, elapsed_s: round(elapsed), keys_after_run: keysAfterRun, counters_after_run: countersAfterRun,
      history_ttl_s: historyTtl, blocked_zset_size: zsetSize, blocked_zset_ttl: zsetTtl, blocked_zset_bytes: zsetBytes,
      blocked_zset_bytes_per_entry: zsetSize ? round(zsetBytes / zsetSize) : 0, counters_gone_after_s: round(countersGone), ttl_keys_gone_after_s: round(ttlGone),
      keys_left: Object.values(left).flat(), blocked_zset_size_after_expiry: zsetAfterExpiry, list_entries: listed.length,
      blocked_zset_size_after_list: await client.zcard(BLOCKED_INDEX), keys_after_list: await client.dbsize(),
    };
  } finally {
    await store.close();
  }
}
