// The four auth endpoints on a fixture workspace (Lua backend, two features, a filter, actions), via inject().
// The whole suite runs twice: on the embedded Redis and on a real redis-server started for it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';

for (const redisMode of ['embedded', 'real'] as const) describe(`auth endpoints (${redisMode} Redis)`, () => {
let fx: EngineFixture;
let server: RedisServer | undefined;
before(async () => {
  if (redisMode === 'real') server = await startRedisServer();
  fx = await startFixture('ws-basic', { redis: server ? server.url : 'mock' });
});
after(async () => {
  await fx.close();
  await server?.stop();
});

test('json: right password is 200 with account and attributes', async () => {
  const res = await jsonLogin(fx.app, { username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7', protocol: 'imap' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['auth-status'], 'OK');
  assert.equal(res.headers['auth-user'], 'alice@example.test');
  assert.match(String(res.headers['x-nauthilus-session']), /^[A-Za-z0-9_-]{16}$/);
  const body = res.json();
  assert.deepEqual(body, { ok: true, account_field: 'account', totp_secret_field: null, backend: 'lua', attributes: { account: 'alice@example.test', uid: '1001' } });
});

test('json: wrong password is 403 with the default status', async () => {
  const res = await jsonLogin(fx.app, { username: 'alice', password: 'nope', client_ip: '198.51.100.7' });
  assert.equal(res.statusCode, 403);
  assert.equal(res.headers['auth-status'], 'Invalid login or password');
  assert.equal(res.json().ok, false);
});

test('json: `service` is accepted as alias of protocol (filter rejects bob on pop3)', async () => {
  const res = await jsonLogin(fx.app, { username: 'bob', password: 'bob-secret', service: 'pop3', client_ip: '198.51.100.7' });
  assert.equal(res.statusCode, 403);
  assert.equal(res.headers['auth-status'], 'POP3 is disabled for this account');
  const ok = await jsonLogin(fx.app, { username: 'bob', password: 'bob-secret', service: 'imap', client_ip: '198.51.100.7' });
  assert.equal(ok.statusCode, 200);
});

test('a triggered feature fails the login before the backend and runs the lua actions (Nauthilus 1.10: every feature runs, actions see feature "lua")', async () => {
  const res = await jsonLogin(fx.app, { username: 'alice', password: 'alice-secret', client_ip: '203.0.113.9' });
  assert.equal(res.statusCode, 403);
  assert.equal(res.headers['auth-status'], 'IP address blocked');
  const out = fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))!;
  assert.deepEqual(out.trace.map((r) => `${r.stage}:${r.name}:${r.result}`), ['feature:blocklist:triggered', 'feature:faults:ok', 'action:note-block:ok']);
  assert.equal(out.trace[2].logs.blocked_by, 'lua');
});

test('header endpoint reads Auth-* headers and returns X-Nauthilus-<attr>', async () => {
  const res = await fx.app.inject({
    method: 'GET', url: '/api/v1/auth/header',
    headers: { 'auth-user': 'alice', 'auth-pass': 'alice-secret', 'auth-protocol': 'imap', 'client-ip': '198.51.100.7' },
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['x-nauthilus-uid'], '1001');
  const bad = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/header', headers: { 'auth-user': 'alice', 'auth-pass': 'x', 'client-ip': '198.51.100.7' } });
  assert.equal(bad.statusCode, 403);
});

test('basic endpoint takes HTTP Basic credentials', async () => {
  const auth = 'Basic ' + Buffer.from('bob:bob-secret').toString('base64');
  const res = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/basic', headers: { authorization: auth } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['auth-user'], 'bob@example.test');
  const bad = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/basic', headers: { authorization: 'Basic ' + Buffer.from('bob:x').toString('base64') } });
  assert.equal(bad.statusCode, 403);
  const none = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/basic' });
  assert.equal(none.statusCode, 401);
});

test('nginx endpoint: 200 always, Auth-Server/Port on success, SMTP error codes', async () => {
  const ok = await fx.app.inject({
    method: 'GET', url: '/api/v1/auth/nginx',
    headers: { 'auth-method': 'plain', 'auth-user': 'alice', 'auth-pass': 'alice-secret', 'auth-protocol': 'imap', 'client-ip': '198.51.100.7' },
  });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.headers['auth-status'], 'OK');
  assert.equal(ok.headers['auth-server'], '127.0.0.1');
  assert.equal(ok.headers['auth-port'], '9931'); // Nauthilus 1.10's IMAP backend port without backend_server_monitoring
  const fail = await fx.app.inject({
    method: 'GET', url: '/api/v1/auth/nginx',
    headers: { 'auth-user': 'alice', 'auth-pass': 'wrong%20pw', 'auth-protocol': 'smtp', 'client-ip': '198.51.100.7' },
  });
  assert.equal(fail.statusCode, 200);
  assert.equal(fail.headers['auth-status'], 'Invalid login or password');
  assert.equal(fail.headers['auth-error-code'], '535 5.7.8');
  const temp = await fx.app.inject({
    method: 'GET', url: '/api/v1/auth/nginx',
    headers: { 'auth-user': 'backend-error', 'auth-pass': 'x', 'auth-protocol': 'smtp', 'client-ip': '198.51.100.7' },
  });
  assert.equal(temp.statusCode, 200);
  assert.equal(temp.headers['auth-status'], 'Temporary server problem, try again later');
  assert.equal(temp.headers['auth-error-code'], '451 4.3.0');
});

test('mode=no-auth succeeds for a known user without password; unknown user fails', async () => {
  const res = await jsonLogin(fx.app, { username: 'bob', client_ip: '198.51.100.7' }, '?mode=no-auth');
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['auth-user'], 'bob@example.test');
  const unknown = await jsonLogin(fx.app, { username: 'mallory', client_ip: '198.51.100.7' }, '?mode=no-auth');
  assert.equal(unknown.statusCode, 403);
});

test('mode=list-accounts answers JSON or text lines by Accept', async () => {
  const j = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/json?mode=list-accounts', headers: { accept: 'application/json' } });
  assert.equal(j.statusCode, 200);
  assert.deepEqual(j.json(), ['alice', 'bob']);
  const t = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/json?mode=list-accounts', headers: { accept: 'text/plain' } });
  assert.equal(t.body, 'alice\nbob\n');
});

test('bad requests are 400 and name the field', async () => {
  const noUser = await jsonLogin(fx.app, { password: 'x' });
  assert.equal(noUser.statusCode, 400);
  assert.equal(noUser.json().field, 'username');
  const badIp = await jsonLogin(fx.app, { username: 'alice', password: 'x', client_ip: '999.1.1.1' });
  assert.equal(badIp.statusCode, 400);
  assert.equal(badIp.json().field, 'client_ip');
  const badType = await jsonLogin(fx.app, { username: { a: 1 }, password: 'x' });
  assert.equal(badType.statusCode, 400);
  const badJson = await fx.app.inject({ method: 'POST', url: '/api/v1/auth/json', headers: { 'content-type': 'application/json' }, payload: '{"username": ' });
  assert.equal(badJson.statusCode, 400);
  const badMode = await jsonLogin(fx.app, { username: 'alice' }, '?mode=bogus');
  assert.equal(badMode.statusCode, 400);
  assert.equal(badMode.json().field, 'mode');
  const huge = await jsonLogin(fx.app, { username: 'alice', password: 'x'.repeat(100_000) });
  assert.equal(huge.statusCode, 413);
});

test('IPv6 and IPv4-mapped client addresses are accepted', async () => {
  const v6 = await jsonLogin(fx.app, { username: 'alice', password: 'alice-secret', client_ip: '2001:db8::7%eth0' });
  assert.equal(v6.statusCode, 200);
  const mapped = await jsonLogin(fx.app, { username: 'alice', password: 'alice-secret', client_ip: '::ffff:203.0.113.9' });
  assert.equal(mapped.statusCode, 403, 'the mapped address is the blocked IPv4 address');
});

test('custom hook answers with the table the script returned', async () => {
  const res = await fx.app.inject({ method: 'GET', url: '/api/v1/custom/status' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { status: 'up', level: 'info', has_session: true });
  const wrongMethod = await fx.app.inject({ method: 'POST', url: '/api/v1/custom/status' });
  assert.equal(wrongMethod.statusCode, 404);
});

test('ping, healthz and metrics', async () => {
  assert.equal((await fx.app.inject({ method: 'GET', url: '/ping' })).body, 'pong');
  const h = await fx.app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(h.statusCode, 200);
  await jsonLogin(fx.app, { username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7', protocol: 'imap' });
  const m = await fx.app.inject({ method: 'GET', url: '/metrics' });
  assert.match(m.body, /authstudio_auth_requests_total\{decision="ok",protocol="imap"\} \d+/);
});

test('post actions run after the response and see the final decision', async () => {
  const res = await jsonLogin(fx.app, { username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' });
  const out = fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))!;
  const post = await out.postActions;
  assert.equal(post.length, 1);
  assert.equal(post[0].stage, 'post_action');
  assert.equal(post[0].logs.audit, 'alice:true');
  assert.equal(post[0].result, 'ok');
  // the post action wrote to the engine's Redis (embedded or real)
  const n = Number(await fx.engine.services.redis.client.get('audit:alice:true'));
  assert.ok(n >= 1, `audit counter is ${n}`);
});

test('the configured Redis is the one in use', async () => {
  const h = await fx.app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(h.json().redis.mode, redisMode === 'real' ? 'standalone' : 'mock');
  assert.equal(h.json().redis.ok, true);
});
});
