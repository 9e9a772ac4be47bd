// Three `authstudio serve` processes on one distributed Redis, with real servers: a Redis Cluster (3 masters,
// 3 replicas) and a Sentinel group (1 master, 1 replica, 3 sentinels). Brute-force blocks, the password cache and
// flushes are shared; a master that dies under load costs temporary failures only, never a wrong success, and the
// engines recover without a restart. Propagation time and the failover window are printed, not asserted.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { spawnServe, type ServeProcess } from '../helpers/spawn-serve';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster';
import { startSentinelGroup, type SentinelGroup } from '../helpers/redis-sentinel';
import { runLua, testServices } from '../helpers/lua-harness';
import { RedisStore } from '../../engine/redis/store';
import { RedisBrowser } from '../../engine/studio/redis-browser';
import { Tolerations, defaultTolerationConfig } from '../../engine/protection/tolerations';
import { bruteForceCounterKey } from '../../engine/protection/brute-force';
import type { RedisSettings } from '../../engine/config/types';

const PREFIX = 'scale:';
const BUCKET = 'b_1h_24';
const WRONG_NET = '192.0.2';

interface Login { kind: 'right' | 'wrong' | 'blocked'; engine: number; status: number; at: number }

async function login(engine: ServeProcess, username: string, password: string, ip: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`${engine.url}/api/v1/auth/json`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, client_ip: ip, protocol: 'imap' }),
  });
  return { status: r.status, body: await r.text() };
}

