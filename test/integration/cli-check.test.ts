// `authstudio check` and `simulate --json` as a user runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../helpers/spawn-serve';

function cli(...args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), ...args], { cwd: ROOT, encoding: 'utf8' });
}

test('check passes a good workspace', () => {
  const r = cli('check', '--config', 'test/fixtures/ws-basic/authstudio.yml');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /configuration and scripts OK/);
});

test('check reports a Lua syntax error as file:line: message and exits 1', () => {
  const r = cli('check', '--config', 'test/fixtures/bad-script/authstudio.yml');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^test\/fixtures\/bad-script\/features\/broken\.lua:7: 'end' expected \(to close 'function' at line 2\) near <eof>$/m);
});

test('check reports an unknown config key with its path and line:column', () => {
  const r = cli('check', '--config', 'test/fixtures/bad-config/authstudio.yml');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /authstudio\.yml:7:7: .*unknown key "scirpt_path".*lua\.features\[0\].*script_path/);
});

test('simulate --json prints the decision and the trace in stage order', () => {
  const r = cli('simulate', '--config', 'test/fixtures/ws-basic/authstudio.yml', '--user', 'alice', '--password', 'alice-secret', '--client-ip', '198.51.100.7', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.decision, 'ok');
  assert.equal(out.status, 200);
  assert.equal(out.headers['auth-status'], 'OK');
  assert.deepEqual(out.trace.map((t: { stage: string; name: string }) => `${t.stage}:${t.name}`),
    ['feature:blocklist', 'feature:faults', 'backend:lua', 'filter:no-pop3-for-bob', 'post_action:audit']);
  for (const t of out.trace) {
    assert.equal(typeof t.duration_ms, 'number');
    assert.equal(typeof t.result, 'string');
    assert.equal(typeof t.logs, 'object');
  }
  assert.equal(out.trace[2].logs.backend_user, 'alice');
});

test('simulate reports a tempfail with the Lua error of the failing stage', () => {
  const r = cli('simulate', '--config', 'test/fixtures/ws-basic/authstudio.yml', '--user', 'backend-error', '--password', 'x', '--json');
  const out = JSON.parse(r.stdout);
  assert.equal(out.decision, 'tempfail');
  assert.equal(out.status, 500);
  const failing = out.trace.find((t: { result: string }) => t.result === 'error');
  assert.match(failing.error, /^test\/fixtures\/ws-basic\/backend\/backend\.lua:\d+: database unreachable$/);
});

test('unknown options are usage errors', () => {
  const r = cli('simulate', '--config', 'x.yml', '--usr', 'a');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option --usr/);
});
