// The file side of saved requests: `hook:` tests and `{{name}}` environments in tests/*.test.yml, what the studio
// writes when it saves a request (read back by `authstudio test`'s parser), and "New hook"'s config entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { isAuthStudioError } from '../../engine/errors/registry';
import { environmentVariables } from '../../engine/testing/environments';
import { parseTestFile } from '../../engine/testing/test-files';
import { savedRequestPath, savedRequestText } from '../../engine/studio/saved-requests';
import { addHookToConfig } from '../../engine/studio/hook-caller';

function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-saved-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

function fails(fn: () => unknown, message: RegExp, line?: number): void {
  assert.throws(fn, (e: unknown) => isAuthStudioError(e) && e.code === 'AS_ERR_TEST_FILE' && message.test(e.message) && (line === undefined || e.location?.line === line));
}

test('hook: tests parse with method, path, headers and body; bad keys and methods name where they are', () => {
  const dir = workspace({});
  const file = path.join(dir, 'tests/h.test.yml');
  const parse = (text: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return parseTestFile(dir, file);
  };
  try {
    const [t] = parse('name: ok\nhook: { method: post, path: login-history, headers: { x-k: 1 }, body: "{}" }\nexpect: { status: 200 }\n');
    assert.equal(t.kind, 'hook');
    assert.deepEqual(t.kind === 'hook' && t.hook, { method: 'POST', path: 'login-history', headers: { 'x-k': '1' }, body: '{}' });
    fails(() => parse('hook: { method: TRACE, path: x }\n'), /hook\.method: GET, POST, PUT, DELETE, PATCH or HEAD expected/);
    fails(() => parse('hook: { path: x, verb: GET }\n'), /hook\.verb: unknown key/);
    fails(() => parse('hook: { path: x }\nexpect: { decision: ok }\n'), /expect\.decision: unknown key \(known for a hook: status, headers, body\)/);
    fails(() => parse('hook: { method: GET }\n'), /hook\.path: a non-empty string expected/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('{{name}} takes the environment\'s value; an unknown name fails at the test\'s line; an unknown environment names those there are', () => {
  const dir = workspace({
    'tests/environments.yml': 'office: { ip: 198.51.100.7, user: alice }\n',
    'tests/e.test.yml': '- request: { username: "{{user}}", client_ip: "{{ ip }}" }\n\n- request: { username: "{{nobody}}" }\n',
  });
  try {
    const file = path.join(dir, 'tests/e.test.yml');
    const vars = environmentVariables(dir, 'office');
    fails(() => parseTestFile(dir, file, vars), /\[1\]: \{\{nobody\}\} is not a variable of the chosen environment \(it has ip, user/, 3);
    fs.writeFileSync(file, '- request: { username: "{{user}}", client_ip: "{{ ip }}" }\n');
    const [t] = parseTestFile(dir, file, vars);
    assert.deepEqual(t.kind === 'request' && t.request, { username: 'alice', client_ip: '198.51.100.7' });
    // listing without an environment keeps the placeholders
    const [raw] = parseTestFile(dir, file, null);
    assert.equal(raw.kind === 'request' && raw.request.username, '{{user}}');
    assert.throws(() => environmentVariables(dir, 'prod'), /no environment "prod" in tests\/environments\.yml \(it has office\)/);
    fs.writeFileSync(path.join(dir, 'tests/environments.yml'), 'office: [a, b]\n');
    assert.throws(() => environmentVariables(dir, 'office'), /office: a mapping of variable names to values expected/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a request saved by the studio is a test file `authstudio test` reads back as it was saved', () => {
  const dir = workspace({});
  try {
    const login = savedRequestText({ name: 'Alice: office', login: { request: { username: 'alice', password: 'p', client_ip: '', protocol: 'imap' } }, expect: { decision: 'ok', status: 200, decided_by: 'backend:lua' } });
    const rel = savedRequestPath('Alice: office');
    assert.equal(rel, 'tests/alice-office.test.yml');
    fs.mkdirSync(path.join(dir, 'tests'));
    fs.writeFileSync(path.join(dir, rel), login);
    const [t] = parseTestFile(dir, path.join(dir, rel));
    assert.equal(t.name, 'Alice: office');
    assert.deepEqual(t.kind === 'request' && [t.request, t.expect], [{ username: 'alice', password: 'p', protocol: 'imap' }, { decision: 'ok', status: 200, decided_by: 'backend:lua' }]);
    const hook = savedRequestText({ name: 'h', hook: { method: 'get', path: 'login-history?account=a', body: '' }, expect: { status: 200 } });
    assert.deepEqual(YAML.parse(hook), { name: 'h', hook: { method: 'GET', path: 'login-history?account=a' }, expect: { status: 200 } });
    assert.throws(() => savedRequestText({ name: 'x', expect: {} }), /exactly one of login and hook expected/);
    assert.throws(() => savedRequestPath('!!!'), /name must contain letters or digits/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('New hook: the entry goes to lua.custom_hooks (1.x) or auth.controls.lua.hooks (3.x), comments kept; duplicates and bad input refused', () => {
  const v1 = '# my config\nlua:\n  custom_hooks:\n    - http_location: a\n      http_method: GET\n      script_path: ./hooks/a.lua # first\n';
  const out = addHookToConfig(v1, '1.x', { location: '/api/v1/custom/b', method: 'post', script: 'hooks/b.lua' });
  assert.match(out, /^# my config/);
  assert.match(out, /# first/);
  assert.deepEqual(YAML.parse(out).lua.custom_hooks[1], { http_location: 'b', http_method: 'POST', script_path: './hooks/b.lua' });
  assert.throws(() => addHookToConfig(out, '1.x', { location: 'b', method: 'POST', script: 'hooks/c.lua' }), /lua\.custom_hooks already has a hook for POST b/);
  assert.throws(() => addHookToConfig(v1, '1.x', { location: 'a b', method: 'GET', script: 'hooks/c.lua' }), /"a b" is not a usable location/);
  assert.throws(() => addHookToConfig(v1, '1.x', { location: 'c', method: 'TRACE', script: 'hooks/c.lua' }), /method must be one of GET, POST/);
  const v3 = 'auth:\n  controls:\n    enabled: [lua]\n';
  assert.deepEqual(YAML.parse(addHookToConfig(v3, '3.x', { location: 'c', method: 'GET', script: './hooks/c.lua' })).auth.controls, { enabled: ['lua'], lua: { hooks: [{ http_location: 'c', http_method: 'GET', script_path: './hooks/c.lua' }] } });
});
