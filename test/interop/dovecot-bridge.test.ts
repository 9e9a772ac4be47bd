// A real Dovecot 2.3 asks a real `authstudio serve` through lua-plugins.d/dovecot/authstudio.lua (IMAP logins).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnServe, ROOT, type ServeProcess } from '../helpers/spawn-serve';
import { dovecotUnavailable, startDovecot, type DovecotServer } from './dovecot-server';

const BRIDGE = path.join(ROOT, 'lua-plugins.d', 'dovecot', 'authstudio.lua');
const skip = dovecotUnavailable();

describe('Dovecot -> AuthStudio bridge', { skip }, () => {
  let serve: ServeProcess;
  let dovecot: DovecotServer;

  before(async () => {
    serve = await spawnServe(['--config', 'test/fixtures/dovecot-bridge/authstudio.yml']);
    dovecot = await startDovecot({ passdbs: [{ file: BRIDGE }], env: { AUTHSTUDIO_URL: serve.url } });
  });
  after(async () => {
    await dovecot?.stop();
    await serve?.stop();
  });

  test('the right password logs in over IMAP; the backend attributes reach Dovecot as extra fields', async () => {
    assert.match(await dovecot.imapLogin('alice', 'alice-secret', '192.0.2.10'), /^OK .*Logged in/);
    const r = await dovecot.authTest('alice', 'alice-secret', '192.0.2.10');
    assert.equal(r.ok, true);
    assert.equal(r.fields.account, 'alice@example.test');
    assert.equal(r.fields.quota, '1G');
    assert.equal(r.fields.groups, 'staff,imap');
  });

  test('a wrong password is NO [AUTHENTICATIONFAILED]', async () => {
    assert.equal(await dovecot.imapLogin('alice', 'not-her-password', '192.0.2.11'), 'NO [AUTHENTICATIONFAILED] Authentication failed.');
    assert.ok(dovecot.takeLog().some((l) => /lua\(alice,192\.0\.2\.11,<[^>]+>\): Password mismatch/.test(l)), 'Dovecot logs the mismatch');
  });

  test('a backend script error is NO [UNAVAILABLE] (a temporary failure, never a login)', async () => {
    const answer = await dovecot.imapLogin('backend-error', 'whatever', '192.0.2.12');
    assert.match(answer, /^NO \[UNAVAILABLE\] Temporary authentication failure\./);
    assert.ok(dovecot.takeLog().some((l) => /passdb-lua: AuthStudio http:\/\/127\.0\.0\.1:\d+: HTTP 500 Internal Server Error/.test(l)));
  });

  test('a disabled account is refused with USER_DISABLED (doveadm shows code=user_disabled)', async () => {
    assert.equal(await dovecot.imapLogin('disabled', 'disabled-secret', '192.0.2.13'), 'NO [AUTHENTICATIONFAILED] Authentication failed.');
    // a fresh address: Dovecot delays further logins from an address that just failed (auth penalty)
    const r = await dovecot.authTest('disabled', 'disabled-secret', '192.0.2.14');
    assert.equal(r.ok, false);
    assert.equal(r.fields.code, 'user_disabled');
  });

  test('a client network over the brute-force limit is refused through Dovecot, even with the right password', async () => {
    for (let i = 0; i < 3; i++) {
      assert.equal(await dovecot.imapLogin('bob', `guess-${i}`, `198.51.100.${20 + i}`), 'NO [AUTHENTICATIONFAILED] Authentication failed.');
    }
    // Dovecot passes the client's address (rip) on; the bridge sends it as client_ip
    assert.equal(await dovecot.imapLogin('bob', 'bob-secret', '198.51.100.99'), 'NO [AUTHENTICATIONFAILED] Authentication failed.');
    assert.match(await dovecot.imapLogin('bob', 'bob-secret', '203.0.113.5'), /^OK .*Logged in/, 'another network still logs in');
  });
});
