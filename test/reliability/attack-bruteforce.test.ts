// Attack: hundreds of parallel password guesses from one network must not get past the brute-force limit.
// Checking and counting are one atomic step (a reservation before the backend runs), so under any concurrency
// at most `failed_requests` wrong passwords of one bucket reach the backend per period, and the right password
// afterwards is refused. Covered: the embedded store in-process, a real redis-server, worker threads (embedded
// and real Redis), and `serve --workers 2` over raw sockets.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pino from 'pino';
import Redis from 'ioredis';
import { AuthEngine } from '../../engine/engine';
import { loadConfigFile } from '../../engine/config/load';
import { buildAuthRequest } from '../../engine/pipeline/auth-request';
import type { AuthOutcome } from '../../engine/pipeline/pipeline';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { spawnServe } from '../helpers/spawn-serve';
import { workspace, yml } from '../helpers/config-text';

const LIMIT = 5;
const GUESSES = 490;

// every call of the backend counts in Redis: what reached the backend is measured, not inferred
const BACKEND = `
local nauthilus_redis = require("nauthilus_redis")
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  local _, err = nauthilus_redis.redis_incr("default", "test:backend_calls")
  if err then error(err) end
  if request.username == "alice" then
    b:user_found(true)
    b:account_field("account")
    b:attributes({ account = "alice@example.test" })
    b:authenticated(request.password == "alice-secret")
  end
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;

// 490 requests at once wait for slots: a generous script timeout keeps a loaded machine from turning waits into tempfails
function ws(redis: string, logLevel = 'error', scriptTimeout = '5s'): string {
  return workspace({
    'authstudio.yml': yml(
      'server:', '  address: 127.0.0.1:0', '  backends: [lua]', `  redis: ${redis}`, `  log: {level: ${logLevel}}`, '  max_concurrent_requests: 1000', `  lua_script_timeout: ${scriptTimeout}`,
      // two rules: every request takes a slot under both (a /16 with a higher limit as well)
      'brute_force:', '  buckets:', `    - {name: b24, period: 10m, cidr: 24, ipv4: true, failed_requests: ${LIMIT}}`, '    - {name: b16, period: 1h, cidr: 16, ipv4: true, failed_requests: 50}',
      'lua:', '  config:', '    backend_script_path: ./backend.lua', '    number_of_workers: 4',
    ),
    'backend.lua': BACKEND,
  });
}

const engines: AuthEngine[] = [];
const servers: RedisServer[] = [];
after(async () => {
  for (const e of engines) await e.close().catch(() => undefined);
  for (const s of servers) await s.stop();
});

async function engineOn(redis: 'mock' | RedisServer, workers = 0, scriptTimeout?: string): Promise<AuthEngine> {
  const dir = ws('mock', undefined, scriptTimeout);
  const config = loadConfigFile(path.join(dir, 'authstudio.yml'), { redisOverride: redis === 'mock' ? undefined : redis.url });
  const engine = await AuthEngine.create(config, { logger: pino({ level: 'silent' }), workers });
  engines.push(engine);
  return engine;
}

const login = (password: string, i: number) =>
  buildAuthRequest({ username: 'alice', password, client_ip: `198.51.100.${(i % 250) + 1}`, protocol: 'imap' }, 'auth', 'json');

const reachedBackend = (o: AuthOutcome) => o.trace.some((r) => r.stage === 'backend');

/** 490 different wrong passwords at once from one /24, then the right one. */
async function attack(engine: AuthEngine): Promise<{ reached: number; counted: number; right: AuthOutcome; decisions: Set<string>; tempfails: string[] }> {
  const outs = await Promise.all(Array.from({ length: GUESSES }, (_, i) => engine.authenticate(login(`guess-${i}`, i))));
  const right = await engine.authenticate(login('alice-secret', 7));
  const counted = Number(await engine.services.redis.client.get('test:backend_calls'));
  const tempfails = [...new Set(outs.filter((o) => o.decision === 'tempfail').map((o) => o.error ?? '?'))];
  return { reached: outs.filter(reachedBackend).length, counted, right, decisions: new Set(outs.map((o) => o.decision)), tempfails };
}

function assertHeld(r: Awaited<ReturnType<typeof attack>>): void {
  assert.deepEqual(r.decisions, new Set(['fail']), `every guess is refused, none is a temporary failure: ${r.tempfails.slice(0, 3).join(' | ')}`);
  assert.ok(r.reached <= LIMIT, `${r.reached} of ${GUESSES} parallel guesses reached the backend (limit ${LIMIT})`);
  assert.ok(r.counted <= LIMIT + 1, `the backend counted ${r.counted} calls`);
  assert.equal(r.right.decision, 'fail', 'the right password after the limit is refused');
  assert.equal(r.right.trace[0].result, 'blocked');
  assert.ok(!reachedBackend(r.right), 'the right password after the limit never reaches the backend');
}

test('490 parallel wrong passwords from one /24, embedded Redis in-process: at most failed_requests reach the backend, then the right one is refused', async () => {
  const engine = await engineOn('mock');
  const r = await attack(engine);
  assertHeld(r);
  assert.equal(r.reached, LIMIT, 'exactly failed_requests guesses were verified');
  assert.equal(await engine.services.redis.client.get('bf:b24:198.51.100.0/24'), String(LIMIT));
});

test('490 parallel wrong passwords, real redis-server (EVALSHA, reloaded after SCRIPT FLUSH): at most failed_requests reach the backend', async () => {
  const redis = await startRedisServer();
  servers.push(redis);
  const engine = await engineOn(redis);
  const r = await attack(engine);
  assertHeld(r);
  assert.equal(r.reached, LIMIT);
  // the script cache emptied under the engine (a Redis restart, SCRIPT FLUSH): the next check still works
  await engine.services.redis.client.call('SCRIPT', 'FLUSH');
  await engine.services.redis.client.del('bf:b24:198.51.100.0/24', 'bf:pw:198.51.0.0/16:alice', 'bf:b16:198.51.0.0/16', 'test:backend_calls');
  const again = await attack(engine);
  assertHeld(again);
});

test('490 parallel wrong passwords through 2 worker threads sharing the embedded Redis: at most failed_requests reach the backend', async () => {
  const engine = await engineOn('mock', 2);
  assertHeld(await attack(engine));
});

test('490 parallel wrong passwords through 2 worker threads with a real redis-server: at most failed_requests reach the backend', async () => {
  const redis = await startRedisServer();
  servers.push(redis);
  const engine = await engineOn(redis, 2);
  assertHeld(await attack(engine));
});

test('the same wrong password repeated in parallel counts once: a client with an old password does not block its network', async () => {
  const engine = await engineOn('mock');
  const outs = await Promise.all(Array.from({ length: 40 }, (_, i) => engine.authenticate(login('old-password', i))));
  assert.deepEqual(new Set(outs.map((o) => o.decision)), new Set(['fail']));
  // once every request has settled, one wrong password was counted, however many were in flight together
  assert.equal(await engine.services.redis.client.get('bf:b24:198.51.100.0/24'), '1');
  const right = await engine.authenticate(login('alice-secret', 3));
  assert.equal(right.decision, 'ok', 'the right password from that network still logs in');
  // a right password does not use up the network's allowance
  assert.equal(await engine.services.redis.client.get('bf:b24:198.51.100.0/24'), '1');
});

test('many users behind one NAT: 100 parallel right passwords mixed with 4 wrong ones all log in (they wait for a slot, never refused)', async () => {
  const server = await startRedisServer();
  servers.push(server);
  for (const redis of ['mock' as const, server]) {
    const engine = await engineOn(redis);
    await engine.services.redis.client.del('bf:b24:198.51.100.0/24', 'bf:pw:198.51.0.0/16:alice', 'bf:b16:198.51.0.0/16');
    const outs = await Promise.all(Array.from({ length: 104 }, (_, i) => engine.authenticate(login(i % 26 === 0 ? `wrong-${i}` : 'alice-secret', i))));
    const right = outs.filter((_, i) => i % 26 !== 0);
    assert.deepEqual(new Set(right.map((o) => o.decision)), new Set(['ok']), `${redis === 'mock' ? 'embedded' : 'real'} Redis`);
    assert.equal(await engine.services.redis.client.get('bf:b24:198.51.100.0/24'), '4', 'the 4 wrong passwords were counted');
  }
});

test('2 worker threads, embedded Redis: a login\'s slot is free when its answer arrives (the give-back nobody waits for rides with the answer), and 100 right passwords behind one NAT all log in', async () => {
  const engine = await engineOn('mock', 2);
  const one = await engine.authenticate(login('alice-secret', 1));
  assert.equal(one.decision, 'ok');
  assert.equal(await engine.services.redis.client.zcard('{bf:b24:198.51.100.0/24}:inflight'), 0, 'no slot held after the answer');
  const outs = await Promise.all(Array.from({ length: 104 }, (_, i) => engine.authenticate(login(i % 26 === 0 ? `wrong-${i}` : 'alice-secret', i))));
  assert.deepEqual(new Set(outs.filter((_, i) => i % 26 !== 0).map((o) => o.decision)), new Set(['ok']), 'right passwords wait for a slot, never refused');
  assert.equal(await engine.services.redis.client.get('bf:b24:198.51.100.0/24'), '4', 'the 4 wrong passwords were counted');
  assert.equal(await engine.services.redis.client.zcard('{bf:b24:198.51.100.0/24}:inflight'), 0, 'every slot was counted or given back');
});

test('slots held by a process that died: a login waits one script timeout, then is a temporary failure, never a pass; lapsed slots count for nothing', async () => {
  const engine = await engineOn('mock', 0, '1s');
  const client = engine.services.redis.client;
  const slots = '{bf:b24:198.51.100.0/24}:inflight';
  // five slots (the whole allowance) taken by requests of a process that is gone, lapsing in a minute
  await client.zadd(slots, Date.now() + 60000, 'ghost-1', Date.now() + 60000, 'ghost-2', Date.now() + 60000, 'ghost-3', Date.now() + 60000, 'ghost-4', Date.now() + 60000, 'ghost-5');
  const t0 = Date.now();
  const waited = await engine.authenticate(login('alice-secret', 1));
  assert.equal(waited.decision, 'tempfail');
  assert.match(waited.error ?? '', /being verified at once/);
  assert.ok(Date.now() - t0 >= 900, 'it waited about one script timeout (1 s) for a slot');
  assert.ok(!reachedBackend(waited));
  // the same slots lapsed: they no longer hold anything
  await client.del(slots);
  await client.zadd(slots, Date.now() - 1, 'ghost-1', Date.now() - 1, 'ghost-2', Date.now() - 1, 'ghost-3', Date.now() - 1, 'ghost-4', Date.now() - 1, 'ghost-5');
  assert.equal((await engine.authenticate(login('alice-secret', 1))).decision, 'ok');
});

test('real redis-server with a key prefix: the counters and slots live under the prefix, and no slot is left behind', async () => {
  const server = await startRedisServer();
  servers.push(server);
  const dir = ws('mock');
  const text = fs.readFileSync(path.join(dir, 'authstudio.yml'), 'utf8').replace('  redis: mock', `  redis:\n    master:\n      address: ${server.address}\n    prefix: "as13:"`);
  fs.writeFileSync(path.join(dir, 'authstudio.yml'), text);
  const engine = await AuthEngine.create(loadConfigFile(path.join(dir, 'authstudio.yml')), { logger: pino({ level: 'silent' }) });
  engines.push(engine);
  const outs = await Promise.all(Array.from({ length: 120 }, (_, i) => engine.authenticate(login(i % 3 ? `guess-${i}` : 'alice-secret', i))));
  assert.ok(outs.filter((o, i) => i % 3 !== 0 && reachedBackend(o)).length <= LIMIT);
  const probe = new Redis(server.url);
  try {
    assert.equal(await probe.get('as13:bf:b24:198.51.100.0/24'), String(LIMIT));
    assert.deepEqual(await probe.keys('*inflight*'), [], 'every slot was counted or given back');
    assert.deepEqual((await probe.keys('*')).filter((k) => !k.startsWith('as13:')), [], 'nothing outside the prefix');
  } finally {
    probe.disconnect();
  }
});

/** One HTTP/1.1 request on its own raw socket; resolves with the status code. */
function rawLogin(port: number, password: string, ip: string): Promise<number> {
  const body = JSON.stringify({ username: 'alice', password, client_ip: ip, protocol: 'imap' });
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    sock.setTimeout(20000, () => sock.destroy(new Error('no answer in 20 s')));
    sock.on('connect', () => sock.write(`POST /api/v1/auth/json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`));
    sock.on('data', (d) => (buf += d.toString('latin1')));
    sock.on('end', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`not an HTTP answer: ${buf.slice(0, 200)}`));
    });
    sock.on('error', reject);
  });
}

test('serve --workers 2 with a real redis-server, 300 parallel raw-socket guesses: the backend sees at most failed_requests', async () => {
  const redis = await startRedisServer();
  servers.push(redis);
  // info: serve announces its address on that level
  const dir = ws(redis.url, 'info');
  const srv = await spawnServe(['--config', path.join(dir, 'authstudio.yml'), '--workers', '2']);
  try {
    const port = Number(new URL(srv.url).port);
    const statuses = await Promise.all(Array.from({ length: 300 }, (_, i) => rawLogin(port, `guess-${i}`, `203.0.113.${(i % 250) + 1}`)));
    assert.deepEqual(new Set(statuses), new Set([403]));
    assert.equal(await rawLogin(port, 'alice-secret', '203.0.113.77'), 403, 'the right password after the limit is refused');
    const probe = new Redis(redis.url);
    const calls = await probe.get('test:backend_calls').finally(() => probe.disconnect());
    assert.ok(Number(calls) <= LIMIT, `${calls} guesses reached the backend`);
  } finally {
    await srv.stop();
  }
});