async function admin(engine: ServeProcess, path: string, body: unknown): Promise<number> {
  const r = await fetch(`${engine.url}${path}`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await r.text();
  return r.status;
}

/** The Lua backend ran for the request of `session` on this engine (it logs backend_user); a cache hit does not. */
function backendRan(engine: ServeProcess, from: number): boolean {
  return engine.lines.slice(from).some((l) => l.includes('"backend_user"'));
}

/** Fill the bucket of `net`.0/24 through one engine: 5 distinct wrong passwords. */
async function block(engine: ServeProcess, net: string): Promise<void> {
  for (let i = 0; i < 5; i++) assert.equal((await login(engine, 'alice', `wrong-${net}-${i}`, `${net}.${10 + i}`)).status, 403);
}

async function startEngines(config: string, env: Record<string, string>): Promise<ServeProcess[]> {
  // one worker thread each keeps the start short; three at once on a busy machine take longer than one alone
  return Promise.all([0, 1, 2].map(() => spawnServe(['--config', config, '--workers', '1'], { ...env, REDIS_PREFIX: PREFIX }, 60000)));
}

/** The tests every shared Redis setup must pass; `engines()` are the three serve processes. */
function sharedStateTests(engines: () => ServeProcess[], setup: string): void {
  test(`${setup}: a network blocked through engine A is refused by B and C on their first request after it`, async () => {
    const [a, b, c] = engines();
    assert.equal((await login(b, 'alice', 'alice-secret', '198.18.1.7')).status, 200, 'not blocked yet');
    await block(a, '198.18.1');
    const blockedAt = performance.now();
    // the very first request each of B and C answers after A's answer: the block is in Redis before A answers
    const [rb, rc] = await Promise.all([login(b, 'alice', 'alice-secret', '198.18.1.7'), login(c, 'alice', 'alice-secret', '198.18.1.99')]);
    const seenMs = performance.now() - blockedAt;
    assert.equal(rb.status, 403, 'B refuses the blocked network');
    assert.equal(rc.status, 403, 'C refuses the blocked network');
    console.log(`# ${setup}: block through A refused by B and C after ${seenMs.toFixed(1)} ms (one request each)`);
    assert.equal((await login(c, 'alice', 'alice-secret', '198.18.2.7')).status, 200, 'another network still logs in');
  });

  test(`${setup}: a brute-force flush through C unblocks the network on A and B`, async () => {
    const [a, b, c] = engines();
    await block(b, '198.18.3');
    assert.equal((await login(a, 'alice', 'alice-secret', '198.18.3.7')).status, 403);
    assert.equal(await admin(c, '/api/v1/bruteforce/flush', { ip_address: '198.18.3.7', rule_name: '*' }), 200);
    assert.equal((await login(a, 'alice', 'alice-secret', '198.18.3.7')).status, 200, 'A lets it in again');
    assert.equal((await login(b, 'alice', 'alice-secret', '198.18.3.8')).status, 200, 'B lets it in again');
  });

  test(`${setup}: the password cache filled through A answers on B; a cache flush through C reaches every engine`, async () => {
    const [a, b, c] = engines();
    let mark = a.lines.length;
    assert.equal((await login(a, 'bob', 'bob-secret', '198.18.4.1')).status, 200);
    await a.waitFor((lines) => backendRan(a, mark) || lines.length > mark + 5, 2000).catch(() => undefined);
    assert.ok(backendRan(a, mark), 'the first login reached the backend on A');
    mark = b.lines.length;
    assert.equal((await login(b, 'bob', 'bob-secret', '198.18.4.1')).status, 200);
    await b.waitFor((lines) => lines.length > mark, 2000);
    assert.ok(!backendRan(b, mark), 'B answered from the shared cache');
    assert.equal((await login(b, 'bob', 'wrong-cache', '198.18.4.1')).status, 403, 'a wrong password never matches the cache');
    assert.equal(await admin(c, '/api/v1/cache/flush', { user: 'bob' }), 200);
    mark = b.lines.length;
    assert.equal((await login(b, 'bob', 'bob-secret', '198.18.4.1')).status, 200);
    await b.waitFor(() => backendRan(b, mark), 2000);
  });
}

/**
 * Logins from `workers` parallel loops over all engines while `kill()` takes the master away: right passwords
 * from `rightIp`, wrong ones from WRONG_NET, right passwords from the blocked `blockedIp`. Runs until every engine
 * answered right logins 3 times in a row after the last failure (or 25 s passed).
 */
async function failoverUnderLoad(engines: ServeProcess[], rightIp: string, blockedIp: string, kill: () => Promise<void>, setup: string) {
  const log: Login[] = [];
  let stop = false;
  let killedAt = Infinity;
  const streak = engines.map(() => 0);
  const t0 = performance.now();
  const loop = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const engine = (w + i) % engines.length;
      const kind = (['right', 'right', 'wrong', 'blocked'] as const)[i % 4];
      const [user, pw, ip] = kind === 'right' ? ['alice', 'alice-secret', rightIp]
        : kind === 'wrong' ? ['bob', `wrong-${w}-${i}`, `${WRONG_NET}.${(i % 200) + 1}`] : ['alice', 'alice-secret', blockedIp];
      let status: number;
      try {
        status = (await login(engines[engine], user, pw, ip)).status;
      } catch {
        status = 0; // the engine did not answer at all (never expected: it answers tempfail)
      }
      const at = performance.now() - t0;
      log.push({ kind, engine, status, at });
      if (kind === 'right' && at > killedAt) streak[engine] = status === 200 ? streak[engine] + 1 : 0;
    }
  };
  const loops = [0, 1, 2, 3, 4, 5].map(loop);
  await new Promise((r) => setTimeout(r, 300));
  killedAt = performance.now() - t0;
  await kill();
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    const failed = log.some((l) => l.at > killedAt && l.kind === 'right' && l.status !== 200);
    // past the switch (a failure was seen, or 4 s went by without one) and every engine says yes again
    if ((failed || performance.now() - t0 - killedAt > 4000) && streak.every((s) => s >= 3)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  stop = true;
  await Promise.all(loops);
  const falseSuccesses = log.filter((l) => l.kind !== 'right' && l.status === 200);
  const rightFailures = log.filter((l) => l.kind === 'right' && l.status !== 200);
  const last = rightFailures[rightFailures.length - 1];
  const windowMs = last ? last.at - rightFailures[0].at : 0;
  const recovered = log.find((l) => l.kind === 'right' && l.status === 200 && l.at > (last?.at ?? killedAt));
  console.log(`# ${setup}: ${log.length} logins, ${rightFailures.length} temporary failures of right passwords, `
    + `failover window ${windowMs.toFixed(0)} ms (first failure ${rightFailures.length ? (rightFailures[0].at - killedAt).toFixed(0) : '-'} ms after the kill), `
    + `first success after it ${recovered ? (recovered.at - killedAt).toFixed(0) : '-'} ms after the kill, ${falseSuccesses.length} false successes`);
  if (process.env.AS_SCALE_DEBUG) console.log(log.filter((l) => l.at > killedAt - 100).map((l) => `${l.kind[0]}${l.engine}:${l.status}@${(l.at - killedAt).toFixed(0)}`).join(' '));
  // every engine answers right passwords again without a restart; slots that in-flight logins held when the master
  // died (their give-back was lost with it) lapse after 10 s and may make a login wait until then
  const settled = await Promise.all(engines.map(async (e) => {
    for (const until = Date.now() + 12000; ;) {
      const { status } = await login(e, 'alice', 'alice-secret', rightIp);
      if (status === 200 || Date.now() > until) return status;
      await new Promise((r) => setTimeout(r, 200));
    }
  }));
  return { log, falseSuccesses, rightFailures, settled };
}

