// nauthilus_ldap in an engine's auth pipeline (Nauthilus 1.10): a Lua backend looks users up with ldap_search and
// a filter records the login with ldap_modify, against a real slapd, on the engine thread and on worker threads.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { AuthEngine } from '../../engine/engine';
import { loadConfigFile } from '../../engine/config/load';
import { buildHttpApp } from '../../engine/http/app';
import { LdapConnection } from '../../engine/ldap/client';
import { workspace, yml } from '../helpers/config-text';
import { ADMIN_DN, ADMIN_PW, READER_DN, READER_PW, SUFFIX, slapdMissing, startSlapd, type Slapd } from '../helpers/slapd';

const USERS = [
  `dn: uid=alice,ou=people,${SUFFIX}`, 'objectClass: inetOrgPerson', 'uid: alice', 'cn: Alice', 'sn: Liddell', 'mail: alice@example.test', '',
  `dn: uid=bob,ou=people,${SUFFIX}`, 'objectClass: inetOrgPerson', 'uid: bob', 'cn: Bob', 'sn: Builder', 'mail: bob@example.test', '',
].join('\n');

const BACKEND = `
dynamic_loader("nauthilus_ldap")
local ldap = require("nauthilus_ldap")
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  local r, err = ldap.ldap_search({ pool_name = "default", session = request.session, basedn = "ou=people,${SUFFIX}",
    filter = "(uid=" .. request.username .. ")", scope = "sub", attributes = { "mail", "uid" } })
  if err then error(err) end
  if not r.dn then
    b:user_found(false)
    return nauthilus_builtin.BACKEND_RESULT_OK, b
  end
  b:user_found(true)
  b:account_field("mail")
  b:attributes({ mail = r.mail[1], dn = r.dn[1] })
  b:authenticated(request.password == "secret")
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;
const FILTER = `
local ldap = require("nauthilus_ldap")
function nauthilus_call_filter(request)
  if request.authenticated then
    local ok, err = ldap.ldap_modify({ pool_name = "writer", session = request.session, operation = "replace",
      dn = "uid=" .. request.username .. ",ou=people,${SUFFIX}", attributes = { description = "login via " .. request.protocol } })
    if err then error(err) end
  end
  return nauthilus_builtin.FILTER_ACCEPT, nauthilus_builtin.FILTER_RESULT_OK
end
`;

const skip = slapdMissing();
let slapd: Slapd;
const closers: Array<() => Promise<void>> = [];

before(async () => {
  if (!skip) slapd = await startSlapd(USERS);
});
after(async () => {
  for (const c of closers) await c();
  await slapd?.stop();
});

async function serve(workers: number): Promise<FastifyInstance> {
  const dir = workspace({
    'authstudio.yml': yml(
      'server:', '  address: 127.0.0.1:0', '  backends: [lua]', '  redis: mock', '  log: {level: error}',
      'lua:', '  filters:', '    - {name: record, script_path: ./filter.lua}', '  config:', '    backend_script_path: ./backend.lua',
      'ldap:',
      '  config:', `    server_uri: \${LDAP_URI}`, `    bind_dn: "${READER_DN}"`, `    bind_pw: ${READER_PW}`, '    lookup_pool_size: 2',
      '  optional_ldap_pools:',
      '    writer:', `      server_uri: \${LDAP_URI}`, `      bind_dn: "${ADMIN_DN}"`, `      bind_pw: ${ADMIN_PW}`, '      lookup_pool_size: 1',
    ),
    'backend.lua': BACKEND, 'filter.lua': FILTER,
  });
  const env = { LDAP_URI: slapd.uri };
  const config = loadConfigFile(path.join(dir, 'authstudio.yml'), { env });
  const engine = await AuthEngine.create(config, { logger: pino({ level: 'silent' }), workers, env });
  const app = await buildHttpApp(engine);
  closers.push(async () => { await app.close(); await engine.close(); });
  return app;
}

async function description(uid: string): Promise<string | undefined> {
  const c = await LdapConnection.open({ uri: slapd.uri, timeoutMs: 5000 });
  try {
    await c.bind(ADMIN_DN, ADMIN_PW, 5000);
    const [e] = await c.search(`uid=${uid},ou=people,${SUFFIX}`, 'base', '(objectClass=*)', ['description'], 0, 0, 5000);
    return e?.attributes.find((a) => a.name === 'description')?.values[0]?.toString();
  } finally {
    c.close();
  }
}

for (const workers of [0, 2]) {
  const where = workers ? 'on pipeline worker threads' : 'on the engine thread';

  test(`Nauthilus 1.10: ldap_search in a Lua backend finds the user and ldap_modify in a filter records the login (${where})`, { skip }, async () => {
    const app = await serve(workers);
    const login = (username: string, password: string, protocol: string) => app.inject({
      method: 'POST', url: '/api/v1/auth/json', payload: { username, password, protocol, client_ip: '198.51.100.7' },
    });
    const uid = workers ? 'bob' : 'alice';
    const ok = await login(uid, 'secret', workers ? 'pop3' : 'imap');
    assert.equal(ok.headers['auth-status'], 'OK');
    assert.equal(ok.headers['auth-user'], `${uid}@example.test`, 'the account is the mail attribute ldap_search returned');
    assert.equal(await description(uid), `login via ${workers ? 'pop3' : 'imap'}`);
    const wrong = await login(uid, 'nope', 'imap');
    assert.notEqual(wrong.headers['auth-status'], 'OK');
    const unknown = await login('mallory', 'secret', 'imap');
    assert.notEqual(unknown.headers['auth-status'], 'OK');
  });
}

if (skip) test(`nauthilus_ldap engine tests skipped: ${skip}`, { skip }, () => undefined);
