// Pipeline worker threads: whole requests on other threads, with one engine state (embedded Redis, nauthilus_cache),
// reloads reaching every thread, and a thread that dies replaced without a login turning into a success.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { AuthEngine } from '../../engine/engine';
import { loadConfigFile } from '../../engine/config/load';
import { buildAuthRequest } from '../../engine/pipeline/auth-request';
import type { AuthStudioError } from '../../engine/errors/registry';
import { startRedisServer } from '../helpers/redis-server';
import { spawnServe } from '../helpers/spawn-serve';
import { workspace, yml } from '../helpers/config-text';

const BACKEND = (version: string) => `
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  if request.username == "alice" or request.username == "bob" then
    b:user_found(true)
    b:account_field("account")
    b:attributes({ account = request.username .. "@example.test", version = "${version}" })
    b:authenticated(request.password == request.username .. "-secret")
  end
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;
// every request leaves its session in nauthilus_cache: the list must hold them all, whichever thread served them
const FEATURE = `
local cache = require("nauthilus_cache")
local prom = require("nauthilus_prometheus")
prom.create_counter_vec("seen_logins_total", "Logins the seen feature saw", {"protocol"})
function nauthilus_call_feature(request)
  cache.cache_push("sessions", request.session)
  prom.increment_counter("seen_logins_total", { protocol = request.protocol })
  return false, false, nauthilus_builtin.FEATURE_RESULT_OK
