// Finding 15 (issue 13): JWT roles on admin endpoints, one-time refresh tokens (shared through Redis), throttled
// token requests, strict base64url in all three parts of a token.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { FIXTURES, startFixture, type EngineFixture } from '../helpers/engine-fixture';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { rawRequest } from './support/attack-raw-http';

const CONFIG = path.join(FIXTURES, 'attack-access', 'jwt.yml');

async function tokenOf(fx: EngineFixture, username: string, password: string): Promise<{ token: string; refresh_token: string }> {
  const r = await fx.app.inject({ method: 'POST', url: '/api/v1/jwt/token', payload: { username, password } });
  assert.equal(r.statusCode, 200, r.body);
  return r.json();
}

describe('roles on the admin endpoints (Nauthilus 1.10 role names: admin, security)', () => {
  let fx: EngineFixture;
  before(async () => {
    fx = await startFixture('attack-access', { configFile: CONFIG });
  });
  after(async () => {
    await fx?.close();
  });
  const call = (token: string, method: 'GET' | 'DELETE', url: string, payload?: object) =>
    fx.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, payload });
  const flushBf = (t: string) => call(t, 'DELETE', '/api/v1/bruteforce/flush', { ip_address: '198.51.100.7', rule_name: '*' });
  const flushCache = (t: string) => call(t, 'DELETE', '/api/v1/cache/flush', { user: 'alice' });
  const list = (t: string) => call(t, 'GET', '/api/v1/bruteforce/list');

  test('a token with only the monitoring role cannot list or flush brute-force state or flush the cache (403)', async () => {
    const { token } = await tokenOf(fx, 'viewer', 'viewer-password');
    for (const r of [await flushBf(token), await flushCache(token), await list(token)]) {
      assert.equal(r.statusCode, 403, r.body);
      assert.equal(r.json().error, 'AS_ERR_FORBIDDEN');
      assert.match(r.json().message, /admin/);
    }
  });

  test('security may list and flush brute-force state (Nauthilus 1.10 HanldeBruteForceList: security or admin) but not the cache', async () => {
    const { token } = await tokenOf(fx, 'security', 'security-password');
    assert.equal((await list(token)).statusCode, 200);
    assert.equal((await flushBf(token)).statusCode, 200);
    assert.equal((await flushCache(token)).statusCode, 403);
  });

  test('admin may do all three', async () => {
    const { token } = await tokenOf(fx, 'admin', 'admin-password');
    assert.equal((await list(token)).statusCode, 200);
    assert.equal((await flushBf(token)).statusCode, 200);
    assert.equal((await flushCache(token)).statusCode, 200);
  });
});

describe('strict base64url: a token spelled differently is refused', () => {
  let fx: EngineFixture;
  let good: string;
  before(async () => {
    fx = await startFixture('attack-access', { configFile: CONFIG });
    good = (await tokenOf(fx, 'admin', 'admin-password')).token;
  });
  after(async () => {
    await fx?.close();
  });

  test('padding, the standard alphabet, other bytes and a non-canonical last character: 401 each', async () => {
    const [h, b, s] = good.split('.');
    // the signature's last character carries 2 unused bits: flipping them decodes to the same bytes
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const lastIndex = alphabet.indexOf(s[s.length - 1]);
    const nonCanonical = s.slice(0, -1) + alphabet[lastIndex ^ 1];
    assert.deepEqual(Buffer.from(nonCanonical, 'base64url'), Buffer.from(s, 'base64url'));
    const variants: Array<[string, string]> = [
      ['signature with "==" appended', `${h}.${b}.${s}==`],
      ['signature with "=" appended', `${h}.${b}.${s}=`],
      ['header with "=" appended', `${h}=.${b}.${s}`],
      ['claims with "==" appended', `${h}.${b}==.${s}`],
      ['signature in the standard alphabet', `${h}.${b}.${Buffer.from(s, 'base64url').toString('base64')}`],
      ['a space inside the signature', `${h}.${b}.${s.slice(0, 10)} ${s.slice(10)}`],
      ['a "." of junk: "!" in the signature', `${h}.${b}.${s}!`],
      ['non-canonical last character', `${h}.${b}.${nonCanonical}`],
    ];
    const accepted: string[] = [];
    for (const [what, token] of variants) {
      const r = await fx.app.inject({ method: 'GET', url: '/api/v1/bruteforce/list', headers: { authorization: `Bearer ${token}` } });
      if (r.statusCode !== 401) accepted.push(`${what}: ${r.statusCode}`);
    }
    assert.deepEqual(accepted, []);
    const r = await fx.app.inject({ method: 'GET', url: '/api/v1/bruteforce/list', headers: { authorization: `Bearer ${good}` } });
    assert.equal(r.statusCode, 200, 'the token as issued passes');
  });
});

