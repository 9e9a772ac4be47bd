// `authstudio test` as a user and CI run it: the sample workspace's suite (saved requests, a Nauthilus --test-lua
// fixture, Dovecot bridge tests) green with JUnit and lcov; a broken copy red with file:line and the failing stage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/spawn-serve';
import { startRedisServer } from '../helpers/redis-server';
import Redis from 'ioredis';

function cli(...args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
}

/** A copy of the sample workspace in a temp folder, changed by `edit`. */
function sampleCopy(edit: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-test-'));
  fs.cpSync(path.join(ROOT, 'lua-plugins.d'), dir, { recursive: true });
  edit(dir);
  return dir;
}

function replaceIn(file: string, from: string, to: string): void {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.includes(from), `${file} should contain ${from}`);
  fs.writeFileSync(file, text.replace(from, to));
}

test('authstudio test: the sample suite passes, writes JUnit XML and lcov, and prints the per-file coverage', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'as-test-out-'));
  try {
    const junit = path.join(out, 'junit.xml');
    const lcov = path.join(out, 'lcov.info');
    const r = cli('test', '--workspace', 'lua-plugins.d', '--junit', junit, '--coverage', lcov);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^9 passed, 0 failed$/m);
    // one line per test, of each kind
    assert.match(r.stdout, /^ok {4}account_lock refuses an account listed in Redis \(Nauthilus fixture\) {2}\(tests\/account-lock\.test\.yml:3, lua_test, /m);
    assert.match(r.stdout, /^ok {4}alice logs in over IMAP {2}\(tests\/logins\.test\.yml:4, request, /m);
    assert.match(r.stdout, /^ok {4}Dovecot bridge - a wrong password is a password mismatch {2}\(tests\/dovecot-bridge\.test\.yml:13, dovecot, /m);
    const xml = fs.readFileSync(junit, 'utf8');
    assert.match(xml, /<testsuites name="authstudio test" tests="9" failures="0"/);
    assert.match(xml, /<testcase name="a locked account is refused \(Redis state declared by the test\)" classname="request\.tests\/logins\.test\.yml"/);
    // coverage: the summary names every script; the action that runs on the refused login is covered in full
    assert.match(r.stdout, /^actions\/remember_block\.lua +(\d+)\/\1 +100\.0%$/m);
    assert.match(r.stdout, /^features\/blocklist\.lua +\d+\/\d+ +\d+\.\d%$/m);
    assert.match(r.stdout, /^dovecot\/authstudio\.lua +[1-9]\d*\/\d+ /m);
    const info = fs.readFileSync(lcov, 'utf8');
    const record = (file: string) => info.split('end_of_record').find((r) => r.includes(`SF:${file}\n`)) ?? '';
    const lock = record('features/account_lock.lua');
    assert.match(lock, /^DA:12,[1-9]\d*$/m, 'the Redis lookup line ran');
    assert.match(lock, /^LF:\d+$/m);
    // hooks/login_history.lua: its top level ran when the engine loaded it, its function body never did
    const hook = record('hooks/login_history.lua');
    assert.match(hook, /^DA:\d+,0$/m);
    assert.doesNotMatch(info, /SF:tests\//);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('authstudio test: a broken feature script fails every test it touches, with file:line, the failing stage trace and exit 1', () => {
  const dir = sampleCopy((d) => replaceIn(path.join(d, 'features', 'account_lock.lua'), 'nauthilus_redis.redis_sismember(', 'nauthilus_redis.redis_sismembr('));
  try {
    const junit = path.join(dir, 'junit.xml');
    const r = cli('test', '--workspace', dir, '--junit', junit);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^0 passed, 9 failed$/m);
    // the Nauthilus fixture names the script line and the expected call that never came
    assert.match(r.stdout, /✗ features\/account_lock\.lua:12: attempt to call a nil value \(field 'redis_sismembr'\)/);
    assert.match(r.stdout, /✗ missing expected redis call #1: method=redis_sismember arg_contains="authstudio:locked"/);
    // a saved request shows what the client got and the stage trace with the error
    assert.match(r.stdout, /FAIL {2}alice logs in over IMAP[^\n]*\n {4}✗ decision: expected ok, got tempfail\n/);
    assert.match(r.stdout, /trace:\n {6}brute_force {2}brute_force {10}pass\n {6}feature {6}blocklist {12}ok\n {6}feature {6}account_lock {9}error\n {8}error: [^\n]*features\/account_lock\.lua:12: attempt to call a nil value/);
    const xml = fs.readFileSync(junit, 'utf8');
    assert.match(xml, /tests="9" failures="9"/);
    assert.match(xml, /<failure message="decision: expected ok, got tempfail">/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Nauthilus 3.0 --test-lua: expected_calls are checked in order by method name; a mismatch reports both names', () => {
  const dir = sampleCopy((d) => replaceIn(path.join(d, 'tests', 'nauthilus', 'account_locked.json'), '"method": "redis_sismember"', '"method": "redis_hget"'));
  try {
    const r = cli('test', '--workspace', dir);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /FAIL {2}account_lock refuses an account listed in Redis[^\n]*\n {4}✗ [^\n]*redis call #1 method mismatch: expected=redis_hget got=redis_sismember/);
    assert.match(r.stdout, /^8 passed, 1 failed$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('authstudio test: a malformed test file is one failed case naming file:line and the key path', () => {
  const dir = sampleCopy((d) => {
    fs.writeFileSync(path.join(d, 'tests', 'typo.test.yml'), 'name: typo\nrequest: { username: alice }\nexpect:\n  decison: ok\n');
    fs.writeFileSync(path.join(d, 'tests', 'callback.test.yml'), 'lua_test:\n  script: features/blocklist.lua\n  callback: feature\n  mock: nauthilus/account_open.json\n');
  });
  try {
    const r = cli('test', '--workspace', dir);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /✗ tests\/typo\.test\.yml:1: expect\.decison: unknown key \(known: decision, status, headers, attributes, status_message, decided_by, logs\)/);
    assert.match(r.stdout, /✗ tests\/callback\.test\.yml:1: lua_test\.callback: one of subject, environment, action, backend, hook, cache_flush expected, got "feature"/);
    assert.match(r.stdout, /^9 passed, 2 failed$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('authstudio test --redis: the sample suite runs on a real redis-server, which is left empty; a database holding keys is refused', async () => {
  const server = await startRedisServer();
  const client = new Redis(server.port, '127.0.0.1');
  try {
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      // asynchronously: the Redis client of this process must stay served while the CLI runs
      const { spawn } = require('node:child_process') as typeof import('node:child_process');
      const p = spawn(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'test', '--workspace', 'lua-plugins.d', '--redis', `${server.url}/3`], { cwd: ROOT });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^9 passed, 0 failed \\(Redis: redis://127\\.0\\.0\\.1:${server.port}/3\\)$`, 'm'));
    await client.select(3);
    assert.equal(await client.dbsize(), 0, 'every test flushed what it wrote (the locked-account set, login history)');
    await client.set('someone:else', '1');
    const refused = cli('test', '--workspace', 'lua-plugins.d', '--redis', `${server.url}/3`);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /test: --redis redis:\/\/127\.0\.0\.1:\d+\/3: the database holds 1 key; give an empty one/);
    assert.equal(await client.get('someone:else'), '1', 'nothing was flushed');
  } finally {
    client.disconnect();
    await server.stop();
  }
});
