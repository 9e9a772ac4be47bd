// Finding 3 (issue 13) seen from the Dovecot bridge: when AuthStudio refuses the bridge's mode=no-auth because the
// caller is not trusted (no API credentials, address outside server.trusted_proxies), the userdb lookup is a
// temporary failure with the reason logged, never "user unknown" (which would hide the misconfiguration).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { runDovecotScript } from '../../engine/dovecot';
import { FIXTURES, startFixture, type EngineFixture } from '../helpers/engine-fixture';
import { ROOT } from '../helpers/spawn-serve';

const BRIDGE = path.join(ROOT, 'lua-plugins.d', 'dovecot', 'authstudio.lua');
let fx: EngineFixture;
let url: string;

before(async () => {
  fx = await startFixture('attack-access', { configFile: path.join(FIXTURES, 'attack-access', 'untrusted.yml') });
  await fx.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(fx.app.server.address() as AddressInfo).port}`;
});
after(() => fx?.close());

const bridge = (action: 'passdb' | 'userdb', user = 'alice', password?: string) => runDovecotScript({
  file: BRIDGE, env: { AUTHSTUDIO_URL: url }, action,
  login: { user, password, remoteIp: '192.0.2.44', remotePort: 50123, localIp: '192.0.2.1', localPort: 993, session: 's1' },
});

test('an untrusted bridge: userdb lookup (mode=no-auth) is a temporary failure naming the refusal, not USER_UNKNOWN', async () => {
  const r = await bridge('userdb');
  assert.notEqual(r.status, 'USERDB_RESULT_USER_UNKNOWN');
  assert.equal(r.status, 'USERDB_RESULT_INTERNAL_FAILURE');
  assert.match(r.logs.map((l) => l.text).join('\n'), /AS_ERR_UNTRUSTED_CALLER|trusted_proxies/);
});

test('an untrusted bridge still checks passwords (the client address is then the bridge itself)', async () => {
  assert.equal((await bridge('passdb', 'alice', 'alice-secret')).status, 'PASSDB_RESULT_OK');
  assert.equal((await bridge('passdb', 'alice', 'wrong')).status, 'PASSDB_RESULT_PASSWORD_MISMATCH');
});
