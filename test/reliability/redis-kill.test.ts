// Redis killed (SIGKILL) or frozen (SIGSTOP) under load: every affected request is a temporary failure, none a success; Redis back -> the engine recovers alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type EngineFixture } from '../helpers/engine-fixture';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { TEMPFAIL_MESSAGE } from '../../engine/pipeline/pipeline';

let redis: RedisServer;
let fx: EngineFixture;
const PREFIX = 'rk:';

before(async () => {
  redis = await startRedisServer();
  fx = await startFixture('faults/redis', { env: { REDIS_ADDRESS: redis.address, REDIS_PREFIX: PREFIX } });
});
after(async () => {
  await fx?.close();
  await redis?.stop();
});

type Kind = 'good' | 'wrong' | 'nginx-good' | 'nginx-wrong';
interface Sample {
  kind: Kind;
  start: number;
  end: number;
  /** ok | fail | tempfail | other:<status> */
  decision: string;
  /** Why a json request was a temporary failure (from the engine's trace). */
  error?: string;
}

const KINDS: Kind[] = ['good', 'wrong', 'nginx-good', 'nginx-wrong'];

async function one(kind: Kind, i: number): Promise<Sample> {
  const start = performance.now();
  const ip = `198.51.100.${i % 250}`;
  const password = kind.endsWith('good') ? 'alice-secret' : `wrong-${i}`;
  let decision: string;
  if (kind.startsWith('nginx')) {
    const r = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/nginx', headers: { 'auth-user': 'alice', 'auth-pass': password, 'client-ip': ip, 'auth-protocol': 'imap' } });
    const status = String(r.headers['auth-status']);
    decision = r.statusCode !== 200 ? `other:${r.statusCode}` : status === 'OK' ? 'ok' : status === TEMPFAIL_MESSAGE ? 'tempfail' : status === 'Invalid login or password' ? 'fail' : `other:${status}`;
  } else {
    const r = await fx.app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: { username: 'alice', password, client_ip: ip, protocol: 'imap' } });
    decision = r.statusCode === 200 ? 'ok' : r.statusCode === 403 ? 'fail' : r.statusCode === 500 && r.headers['auth-status'] === TEMPFAIL_MESSAGE ? 'tempfail' : `other:${r.statusCode}`;
    if (decision === 'tempfail') return { kind, start, end: performance.now(), decision, error: fx.engine.lastTrace(String(r.headers['x-nauthilus-session']))?.error };
  }
  return { kind, start, end: performance.now(), decision };
}

/** `workers` loops sending requests of every kind until stop() is called. */
function load(workers: number) {
  const samples: Sample[] = [];
  let running = true;
  let n = 0;
  const loops = Array.from({ length: workers }, async (_, w) => {
    while (running) {
      const i = n++;
      samples.push(await one(KINDS[(i + w) % KINDS.length], i));
    }
  });
  return { samples, stop: async () => { running = false; await Promise.all(loops); } };
}