function assertFailover(r: Awaited<ReturnType<typeof failoverUnderLoad>>): void {
  assert.deepEqual(r.falseSuccesses, [], 'never a 200 for a wrong password or a blocked network');
  // during the switch a right password gets a temporary failure (500), never a refusal
  assert.deepEqual(r.rightFailures.filter((l) => l.status !== 500), [], 'right passwords fail only temporarily');
  assert.deepEqual(r.settled, [200, 200, 200], 'every engine recovered without a restart');
  for (const l of r.log.filter((x) => x.kind !== 'right')) assert.ok(l.status === 403 || l.status === 500, `a ${l.kind} login answered ${l.status}`);
}

describe('3 engines on a real Redis Cluster (3 masters, 3 replicas)', () => {
  let cluster: RedisCluster;
  let engines: ServeProcess[] = [];
  before(async () => {
    cluster = await startRedisCluster();
    const [n1, n2, n3] = cluster.addresses;
    engines = await startEngines('test/fixtures/ws-scale/cluster.yml', { REDIS_NODE_1: n1, REDIS_NODE_2: n2, REDIS_NODE_3: n3 });
  });
  after(async () => {
    for (const e of engines) await e.stop();
    await cluster?.stop();
  });

  sharedStateTests(() => engines, 'Cluster');

  test('Nauthilus 1.10 / 3.0: on a Cluster, redis_run_script gives KEYS of different slots the tag {lua-nauthilus}; redis_pipeline spans slots', async () => {
    const settings: RedisSettings = { mode: 'cluster', addresses: cluster.addresses, prefix: '', positiveCacheTtlSec: 60, negativeCacheTtlSec: 60, commandTimeoutMs: 2000 };
    const services = testServices({ redis: new RedisStore(settings) });
    try {
      const res = await runLua(`
        local r = require("nauthilus_redis")
        local script = "redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[1]); return KEYS[1] .. ' ' .. KEYS[2]"
        local untagged = r.redis_run_script("default", script, "", { "lua:a", "lua:b" }, { "x" })
        local tagged = r.redis_run_script("default", script, "", { "{acct}:a", "{acct}:b" }, { "y" })
        local p = r.redis_pipeline("default", "write", { { "set", "pipe:1", "1" }, { "set", "pipe:2", "2" }, { "set", "pipe:3", "3" }, { "get", "pipe:2" } })
        local mget, err = r.redis_mget("default", "pipe:1", "pipe:3")
        return untagged, tagged, p[4].value, #p, mget, err`, { services }) as [string, string, string, number, unknown, string];
      assert.equal(res[0], '{lua-nauthilus}:lua:a {lua-nauthilus}:lua:b');
      assert.equal(res[1], '{acct}:a {acct}:b');
      assert.equal(res[2], '2');
      assert.equal(res[3], 4);
      // as with go-redis: a multi-key command across slots is the server's CROSSSLOT error
      assert.equal(res[4], null);
      assert.match(res[5], /CROSSSLOT/);
    } finally {
      await services.redis.close();
    }
  });

  test('AuthStudio: on a Cluster a MULTI batch, SCAN and the studio\'s namespace flush cover keys of every slot', async () => {
    const store = new RedisStore({ mode: 'cluster', addresses: cluster.addresses, prefix: 'browse:', positiveCacheTtlSec: 60, negativeCacheTtlSec: 60, commandTimeoutMs: 2000 });
    try {
      const replies = await store.batch(Array.from({ length: 20 }, (_, i) => ['set', `k${i}`, String(i)]), true);
      assert.deepEqual(replies, Array(20).fill('OK'));
      assert.equal((await store.scanKeys('k*')).length, 20, 'SCAN walked every master');
      assert.deepEqual(await new RedisBrowser(() => store).flush(), { deleted: 20 });
      assert.deepEqual(await store.scanKeys('k*'), []);
    } finally {
      await store.close();
    }
  });

  test('Nauthilus 1.10: on a Cluster, toleration counts land in bf:TR:<ip> (the set and the hash live in different slots)', async () => {
    const store = new RedisStore({ mode: 'cluster', addresses: cluster.addresses, prefix: 'tol:', positiveCacheTtlSec: 60, negativeCacheTtlSec: 60, commandTimeoutMs: 2000 });
    try {
      const tolerations = new Tolerations(() => store);
      const cfg = { ...defaultTolerationConfig(), percent: 50, ttlNs: 3600e9 };
      await tolerations.record('192.0.2.9', '192.0.2.9', 'alice', true, cfg);
      await tolerations.record('192.0.2.9', '192.0.2.9', 'bob', true, cfg);
      await tolerations.record('192.0.2.9', '192.0.2.9', 'carol', false, cfg);
      assert.deepEqual(await store.client.hgetall('bf:TR:192.0.2.9'), { positive: '2', negative: '1' });
      assert.equal(await tolerations.isTolerated('192.0.2.9', '192.0.2.9', cfg), 'yes');
    } finally {
      await store.close();
    }
  });

  test('Cluster: the master holding a blocked network dies under load; its replica takes over; 0 false successes', async () => {
    const counter = (net: string) => PREFIX + bruteForceCounterKey(BUCKET, `${net}.0/24`);
    const victim = await cluster.masterOf(counter('198.18.10'));
    await block(engines[0], '198.18.10');
    // right logins from a network whose counter lives on the same master: they feel the failover
    let rightNet = '';
    for (let i = 20; i < 250 && !rightNet; i++) if ((await cluster.masterOf(counter(`198.18.${i}`))).port === victim.port) rightNet = `198.18.${i}`;
    assert.ok(rightNet, 'a network whose counter lives on the victim');
    // the block has reached the replica before the master dies (replication is asynchronous)
    const replicas = await Promise.all(cluster.nodes.map(async (n) => {
      const c = new Redis({ port: n.port, lazyConnect: true });
      try {
        await c.connect();
        const info = await c.info('replication');
        return info.includes(`master_port:${victim.port}`) ? n : undefined;
      } finally {
        c.disconnect();
      }
    }));
    const replica = replicas.find((n) => n !== undefined)!;
    const rc = new Redis({ port: replica.port });
    try {
      await rc.call('READONLY');
      for (let i = 0; i < 50 && (await rc.get(counter('198.18.10'))) !== '5'; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await rc.get(counter('198.18.10')), '5');
    } finally {
      rc.disconnect();
    }
    const r = await failoverUnderLoad(engines, `${rightNet}.7`, '198.18.10.7', () => victim.kill(), 'Cluster');
    assertFailover(r);
    for (const e of engines) assert.equal((await login(e, 'alice', 'alice-secret', '198.18.10.8')).status, 403, 'the block survived the failover');
  });
});

