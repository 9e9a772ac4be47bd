// A real nginx mail proxy (Debian's nginx + libnginx-mod-mail) asks a real `authstudio serve` (auth_http to
// /api/v1/auth/nginx) and proxies IMAP to a real Dovecot 2.3 and SMTP to an SMTP server, as nginx sites run
// Nauthilus. Auth-Server/Auth-Port come from NAUTHILUS_{IMAP,SMTP}_BACKEND_{ADDRESS,PORT} (Nauthilus 1.10 without
// backend_server_monitoring); Auth-User carries the account the backend named.
//
// Auth-Wait and nginx (src/mail/ngx_mail_auth_http_module.c): after a refusal nginx keeps the session for another
// try only when Auth-Wait is 1 or more; with 0 or without it, it sends the error and closes. Nauthilus's default
// (10 × tanh(0.03 × attempts)) is 0 for a session's first failures, so a Nauthilus site's nginx closes after a wrong
// password — AuthStudio does the same by default, and `server.auth_wait` keeps sessions open.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnServe, type ServeProcess } from '../helpers/spawn-serve';
import { workspace } from '../helpers/config-text';
import { startSmtpServer, type SmtpTestServer } from '../helpers/smtp-server';
import { dovecotUnavailable, startDovecot, type DovecotServer } from './dovecot-server';
import { nginxUnavailable, startNginxMail, LineClient, type NginxMail } from './nginx-server';

const CAROL_PASS = 'pä ss%wört';

/** The site's users: login name → password and account; found by login name and by account name. */
const BACKEND = `
local USERS = {
  alice = { password = "alice-secret", account = "alice@example.test" },
  ["cärol"] = { password = "${CAROL_PASS}", account = "cärol@example.test" },
}
local BY_ACCOUNT = {}
for name, u in pairs(USERS) do BY_ACCOUNT[u.account] = u end

function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  local u = USERS[request.username] or BY_ACCOUNT[request.username]
  if u == nil then return nauthilus_builtin.BACKEND_RESULT_OK, b end
  b:user_found(true)
  b:account_field("account")
  b:attributes({ account = u.account })
  b:authenticated(request.no_auth or request.password == u.password)
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;

/** The IMAP backend's own password check (a Dovecot Lua passdb of the mail server behind nginx). */
const DOVECOT_PASSDB = `
local PASSWORDS = { ["alice@example.test"] = "alice-secret", ["cärol@example.test"] = "${CAROL_PASS}" }
function auth_passdb_lookup(req)
  return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, "no lookups here"
end
function auth_password_verify(req, pass)
  if PASSWORDS[req.user] ~= nil and PASSWORDS[req.user] == pass then return dovecot.auth.PASSDB_RESULT_OK, {} end
  return dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH, ""
