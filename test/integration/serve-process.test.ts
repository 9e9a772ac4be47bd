// `./bin/authstudio serve` as a real process over real HTTP: decisions, one log line per request, graceful stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnServe } from '../helpers/spawn-serve';

test('serve answers the auth endpoints over HTTP and stops cleanly on SIGTERM', async () => {
  const srv = await spawnServe(['--config', 'test/fixtures/ws-basic/authstudio.yml']);
  try {
    const ok = await fetch(`${srv.url}/api/v1/auth/json`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7', protocol: 'imap' }),
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('auth-status'), 'OK');
    const fail = await fetch(`${srv.url}/api/v1/auth/header`, { headers: { 'auth-user': 'alice', 'auth-pass': 'wrong-pw-123', 'client-ip': '198.51.100.7' } });
    assert.equal(fail.status, 403);
    const nginx = await fetch(`${srv.url}/api/v1/auth/nginx`, { headers: { 'auth-user': 'bob', 'auth-pass': 'bob-secret', 'auth-protocol': 'imap', 'client-ip': '198.51.100.7' } });
    assert.equal(nginx.headers.get('auth-status'), 'OK');
    const temp = await fetch(`${srv.url}/api/v1/auth/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'backend-error', password: 'x' }) });
    assert.equal(temp.status, 500);

    // one structured log line per auth request, never the password
    const isAuth = (l: string) => l.includes('"msg":"auth"');
    await srv.waitFor((lines) => lines.filter(isAuth).length >= 4);
    const authLines = srv.lines.map((l) => JSON.parse(l)).filter((j) => j.msg === 'auth');
    assert.equal(authLines.length, 4);
    assert.deepEqual(authLines.map((j) => j.result), ['ok', 'fail', 'ok', 'tempfail']);
    assert.equal(authLines[0].username, 'alice');
    assert.equal(authLines[0].backend_user, 'alice', 'custom_log_add fields are in the line');
    assert.ok(!srv.lines.join('\n').includes('wrong-pw-123'), 'a password reached the log');
    assert.ok(!srv.lines.join('\n').includes('alice-secret'), 'a password reached the log');
  } finally {
    const code = await srv.stop();
    assert.equal(code, 0, `exit code after SIGTERM; stderr: ${srv.stderr()}`);
  }
});

test('serve refuses a broken config with file:line:col and exit 1', async () => {
  await assert.rejects(spawnServe(['--config', 'test/fixtures/bad-config/authstudio.yml']), /authstudio\.yml:\d+:\d+: unknown key/);
});
