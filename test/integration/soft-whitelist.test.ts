// Soft whitelists through the engine (Nauthilus 1.10 core/bruteforce.go CheckBruteForce, core/features.go
// checkRelayDomainsFeature): on the embedded store and a real redis-server.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pino from 'pino';
import { startFixture, jsonLogin, FIXTURES, type EngineFixture } from '../helpers/engine-fixture';
import { loadConfigFile } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { startDnsServer, type DnsServer } from '../helpers/dns-server';

let server: RedisServer;
let dns: DnsServer;
before(async () => {
  server = await startRedisServer();
  dns = await startDnsServer({ '4.4.8.8.rbl.test': { A: ['127.0.0.2'] } });
});
after(async () => {
  await dns.stop();
  await server.stop();
});

for (const kind of ['embedded store', 'real redis-server'] as const) {
  describe(`soft whitelist on the ${kind}`, () => {
    let fx: EngineFixture;
    before(async () => {
      fx = await startFixture('ws-softwl', { redis: kind === 'embedded store' ? 'mock' : `redis://${server.address}`, env: { DNS_RESOLVER: dns.address } });
    });
    after(async () => {
      await fx.close();
    });

    const login = (fields: Record<string, string>) => jsonLogin(fx.app, { protocol: 'imap', ...fields });
    const stage = (res: { headers: Record<string, unknown> }, name: string) =>
      fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))!.trace.find((t) => t.stage === name);
    const hook = (body: Record<string, string>) => fx.app.inject({ method: 'POST', url: '/api/v1/custom/soft-whitelist', payload: body });

    test('Nauthilus 1.10: a soft-whitelisted user skips the brute-force check, but the wrong passwords still count for the network', async () => {
      for (let i = 0; i < 4; i++) {
        const r = await login({ username: 'alice', password: `guess-${i}`, client_ip: `198.51.100.${10 + i}` });
        assert.equal(r.statusCode, 403);
        assert.equal(stage(r, 'brute_force')?.result, 'soft whitelisted');
      }
      assert.equal(await fx.engine.services.redis.client.get('bf:b_24:198.51.100.0/24'), '4');
      // another user of the network is blocked; alice, soft-whitelisted there, still logs in
      const bob = await login({ username: 'bob', password: 'bob-secret', client_ip: '198.51.100.50' });
      assert.equal(bob.statusCode, 403);
      assert.equal(stage(bob, 'brute_force')?.result, 'blocked');
      const alice = await login({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.51' });
      assert.equal(alice.statusCode, 200);
      // outside her networks alice is an ordinary client
      const elsewhere = await login({ username: 'alice', password: 'wrong', client_ip: '203.0.113.5' });
      assert.equal(stage(elsewhere, 'brute_force')?.result, 'pass');
    });

    test('Nauthilus 1.10: a network a script adds with soft_whitelist_set exempts the user at once; soft_whitelist_delete ends it', async () => {
      const set = await hook({ op: 'set', user: 'bob', network: '198.51.100.0/24', feature: 'brute_force' });
      assert.equal(set.statusCode, 200, set.body);
      assert.deepEqual(set.json(), { error: '', networks: ['198.51.100.0/24'] });
      assert.equal((await login({ username: 'bob', password: 'bob-secret', client_ip: '198.51.100.50' })).statusCode, 200);
      const del = await hook({ op: 'delete', user: 'bob', network: '198.51.100.0/24', feature: 'brute_force' });
      assert.equal(del.statusCode, 200, del.body);
      const blocked = await login({ username: 'bob', password: 'bob-secret', client_ip: '198.51.100.50' });
      assert.equal(blocked.statusCode, 403);
      assert.equal(stage(blocked, 'brute_force')?.result, 'blocked');
      const bad = await hook({ op: 'set', user: 'bob', network: '198.51.100.0/24', feature: 'tls_encryption' });
      assert.equal(bad.json().error, 'invalid feature category');
    });

    test('Nauthilus 1.10: nauthilus_brute_force.is_ip_address_blocked names the buckets whose counter blocks the address; nil once flushed', async () => {
      const blocked = (ip: string) => fx.app.inject({ method: 'POST', url: '/api/v1/custom/bf-blocked', payload: { ip } });
      const inNet = await blocked('198.51.100.200');
      assert.equal(inNet.statusCode, 200, inNet.body);
      assert.deepEqual(inNet.json(), { blocked: 'b_24' });
      assert.deepEqual((await blocked('203.0.113.5')).json(), { blocked: '' });
      assert.deepEqual((await blocked('not-an-ip')).json(), { blocked: '' });
      await fx.engine.protection.bruteForce!.flush('198.51.100.1', '*');
      assert.deepEqual((await blocked('198.51.100.200')).json(), { blocked: '' });
    });

    test('Nauthilus 1.10: realtime_blackhole_lists.soft_whitelist skips the RBL lookups for that user only', async () => {
      const alice = await login({ username: 'alice', password: 'alice-secret', client_ip: '8.8.4.4' });
      assert.equal(alice.statusCode, 200);
      assert.equal(stage(alice, 'rbl')?.result, 'soft whitelisted');
      const bob = await login({ username: 'bob', password: 'bob-secret', client_ip: '8.8.4.4' });
      assert.equal(bob.statusCode, 403);
      assert.match(String(stage(bob, 'rbl')?.result), /^listed/);
    });

    test('Nauthilus 1.10: relay_domains.soft_whitelist skips the relay-domains check for that user and network only', async () => {
      const exempt = await login({ username: 'alice@elsewhere.test', password: 'x', client_ip: '192.0.2.9' });
      assert.equal(stage(exempt, 'relay_domains')?.result, 'soft whitelisted');
      const other = await login({ username: 'alice@elsewhere.test', password: 'x', client_ip: '203.0.113.9' });
      assert.equal(other.statusCode, 403);
      assert.equal(stage(other, 'relay_domains')?.result, 'not_served');
    });
  });
}

test('Nauthilus 1.10: with pipeline worker threads, a soft whitelist a script sets in one thread exempts logins served by every thread', async () => {
  const config = loadConfigFile(path.join(FIXTURES, 'ws-softwl', 'authstudio.yml'), { redisOverride: 'mock', env: { ...process.env, DNS_RESOLVER: dns.address } });
  const engine = await AuthEngine.create(config, { logger: pino({ level: 'silent' }), workers: 2 });
  const app = await buildHttpApp(engine);
  try {
    for (let i = 0; i < 3; i++) await jsonLogin(app, { protocol: 'imap', username: 'bob', password: `guess-${i}`, client_ip: '198.51.100.20' });
    const set = await app.inject({ method: 'POST', url: '/api/v1/custom/soft-whitelist', payload: { op: 'set', user: 'bob', network: '198.51.100.0/24', feature: 'brute_force' } });
    assert.equal(set.statusCode, 200, set.body);
    const codes = await Promise.all(Array.from({ length: 6 }, () => jsonLogin(app, { protocol: 'imap', username: 'bob', password: 'bob-secret', client_ip: '198.51.100.21' }).then((r) => r.statusCode)));
    assert.deepEqual(codes, [200, 200, 200, 200, 200, 200]);
    const blocked = await app.inject({ method: 'POST', url: '/api/v1/custom/bf-blocked', payload: { ip: '198.51.100.21' } });
    assert.deepEqual(blocked.json(), { blocked: 'b_24' });
  } finally {
    await app.close();
    await engine.close();
  }
});