end
`;

const skip = nginxUnavailable() ?? dovecotUnavailable();

const config = (extra: string) => [
  'server:', '  backends: [lua]', '  redis: mock', '  lua_script_timeout: 5s', extra,
  'lua:', '  config:', '    backend_script_path: ./backend.lua', '',
].join('\n');

// made at the top level: workspace() removes its folders after the file's tests
const dir = skip ? '' : workspace({ 'dovecot-passdb.lua': DOVECOT_PASSDB });
const site = skip ? '' : workspace({ 'authstudio.yml': config(''), 'backend.lua': BACKEND });
const siteWait = skip ? '' : workspace({ 'authstudio.yml': config('  auth_wait: 1s'), 'backend.lua': BACKEND });

describe('nginx mail -> AuthStudio -> Dovecot 2.3 / SMTP', { skip }, () => {
  let dovecot: DovecotServer;
  let smtp: SmtpTestServer;
  let serve: ServeProcess;
  let nginx: NginxMail;
  let serveWait: ServeProcess;
  let nginxWait: NginxMail;

  before(async () => {
    dovecot = await startDovecot({ passdbs: [{ file: path.join(dir, 'dovecot-passdb.lua') }], extra: 'auth_username_chars =' });
    smtp = await startSmtpServer();
    const upstreams = {
      NAUTHILUS_IMAP_BACKEND_ADDRESS: '127.0.0.1', NAUTHILUS_IMAP_BACKEND_PORT: String(dovecot.port),
      NAUTHILUS_SMTP_BACKEND_ADDRESS: '127.0.0.1', NAUTHILUS_SMTP_BACKEND_PORT: String(smtp.port),
    };
    serve = await spawnServe(['--config', path.join(site, 'authstudio.yml')], upstreams);
    nginx = await startNginxMail(`${new URL(serve.url).host}/api/v1/auth/nginx`);
    serveWait = await spawnServe(['--config', path.join(siteWait, 'authstudio.yml')], upstreams);
    nginxWait = await startNginxMail(`${new URL(serveWait.url).host}/api/v1/auth/nginx`);
    assert.ok(fs.existsSync(dovecot.conf));
  });
  after(async () => {
    await nginx?.stop();
    await nginxWait?.stop();
    await serve?.stop();
    await serveWait?.stop();
    await smtp?.close();
    await dovecot?.stop();
  });

  async function imap(port: number): Promise<LineClient> {
    const c = await LineClient.connect(port);
    assert.match((await c.line())!, /^\* OK/);
    return c;
  }
  const tagged = (tag: string) => (l: string) => l.startsWith(`${tag} `);
  /** Dovecot writes its log after the client got its answer: look for a line for up to 5 s. */
  const seen: string[] = [];
  async function dovecotLogged(pred: (l: string) => boolean): Promise<boolean> {
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      seen.push(...dovecot.takeLog());
      if (seen.some(pred)) return true;
    }
    return false;
  }

  test('IMAP: the right password logs in at Dovecot as the account AuthStudio named (Auth-User)', async () => {
    const c = await imap(nginx.imapPort);
    c.send('a LOGIN alice alice-secret');
    assert.match((await c.line(tagged('a')))!, /^a OK .*Logged in/);
    c.close();
    assert.ok(await dovecotLogged((l) => /imap\(alice@example\.test\)/.test(l)), 'Dovecot has a session of alice@example.test');
  });

  test('IMAP: a non-ASCII login and password with a space and "%" (URL-escaped by nginx, raw UTF-8 bytes) log in', async () => {
    const c = await imap(nginx.imapPort);
    c.send(`a LOGIN "cärol" "${CAROL_PASS}"`);
    assert.match((await c.line(tagged('a')))!, /^a OK .*Logged in/);
    c.close();
    assert.ok(await dovecotLogged((l) => l.includes('imap(cärol@example.test)')), 'Dovecot has a session of cärol@example.test');
  });

  test('IMAP: a wrong password is refused and, as with Nauthilus\'s default Auth-Wait (0 for a first failure), nginx closes the session', async () => {
    const c = await imap(nginx.imapPort);
    c.send('a LOGIN alice wrong-password');
    assert.match((await c.line(tagged('a')))!, /^a NO /);
    assert.equal(await c.line(), null, 'nginx closed the connection');
  });

  test('IMAP with server.auth_wait: 1s: nginx keeps the session after a wrong password, and the retry logs in', async () => {
    const c = await imap(nginxWait.imapPort);
    c.send('a LOGIN alice wrong-password');
    assert.match((await c.line(tagged('a')))!, /^a NO /);
    c.send('b LOGIN alice alice-secret');
    assert.match((await c.line(tagged('b')))!, /^b OK .*Logged in/);
    c.close();
  });

  test('SMTP: AUTH PLAIN with the right password, then the message reaches the SMTP backend', async () => {
    const c = await LineClient.connect(nginx.smtpPort);
    assert.match((await c.line())!, /^220 /);
    c.send('EHLO client.test');
    await c.line((l) => l.startsWith('250 '));
    c.send(`AUTH PLAIN ${Buffer.from('\0alice\0alice-secret').toString('base64')}`);
    assert.match((await c.line())!, /^235 /);
    c.send('MAIL FROM:<alice@example.test>');
    assert.match((await c.line())!, /^250 /);
    c.send('RCPT TO:<bob@example.test>');
    assert.match((await c.line())!, /^250 /);
    c.send('DATA');
    assert.match((await c.line())!, /^354 /);
    c.send('Subject: through nginx\r\n\r\nhello\r\n.');
    assert.match((await c.line())!, /^250 /);
    c.send('QUIT');
    const m = await smtp.nextMessage();
    assert.equal(m.mailFrom, 'alice@example.test');
    assert.deepEqual(m.rcptTo, ['bob@example.test']);
    assert.match(m.data, /Subject: through nginx/);
    c.close();
  });

  test('SMTP: a wrong password gets Auth-Error-Code 535 5.7.8 from AuthStudio and the session ends', async () => {
    const c = await LineClient.connect(nginx.smtpPort);
    await c.line();
    c.send('EHLO client.test');
    await c.line((l) => l.startsWith('250 '));
    c.send(`AUTH PLAIN ${Buffer.from('\0alice\0nope').toString('base64')}`);
    assert.match((await c.line())!, /^535 5\.7\.8 /);
    assert.equal(await c.line(), null);
  });
});
