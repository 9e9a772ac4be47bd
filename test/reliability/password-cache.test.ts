// The password cache never answers for another account: entries are per exact login name (a found defect, fixed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';

let fx: EngineFixture;
before(async () => {
  fx = await startFixture('faults/input');
});
after(async () => {
  await fx?.close();
});

const login = async (username: string, password: string) => {
  const r = await jsonLogin(fx.app, { username, password, client_ip: '198.51.100.7' });
  return `${r.statusCode} ${r.headers['auth-user'] ?? '-'} ${r.headers['x-authstudio-cache'] ?? 'backend'}`;
};

test('"carol" and "Carol" are two accounts: neither logs in with the other\'s cached password, no case variant hits the cache', async () => {
  assert.equal(await login('carol', 'carol-password'), '200 carol@example.test backend');
  assert.equal(await login('carol', 'carol-password'), '200 carol@example.test hit');
  assert.equal(await login('Carol', 'Carol-password'), '200 Carol@example.test backend');
  // before the fix both entries shared the key "carol": the last login answered for both names
  assert.equal(await login('carol', 'Carol-password'), '403 - backend');
  assert.equal(await login('Carol', 'carol-password'), '403 - backend');
  assert.equal(await login('CAROL', 'Carol-password'), '403 - backend');
  assert.equal(await login('ALICE', 'alice-secret'), '403 - backend');
  assert.equal(await login('carol', 'carol-password'), '200 carol@example.test hit');
  assert.equal(await login('Carol', 'Carol-password'), '200 Carol@example.test hit');
});

test('cache/flush by login name or account removes the entries of every case variant', async () => {
  const token = (await fx.app.inject({ method: 'POST', url: '/api/v1/jwt/token', payload: { username: 'admin', password: 'admin-password' } })).json().token;
  const flush = await fx.app.inject({ method: 'DELETE', url: '/api/v1/cache/flush', headers: { authorization: `Bearer ${token}` }, payload: { user: 'carol' } });
  assert.equal(flush.statusCode, 200);
  assert.equal(flush.json().removed, 2);
  assert.equal(await login('carol', 'carol-password'), '200 carol@example.test backend');
  assert.equal(await login('Carol', 'Carol-password'), '200 Carol@example.test backend');
});
