// Attack: Redis frozen (SIGSTOP) under load against `authstudio serve` (issue 13, finding 14): requests bounded by the command timeout, SIGTERM bounded by the shutdown timeout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import Redis from 'ioredis';
import { spawnServe, type ServeProcess } from '../helpers/spawn-serve';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { TEMPFAIL_MESSAGE } from '../../engine/pipeline/pipeline';

let redis: RedisServer;
let srv: ServeProcess | undefined;
let frozen = false;

before(async () => {
  redis = await startRedisServer();
});
after(async () => {
  if (frozen) process.kill(redis.pid, 'SIGCONT');
  if (srv && srv.child.exitCode === null && srv.child.signalCode === null) srv.child.kill('SIGKILL');
  await redis?.stop();
});

interface Answer {
  /** ok | fail | tempfail | hang | error:<code> | other:<status> */
  decision: string;
  ms: number;
}

/** One JSON login; a request still unanswered after 20 s counts as a hang. */
function login(url: string, username: string, password: string, i: number): Promise<Answer> {
  const body = JSON.stringify({ username, password, client_ip: `198.51.100.${i % 250}`, protocol: 'imap' });
  const t0 = performance.now();
  return new Promise((resolve) => {
    const done = (decision: string) => resolve({ decision, ms: Math.round(performance.now() - t0) });
    const req = http.request(`${url}/api/v1/auth/json`, { method: 'POST', agent: false, timeout: 20_000, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => {
        const s = res.statusCode;
        done(s === 200 ? 'ok' : s === 403 ? 'fail' : s === 500 && res.headers['auth-status'] === TEMPFAIL_MESSAGE ? 'tempfail' : `other:${s}`);
      });
    });
    req.on('timeout', () => {
      req.destroy();
      done('hang');
    });
    req.on('error', (e: NodeJS.ErrnoException) => done(`error:${e.code ?? e.message}`));
    req.end(body);
  });
}

function exited(s: ServeProcess, ms: number): Promise<number | string | null | undefined> {
  const c = s.child;
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode ?? c.signalCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    c.once('exit', (code, sig) => {
      clearTimeout(t);
      resolve(code ?? sig);
    });
  });
}

const freeze = () => {
  process.kill(redis.pid, 'SIGSTOP');
  frozen = true;
};

test('Redis frozen under load: every request a temporary failure within the 5 s command timeout (none waits for several), SIGTERM ends within --shutdown-timeout naming the abandoned post actions', { timeout: 60_000 }, async () => {
  srv = await spawnServe(['--config', 'test/fixtures/faults/attack-frozen/authstudio.yml', '--shutdown-timeout', '6s'], { REDIS_ADDRESS: redis.address, REDIS_PREFIX: `af-${process.pid}:` });
  const url = srv.url;
  assert.equal((await login(url, 'alice', 'alice-secret', 1)).decision, 'ok');
  // a post action that will still be running at shutdown (it sleeps 25 s, lua_script_timeout is 30 s)
  assert.equal((await login(url, 'slowpost', 'x', 2)).decision, 'fail');

  // 64 concurrent logins on 2 VMs per pool while nothing answers from Redis
  freeze();
  const answers = await Promise.all(Array.from({ length: 64 }, (_, i) => login(url, i % 2 ? 'alice' : 'bob', i % 3 ? (i % 2 ? 'alice-secret' : 'bob-secret') : 'wrong', i + 10)));
  const worst = Math.max(...answers.map((a) => a.ms));
  const decisions = answers.reduce<Record<string, number>>((m, a) => ((m[a.decision] = (m[a.decision] ?? 0) + 1), m), {});
  console.log('frozen redis figures', JSON.stringify({ decisions, worst_ms: worst }));
  // the scripts go on after Redis errors: right answers (the users are in memory) or temporary failures, never a wrong success
  assert.deepEqual(answers.filter((a, i) => a.decision !== 'tempfail' && a.decision !== (i % 3 ? 'ok' : 'fail')).map((a) => a.decision), []);
  // the documented bound: the command timeout (5 s) once per request, plus scheduling slack
  assert.ok(worst < 7000, `a request took ${worst} ms with Redis frozen`);

  // Redis answers again: the engine uses it again at once (the backend counts the lookup in Redis)
  process.kill(redis.pid, 'SIGCONT');
  frozen = false;
  const probe = new Redis(redis.port, '127.0.0.1', { lazyConnect: true });
  try {
    const key = `af-${process.pid}:lookups:alice`;
    const before = Number(await probe.get(key));
    const t1 = performance.now();
    let back: Answer | undefined;
    while (performance.now() - t1 < 3000 && Number(await probe.get(key)) === before) back = await login(url, 'alice', 'alice-secret', 7);
    assert.equal(back?.decision, 'ok');
    assert.ok(Number(await probe.get(key)) > before, 'the backend did not reach Redis within 3 s after SIGCONT');
  } finally {
    probe.disconnect();
  }

  // SIGTERM with Redis frozen again, 32 logins in flight and a post action that runs on
  freeze();
  const inflight = Array.from({ length: 32 }, (_, i) => login(url, 'alice', 'alice-secret', i + 100));
  const before = srv.lines.length;
  await srv.waitFor((lines) => lines.slice(before).some((l) => l.includes('"msg":"auth"')) || lines.length > before + 5, 10_000).catch(() => undefined);
  const t0 = performance.now();
  srv.child.kill('SIGTERM');
  const code = await exited(srv, 15_000);
  const took = Math.round(performance.now() - t0);
  const late = await Promise.all(inflight);
  console.log('frozen redis shutdown', JSON.stringify({ code, took_ms: took, answers: late.map((a) => a.decision).filter((d, i, all) => all.indexOf(d) === i) }));
  console.log(srv.lines.filter((l) => /shut|abandon/.test(l)).join('\n'));
  assert.notEqual(code, undefined, 'serve did not exit within 15 s of SIGTERM');
  assert.ok(took < 8000, `shutdown took ${took} ms (--shutdown-timeout 6s)`);
  // requests in flight were answered (bounded by the command timeout), none as a success they were not
  assert.deepEqual(late.filter((a) => !['tempfail', 'ok', 'other:503', 'error:ECONNREFUSED', 'error:ECONNRESET'].includes(a.decision)), []);
  const abandoned = srv.lines.find((l) => /abandoned/.test(l));
  assert.ok(abandoned && /"abandoned_post_actions":1\b/.test(abandoned), `a log line names the abandoned post actions: ${abandoned ?? srv.lines.slice(-5).join('\n')}`);
});