describe('refresh tokens renew once, across engines sharing a real Redis', () => {
  let redis: RedisServer;
  let a: EngineFixture;
  let b: EngineFixture;
  before(async () => {
    redis = await startRedisServer();
    a = await startFixture('attack-access', { configFile: CONFIG, redis: redis.url });
    b = await startFixture('attack-access', { configFile: CONFIG, redis: redis.url });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });
  const refresh = (fx: EngineFixture, token: string) => fx.app.inject({ method: 'POST', url: '/api/v1/jwt/refresh', payload: { refresh_token: token } });

  test('a second use of a refresh token is refused, on the same engine and on another one', async () => {
    const first = await tokenOf(a, 'admin', 'admin-password');
    const renewed = await refresh(a, first.refresh_token);
    assert.equal(renewed.statusCode, 200, renewed.body);
    const again = await refresh(a, first.refresh_token);
    assert.equal(again.statusCode, 401, again.body);
    assert.match(again.json().message, /already used/);
    const elsewhere = await refresh(b, first.refresh_token);
    assert.equal(elsewhere.statusCode, 401, elsewhere.body);
    // the new refresh token works once, on the other engine
    const next = renewed.json().refresh_token as string;
    assert.equal((await refresh(b, next)).statusCode, 200);
    assert.equal((await refresh(a, next)).statusCode, 401);
  });

  test('Redis down: a refresh is refused (5xx), never a renewal nobody recorded', async () => {
    const { refresh_token } = await tokenOf(a, 'admin', 'admin-password');
    await redis.kill();
    try {
      const r = await refresh(a, refresh_token);
      assert.ok(r.statusCode >= 500, `${r.statusCode} ${r.body}`);
      assert.equal(r.json().error, 'AS_ERR_REDIS');
    } finally {
      await redis.restart();
    }
  });

  test('parallel uses of one refresh token: exactly one renews', async () => {
    const { refresh_token } = await tokenOf(a, 'admin', 'admin-password');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => refresh(i % 2 ? a : b, refresh_token)));
    assert.equal(answers.filter((r) => r.statusCode === 200).length, 1, answers.map((r) => r.statusCode).join(','));
  });
});

describe('token requests are throttled per client address (Nauthilus 1.10: 5 failures a minute, blocked 2 minutes, 429 + Retry-After)', () => {
  let fx: EngineFixture;
  let port: number;
  before(async () => {
    fx = await startFixture('attack-access', { configFile: CONFIG });
    await fx.app.listen({ host: '127.0.0.1', port: 0 });
    port = (fx.app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await fx?.close();
  });
  const ask = (password: string, from: string) =>
    rawRequest(port, 'POST /api/v1/jwt/token HTTP/1.1', { 'Content-Type': 'application/json' }, JSON.stringify({ username: 'admin', password }), from);

  test('after 5 wrong guesses from one address, every token request from it gets 429 with Retry-After, the right password too', async () => {
    const from = '127.0.0.3';
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await ask(crypto.randomBytes(6).toString('hex'), from)).status);
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.deepEqual(new Set(statuses.slice(5)), new Set([429]));
    const right = await ask('admin-password', from);
    assert.equal(right.status, 429, 'the right password got through the block');
    const wait = Number(right.headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 120, `Retry-After ${right.headers['retry-after']}`);
    assert.equal(JSON.parse(right.body).error, 'AS_ERR_TOO_MANY_ATTEMPTS');
  });

  test('another address is not blocked by them', async () => {
    const r = await ask('admin-password', '127.0.0.4');
    assert.equal(r.status, 200, r.body);
  });
});

describe('the token throttle over time (clock injected)', () => {
  test('failures spread beyond the 1-minute window never block; a block ends after 2 minutes; 10,000 addresses at most', async () => {
    const { TokenThrottle } = await import('../../engine/http/token-throttle');
    let now = 1_000_000;
    const t = new TokenThrottle(() => now);
    for (let i = 0; i < 20; i++) {
      t.fail('a');
      now += 16_000; // 4 failures per window at most
      if (i % 4 === 3) now += 60_000;
      assert.equal(t.retryAfterSec('a'), 0, `blocked after failure ${i + 1}`);
    }
    for (let i = 0; i < 5; i++) t.fail('b');
    assert.equal(t.retryAfterSec('b'), 120);
    now += 119_500;
    assert.equal(t.retryAfterSec('b'), 1);
    now += 500;
    assert.equal(t.retryAfterSec('b'), 0);
    for (let i = 0; i < 20_000; i++) t.fail(`x${i}`);
    assert.ok((t as unknown as { byAddress: Map<string, unknown> }).byAddress.size <= 10_000);
  });
});
