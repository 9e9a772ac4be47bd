// `authstudio dovecot upgrade`: what it rewrites in a Dovecot 2.3 script, what it leaves to a person, and that the
// rewritten script runs in the harness' Dovecot 2.4 profile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runDovecotScript } from '../../engine/dovecot';
import { fieldStringToTable, template24, upgradeScript } from '../../engine/dovecot/upgrade';
import { ROOT } from '../helpers/spawn-serve';

const SCRIPT_23 = [
  'local client = dovecot.http.client({',
  '  request_timeout_msecs = 5000,',
  '  max_attempts = 2, debug = true,',
  '  no_auto_redirect = true,',
  '  timeout = 10,',
  '})',
  'function script_init()',
  '  return 0',
  'end',
  'function auth_passdb_lookup(request)',
  '  if request.service ~= "imap" then return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, {} end',
  '  local who = request.username .. "/" .. tostring(request.domain) .. "/" .. tostring(request.rip) -- request.mech stays in comments',
  '  if request.user == "expand" then return dovecot.auth.PASSDB_RESULT_OK, request:var_expand("nopassword=y home=/srv/%n") end',
  '  return dovecot.auth.PASSDB_RESULT_OK, "nopassword=y who=" .. who .. " flag"',
  'end',
].join('\n');

test('Dovecot 2.4 upgrade: request fields renamed under the entry point\'s own argument name; username/domain become expressions', () => {
  const r = upgradeScript(SCRIPT_23);
  const lines = r.source.split('\n');
  assert.match(lines.find((l) => l.includes('~= "imap"'))!, /request\.protocol ~= "imap"/);
  assert.match(r.source, /local who = request\.user:match\("\^\[\^@\]\*"\) \.\. "\/" \.\. tostring\(request\.user:match\("@\(\.\*\)\$"\)\) \.\. "\/" \.\. tostring\(request\.remote_ip\) -- request\.mech stays in comments/);
  assert.ok(r.changed.some((c) => c.line === 11 && c.text.startsWith('request.service -> request.protocol')));
});

test('Dovecot 2.4 upgrade: a string result with OK becomes a table, expressions kept; a table with a failure becomes nil', () => {
  const r = upgradeScript(SCRIPT_23);
  assert.match(r.source, /return dovecot\.auth\.PASSDB_RESULT_OK, \{ nopassword = "y", who = who, flag = "" \}/);
  assert.match(r.source, /return dovecot\.auth\.PASSDB_RESULT_USER_UNKNOWN, nil end/);
  assert.equal(fieldStringToTable('"password=" .. pw .. " home=/srv/" .. user'), '{ password = pw, home = "/srv/" .. user }');
  assert.equal(fieldStringToTable('"a-b=1"'), '{ ["a-b"] = "1" }');
  // an expression that may hold several fields cannot be split
  assert.equal(fieldStringToTable('"x=1 " .. rest'), undefined);
});

