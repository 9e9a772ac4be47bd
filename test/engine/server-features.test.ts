// server.features (Nauthilus 1.x): only the listed protection features run; absent, each section switches its own on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfigFile } from '../../engine/config/load';
import { checkWorkspace } from '../../engine/check';
import { exportBundle } from '../../engine/studio/export';
import { startFixture, jsonLogin, FIXTURES, type EngineFixture } from '../helpers/engine-fixture';
import { errorsOf, workspace, yml } from '../helpers/config-text';

const BASIC = path.join(FIXTURES, 'ws-basic');

/** A workspace on ws-basic's scripts with a brute-force bucket of 2 and the given `features:` line (or none). */
function site(features: string | undefined, extra: string[] = []): string {
  return workspace({
    'authstudio.yml': yml(
      'server:',
      '  address: 127.0.0.1:0',
      '  backends: [lua]',
      '  redis: mock',
      ...(features === undefined ? [] : [`  features: ${features}`]),
      'brute_force:',
      '  buckets:',
      '    - { name: b24, period: 1h, cidr: 24, ipv4: true, failed_requests: 2 }',
      ...extra,
      'lua:',
      '  features:',
      '    - name: blocklist',
      `      script_path: ${path.join(BASIC, 'features', 'blocklist.lua')}`,
      '  config:',
      `    script_path: ${path.join(BASIC, 'backend', 'backend.lua')}`,
    ),
  });
}

async function withSite<T>(dir: string, f: (fx: EngineFixture) => Promise<T>): Promise<T> {
  const fx = await startFixture('', { configFile: path.join(dir, 'authstudio.yml') });
  try {
    return await f(fx);
  } finally {
    await fx.close();
  }
}

const login = (fx: EngineFixture, password: string, ip: string, extra: Record<string, string> = {}) =>
  jsonLogin(fx.app, { username: 'alice', password, client_ip: ip, protocol: 'imap', ...extra });

/** Three wrong passwords, then the right one, from one /24: the status of the right one. */
async function rightAfterGuesses(fx: EngineFixture): Promise<number> {
  for (let i = 0; i < 3; i++) assert.equal((await login(fx, `guess-${i}`, `198.51.100.${i + 1}`)).statusCode, 403);
  return (await login(fx, 'alice-secret', '198.51.100.50')).statusCode;
}

test('Nauthilus 1.10: a brute_force section that server.features does not list does not run (FileSettings.HasFeature)', async () => {
  const dir = site('[lua]');
  assert.equal(await withSite(dir, rightAfterGuesses), 200, 'not listed: no bucket blocks the right password');
  const problems = await checkWorkspace(path.join(dir, 'authstudio.yml'));
  const w = problems.find((p) => p.path === 'brute_force');
  assert.ok(w, `check names the switched-off section: ${problems.map((p) => p.message).join('\n')}`);
  assert.equal(w.severity, 'warning');
  assert.match(w.message, /server\.features does not list "brute_force"/);
  assert.equal(w.location?.line, 6, 'the warning points at the brute_force: key');
});

test('Nauthilus 1.10: brute_force listed in server.features blocks after failed_requests; without the key AuthStudio runs it by its section', async () => {
  assert.equal(await withSite(site('[brute_force, lua]'), rightAfterGuesses), 403);
  assert.equal(await withSite(site(undefined), rightAfterGuesses), 403);
});

test('Nauthilus 1.10: Lua features run only with "lua" in server.features', async () => {
  const blockedIp = '203.0.113.9';
  assert.equal((await withSite(site('brute_force'), (fx) => login(fx, 'alice-secret', blockedIp))).statusCode, 200, 'the blocklist feature does not run');
  assert.equal((await withSite(site('[brute_force, lua]'), (fx) => login(fx, 'alice-secret', blockedIp))).statusCode, 403, 'the blocklist feature triggers');
});

test('Nauthilus 1.10: tls_encryption listed without cleartext_networks refuses every login without TLS', async () => {
  await withSite(site('[tls_encryption]'), async (fx) => {
    const plain = await login(fx, 'alice-secret', '198.51.100.7');
    assert.notEqual(plain.statusCode, 200);
    assert.equal(plain.headers['auth-status'], 'TLS transport encryption required');
    assert.equal((await login(fx, 'alice-secret', '198.51.100.7', { ssl: 'on' })).statusCode, 200);
  });
});

test('Nauthilus 1.10: server.features takes one string or a list; "" is skipped; an unknown name is an error at its key with a suggestion', () => {
  const dir = site('brute_force');
  assert.deepEqual(loadConfigFile(path.join(dir, 'authstudio.yml')).server.features, ['brute_force']);
  assert.deepEqual(loadConfigFile(path.join(site('[lua, "", lua]'), 'authstudio.yml')).server.features, ['lua', 'lua']);
  const [err] = errorsOf(yml('server:', '  features: [brute_force, brute-force]'));
  assert.equal(err.path, 'server.features[1]');
  assert.equal(err.location?.line, 2);
  assert.match(err.message, /expected one of "tls_encryption", .*"brute_force".* got the string "brute-force" \(did you mean "brute_force"\?\)/);
  assert.equal(errorsOf(yml('server:', '  features: { a: 1 }'))[0].path, 'server.features');
});

test('export writes server.features for the sections AuthStudio ran, so Nauthilus 1.x runs the same protection', () => {
  const dir = site(undefined, ['cleartext_networks: [127.0.0.0/8]']);
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'as-features-')), 'bundle');
  try {
    const report = exportBundle({ configFile: path.join(dir, 'authstudio.yml'), out });
    const written = parse(fs.readFileSync(report.config, 'utf8')) as { server: { features: string[] } };
    assert.deepEqual(written.server.features, ['tls_encryption', 'lua', 'brute_force']);
    assert.ok(report.warnings.some((w) => /server\.features was added/.test(w)), report.warnings.join('\n'));
    // a list the user wrote is kept as it is
    const kept = exportBundle({ configFile: path.join(site('[brute_force]'), 'authstudio.yml'), out: `${out}-2` });
    assert.deepEqual((parse(fs.readFileSync(kept.config, 'utf8')) as { server: { features: string[] } }).server.features, ['brute_force']);
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
});