end
`;

function ws(redis = 'mock', logLevel = 'error'): string {
  return workspace({
    'authstudio.yml': yml(
      'server:', '  address: 127.0.0.1:0', '  backends: [lua]', `  redis: ${redis}`, `  log: {level: ${logLevel}}`,
      'brute_force:', '  buckets:', '    - {name: b24, period: 10m, cidr: 24, ipv4: true, failed_requests: 3}',
      'lua:', '  features:', '    - {name: seen, script_path: ./seen.lua}', '  config:', '    backend_script_path: ./backend.lua', '    number_of_workers: 2',
    ),
    'backend.lua': BACKEND('1'),
    'seen.lua': FEATURE,
  });
}

const login = (username: string, password: string, ip = '198.51.100.7') =>
  buildAuthRequest({ username, password, client_ip: ip, protocol: 'imap' }, 'auth', 'json');

const engines: AuthEngine[] = [];
after(async () => {
  for (const e of engines) await e.close();
});

async function engineOn(dir: string, redis?: string): Promise<AuthEngine> {
  const config = loadConfigFile(path.join(dir, 'authstudio.yml'), { redisOverride: redis });
  const engine = await AuthEngine.create(config, { logger: pino({ level: 'silent' }), workers: 2 });
  engines.push(engine);
  return engine;
}

test('two worker threads answer logins; nauthilus_cache and the embedded Redis are one state for both', async () => {
  const engine = await engineOn(ws());
  assert.equal(engine.workerCount, 2);
  const outs = await Promise.all(Array.from({ length: 40 }, (_, i) => engine.authenticate(login(i % 2 ? 'alice' : 'bob', i % 2 ? 'alice-secret' : 'bob-secret', `198.51.${i}.7`))));
  assert.deepEqual(new Set(outs.map((o) => o.decision)), new Set(['ok']));
  assert.equal(outs[1].account, 'alice@example.test');
  assert.deepEqual(outs[1].trace.map((r) => r.stage), ['brute_force', 'feature', 'backend']);
  const stats = await engine.workerStats();
  assert.equal(stats.length, 2);
  // both threads compiled and used their own VMs
  for (const s of stats) assert.ok(s['backend:default'].vms >= 1, JSON.stringify(s));
  // every session pushed by either thread is in the one cache, in the main thread
  const sessions = engine.services.cache.popAll('sessions') as string[];
  assert.deepEqual(new Set(sessions), new Set(outs.map((o) => o.session)));

  // a metric scripts create counts on every thread; /metrics shows the sum
  assert.match(await engine.metricsText(), /seen_logins_total\{protocol="imap"\} 40\n/);

  // brute force: failures served by either thread count in the main thread's embedded Redis
  const fails = await Promise.all(['w1', 'w2', 'w3'].map((pw) => engine.authenticate(login('alice', pw, '203.0.113.9'))));
  assert.deepEqual(fails.map((o) => o.decision), ['fail', 'fail', 'fail']);
  assert.equal(await engine.services.redis.client.get('bf:b24:203.0.113.0/24'), '3');
  const blocked = await engine.authenticate(login('alice', 'alice-secret', '203.0.113.10'));
  assert.equal(blocked.decision, 'fail', 'the right password from a blocked network is refused');
  assert.equal(blocked.trace[0].result, 'blocked');
});

test('a reload reaches every worker; a broken script leaves all of them on the running version', async () => {
  const dir = ws();
  const engine = await engineOn(dir);
  const versions = async () => new Set((await Promise.all(Array.from({ length: 16 }, () => engine.authenticate(login('bob', 'bob-secret'))))).map((o) => o.attributes.version));
  assert.deepEqual(await versions(), new Set(['1']));
  fs.writeFileSync(path.join(dir, 'backend.lua'), BACKEND('2'));
  await engine.reload(loadConfigFile(path.join(dir, 'authstudio.yml')));
  assert.deepEqual(await versions(), new Set(['2']));
  fs.writeFileSync(path.join(dir, 'backend.lua'), 'function nauthilus_backend_verify_password(request)\n  return 0,\nend\n');
  await assert.rejects(engine.reload(loadConfigFile(path.join(dir, 'authstudio.yml'))), (e: AuthStudioError) => /backend\.lua:3:/.test(e.format()));
  assert.deepEqual(await versions(), new Set(['2']));
});

test('a worker thread that dies: its requests in flight are temporary failures, a new thread takes its place', async () => {
  const engine = await engineOn(ws());
  const workers = (engine as unknown as { workers: { slots: Array<{ worker: { terminate(): Promise<number> } }> } }).workers;
  // wrong passwords in flight while a thread dies: whatever happens to them, none may become a success
  const inFlight = Array.from({ length: 20 }, (_, i) => engine.authenticate(login('alice', `wrong-${i}`, `198.51.${i}.1`)).then((o) => o.decision, () => 'refused'));
  await workers.slots[0].worker.terminate();
  const decisions = await Promise.all(inFlight);
  assert.ok(decisions.every((d) => d === 'fail' || d === 'tempfail' || d === 'refused'), decisions.join(','));
  // the replacement starts; logins succeed again on two threads
  const deadline = Date.now() + 15000;
  while (engine.workerCount < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(engine.workerCount, 2);
  const after2 = await Promise.all(Array.from({ length: 10 }, () => engine.authenticate(login('bob', 'bob-secret'))));
  assert.deepEqual(new Set(after2.map((o) => o.decision)), new Set(['ok']));
});

test('with a real Redis each worker has its own connection and the counters land in that server', async () => {
  const redis = await startRedisServer();
  try {
    const engine = await engineOn(ws(), redis.url);
    const fails = await Promise.all(['x1', 'x2'].map((pw) => engine.authenticate(login('bob', pw, '192.0.2.55'))));
    assert.deepEqual(fails.map((o) => o.decision), ['fail', 'fail']);
    assert.equal(await engine.services.redis.client.get('bf:b24:192.0.2.0/24'), '2');
    await engine.close();
  } finally {
    await redis.stop();
  }
});

test('serve --workers 2 reloads every thread on SIGHUP and keeps serving when the new version is broken', async () => {
  const dir = ws('mock', 'info');
  const srv = await spawnServe(['--config', path.join(dir, 'authstudio.yml'), '--workers', '2']);
  const version = async () => {
    const r = await fetch(`${srv.url}/api/v1/auth/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7', protocol: 'imap' }) });
    assert.equal(r.status, 200);
    return ((await r.json()) as { attributes: { version: string } }).attributes.version;
  };
  try {
    assert.equal(await version(), '1');
    fs.writeFileSync(path.join(dir, 'backend.lua'), BACKEND('2'));
    srv.child.kill('SIGHUP');
    const deadline = Date.now() + 10000;
    let seen = new Set<string>();
    while (Date.now() < deadline) {
      seen = new Set(await Promise.all(Array.from({ length: 8 }, version)));
      if (seen.size === 1 && seen.has('2')) break;
    }
    assert.deepEqual(seen, new Set(['2']));
    fs.writeFileSync(path.join(dir, 'authstudio.yml'), fs.readFileSync(path.join(dir, 'authstudio.yml'), 'utf8').replace('backends: [lua]', 'backends: [lua]\n  no_such_key: 1'));
    srv.child.kill('SIGHUP');
    await srv.waitFor((lines) => lines.some((l) => l.includes('reload refused') && l.includes('no_such_key')));
    assert.equal(await version(), '2');
  } finally {
    assert.equal(await srv.stop(), 0, srv.stderr());
  }
});
