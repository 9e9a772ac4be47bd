// The seed document's callback custom hook (copied verbatim) served at POST /api/v1/custom/callback:
// a Dovecot-style disconnect event removes the session's Redis entries, on the embedded and a real Redis.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { startFixture, type EngineFixture } from '../helpers/engine-fixture';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import type { RedisClient } from '../../engine/redis/store';

const IP = '198.51.100.23';
const PORT = 50123;
const TARGET = `${IP}:${PORT}`;
const OTHER = '198.51.100.99:40000';

/** The event Dovecot's event exporter posts when an IMAP client disconnects. */
function dovecotEvent(category: string, user = 'alice@example.test') {
  return JSON.stringify({
    event: 'client_disconnected',
    hostname: 'mx1',
    categories: [category, 'imap'],
    fields: { user, remote_ip: IP, remote_port: PORT, local_ip: '192.0.2.1', local_port: 993 },
  });
}

for (const mode of ['embedded', 'real'] as const) describe(`callback hook (${mode} Redis)`, () => {
  let fx: EngineFixture;
  let server: RedisServer | undefined;
  // a client of its own for the real server, so the test sees what the server holds, not what the engine thinks
  let redis: RedisClient;

  before(async () => {
    if (mode === 'real') server = await startRedisServer();
    fx = await startFixture('seed', { redis: server ? server.url : 'mock' });
    redis = server ? new Redis(server.url) : fx.engine.services.redis.client;
  });
  after(async () => {
    if (server) await (redis as Redis).quit();
    await fx.close();
    await server?.stop();
  });

  async function seedSession(): Promise<void> {
    await redis.hset('ntc:DS_ACCOUNT', TARGET, 'alice@example.test', OTHER, 'bob@example.test');
    await redis.hset('ntc:DS:alice@example.test', TARGET, 'x', '198.51.100.23:50124', 'x');
  }

  const post = (body: string, contentType = 'application/json') =>
    fx.app.inject({ method: 'POST', url: '/api/v1/custom/callback', headers: { 'content-type': contentType }, payload: body });

  test('an imap-login disconnect deletes the target from ntc:DS_ACCOUNT and ntc:DS:<account>', async () => {
    await seedSession();
    const res = await post(dovecotEvent('service:imap-login'));
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = res.json();
    assert.match(body.session, /^hook-/);
    assert.deepEqual({ ...body, session: undefined }, {
      level: 'info', caller: 'callback.lua', session: undefined, state: 'client disconnected',
      category: 'service:imap-login', user: 'alice@example.test', remote_ip: IP, remote_port: PORT,
    });
    assert.equal(await redis.hexists('ntc:DS_ACCOUNT', TARGET), 0);
    assert.equal(await redis.hexists('ntc:DS:alice@example.test', TARGET), 0);
    // the other sessions stay
    assert.deepEqual(await redis.hgetall('ntc:DS_ACCOUNT'), { [OTHER]: 'bob@example.test' });
    assert.deepEqual(await redis.hgetall('ntc:DS:alice@example.test'), { '198.51.100.23:50124': 'x' });
  });

  test('a category the hook does not track leaves Redis alone but still answers', async () => {
    await seedSession();
    const res = await post(dovecotEvent('service:submission-login'));
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().state, 'client disconnected');
    assert.equal(res.json().category, undefined);
    assert.equal(await redis.hget('ntc:DS_ACCOUNT', TARGET), 'alice@example.test');
    assert.equal(await redis.hget('ntc:DS:alice@example.test', TARGET), 'x');
  });

  test('an unknown target is a no-op (hget finds nothing)', async () => {
    await redis.del('ntc:DS_ACCOUNT', 'ntc:DS:alice@example.test');
    const res = await post(dovecotEvent('service:pop3-login'));
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().category, 'service:pop3-login');
    assert.equal(await redis.exists('ntc:DS_ACCOUNT'), 0);
  });

  test('a wrong Content-Type takes the print_result path: no answer body (200, as Nauthilus 1.10 answers a hook returning nil), Redis untouched', async () => {
    await seedSession();
    const res = await post(dovecotEvent('service:imap-login'), 'text/plain');
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '');
    assert.equal(await redis.hget('ntc:DS_ACCOUNT', TARGET), 'alice@example.test');
  });

  test('a body that is JSON but not an object takes the print_result path too', async () => {
    const res = await post('"just a string"');
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '');
    const bad = await post('{not json');
    assert.equal(bad.statusCode, 500, 'if_error_raise on a JSON decode error is a hook failure');
    assert.equal(bad.json().error, 'hook failed');
  });
});
