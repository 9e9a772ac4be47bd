// `authstudio serve` (worker threads) with backend_server_monitoring: a backend whose listener stops is dropped by
// the next 10-second round of health checks (Nauthilus 1.10's interval), and nginx is sent to the other one.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnServe } from '../helpers/spawn-serve';
import { workspace } from '../helpers/config-text';
import { backend, BACKEND_LUA, DIRECTOR_LUA, monitoringConfig } from '../helpers/backend-servers';

test('Nauthilus 1.10: serve drops a stopped backend at the next monitoring round and proxies nginx to the other one', { timeout: 60_000 }, async () => {
  const imap1 = await backend('* OK imap1 ready\r\n');
  const imap2 = await backend('* OK imap2 ready\r\n');
  after(() => Promise.all([imap1.stop(), imap2.stop()]));
  const dir = workspace({
    'authstudio.yml': monitoringConfig([{ protocol: 'imap', port: imap1.port }, { protocol: 'imap', port: imap2.port }]),
    'backend.lua': BACKEND_LUA,
    'director.lua': DIRECTOR_LUA,
  });
  const srv = await spawnServe(['--config', path.join(dir, 'authstudio.yml'), '--workers', '1']);
  const nginx = () => fetch(`${srv.url}/api/v1/auth/nginx`, {
    headers: { 'auth-method': 'plain', 'auth-user': 'alice', 'auth-pass': 'alice-secret', 'auth-protocol': 'imap', 'client-ip': '198.51.100.7' },
  });
  try {
    let res = await nginx();
    assert.equal(res.headers.get('auth-status'), 'OK');
    assert.equal(res.headers.get('auth-port'), String(imap1.port));

    await imap1.stop();
    // the round that finds it down logs it (and updates the list in the same step)
    const downLine = (l: string) => l.includes('Backend server failed') && l.includes(`:${imap1.port}`);
    await srv.waitFor((lines) => lines.some(downLine), 25_000);
    res = await nginx();
    assert.equal(res.headers.get('auth-status'), 'OK');
    assert.equal(res.headers.get('auth-server'), '127.0.0.1');
    assert.equal(res.headers.get('auth-port'), String(imap2.port));
  } finally {
    const code = await srv.stop();
    assert.equal(code, 0, `exit code after SIGTERM; stderr: ${srv.stderr()}`);
  }
});
