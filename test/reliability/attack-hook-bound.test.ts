// Finding 16 (issue 13): custom hooks obey server.max_concurrent_requests. With the limit reached, a further hook
// call is refused at once (503 AS_ERR_POOL_BUSY with Retry-After) instead of queueing without bound.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { FIXTURES, jsonLogin, startFixture, type EngineFixture } from '../helpers/engine-fixture';
import { startHttpServer, type TestHttpServer } from '../helpers/http-server';

let fx: EngineFixture;
let slow: TestHttpServer;
const held: ServerResponse[] = [];
let arrived: () => void = () => undefined;

before(async () => {
  slow = await startHttpServer((_req, res) => {
    held.push(res);
    arrived();
  });
  fx = await startFixture('attack-access', { configFile: path.join(FIXTURES, 'attack-access', 'hooks.yml'), env: { HANG_URL: `${slow.url}/hang` } });
});
after(async () => {
  for (const res of held.splice(0)) res.end('late');
  await fx?.close();
  await slow?.close();
});

/** Resolves once `n` hook calls wait on the slow server (they are all in flight). */
const heldCount = (n: number) => new Promise<void>((resolve) => {
  arrived = () => held.length >= n && resolve();
  arrived();
});

/** The answer, or 'no answer' when none came within `ms`. */
async function within<T>(ms: number, p: Promise<T>): Promise<T | 'no answer'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'no answer'>((resolve) => { timer = setTimeout(() => resolve('no answer'), ms); });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

const hook = (location: string) => fx.app.inject({ method: 'GET', url: `/api/v1/custom/${location}` });

test('with max_concurrent_requests (3) hook calls in flight, a further hook call gets 503 at once; logins still work; the limit frees up', async () => {
  const first = [hook('hang'), hook('hang'), hook('hang')];
  await heldCount(3);

  for (const location of ['hang', 'echo']) {
    const extra = await within(2000, hook(location));
    assert.notEqual(extra, 'no answer', `a hook call (${location}) waited behind the ones in flight instead of being refused`);
    if (extra === 'no answer') return;
    assert.equal(extra.statusCode, 503, extra.body);
    assert.equal(extra.json().error, 'AS_ERR_POOL_BUSY');
    assert.match(extra.json().message, /max_concurrent_requests/);
    assert.equal(extra.headers['retry-after'], '1');
  }

  // hooks do not take the logins' share
  const login = await within(2000, jsonLogin(fx.app, { username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' }));
  assert.notEqual(login, 'no answer');
  if (login !== 'no answer') assert.equal(login.statusCode, 200, login.body);

  for (const res of held.splice(0)) res.end('done');
  for (const r of await Promise.all(first)) {
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().reached, 'hook-ran');
  }
  const after = await hook('echo');
  assert.equal(after.statusCode, 200, after.body);
});
