// Finding 20 (issue 13) with a real Dovecot 2.3: its HTTP client (the Lua bridge) sends `Expect: 100-continue`.
// With wrong API credentials the login must end as a temporary failure at once, with one refusal log line.
// (Dovecot 2.3.19 here already failed fast on the old double write; the reported 60 s wait is covered at the
// protocol level by attack-expect-continue.test.ts.)
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnServe, ROOT, type ServeProcess } from '../helpers/spawn-serve';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../interop/dovecot-server';

const BRIDGE = path.join(ROOT, 'lua-plugins.d', 'dovecot', 'authstudio.lua');
const skip = dovecotUnavailable();

describe('Dovecot with wrong API credentials', { skip }, () => {
  let serve: ServeProcess;
  let wrong: DovecotServer;
  let right: DovecotServer;
  before(async () => {
    serve = await spawnServe(['--config', 'test/fixtures/attack-access/dovecot.yml']);
    // the bridge's own timeout is raised so that only AuthStudio's answer can end the wait early
    wrong = await startDovecot({ passdbs: [{ file: BRIDGE }], env: { AUTHSTUDIO_URL: serve.url, AUTHSTUDIO_AUTH: 'ops:wrong-password', AUTHSTUDIO_TIMEOUT_MS: '30000' } });
    right = await startDovecot({ passdbs: [{ file: BRIDGE }], env: { AUTHSTUDIO_URL: serve.url, AUTHSTUDIO_AUTH: 'ops:ops-password-1', AUTHSTUDIO_TIMEOUT_MS: '30000' } });
  });
  after(async () => {
    await wrong?.stop();
    await right?.stop();
    await serve?.stop();
  });

  test('Dovecot 2.3 (sends Expect: 100-continue) with wrong API credentials: NO [UNAVAILABLE] within 5 s, the refusal logged without credentials', async () => {
    const t0 = Date.now();
    const answer = await wrong.imapLogin('alice', 'alice-secret', '192.0.2.30');
    const ms = Date.now() - t0;
    assert.match(answer, /^NO \[UNAVAILABLE\]/);
    assert.ok(ms < 5000, `Dovecot waited ${ms} ms for AuthStudio's refusal`);
    await serve.waitFor((lines) => lines.some((l) => l.includes('API request refused')));
    assert.ok(!serve.lines.join('\n').includes('wrong-password'), 'the log shows the credentials');
  });

  test('with the right API credentials the same login succeeds', async () => {
    assert.match(await right.imapLogin('alice', 'alice-secret', '192.0.2.31'), /^OK .*Logged in/);
  });
});
