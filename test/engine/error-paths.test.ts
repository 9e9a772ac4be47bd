// Errors and timeouts in each stage are temporary failures (never success) and the engine keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';

let fx: EngineFixture;
before(async () => {
  fx = await startFixture('ws-basic');
});
after(async () => {
  await fx.close();
});

async function expectTempfail(username: string, stage: string, error: RegExp) {
  const res = await jsonLogin(fx.app, { username, password: 'x', client_ip: '198.51.100.7' });
  assert.equal(res.statusCode, 500, `${username} must be a temporary failure`);
  assert.equal(res.headers['auth-status'], 'Temporary server problem, try again later');
  assert.notEqual(res.json().ok, true);
  const out = fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))!;
  const rec = out.trace.find((r) => r.result === 'error');
  assert.ok(rec, 'the trace has the failing stage');
  assert.equal(rec.stage, stage);
  assert.match(rec.error ?? '', error);
  // the engine keeps serving after the failure
  const ok = await jsonLogin(fx.app, { username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' });
  assert.equal(ok.statusCode, 200);
}

test('runtime error in a feature', () => expectTempfail('feature-error', 'feature', /^test\/fixtures\/ws-basic\/features\/faults\.lua:5: attempt to index a nil value/));
test('endless loop in a feature times out', () => expectTempfail('feature-loop', 'feature', /faults\.lua(:8)?: the script ran longer than lua_script_timeout/)); // :8 when the count hook stopped it there
test('runtime error in the backend', () => expectTempfail('backend-error', 'backend', /backend\/backend\.lua:\d+: database unreachable/));
test('endless loop in the backend times out', () => expectTempfail('backend-loop', 'backend', /lua_script_timeout/));
test('runtime error in a filter', () => expectTempfail('filter-error', 'filter', /filters\/no_pop3_for_bob\.lua:4: policy service down/));

test('an error in a post action does not change the decision', async () => {
  const res = await jsonLogin(fx.app, { username: 'post-error', password: 'x', client_ip: '198.51.100.7' });
  assert.equal(res.statusCode, 403);
  const post = await fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))!.postActions;
  assert.equal(post[0].result, 'error');
});

test('broken VMs are replaced and concurrent requests are all answered correctly', async () => {
  const users = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 'feature-error' : i % 3 === 1 ? 'alice' : 'bob'));
  const results = await Promise.all(users.map((u) =>
    jsonLogin(fx.app, { username: u, password: u === 'alice' ? 'alice-secret' : u === 'bob' ? 'bob-secret' : 'x', client_ip: '198.51.100.7' })));
  results.forEach((r, i) => assert.equal(r.statusCode, users[i] === 'feature-error' ? 500 : 200, `request ${i} (${users[i]})`));
  assert.ok(fx.engine.poolStats().features.replaced >= 20);
});

test('a looping script does not stall other requests: it yields to them while it runs', async () => {
  const loop = jsonLogin(fx.app, { username: 'feature-loop', password: 'x', client_ip: '198.51.100.7' });
  // let the loop start, then measure a good login served while it spins
  await new Promise((resolve) => setImmediate(resolve));
  const t0 = performance.now();
  const ok = await jsonLogin(fx.app, { username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' });
  const waited = performance.now() - t0;
  assert.equal(ok.statusCode, 200);
  assert.equal((await loop).statusCode, 500);
  assert.ok(waited < 300, `a good login waited ${Math.round(waited)} ms behind a looping script (timeout 500 ms)`);
});