test('Dovecot 2.4 upgrade: HTTP client settings get 2.4 names and units; debug and unknown keys go; no_auto_redirect becomes auto_redirect = "no"', () => {
  const r = upgradeScript(SCRIPT_23);
  assert.match(r.source, /request_timeout = "5000ms",/);
  assert.match(r.source, /request_max_attempts = 2, *\n/);
  assert.match(r.source, /auto_redirect = "no",/);
  assert.doesNotMatch(r.source, /debug|timeout = 10/);
  assert.ok(r.changed.some((c) => c.line === 5 && /timeout removed \(2\.3 ignored unknown settings/.test(c.text)));
});

test('Dovecot 2.4 upgrade: var_expand templates get 2.4 syntax; what it cannot see into is listed for a person, with line numbers', () => {
  const r = upgradeScript(SCRIPT_23);
  assert.match(r.source, /request:var_expand\("nopassword=y home=\/srv\/%\{user \| username\}"\)/);
  assert.deepEqual(r.manual.map((m) => m.line), [13]);
  assert.match(r.manual[0].text, /make sure it is a table/);
  assert.equal(template24('%Lu/%{rip}/%d/%%'), '%{user | lower}/%{remote_ip}/%{user | domain}/%');
  assert.equal(template24('%3n'), undefined);
  const manual = upgradeScript('function auth_passdb_lookup(req) local h = req:var_expand(tpl) end').manual;
  assert.match(manual[0].text, /var_expand\(\): Dovecot 2\.4 templates use %\{name\}/);
});

test('Dovecot 2.4 upgrade: the upgraded script logs in in the harness\' 2.4 profile, the original does not', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-upgrade-'));
  try {
    const src = SCRIPT_23.replace(/^.*"expand".*$/m, '');
    fs.writeFileSync(path.join(dir, 'old.lua'), src);
    fs.writeFileSync(path.join(dir, 'new.lua'), upgradeScript(src).source);
    const login = { user: 'alice@example.test', password: 'x', remoteIp: '192.0.2.5' };
    const old = await runDovecotScript({ file: path.join(dir, 'old.lua'), dovecot: '2.4', login });
    assert.equal(old.status, 'AUTH_PROCESS_BROKEN');
    assert.ok(old.logs.some((l) => /Invalid HTTP client setting: (request_timeout_msecs|max_attempts|debug|no_auto_redirect|timeout) is unknown setting/.test(l.text)));
    const upgraded = await runDovecotScript({ file: path.join(dir, 'new.lua'), dovecot: '2.4', login });
    assert.equal(upgraded.status, 'PASSDB_RESULT_OK');
    assert.deepEqual(upgraded.fields, { who: 'alice/example.test/192.0.2.5', flag: '' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the committed Dovecot 2.4 bridge is the upgrade of the 2.3 bridge (below their header comments)', () => {
  const body = (s: string) => s.split('\n').filter((_, i, all) => all.slice(0, i + 1).some((l) => !l.startsWith('--'))).join('\n');
  const from23 = upgradeScript(fs.readFileSync(path.join(ROOT, 'lua-plugins.d', 'dovecot', 'authstudio.lua'), 'utf8'));
  assert.deepEqual(from23.manual, []);
  assert.equal(body(fs.readFileSync(path.join(ROOT, 'lua-plugins.d', 'dovecot', 'authstudio-2.4.lua'), 'utf8')), body(from23.source));
});

test('authstudio dovecot upgrade SCRIPT -o OUT writes the script and reports changes by line and the 2.4 config block; exit 3 when a person is needed', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-upgrade-cli-'));
  try {
    fs.writeFileSync(path.join(dir, 'in.lua'), SCRIPT_23);
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'dovecot', 'upgrade', path.join(dir, 'in.lua'), '-o', path.join(dir, 'out.lua'), '--lua-file', '/etc/dovecot/lua/in.lua'], { encoding: 'utf8' });
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stdout, /line 11: request\.service -> request\.protocol/);
    assert.match(r.stdout, /line 13: var_expand template "nopassword=y home=\/srv\/%n" -> "nopassword=y home=\/srv\/%\{user \| username\}"/);
    assert.match(r.stdout, /could not change \(1\), do by hand:\n  line 13: result request:var_expand/);
    assert.match(r.stdout, /Dovecot 2\.4 config \(after\):\n  passdb lua \{\n    lua_file = \/etc\/dovecot\/lua\/in\.lua\n  \}/);
    assert.equal(fs.readFileSync(path.join(dir, 'out.lua'), 'utf8'), upgradeScript(SCRIPT_23).source);
    const missing = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'dovecot', 'upgrade'], { encoding: 'utf8' });
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /dovecot upgrade: which script\?/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('authstudio dovecot --dovecot 2.4 runs the 2.4 profile: a 2.3 string result is refused with 2.4\'s error', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-dovecot24-cli-'));
  try {
    const file = path.join(dir, 's.lua');
    fs.writeFileSync(file, 'function auth_passdb_lookup(req) return dovecot.auth.PASSDB_RESULT_OK, "nopassword=y" end\n');
    const run = (v: string) => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'dovecot', '--script', file, '--user', 'alice', '--password', 'x', '--dovecot', v], { encoding: 'utf8' });
    assert.equal(run('2.3').status, 0);
    const r = run('2.4');
    assert.equal(r.status, 75);
    assert.match(r.stdout, /auth_passdb_lookup\(req\) invalid return value \(expected nil or table, got string\)/);
    assert.match(run('2.5').stderr, /--dovecot must be 2\.3 or 2\.4, got "2\.5"/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
