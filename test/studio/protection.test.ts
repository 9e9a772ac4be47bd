// The sample workspace's brute-force demo through the studio service (every transport) against a real redis-server:
// traffic outcomes as the pipeline decided them, the Protection list as Nauthilus keeps it in Redis, and unblocking.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { StudioError, type TraceStage, type TrafficSummary } from '../../engine/api/contract';
import { classifyOutcome } from '../../engine/studio/traffic-outcome';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { TRANSPORTS, editFile, login, startStudio, type StudioHarness } from './studio-fixture';

let redis: RedisServer;
let direct: Redis;
before(async () => {
  redis = await startRedisServer();
  direct = new Redis(redis.port, '127.0.0.1');
});
after(async () => {
  direct.disconnect();
  await redis.stop();
});

/** The sample workspace (lua-plugins.d) on the private Redis server, emptied first. */
async function sampleStudio(transport: (typeof TRANSPORTS)[number]): Promise<StudioHarness> {
  await direct.flushall();
  return startStudio(transport, { fixture: 'lua-plugins.d', edit: (dir) => editFile(dir, 'authstudio.yml', '  redis: mock\n', `  redis: ${redis.url}\n`) });
}

/**
 * The Traffic panel's attack from 198.18.7.0/24, every attempt a new (user, password) pair: a repeated wrong password
 * counts once (as in Nauthilus), so with the panel's four default passwords repeats in flight before the block pass
 * as more wrong passwords than the bucket's limit.
 */
async function attack(h: StudioHarness, count = 200): Promise<TrafficSummary> {
  const passwords = Array.from({ length: Math.ceil(count / 4) }, (_, i) => `guess${i}`);
  const run = await h.client.startTraffic({
    profile: { kind: 'attacker-network', network: '198.18.7.0/24', users: ['alice', 'bob', 'carol', 'admin'], passwords },
    count, concurrency: 16,
  });
  return h.client.getTraffic({ run_id: run.run_id, wait: true });
}

test('outcome classification: blocked when brute force refused (also as a 3.x policy fact), refused by a check, else the password', () => {
  const blockedRecord: TraceStage = { stage: 'brute_force', name: 'brute_force', duration_ms: 0, result: 'blocked (fact for the pre_auth policies)', logs: {} };
  assert.equal(classifyOutcome({ decision: 'ok', trace: [] }), 'ok');
  assert.equal(classifyOutcome({ decision: 'tempfail', trace: [], refusedBy: 'rbl' }), 'tempfail');
  assert.equal(classifyOutcome({ decision: 'fail', trace: [], refusedBy: 'brute_force' }), 'blocked');
  assert.equal(classifyOutcome({ decision: 'fail', trace: [blockedRecord], refusedBy: 'policy' }), 'blocked');
  assert.equal(classifyOutcome({ decision: 'fail', trace: [], refusedBy: 'relay_domains' }), 'refused');
  assert.equal(classifyOutcome({ decision: 'fail', trace: [], refusedBy: 'feature' }), 'refused');
  assert.equal(classifyOutcome({ decision: 'fail', trace: [{ ...blockedRecord, result: 'pass' }] }), 'wrong_password');
});

