// A known, unique password goes through success, failure, tempfail and the cache; then logs, traces, simulate output and Redis are searched for it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import Redis from 'ioredis';
import pino from 'pino';
import { loadConfigFile } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';
import { FIXTURES } from '../helpers/engine-fixture';
import { ROOT, spawnServe } from '../helpers/spawn-serve';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';

const PASSWORD = `Pw-${crypto.randomBytes(9).toString('hex')}-z`;
const WRONG = `Wr-${crypto.randomBytes(9).toString('hex')}-z`;
const CONFIG = path.join(FIXTURES, 'faults', 'secrets', 'authstudio.yml');

/** The secrets in every form a careless implementation might store or print them. */
function forms(secret: string): string[] {
  const h = (alg: string) => crypto.createHash(alg).update(secret).digest('hex');
  return [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64'), Buffer.from(`carol:${secret}`).toString('base64'), Buffer.from(secret).toString('hex'), h('md5'), h('sha1'), h('sha256'), h('sha512')];
}
const NEEDLES = [...forms(PASSWORD), ...forms(WRONG)];
const leaks = (where: string, text: string) => NEEDLES.filter((n) => text.includes(n)).map((n) => `${where} contains ${n === PASSWORD || n === WRONG ? 'the password' : `an encoding of it (${n.slice(0, 12)}...)`}`);

interface Call {
  name: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  json?: Record<string, unknown>;
  status: number;
}
const ip = '198.51.100.23';
const CALLS: Call[] = [
  { name: 'json success', url: '/api/v1/auth/json', json: { username: 'carol', password: PASSWORD, client_ip: ip, protocol: 'imap' }, status: 200 },
  { name: 'json success from the cache', url: '/api/v1/auth/json', json: { username: 'carol', password: PASSWORD, client_ip: ip, protocol: 'imap' }, status: 200 },
  { name: 'json wrong password', url: '/api/v1/auth/json', json: { username: 'carol', password: WRONG, client_ip: ip, protocol: 'imap' }, status: 403 },
  { name: 'json tempfail', url: '/api/v1/auth/json', json: { username: 'tempfail', password: PASSWORD, client_ip: ip }, status: 500 },
  { name: 'json unknown user', url: '/api/v1/auth/json', json: { username: 'dave', password: PASSWORD, client_ip: ip }, status: 403 },
  { name: 'json bad request', url: '/api/v1/auth/json', json: { username: 'carol', password: PASSWORD, client_ip: 'no-ip' }, status: 400 },
  { name: 'json GET with the password in the query', url: `/api/v1/auth/json?username=carol&password=${encodeURIComponent(PASSWORD)}&client_ip=${ip}`, method: 'GET', status: 200 },
  { name: 'json no-auth', url: '/api/v1/auth/json?mode=no-auth', json: { username: 'carol', password: PASSWORD, client_ip: ip }, status: 200 },
  { name: 'header success', url: '/api/v1/auth/header', method: 'GET', headers: { 'auth-user': 'carol', 'auth-pass': PASSWORD, 'client-ip': ip }, status: 200 },
  { name: 'header wrong password', url: '/api/v1/auth/header', method: 'GET', headers: { 'auth-user': 'carol', 'auth-pass': WRONG, 'client-ip': ip }, status: 403 },
  { name: 'basic success', url: '/api/v1/auth/basic', method: 'GET', headers: { authorization: `Basic ${Buffer.from(`carol:${PASSWORD}`).toString('base64')}` }, status: 200 },
  { name: 'nginx success', url: '/api/v1/auth/nginx', method: 'GET', headers: { 'auth-user': 'carol', 'auth-pass': encodeURIComponent(PASSWORD), 'auth-protocol': 'imap', 'client-ip': ip }, status: 200 },
  { name: 'nginx tempfail', url: '/api/v1/auth/nginx', method: 'GET', headers: { 'auth-user': 'tempfail', 'auth-pass': encodeURIComponent(PASSWORD), 'auth-protocol': 'smtp', 'client-ip': ip }, status: 200 },
];

let redis: RedisServer;
before(async () => {
  redis = await startRedisServer();
});
after(async () => {
  await redis?.stop();
});

const envFor = (prefix: string) => ({ REDIS_ADDRESS: redis.address, REDIS_PREFIX: prefix, SECRET_PASSWORD: PASSWORD });

/** Every key and value in the Redis server, as text. */
async function redisDump(): Promise<{ text: string; keys: number }> {
  const c = new Redis(redis.url);
  const out: string[] = [];
  let cursor = '0';
  let keys = 0;
  do {
    const [next, batch] = await c.scan(cursor, 'COUNT', 500);
    cursor = next;
    for (const k of batch) {
      keys++;
      const type = await c.type(k);
      const value = type === 'string' ? await c.get(k) : type === 'hash' ? await c.hgetall(k) : type === 'set' ? await c.smembers(k) : type === 'zset' ? await c.zrange(k, 0, -1, 'WITHSCORES') : type === 'list' ? await c.lrange(k, 0, -1) : type;
      out.push(`${k} ${type} ${JSON.stringify(value)}`);
    }
  } while (cursor !== '0');
  await c.quit();
  return { text: out.join('\n'), keys };
}

test('the password never reaches logs, traces, simulate output or Redis', async () => {
  // 1. `serve` as a process: stdout (JSON log lines at debug level) and stderr
  const srv = await spawnServe(['--config', path.relative(ROOT, CONFIG)], envFor('sp:'));
  const served: number[] = [];
  try {
    for (const c of CALLS) {
      const r = await fetch(`${srv.url}${c.url}`, { method: c.method ?? 'POST', headers: { ...(c.json ? { 'content-type': 'application/json' } : {}), ...c.headers }, body: c.json ? JSON.stringify(c.json) : undefined });
      served.push(r.status);
      await r.arrayBuffer();
    }
    await srv.waitFor((lines) => lines.filter((l) => l.includes('"msg":"auth"')).length >= CALLS.length - 1);
  } finally {
    assert.equal(await srv.stop(), 0);
  }
  assert.deepEqual(served, CALLS.map((c) => c.status), 'the calls had the outcomes they are meant to cover');
  const serveLog = srv.lines.join('\n') + '\n' + srv.stderr();

  // 2. in-process with event recording: the traces (lastTrace and post actions) and the engine's logger
  const logLines: string[] = [];
  const env = { ...process.env, ...envFor('si:') };
  const engine = await AuthEngine.create(loadConfigFile(CONFIG, { env }), { env, recordEvents: true, logger: pino({ level: 'debug' }, { write: (s: string) => logLines.push(s) }) });
  const app = await buildHttpApp(engine);
  const traces: string[] = [];
  let cacheHits = 0;
  try {
    for (const c of CALLS) {
      const r = await app.inject({ method: (c.method ?? 'POST') as 'GET' | 'POST', url: c.url, headers: c.headers, payload: c.json });
      assert.equal(r.statusCode, c.status, `${c.name}: ${r.body}`);
      if (r.headers['x-authstudio-cache'] === 'hit') cacheHits++;
      traces.push(r.body, JSON.stringify(r.headers));
      const out = engine.lastTrace(String(r.headers['x-nauthilus-session']));
      if (!out) continue;
      const post = await out.postActions;
      traces.push(JSON.stringify({ ...out, postActions: post }));
    }
    traces.push(await engine.services.metrics.metrics());
  } finally {
    await app.close();
    await engine.close();
  }
  assert.ok(cacheHits >= 1, 'the cache served a login');
  assert.ok(traces.some((t) => t.includes('"kind":"redis"')), 'traces recorded the scripts\' Redis commands');

  // 3. `simulate --json` prints the decision and the whole trace
  const sim = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'simulate', '--config', CONFIG, '--user', 'carol', '--password', PASSWORD, '--json', '--redis', redis.url], { env: { ...process.env, ...envFor('ss:') }, encoding: 'utf8' });
  assert.equal(sim.status, 0, sim.stderr);
  assert.equal(JSON.parse(sim.stdout).decision, 'ok');

  // 4. every key and value in Redis (three prefixes: serve, in-process, simulate)
  const dump = await redisDump();
  assert.ok(dump.text.includes('sp:cache:') && dump.text.includes('si:bf:'), 'the cache and brute-force keys were written');

  const found = [
    ...leaks('serve stdout/stderr', serveLog),
    ...leaks('engine log', logLines.join('')),
    ...leaks('traces', traces.join('\n')),
    ...leaks('simulate output', sim.stdout + sim.stderr),
    ...leaks('Redis', dump.text),
  ];
  console.log('secrets figures', JSON.stringify({ calls: CALLS.length * 2 + 1, serve_log_lines: srv.lines.length, engine_log_lines: logLines.length, traces: traces.length, redis_keys: dump.keys, needles: NEEDLES.length, found: found.length }));
  assert.deepEqual(found, []);
});