describe('3 engines on a real Sentinel group (1 master, 1 replica, 3 sentinels)', () => {
  let group: SentinelGroup;
  let engines: ServeProcess[] = [];
  before(async () => {
    group = await startSentinelGroup({ replicas: 1, sentinels: 3 });
    const [s1, s2, s3] = group.sentinelAddresses;
    engines = await startEngines('test/fixtures/ws-scale/sentinel.yml', {
      REDIS_SENTINEL_MASTER: group.masterName, REDIS_SENTINEL_1: s1, REDIS_SENTINEL_2: s2, REDIS_SENTINEL_3: s3,
    });
  });
  after(async () => {
    for (const e of engines) await e.stop();
    await group?.stop();
  });

  sharedStateTests(() => engines, 'Sentinel');

  test('Sentinel: the master dies under load; the sentinels promote the replica; 0 false successes', async () => {
    await block(engines[1], '198.18.10');
    const rc = new Redis({ port: group.replicas[0].port });
    const key = PREFIX + bruteForceCounterKey(BUCKET, '198.18.10.0/24');
    try {
      for (let i = 0; i < 50 && (await rc.get(key)) !== '5'; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await rc.get(key), '5', 'the block reached the replica before the master dies');
    } finally {
      rc.disconnect();
    }
    const r = await failoverUnderLoad(engines, '198.18.20.7', '198.18.10.7', () => group.master.kill(), 'Sentinel');
    assertFailover(r);
    for (const e of engines) assert.equal((await login(e, 'alice', 'alice-secret', '198.18.10.8')).status, 403, 'the block survived the failover');
  });
});
