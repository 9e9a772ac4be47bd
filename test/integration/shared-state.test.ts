// Two `authstudio serve` processes on one real Redis behave as one: failures spread across both trip the bucket on both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnServe } from '../helpers/spawn-serve';
import { startRedisServer } from '../helpers/redis-server';
import { startDnsServer } from '../helpers/dns-server';

test('brute-force counters are shared by two engine processes', async () => {
  const redis = await startRedisServer();
  const dns = await startDnsServer({});
  const env = { REDIS_ADDRESS: redis.address, REDIS_PREFIX: 'two:', DNS_RESOLVER: dns.address };
  const a = await spawnServe(['--config', 'test/fixtures/ws-protect/authstudio.yml'], env);
  const b = await spawnServe(['--config', 'test/fixtures/ws-protect/authstudio.yml'], env);
  try {
    const login = (url: string, password: string, ip: string) => fetch(`${url}/api/v1/auth/json`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password, client_ip: ip, protocol: 'imap' }),
    });
    assert.equal((await login(a.url, 'alice-secret', '198.51.100.1')).status, 200);
    assert.equal((await login(b.url, 'alice-secret', '198.51.100.1')).status, 200);
    // five distinct failures, alternating between the two processes
    for (let i = 0; i < 5; i++) {
      const r = await login(i % 2 ? b.url : a.url, `wrong-${i}`, `198.51.100.${20 + i}`);
      assert.equal(r.status, 403);
    }
    assert.equal((await login(a.url, 'alice-secret', '198.51.100.1')).status, 403, 'blocked on process A');
    assert.equal((await login(b.url, 'alice-secret', '198.51.100.1')).status, 403, 'blocked on process B');
    assert.equal((await login(b.url, 'alice-secret', '198.51.99.1')).status, 200, 'another network still logs in');
  } finally {
    assert.equal(await a.stop(), 0);
    assert.equal(await b.stop(), 0);
    await dns.stop();
    await redis.stop();
  }
});
