// auth.backends.order of a Nauthilus 3.x config through the engine: the in-memory `test` backend served as Nauthilus
// v3.0.1 core/test_backend.go does it; ldap, remote and Go plugin backends left out with a warning. Our own configs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';
import { workspace, yml } from '../helpers/config-text';
import { checkWorkspace } from '../../engine/check';

const TEST_ONLY = yml(
  'runtime:',
  '  servers:',
  '    http:',
  '      address: 127.0.0.1:0',
  'auth:',
  '  backends:',
  '    order: [test]',
  '  controls:',
  '    enabled: []',
);

async function withEngine<T>(text: string, fn: (fx: EngineFixture) => Promise<T>): Promise<T> {
  const dir = workspace({ 'authstudio.yml': text });
  const fx = await startFixture('', { configFile: path.join(dir, 'authstudio.yml') });
  try {
    return await fn(fx);
  } finally {
    await fx.close();
  }
}

test('Nauthilus 3.0: the test backend finds every name; the first password a name logs in with is its password', async () => {
  await withEngine(TEST_ONLY, async (fx) => {
    const first = await jsonLogin(fx.app, { username: 'zoe', password: 'first-pw', protocol: 'imap', client_ip: '192.0.2.1' });
    assert.equal(first.statusCode, 200, 'a new name takes the password it came with');
    assert.equal(first.headers['auth-user'], 'zoe', 'the account is the login name (uid)');
    const again = await jsonLogin(fx.app, { username: 'zoe', password: 'first-pw', protocol: 'imap', client_ip: '192.0.2.1' });
    assert.equal(again.statusCode, 200);
    const other = await jsonLogin(fx.app, { username: 'zoe', password: 'other-pw', protocol: 'imap', client_ip: '192.0.2.1' });
    assert.equal(other.statusCode, 403, 'later logins must repeat the first password');
    const trace = fx.engine.lastTrace(String(other.headers['x-nauthilus-session']))?.trace ?? [];
    assert.deepEqual(trace.filter((t) => t.stage === 'backend').map((t) => [t.name, t.result]), [['test', 'not_authenticated']]);

    const lookup = await jsonLogin(fx.app, { username: 'yann', protocol: 'imap', client_ip: '192.0.2.1' }, '?mode=no-auth');
    assert.equal(lookup.statusCode, 200, 'a no-auth lookup finds any name');
    const list = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/json?mode=list-accounts', headers: { accept: 'application/json' } });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json(), ['yann', 'zoe'], 'list-accounts: every name seen, sorted');
  });
});

test('Nauthilus 3.0: a test backend in a 1.x server.backends is refused naming the key', async () => {
  const dir = workspace({ 'authstudio.yml': yml('server:', '  backends: [test]') });
  const problems = await checkWorkspace(path.join(dir, 'authstudio.yml'));
  assert.deepEqual(problems.map((p) => [p.severity, p.path, p.location?.line]), [['error', 'server.backends[0]', 2]]);
  assert.match(problems[0].message, /expected one of "cache", "lua" at server\.backends\[0\], got the string "test"/);
});

test('Nauthilus 3.0/3.1: ldap, remote and plugin backends in the order are left out with a warning each; check passes', async () => {
  const dir = workspace({
    'authstudio.yml': yml(
      'auth:',
      '  backends:',
      '    order: [cache, "ldap(primary)", remote, "plugin(accounts.passdb)", test]',
      '    ldap:',
      '      default: { server_uri: ["ldap://127.0.0.1:1"], lookup_pool_size: 1, lookup_idle_pool_size: 1, auth_pool_size: 1, auth_idle_pool_size: 1 }',
      '  controls:',
      '    lua:',
      '      actions: [{ type: brute_force, name: header, script_path: ./none.lua }]',
      '    brute_force:',
      '      allowlist: { monitoring: [192.0.2.0/24] }',
      '      protocols: [imap]',
    ),
  });
  const problems = await checkWorkspace(path.join(dir, 'authstudio.yml'));
  assert.ok(problems.every((p) => p.severity === 'warning'), problems.map((p) => p.message).join('\n'));
  const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
  assert.match(byPath['auth.backends.order[1]'], /backend "ldap\(primary\)" is not served by AuthStudio \(the LDAP password backend.*\): left out of the order/);
  assert.match(byPath['auth.backends.order[2]'], /backend "remote" is not served by AuthStudio \(a remote Nauthilus authority over gRPC\)/);
  assert.match(byPath['auth.backends.order[3]'], /backend "plugin\(accounts\.passdb\)" is not served by AuthStudio \(a Nauthilus 3\.1 Go plugin backend\)/);
  assert.match(byPath['auth.controls.lua.actions'], /not a key of Nauthilus 3\.x .*: ignored/);
  assert.match(byPath['auth.controls.brute_force'], /no "buckets": brute force counts nothing \(Nauthilus 3\.0 refuses this section without buckets/);
  assert.equal(problems.length, 5);
});

test('Nauthilus 3.0: an order with no backend AuthStudio serves says every login is a temporary failure', async () => {
  const dir = workspace({ 'authstudio.yml': yml('auth:', '  backends:', '    order: [cache, remote]') });
  const problems = await checkWorkspace(path.join(dir, 'authstudio.yml'));
  assert.ok(problems.every((p) => p.severity === 'warning'));
  assert.deepEqual(problems.map((p) => [p.path, p.location?.line]), [['auth.backends.order[1]', 3], ['auth.backends.order', 3]]);
  assert.match(problems[1].message, /no backend AuthStudio serves is left: every login is a temporary failure/);
});
