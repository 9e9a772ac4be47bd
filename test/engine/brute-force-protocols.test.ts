// Which protocols brute force applies to in a 1.x file. Nauthilus 1.10 (core/bruteforce.go) checks and counts brute
// force only for the protocols in server.brute_force_protocols, none without it; AuthStudio reads the list, checks
// every protocol when a file has none (warned by check), and export/convert write the list out.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';
import { v3LuaBackendHead, workspace, yml } from '../helpers/config-text';
import { loadConfigFile } from '../../engine/config/load';
import { exportBundle } from '../../engine/studio/export';
import { convertConfigText } from '../../engine/config/convert/convert';

const BACKEND = yml('function nauthilus_backend_verify_password(request)', '  local b = nauthilus_backend_result.new()',
  '  b:user_found(request.username == "alice")', '  b:authenticated(request.username == "alice" and request.password == "alice-secret")',
  '  return nauthilus_builtin.BACKEND_RESULT_OK, b', 'end');
const config = (protocols?: string) => yml(
  'server:', '  backends: [lua]', '  redis: mock', ...(protocols ? [`  brute_force_protocols: ${protocols}`] : []),
  'brute_force:', '  buckets:', '    - { name: b_1h_32, period: 1h, cidr: 32, ipv4: true, failed_requests: 2 }',
  'lua:', '  config:', '    backend_script_path: ./backend.lua',
);

const fixtures: EngineFixture[] = [];
after(async () => {
  for (const f of fixtures) await f.close();
});
async function engine(text: string): Promise<{ fx: EngineFixture; file: string }> {
  const dir = workspace({ 'authstudio.yml': text, 'backend.lua': BACKEND });
  const file = path.join(dir, 'authstudio.yml');
  const fx = await startFixture('', { configFile: file });
  fixtures.push(fx);
  return { fx, file };
}
const login = (fx: EngineFixture, protocol: string, password: string, ip: string) => jsonLogin(fx.app, { username: 'alice', password, protocol, client_ip: ip });

test('Nauthilus 1.10 server.brute_force_protocols: only the listed protocols are checked and counted', async () => {
  const { fx } = await engine(config('[IMAP]'));
  for (let i = 0; i < 3; i++) assert.equal((await login(fx, 'pop3', `guess-${i}`, '198.51.100.20')).statusCode, 403);
  assert.equal((await login(fx, 'pop3', 'alice-secret', '198.51.100.20')).statusCode, 200, 'pop3 is not listed: its failures neither count nor block');
  for (let i = 0; i < 2; i++) assert.equal((await login(fx, 'imap', `guess-${i}`, '198.51.100.21')).statusCode, 403);
  const blocked = await login(fx, 'imap', 'alice-secret', '198.51.100.21');
  assert.equal(blocked.statusCode, 403, 'imap (listed, in any case) is blocked after 2 failures');
  assert.equal(fx.engine.lastTrace(String(blocked.headers['x-nauthilus-session']))!.trace[0].result, 'blocked');
});

test('AuthStudio: a 1.x file without server.brute_force_protocols checks every protocol, and check says Nauthilus would check none', async () => {
  const { fx, file } = await engine(config());
  for (let i = 0; i < 2; i++) await login(fx, 'pop3', `guess-${i}`, '198.51.100.30');
  assert.equal((await login(fx, 'pop3', 'alice-secret', '198.51.100.30')).statusCode, 403);
  const w = loadConfigFile(file).warnings ?? [];
  assert.equal(w.length, 1);
  assert.equal(w[0].path, 'server.brute_force_protocols');
  assert.match(w[0].message, /Nauthilus 1\.x checks brute force only for the protocols listed there \(none without it\)/);
  assert.equal(w[0].location?.line, 4, 'the warning points at the brute_force section');
  assert.equal(loadConfigFile((await engine(config('[imap]'))).file).warnings, undefined, 'no warning with the list');
});

test('Nauthilus 3.0.1 auth.controls.brute_force without protocols: no protocol is checked, the buckets never block, and check says so', async () => {
  const v3 = (protocols?: string) => yml(...v3LuaBackendHead('[brute_force]'), '    brute_force:', ...(protocols ? [`      protocols: ${protocols}`] : []),
    '      buckets:', '        - { name: b_1h_32, period: 1h, cidr: 32, ipv4: true, failed_requests: 2 }');
  const { fx, file } = await engine(v3());
  for (let i = 0; i < 3; i++) assert.equal((await login(fx, 'imap', `guess-${i}`, '198.51.100.40')).statusCode, 403);
  assert.equal((await login(fx, 'imap', 'alice-secret', '198.51.100.40')).statusCode, 200, 'as in Nauthilus 3.0.1: no listed protocol, no block');
  const w = loadConfigFile(file).warnings ?? [];
  assert.deepEqual(w.map((x) => x.path), ['auth.controls.brute_force.protocols']);
  assert.match(w[0].message, /no protocols listed: brute force checks and counts no login/);
  const listed = await engine(v3('[imap]'));
  for (let i = 0; i < 2; i++) await login(listed.fx, 'imap', `guess-${i}`, '198.51.100.41');
  assert.equal((await login(listed.fx, 'imap', 'alice-secret', '198.51.100.41')).statusCode, 403, 'listed: blocked after 2 failures');
  assert.equal(loadConfigFile(listed.file).warnings, undefined, 'no warning with the list');
});

test('export and convert write the protocols AuthStudio checked, so Nauthilus 1.x and 3.x decide the same', async () => {
  const { file } = await engine(config());
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-bfp-export-'));
  try {
    const report = exportBundle({ configFile: file, out: path.join(out, 'bundle') });
    const written = fs.readFileSync(report.config, 'utf8');
    assert.match(written, /brute_force_protocols: \[ imap, pop3, smtp, submission, sieve, managesieve, lmtp, http \]/);
    assert.ok(report.warnings.some((x) => x.startsWith('server.brute_force_protocols was added')));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
  const converted = convertConfigText(fs.readFileSync(file, 'utf8'), file, '3.x');
  assert.match(converted.doc.toString(), /protocols: \[ imap, pop3, smtp, submission, sieve, managesieve, lmtp, http \]/);
  assert.ok(converted.notes.some((n) => n.kind === 'changed' && n.path === 'brute_force'));
  // a file that lists them keeps its list
  const listed = convertConfigText(config('[imap]'), file, '3.x');
  assert.match(listed.doc.toString(), /protocols: \[ imap \]/);
});
