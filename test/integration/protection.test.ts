// The protection layer against a real redis-server: brute force, password cache, TLS, relay domains, RBL, JWT hooks.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { startDnsServer, type DnsServer } from '../helpers/dns-server';

let redis: RedisServer;
let dns: DnsServer;
let fx: EngineFixture;

before(async () => {
  redis = await startRedisServer();
  dns = await startDnsServer({ '4.4.8.8.rbl.test': { A: ['127.0.0.2'] } });
  fx = await startFixture('ws-protect', { env: { REDIS_ADDRESS: redis.address, REDIS_PREFIX: 'prot:', DNS_RESOLVER: dns.address } });
});
after(async () => {
  await fx.close();
  await dns.stop();
  await redis.stop();
});

const login = (fields: Record<string, string>) => jsonLogin(fx.app, { protocol: 'imap', ...fields });
const traceOf = (res: { headers: Record<string, unknown> }) => fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))!;

async function token(user: string, password: string): Promise<string> {
  const res = await fx.app.inject({ method: 'POST', url: '/api/v1/jwt/token', payload: { username: user, password } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().token;
}

describe('brute force', () => {
  test('an attack from one /24 trips the bucket; the next correct login from that network fails with no backend call', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await login({ username: 'alice', password: `guess-${i}`, client_ip: `198.51.100.${10 + i}` });
      assert.equal(r.statusCode, 403);
      assert.equal(r.headers['auth-wait'], '2');
    }
    const blocked = await login({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.99' });
    assert.equal(blocked.statusCode, 403);
    const trace = traceOf(blocked).trace;
    assert.equal(trace[0].stage, 'brute_force');
    assert.equal(trace[0].result, 'blocked');
    assert.ok(!trace.some((r) => r.stage === 'backend' || r.stage === 'cache'), 'no backend call');
    const action = trace.find((r) => r.stage === 'action');
    assert.equal(action?.logs.action_for, 'b_1h_24|198.51.100.0/24');
    // another network is not affected
    assert.equal((await login({ username: 'alice', password: 'alice-secret', client_ip: '198.51.101.5' })).statusCode, 200);
    // the counter is in the real Redis under the configured prefix
    const raw = await fx.engine.services.redis.client.get('bf:b_1h_24:198.51.100.0/24');
    assert.equal(raw, '5');
  });

  test('the list endpoint shows the blocked network and flush restores access', async () => {
    const admin = await token('admin', 'admin-password');
    const auth = { authorization: `Bearer ${admin}` };
    const list = await fx.app.inject({ method: 'GET', url: '/api/v1/bruteforce/list', headers: auth });
    assert.equal(list.statusCode, 200);
    const entry = list.json().blocked.find((b: { network: string }) => b.network === '198.51.100.0/24');
    assert.equal(entry.bucket, 'b_1h_24');
    assert.equal(entry.counter, 5);
    assert.ok(entry.ttl_seconds > 3500);
    const flush = await fx.app.inject({ method: 'DELETE', url: '/api/v1/bruteforce/flush', headers: auth, payload: { ip_address: '198.51.100.77', rule_name: '*' } });
    assert.equal(flush.statusCode, 200);
    assert.deepEqual(flush.json().flushed, [{ bucket: 'b_1h_24', network: '198.51.100.0/24', removed: true }]);
    assert.equal((await login({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.99' })).statusCode, 200);
    const noAuth = await fx.app.inject({ method: 'GET', url: '/api/v1/bruteforce/list' });
    assert.equal(noAuth.statusCode, 401, 'admin endpoints need credentials');
  });

  test('repeating the same wrong password counts once', async () => {
    for (let i = 0; i < 8; i++) {
      const r = await login({ username: 'bob', password: 'same-wrong', client_ip: '198.51.102.7' });
      assert.equal(r.statusCode, 403);
      const bf = traceOf(r).trace.find((t) => t.stage === 'brute_force');
      assert.equal(bf?.result, i === 0 ? 'pass' : 'pass (repeating a known wrong password)');
    }
    assert.equal(await fx.engine.services.redis.client.get('bf:b_1h_24:198.51.102.0/24'), '1');
    assert.equal((await login({ username: 'bob', password: 'bob-secret', client_ip: '198.51.102.7' })).statusCode, 200);
  });

  test('an allowlisted address never trips', async () => {
    for (let i = 0; i < 8; i++) await login({ username: 'alice', password: `w${i}`, client_ip: '192.0.2.10' });
    assert.equal((await login({ username: 'alice', password: 'alice-secret', client_ip: '192.0.2.10' })).statusCode, 200);
    assert.equal(await fx.engine.services.redis.client.get('bf:b_1h_24:192.0.2.0/24'), null);
  });
});

describe('password cache', () => {
  test('the second correct login comes from the cache; a wrong password is never accepted from it; flush forces the backend', async () => {
    const ip = { client_ip: '198.51.100.200' };
    const admin = await token('admin', 'admin-password');
    const flushBob = () => fx.app.inject({ method: 'DELETE', url: '/api/v1/cache/flush', headers: { authorization: `Bearer ${admin}` }, payload: { user: 'bob@example.test' } });
    await flushBob(); // earlier tests logged bob in
    const first = await login({ username: 'bob', password: 'bob-secret', ...ip });
    assert.equal(first.statusCode, 200);
    assert.deepEqual(traceOf(first).trace.filter((r) => r.stage === 'cache' || r.stage === 'backend').map((r) => `${r.stage}:${r.result}`), ['cache:miss', 'backend:authenticated']);
    const second = await login({ username: 'bob', password: 'bob-secret', ...ip });
    assert.equal(second.statusCode, 200);
    assert.equal(second.headers['x-authstudio-cache'], 'hit');
    assert.equal(second.headers['auth-user'], 'bob@example.test');
    assert.ok(!traceOf(second).trace.some((r) => r.stage === 'backend'));
    const wrong = await login({ username: 'bob', password: 'bob-secret-changed', ...ip });
    assert.equal(wrong.statusCode, 403);
    assert.ok(traceOf(wrong).trace.some((r) => r.stage === 'backend'), 'a miss goes to the backend');
    // the cache holds a hash, never the password
    const keys = await fx.engine.services.redis.client.keys('prot:cache:*');
    const dump = JSON.stringify(await Promise.all(keys.filter((k) => !k.includes(':index:')).map((k) => fx.engine.services.redis.client.hgetall(k.slice('prot:'.length)))));
    assert.ok(!dump.includes('bob-secret'));
    const flush = await flushBob();
    assert.equal(flush.statusCode, 200);
    assert.ok(flush.json().removed >= 1);
    const third = await login({ username: 'bob', password: 'bob-secret', ...ip });
    assert.ok(traceOf(third).trace.some((r) => r.stage === 'backend'), 'after flush the backend answers again');
  });
});

describe('built-in checks', () => {
  test('TLS: cleartext from outside cleartext_networks is a temporary failure; TLS or an allowed network pass', async () => {
    const plain = await login({ username: 'alice', password: 'alice-secret', client_ip: '1.1.1.1' });
    assert.equal(plain.statusCode, 500);
    assert.equal(plain.headers['auth-status'], 'TLS transport encryption required');
    const trace = traceOf(plain).trace;
    assert.equal(trace.find((r) => r.stage === 'tls_encryption')?.result, 'tls_required');
    assert.ok(trace.some((r) => r.stage === 'action' && r.name === 'tls-note'));
    const nginx = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/nginx', headers: { 'auth-user': 'alice', 'auth-pass': 'alice-secret', 'client-ip': '1.1.1.1', 'auth-protocol': 'imap' } });
    assert.equal(nginx.headers['auth-status'], 'TLS transport encryption required');
    assert.equal((await login({ username: 'alice', password: 'alice-secret', client_ip: '1.1.1.1', ssl: 'on' })).statusCode, 200);
  });

  test('relay domains: an address in a domain not served fails and runs the relay_domains actions', async () => {
    const bad = await login({ username: 'alice@elsewhere.test', password: 'x', client_ip: '198.51.100.50' });
    assert.equal(bad.statusCode, 403);
    const trace = traceOf(bad).trace;
    assert.equal(trace.find((r) => r.stage === 'relay_domains')?.result, 'not_served');
    assert.ok(trace.some((r) => r.stage === 'action' && r.name === 'relay-note'));
    assert.ok(!trace.some((r) => r.stage === 'backend'));
    const good = await login({ username: 'carol@example.test', password: 'x', client_ip: '198.51.100.50' });
    assert.equal(traceOf(good).trace.find((r) => r.stage === 'relay_domains')?.result, 'served');
  });

  test('RBL: a listed address (local DNS server) fails and runs the rbl actions; an unlisted one passes', async () => {
    const listed = await login({ username: 'alice', password: 'alice-secret', client_ip: '8.8.4.4' });
    assert.equal(listed.statusCode, 403);
    const trace = traceOf(listed).trace;
    assert.match(trace.find((r) => r.stage === 'rbl')?.result ?? '', /^listed \(testlist; score 10\)$/);
    assert.ok(trace.some((r) => r.stage === 'action' && r.name === 'rbl-note'));
    assert.ok(dns.queries.some((q) => q.name === '4.4.8.8.rbl.test' && q.type === 'A'));
    const clean = await login({ username: 'alice', password: 'alice-secret', client_ip: '1.1.1.1', ssl: 'on' });
    assert.equal(clean.statusCode, 200);
    assert.equal(traceOf(clean).trace.find((r) => r.stage === 'rbl')?.result, 'not_listed');
  });
});

describe('custom hooks with roles', () => {
  test('401 without a token, 403 without the role, 200 with it; a hook without roles takes any valid token', async () => {
    assert.equal((await fx.app.inject({ method: 'GET', url: '/api/v1/custom/admin-only' })).statusCode, 401);
    const viewer = await token('viewer', 'viewer-password');
    const forbidden = await fx.app.inject({ method: 'GET', url: '/api/v1/custom/admin-only', headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(forbidden.statusCode, 403);
    assert.equal(forbidden.json().error, 'AS_ERR_FORBIDDEN');
    const admin = await token('admin', 'admin-password');
    const ok = await fx.app.inject({ method: 'GET', url: '/api/v1/custom/admin-only', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { ok: true });
    const any = await fx.app.inject({ method: 'GET', url: '/api/v1/custom/any-user', headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(any.statusCode, 200);
  });

  test('tokens are verified: alg none, a wrong key, an expired token and a refresh token used as access are refused', async () => {
    const { signJwt } = await import('../../engine/http/jwt');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'admin', roles: ['admin'], iat: now, exp: now + 60, typ: 'access' };
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url') + '.' + Buffer.from(JSON.stringify(claims)).toString('base64url') + '.';
    const wrongKey = signJwt(claims, 'another-secret-of-at-least-32-characters');
    const expired = signJwt({ ...claims, exp: now - 5 }, 'a-test-secret-of-at-least-32-characters!');
    for (const [what, t] of [['alg none', none], ['wrong key', wrongKey], ['expired', expired]] as const) {
      const r = await fx.app.inject({ method: 'GET', url: '/api/v1/custom/any-user', headers: { authorization: `Bearer ${t}` } });
      assert.equal(r.statusCode, 401, what);
    }
    const issued = await fx.app.inject({ method: 'POST', url: '/api/v1/jwt/token', payload: { username: 'admin', password: 'admin-password' } });
    const refresh = issued.json().refresh_token;
    const asAccess = await fx.app.inject({ method: 'GET', url: '/api/v1/custom/any-user', headers: { authorization: `Bearer ${refresh}` } });
    assert.equal(asAccess.statusCode, 401);
    const renewed = await fx.app.inject({ method: 'POST', url: '/api/v1/jwt/refresh', payload: { refresh_token: refresh } });
    assert.equal(renewed.statusCode, 200);
    assert.ok(renewed.json().token);
    const badLogin = await fx.app.inject({ method: 'POST', url: '/api/v1/jwt/token', payload: { username: 'admin', password: 'nope-nope' } });
    assert.equal(badLogin.statusCode, 401);
  });
});