for (const transport of TRANSPORTS) {
  describe(`protection over ${transport} (sample workspace, Nauthilus 1.10 buckets, real Redis)`, () => {
    test('an attack is blocked after the bucket limit; blocked logins are their own outcome, not wrong passwords', async () => {
      const h = await sampleStudio(transport);
      try {
        const s = await attack(h);
        assert.equal(s.completed, 200);
        assert.deepEqual(s.by_decision, { ok: 0, fail: 200, tempfail: 0 });
        // b_1h_ipv4_24 allows 15 distinct wrong passwords per /24 and hour; every later login of the network is refused
        assert.equal(s.by_outcome.wrong_password, 15, JSON.stringify(s.by_outcome));
        assert.equal(s.by_outcome.blocked, 185, JSON.stringify(s.by_outcome));
        assert.equal(s.by_outcome.ok + s.by_outcome.refused + s.by_outcome.tempfail, 0);
      } finally {
        await h.close();
      }
    });

    test('relay_domains refuses a foreign domain as "refused", a right password is ok, a wrong one "wrong_password"', async () => {
      const h = await sampleStudio(transport);
      try {
        const users = [{ username: 'alice', password: 'alice-secret' }, { username: 'bob', password: 'wrong' }, { username: 'alice@example.org', password: 'alice-secret' }];
        const run = await h.client.startTraffic({ profile: { kind: 'users', users }, count: 9 });
        const s = await h.client.getTraffic({ run_id: run.run_id, wait: true });
        assert.deepEqual(s.by_outcome, { ok: 3, wrong_password: 3, blocked: 0, refused: 3, tempfail: 0 });
      } finally {
        await h.close();
      }
    });

    test('listBlocked shows the network with counter, TTL and ban time and the accounts as Nauthilus keeps them; unblock lets the next login in', async () => {
      const h = await sampleStudio(transport);
      try {
        assert.deepEqual(await h.client.listBlocked(), { enabled: true, networks: [], accounts: [] });
        const before = Date.now();
        await attack(h, 60);
        const list = await h.client.listBlocked();
        const row = list.networks.find((n) => n.network === '198.18.7.0/24');
        assert.ok(row, JSON.stringify(list.networks));
        assert.equal(row.bucket, 'b_1h_ipv4_24');
        assert.deepEqual([row.counter, row.limit, row.ban_time_seconds], [15, 15, 3600]);
        assert.ok(row.ttl_seconds > 3500 && row.ttl_seconds <= 3600, `ttl ${row.ttl_seconds}`);
        assert.ok(row.blocked_at >= before - 1000 && row.blocked_at <= Date.now() + 1000, `blocked_at ${row.blocked_at}`);
        assert.deepEqual(list.accounts.map((a) => a.account), ['admin', 'alice', 'bob', 'carol']);
        assert.ok(list.accounts.every((a) => a.ip_addresses.length > 0 && a.ip_addresses.every((ip) => ip.startsWith('198.18.7.'))));
        // Nauthilus' own keys, so its list/flush endpoints and tools see the same block
        assert.equal(await direct.hget('BRUTEFORCE', '198.18.7.0/24'), 'b_1h_ipv4_24');
        assert.equal(await direct.sismember('AFFECTED_ACCOUNTS', 'alice'), 1);

        const right = { username: 'alice', password: 'alice-secret', client_ip: '198.18.7.200', protocol: 'imap' };
        assert.equal((await login(h.studio, right)).status, 403, 'the right password is refused while the network is blocked');

        await assert.rejects(h.client.unblock({ network: 'not-an-ip' }), (e: StudioError) => e.code === 'AS_ERR_BAD_REQUEST' && e.info.path === 'network');
        await assert.rejects(h.client.unblock({ network: '198.18.7.0/24', bucket: 'no-such-bucket' }), (e: StudioError) => e.code === 'AS_ERR_BAD_REQUEST' && e.info.path === 'bucket');

        const r = await h.client.unblock({ network: row.network, bucket: row.bucket });
        assert.ok(r.removed_keys.includes('bf:b_1h_ipv4_24:198.18.7.0/24'), JSON.stringify(r.removed_keys));
        assert.ok(r.removed_keys.includes('BRUTEFORCE[198.18.7.0/24]'), JSON.stringify(r.removed_keys));
        assert.equal(await direct.hget('BRUTEFORCE', '198.18.7.0/24'), null);
        assert.equal((await h.client.listBlocked()).networks.some((n) => n.network === '198.18.7.0/24'), false);
        assert.equal((await login(h.studio, right)).status, 200, 'the next login of the network succeeds');

        const a = await h.client.unblock({ account: 'bob' });
        assert.ok(a.removed_keys.includes('PW_HIST_IPS:bob') && a.removed_keys.includes('AFFECTED_ACCOUNTS[bob]'), JSON.stringify(a.removed_keys));
        assert.deepEqual((await h.client.listBlocked()).accounts.map((x) => x.account), ['admin', 'alice', 'carol']);
      } finally {
        await h.close();
      }
    });
  });
}
