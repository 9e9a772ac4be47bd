// The bundled sample workspace (what `npm start` serves) gives the decisions its README promises.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';
import { ROOT } from '../helpers/spawn-serve';

let fx: EngineFixture;
before(async () => {
  fx = await startFixture('sample', { configFile: path.join(ROOT, 'lua-plugins.d', 'authstudio.yml'), redis: 'mock' });
});
after(async () => {
  await fx.close();
});

const login = (fields: Record<string, string>) => jsonLogin(fx.app, { client_ip: '198.51.100.7', protocol: 'imap', ...fields });

test('alice and bob log in with their sample passwords; wrong passwords fail', async () => {
  assert.equal((await login({ username: 'alice', password: 'alice-secret' })).statusCode, 200);
  assert.equal((await login({ username: 'bob', password: 'bob-secret' })).statusCode, 200);
  assert.equal((await login({ username: 'alice', password: 'bob-secret' })).statusCode, 403);
  assert.equal((await login({ username: 'nobody', password: 'x' })).statusCode, 403);
});

test('the sample backend finds a user by login name and by account name: the no-auth lookup Dovecot makes with the Auth-User it got succeeds', async () => {
  const ok = await login({ username: 'alice', password: 'alice-secret' });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.headers['auth-user'], 'alice@example.com');
  const lookup = await jsonLogin(fx.app, { username: 'alice@example.com', client_ip: '198.51.100.7', protocol: 'imap' }, '?mode=no-auth');
  assert.equal(lookup.statusCode, 200, lookup.body);
  assert.equal(lookup.headers['auth-user'], 'alice@example.com');
  assert.equal((await login({ username: 'Alice@Example.com', password: 'alice-secret' })).statusCode, 200);
  assert.equal((await login({ username: 'alice@example.com', password: 'bob-secret' })).statusCode, 403);
  assert.equal((await jsonLogin(fx.app, { username: 'carol@example.com', client_ip: '198.51.100.7', protocol: 'imap' }, '?mode=no-auth')).statusCode, 403);
});

test('the blocklist feature refuses 203.0.113.0/24 and the lua action counts the network in Redis', async () => {
  const res = await login({ username: 'alice', password: 'alice-secret', client_ip: '203.0.113.77' });
  assert.equal(res.statusCode, 403);
  assert.equal(res.headers['auth-status'], 'IP address blocked');
  assert.equal(await fx.engine.services.redis.client.hget('authstudio:blocked_networks', '203.0.113.0/24'), '1');
});

test('a locked account (Redis set) is refused; unlocking restores access', async () => {
  const redis = fx.engine.services.redis.client;
  await redis.sadd('authstudio:locked', 'bob');
  const res = await login({ username: 'bob', password: 'bob-secret' });
  assert.equal(res.statusCode, 403);
  assert.equal(res.headers['auth-status'], 'Account locked');
  await redis.srem('authstudio:locked', 'bob');
  assert.equal((await login({ username: 'bob', password: 'bob-secret' })).statusCode, 200);
});

test('bob is refused on POP3 by the filter even with the right password', async () => {
  const res = await login({ username: 'bob', password: 'bob-secret', protocol: 'pop3' });
  assert.equal(res.statusCode, 403);
  assert.equal(res.headers['auth-status'], 'POP3 is not allowed for this account');
});

test('the login-history hook shows what the post action recorded', async () => {
  const res = await login({ username: 'alice', password: 'alice-secret' });
  await fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))!.postActions;
  const hook = await fx.app.inject({ method: 'GET', url: '/api/v1/custom/login-history?account=alice@example.com' });
  assert.equal(hook.statusCode, 200);
  const body = hook.json();
  assert.equal(body.account, 'alice@example.com');
  assert.match(body.history[0], /^ok imap 198\.51\.100\.7$/);
});
