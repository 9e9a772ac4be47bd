// SIGTERM to `authstudio serve` under load: requests in flight finish with correct answers, new ones are refused, exit code 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnServe, type ServeProcess } from '../helpers/spawn-serve';

interface Answer {
  status?: number;
  body?: string;
  auth?: string;
  /** Socket error code when there was no HTTP answer. */
  error?: string;
}

function post(url: string, fields: Record<string, string>, agent: http.Agent | false): Promise<Answer> {
  const body = JSON.stringify(fields);
  return new Promise((resolve) => {
    const req = http.request(`${url}/api/v1/auth/json`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, body: text, auth: res.headers['auth-status'] as string | undefined }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(body);
  });
}

/** Requests inside the engine right now (GET /healthz). */
async function inFlight(url: string): Promise<number> {
  const r = await fetch(`${url}/healthz`);
  return ((await r.json()) as { in_flight: number }).in_flight;
}

/** Exit code (or signal) of the process; `ms` bounds the wait (undefined: it did not exit in time). */
function exited(srv: ServeProcess, ms: number): Promise<number | string | null | undefined> {
  const c = srv.child;
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode ?? c.signalCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    c.once('exit', (code, sig) => {
      clearTimeout(t);
      resolve(code ?? sig);
    });
  });
}

const N = 48;
const fields = (i: number) => ({ username: i % 3 === 0 ? 'bob' : 'alice', password: i % 4 === 0 ? 'wrong-password' : i % 3 === 0 ? 'bob-secret' : 'alice-secret', client_ip: '198.51.100.7' });
const want = (i: number) => (i % 4 === 0 ? 403 : 200);

/** Start serve, put N requests in flight (each waits 1.5 s in the backend), send one SIGTERM. */
async function termUnderLoad(agent: http.Agent | false, warm?: http.Agent) {
  const srv = await spawnServe(['--config', 'test/fixtures/faults/slow/authstudio.yml']);
  // an idle kept-alive connection, open when the SIGTERM comes
  if (warm) assert.equal((await post(srv.url, fields(1), warm)).status, 200);
  const inflight = Array.from({ length: N }, (_, i) => post(srv.url, fields(i), agent));
  const deadline = performance.now() + 10_000;
  let busy = 0;
  while ((busy = await inFlight(srv.url)) < N) {
    if (performance.now() > deadline) assert.fail(`only ${busy} of ${N} requests reached the engine within 10 s`);
    await new Promise((r) => setImmediate(r));
  }
  srv.child.kill('SIGTERM');
  const t0 = performance.now();
  return { srv, inflight, t0 };
}

function assertAnswers(answers: Answer[]): void {
  answers.forEach((a, i) => {
    assert.equal(a.error, undefined, `request ${i} lost its answer`);
    assert.equal(a.status, want(i), `request ${i}`);
    assert.equal(JSON.parse(a.body!).ok, want(i) === 200, `request ${i} body`);
    assert.equal(a.auth, want(i) === 200 ? 'OK' : 'Invalid login or password');
  });
}

test('SIGTERM during load: in-flight requests get complete, correct answers; new ones are refused; exit code 0', { timeout: 60_000 }, async () => {
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const { srv, inflight, t0 } = await termUnderLoad(false, keepAlive);
  try {
    await srv.waitFor((lines) => lines.some((l) => l.includes('shutting down')));
    // while the server drains, new requests (new connections and a kept-alive one) get no decision
    const late: Answer[] = [];
    let draining = true;
    const all = Promise.all(inflight).finally(() => (draining = false));
    const stopBy = performance.now() + 20_000;
    while (draining && performance.now() < stopBy) {
      late.push(await post(srv.url, fields(1), false));
      late.push(await post(srv.url, fields(1), keepAlive));
      await new Promise((r) => setTimeout(r, 10)); // pacing the probes, not waiting for anything
    }
    const answers = await all;
    const answeredMs = performance.now() - t0;
    // one SIGTERM only: a second one (srv.stop()) is the operator forcing the exit
    const code = await exited(srv, 10_000);
    const exitMs = performance.now() - t0;

    assert.equal(code, 0, `exit code after SIGTERM; stderr: ${srv.stderr()}`);
    assertAnswers(answers);
    assert.ok(late.length >= 2);
    for (const l of late) assert.ok(l.error !== undefined || l.status === 503, `a request after SIGTERM was served: ${JSON.stringify(l)}`);
    const authLines = srv.lines.filter((l) => l.includes('"msg":"auth"'));
    assert.equal(authLines.length, N + 1, 'one log line per answered request (and the warm-up), none for refused ones');
    console.log('sigterm figures', JSON.stringify({
      in_flight: N, answered: answers.length, answered_ms: Math.round(answeredMs), exit_ms: Math.round(exitMs),
      late: late.length, late_outcomes: [...new Set(late.map((l) => l.error ?? l.status))], exit_code: code,
    }));
  } finally {
    keepAlive.destroy();
    if (srv.child.exitCode === null) srv.child.kill('SIGKILL');
  }
});

test('SIGTERM with keep-alive clients in flight: the process exits soon after the last answer', { timeout: 60_000 }, async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const { srv, inflight, t0 } = await termUnderLoad(agent);
  try {
    assertAnswers(await Promise.all(inflight));
    const code = await exited(srv, 3000);
    console.log('sigterm keep-alive figures', JSON.stringify({ exit_ms: code === undefined ? 'none within 3 s of the last answer' : Math.round(performance.now() - t0), exit_code: code }));
    assert.equal(code, 0, 'no exit within 3 s of the last answer');
  } finally {
    agent.destroy();
    if (srv.child.exitCode === null) srv.child.kill('SIGKILL');
  }
});