const expected = (k: Kind) => (k.endsWith('good') ? 'ok' : 'fail');
const nextTick = () => new Promise((r) => setImmediate(r));
const until = async (pred: () => boolean, ms: number) => {
  const t0 = performance.now();
  while (!pred()) {
    if (performance.now() - t0 > ms) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
};

test('Redis killed during load: no success while it is down, recovery without restart after it returns', { timeout: 60_000 }, async () => {
  const l = load(32);
  // healthy phase: a few hundred correct answers
  assert.ok(await until(() => l.samples.length >= 200, 10_000), 'healthy load did not run');
  const tKill = performance.now();
  await redis.kill();
  const tKilled = performance.now();
  // keep the load on for 2 s without Redis
  await new Promise((r) => setTimeout(r, 2000));
  const tRestart = performance.now();
  await redis.restart();
  const tBack = performance.now();
  // recovery: the first request started after Redis answered again that succeeds
  const recovered = await until(() => l.samples.some((s) => s.start > tBack && s.decision === 'ok'), 10_000);
  const tRecovered = performance.now();
  await until(() => l.samples.filter((s) => s.start > tRecovered).length >= 200, 10_000);
  await l.stop();
  await nextTick();

  const healthy = l.samples.filter((s) => s.end < tKill);
  const overlapping = l.samples.filter((s) => s.start < tKilled && s.end >= tKill);
  const down = l.samples.filter((s) => s.start >= tKilled && s.end <= tRestart);
  const after = l.samples.filter((s) => s.start > tRecovered);
  const count = (list: Sample[]) => list.reduce<Record<string, number>>((m, s) => ((m[s.decision] = (m[s.decision] ?? 0) + 1), m), {});
  const report = {
    total: l.samples.length, healthy: count(healthy), overlapping: count(overlapping), down: count(down), after: count(after),
    recovery_ms: Math.round(tRecovered - tBack), restart_ms: Math.round(tBack - tRestart),
    max_down_latency_ms: Math.round(Math.max(...down.map((s) => s.end - s.start))),
  };
  console.log('redis-kill figures', JSON.stringify(report));
  const reasons = [...new Set(l.samples.map((s) => s.error?.replace(/\d+/g, 'N')).filter(Boolean))];
  console.log('tempfail reasons', JSON.stringify(reasons));

  // never a success for a wrong password, whatever Redis did
  assert.deepEqual(l.samples.filter((s) => !s.kind.endsWith('good') && s.decision === 'ok'), []);
  // nothing but ok / fail / tempfail
  assert.deepEqual(l.samples.filter((s) => !['ok', 'fail', 'tempfail'].includes(s.decision)), []);
  // healthy and recovered: every answer correct
  assert.ok(healthy.length >= 100 && after.length >= 200);
  assert.deepEqual(healthy.filter((s) => s.decision !== expected(s.kind)), []);
  assert.deepEqual(after.filter((s) => s.decision !== expected(s.kind)), []);
  // Redis down: every request is a temporary failure (500 / nginx tempfail text), none a success or a plain failure
  assert.ok(down.length >= 16, `only ${down.length} requests while Redis was down`);
  assert.deepEqual(down.filter((s) => s.decision !== 'tempfail').map((s) => `${s.kind}:${s.decision}`), []);
  // requests cut by the kill or the restart: the correct answer or a temporary failure (the data does not depend on Redis)
  assert.deepEqual(l.samples.filter((s) => s.decision !== 'tempfail' && s.decision !== expected(s.kind)), []);
  // the log and trace say Redis failed, not a TypeError from an unchecked reply
  assert.ok(reasons.length > 0 && reasons.every((r) => /max retries|Connection is closed|Command timed out|ECONNREFUSED|lua_script_timeout/i.test(r!)), JSON.stringify(reasons));
  assert.ok(recovered, 'no successful login within 10 s after Redis came back');
  assert.ok(tRecovered - tBack < 5000, `recovery took ${Math.round(tRecovered - tBack)} ms`);
  // the same engine (no restart, no reload) and it reports itself healthy again
  assert.equal(fx.engine.generation, 1);
  assert.equal((await fx.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});

test('Redis frozen (SIGSTOP: connections stay open, nothing answers): requests tempfail within the default command timeout, then recover', { timeout: 60_000 }, async () => {
  const ok = await one('good', 1);
  assert.equal(ok.decision, 'ok');
  process.kill(redis.pid, 'SIGSTOP');
  let frozen: Sample[];
  try {
    const healthz = fx.app.inject({ method: 'GET', url: '/healthz' });
    frozen = await Promise.all([one('good', 2), one('wrong', 3), one('nginx-good', 4), one('nginx-wrong', 5)]);
    const health = await healthz;
    assert.equal(health.statusCode, 503);
    assert.equal(health.json().status, 'degraded');
  } finally {
    process.kill(redis.pid, 'SIGCONT');
  }
  const ms = frozen.map((s) => Math.round(s.end - s.start));
  console.log('redis-frozen figures', JSON.stringify({ decisions: frozen.map((s) => s.decision), latency_ms: ms }));
  assert.deepEqual(frozen.map((s) => s.decision), ['tempfail', 'tempfail', 'tempfail', 'tempfail']);
  // DEFAULT_COMMAND_TIMEOUT_MS (5 s) plus slack; before the fix these requests never ended
  for (const m of ms) assert.ok(m < 7000, `a request took ${m} ms`);
  const t0 = performance.now();
  let back: Sample | undefined;
  while (performance.now() - t0 < 5000 && back?.decision !== 'ok') back = await one('good', 6);
  assert.equal(back?.decision, 'ok', 'no recovery after SIGCONT');
});
