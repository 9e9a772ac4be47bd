// The same Dovecot Lua scripts in the AuthStudio harness and in a real Dovecot 2.3: same verdict, fields, log lines.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { runDovecotScript } from '../../engine/dovecot';
import { ROOT } from '../helpers/spawn-serve';
import { dovecotUnavailable, startDovecot, type DovecotServer } from './dovecot-server';
import { fieldText, harnessView, normaliseImap, scriptFields, type View } from './dovecot-diff-view';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'dovecot-diff');
/** The seed's Nextcloud script and its base64 module, as the sample workspace ships them. */
const NEXTCLOUD = path.join(ROOT, 'lua-plugins.d', 'dovecot', 'nextcloud');
const skip = dovecotUnavailable();

interface DiffCase {
  name: string;
  user: string;
  password: string;
  /** Client address; null: none (doveadm auth test without -x rip). */
  rip?: null;
  /** CRAM-MD5 over IMAP instead of a plaintext doveadm auth test. */
  cram?: boolean;
  /** Also log in with IMAP LOGIN and compare the answer. */
  imap?: boolean;
  /** A userdb lookup (`doveadm user`) instead of a login. */
  userdb?: boolean;
  /** The script's script_init fails: a Dovecot of its own, compared on what an IMAP client gets. */
  init?: string;
}

const SCHEMES = ['sha1', 'ssha512', 'scram-sha-256', 'blf-crypt', 'hmac-md5', 'otp', 'sha512', 'sha', 'des-crypt', 'crypt', 'ssha',
  'md5-crypt', 'plain-md4', 'plain-md5', 'scram-sha-1', 'sha512-crypt', 'clear', 'cleartext', 'argon2i', 'argon2id', 'ssha256',
  'md5', 'pbkdf2', 'sha256', 'cram-md5', 'sha256-crypt', 'smd5', 'digest-md5', 'ldap-md5', 'plain-trunc', 'hex-suffix',
  'crypt-md5', 'no-scheme'];

const CASES: DiffCase[] = [
  { name: 'Nextcloud seed: right app password (PROPFIND 207)', user: 'alice@nc.test', password: 'app-password', imap: true },
  { name: 'Nextcloud seed: wrong password (PROPFIND 401)', user: 'alice@nc.test', password: 'guess', imap: true },
  { name: 'Nextcloud seed: no remote_ip (add_header nil)', user: 'alice@nc.test', password: 'app-password', rip: null },
  { name: 'Nextcloud seed: server down (9003)', user: 'alice@ncdown.test', password: 'app-password', imap: true },
  { name: 'Nextcloud seed: CRAM-MD5, req.password nil', user: 'alice@nc.test', password: 'app-password', cram: true },
  { name: 'string fields', user: 'string_fields@ret.test', password: 'any' },
  { name: 'table fields (numbers, booleans, a table)', user: 'table_fields@ret.test', password: 'any' },
  { name: 'OK without password or nopassword', user: 'missing_password@ret.test', password: 'any', imap: true },
  { name: 'nopassword with a password', user: 'nopassword_and_password@ret.test', password: 'any' },
  { name: 'password field, right password', user: 'password_field@ret.test', password: 'secret' },
  { name: 'password field, wrong password', user: 'password_field@ret.test', password: 'not-secret' },
  { name: 'password field, unknown scheme', user: 'unknown_scheme@ret.test', password: 'secret' },
  { name: 'CRAM-MD5 against {PLAIN} credentials', user: 'plain_credentials@ret.test', password: 'secret', cram: true },
  { name: 'status without fields (nil)', user: 'status_only@ret.test', password: 'any', imap: true },
  { name: 'USER_DISABLED', user: 'disabled@ret.test', password: 'any' },
  { name: 'PASS_EXPIRED', user: 'expired@ret.test', password: 'any', imap: true },
  { name: 'INTERNAL_FAILURE with a message', user: 'internal@ret.test', password: 'any' },
  { name: 'NEXT as the last passdb', user: 'next@ret.test', password: 'any' },
  { name: 'script error (traceback)', user: 'script_error@ret.test', password: 'any', imap: true },
  { name: 'unknown user', user: 'nobody@ret.test', password: 'any' },
  { name: 'req fields and var_expand', user: 'Request_Fields@Ret.test', password: 'any' },
  { name: 'auth_password_verify: OK with fields', user: 'verify_ok@verify.test', password: 'secret' },
  { name: 'auth_password_verify: mismatch', user: 'verify_ok@verify.test', password: 'wrong' },
  { name: 'auth_password_verify: error', user: 'verify_error@verify.test', password: 'secret' },
  { name: 'nopassword + noauthenticate as the only passdb', user: 'noauthenticate@ret.test', password: 'any', imap: true },
  { name: 'noauthenticate alone', user: 'noauthenticate_only@ret.test', password: 'any' },
  { name: 'user= renames (original_user)', user: 'rename_user@ret.test', password: 'any' },
  { name: 'username= keeps the domain', user: 'rename_username@ret.test', password: 'any' },
  { name: 'domain= replaces the domain', user: 'rename_domain@ret.test', password: 'any' },
  { name: 'user= empty fails the login', user: 'rename_empty@ret.test', password: 'any' },
  { name: 'fail field', user: 'fail_field@ret.test', password: 'any' },
  { name: 'login_user field: a master login', user: 'login_user@ret.test', password: 'any' },
  { name: 'add_header with a newline: the worker dies on an assertion', user: 'header_newline@ret.test', password: 'any' },
  { name: 'mixed-case login: original_user as typed', user: 'String_Fields@Ret.Test', password: 'any' },
  ...SCHEMES.map((s) => ({ name: `scheme ${s.toUpperCase()}: right password`, user: `${s}@schemes.test`, password: 'secret' })),
  ...['sha512-crypt', 'pbkdf2', 'cram-md5', 'scram-sha-256', 'des-crypt'].map((s) => ({ name: `scheme ${s.toUpperCase()}: wrong password`, user: `${s}@schemes.test`, password: 'Secret' })),
  { name: 'CRAM-MD5 login against {CRAM-MD5} credentials', user: 'cram-md5@schemes.test', password: 'secret', cram: true },
  { name: 'CRAM-MD5 login against {SHA256} credentials', user: 'sha256@schemes.test', password: 'secret', cram: true },
  { name: 'scheme {NOSUCH}: password mismatch, Unknown scheme', user: 'nosuch@schemes.test', password: 'secret', imap: true },
  { name: 'scheme SSHA with bad base64', user: 'bad-base64@schemes.test', password: 'secret' },
  { name: 'scheme PBKDF2 with a bad entry', user: 'bad-pbkdf2@schemes.test', password: 'secret' },
  { name: 'req:password_verify on malformed stored values', user: 'malformed@schemes.test', password: 'secret' },
  { name: 'cjson: encode, decode, null, errors, cjson.safe', user: 'cjson@modules.test', password: 'any' },
  { name: 'io.open / io.lines read a file', user: 'io@modules.test', password: 'any' },
  { name: 'master user: right master password', user: 'alice@ret.test*admin', password: 'master-secret', imap: true },
  { name: 'master user: wrong master password', user: 'alice@ret.test*admin', password: 'wrong' },
  { name: 'master user: disabled master', user: 'alice@ret.test*locked', password: 'x' },
  { name: 'master user: unknown master', user: 'alice@ret.test*nobody', password: 'x' },
  { name: 'userdb: table fields', user: 'table@users.test', password: '', userdb: true },
  { name: 'userdb: string fields', user: 'string@users.test', password: '', userdb: true },
  { name: 'userdb: unknown user', user: 'unknown@users.test', password: '', userdb: true },
  { name: 'userdb: INTERNAL_FAILURE with a message', user: 'failing@users.test', password: '', userdb: true },
  { name: 'userdb: script error', user: 'raising@users.test', password: '', userdb: true },
  { name: 'script_init returns 1: auth process broken', user: 'alice', password: 'x', init: 'init-fails.lua' },
  { name: 'script_init raises: auth process broken', user: 'alice', password: 'x', init: 'init-raises.lua' },
];

function normaliseLog(line: string): string | undefined {
  if (/^(master|imap-login|imap\(|doveadm)/.test(line) || /Raw backtrace|Fatal: master: service\(/.test(line)) return undefined;
  return line
    .replace(/^(auth(?:-worker)?)\(\d+\)/, '$1')
    .replace(/conn unix:auth-worker \(pid=\d+,uid=\d+\): auth-worker<\d+>: /, '')
    .replace(/,<[^>]+>\): /, '): ');
}

describe('Dovecot Lua scripts: harness vs real Dovecot 2.3', { skip }, () => {
  let dovecot: DovecotServer;
  const broken: Record<string, DovecotServer> = {};
  let nextcloud: http.Server;
  let work: string;
  let luaPath: string;
  const scripts: Record<string, string> = {};
  const forwardedFor: string[] = [];
  const table: string[] = [];
  let ipCounter = 10;

  before(async () => {
    nextcloud = http.createServer((req, res) => {
      forwardedFor.push(String(req.headers['x-forwarded-for']));
      const ok = req.method === 'PROPFIND' && req.url === '/remote.php/dav/'
        && req.headers.authorization === `Basic ${Buffer.from('alice@nc.test:app-password').toString('base64')}`;
      res.writeHead(ok ? 207 : 401, ok ? 'Multi-Status' : 'Unauthorized');
      res.end();
    });
    await new Promise<void>((r) => nextcloud.listen(0, '127.0.0.1', r));
    const deadPort = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-dovecot-diff-'));
    // the seed script verbatim except its URL line (it names nextcloud.example.com)
    const seed = fs.readFileSync(path.join(NEXTCLOUD, 'auth-httpbasic.lua'), 'utf8');
    const withUrl = (url: string) => seed.replace(/^local http_url = .*$/m, `local http_url = "${url}"`);
    for (const [name, url] of [['nc', `http://127.0.0.1:${(nextcloud.address() as net.AddressInfo).port}/remote.php/dav/`], ['ncdown', `http://127.0.0.1:${deadPort}/remote.php/dav/`]]) {
      fs.mkdirSync(path.join(work, name));
      scripts[name] = path.join(work, name, 'auth-httpbasic.lua');
      fs.writeFileSync(scripts[name], withUrl(url));
    }
    scripts.ret = path.join(FIXTURES, 'returns.lua');
    scripts.verify = path.join(FIXTURES, 'verify.lua');
    scripts.schemes = path.join(FIXTURES, 'schemes.lua');
    scripts.modules = path.join(FIXTURES, 'modules.lua');
    scripts.users = path.join(FIXTURES, 'userdb.lua');
    // base64.lua comes from LUA_PATH in both (the seed's /etc/dovecot/lua does not exist here)
    luaPath = `${FIXTURES}/?.lua;${NEXTCLOUD}/?.lua;;`;
    // the Dovecots whose auth process cannot start run beside the main one
    const inits = [...new Set(CASES.filter((c) => c.init).map((c) => c.init!))];
    const started = await Promise.all([
      startDovecot({
        passdbs: Object.entries(scripts).map(([domain, file]) => ({ file, usernameFilter: `*@${domain}.test` })),
        userdbs: [{ file: scripts.users }],
        env: { LUA_PATH: luaPath },
        mechanisms: 'plain login cram-md5',
        extra: `auth_master_user_separator = *\npassdb {\n  driver = lua\n  args = file=${path.join(FIXTURES, 'master.lua')} blocking=yes\n  master = yes\n}\n`,
      }),
      ...inits.map((f) => startDovecot({ passdbs: [{ file: path.join(FIXTURES, f) }] })),
    ]);
    dovecot = started[0];
    inits.forEach((f, i) => (broken[f] = started[i + 1]));
  });

  after(async () => {
    await Promise.all([dovecot?.stop(), ...Object.values(broken).map((d) => d.stop())]);
    nextcloud?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    if (table.length) console.log(['', 'case | harness | real Dovecot | same', ...table].join('\n'));
  });

  const scriptFor = (user: string) => scripts[user.replace(/\*.*$/, '').slice(user.indexOf('@') + 1).replace(/\.test$/i, '').toLowerCase()];

  const realLogs = (expected: number) => realLogsOf(dovecot, expected);
  async function realLogsOf(d: DovecotServer, expected: number): Promise<string[]> {
    // the log process writes asynchronously: wait until as many lines as the harness logged have arrived
    const deadline = Date.now() + 3000;
    let lines: string[] = [];
    for (;;) {
      lines = lines.concat(d.takeLog().map(normaliseLog).filter((l): l is string => l !== undefined));
      if (lines.length >= expected || Date.now() > deadline) return lines;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  for (const c of CASES) {
    test(c.name, async () => {
      const ip = c.rip === null ? undefined : `192.0.2.${ipCounter++}`;
      if (c.init) {
        // no lookup runs: the login process greets with BYE, the auth process logs its fatal error at each restart
        const d = broken[c.init];
        d.takeLog();
        const h = await runDovecotScript({ file: path.join(FIXTURES, c.init), login: { user: c.user, password: c.password, remoteIp: ip } });
        const answer = await d.imapLogin(c.user, c.password, ip);
        const mineLogs = [...new Set(harnessView(h, normaliseLog).logs)];
        const realLogs = [...new Set((await realLogsOf(d, mineLogs.length)))];
        table.push(`${c.name} | ${h.status} [${h.imap}] | [${answer}] | ${h.imap === answer ? 'yes' : 'NO'}`);
        assert.deepEqual({ outcome: h.outcome, imap: h.imap, logs: mineLogs }, { outcome: answer.startsWith('* BYE') ? 'tempfail' : 'ok', imap: answer, logs: realLogs });
        return;
      }
      dovecot.takeLog();
      const h = await runDovecotScript({
        file: scriptFor(c.user), env: { LUA_PATH: luaPath }, action: c.userdb ? 'userdb' : 'passdb',
        ...(c.user.includes('*') ? { masterScript: { file: path.join(FIXTURES, 'master.lua') } } : {}),
        // doveadm user sends no client address
        login: { user: c.user, password: c.password, service: 'imap', remoteIp: c.userdb ? undefined : ip, ...(c.cram ? { mech: 'CRAM-MD5', localIp: '127.0.0.1' } : {}) },
      });
      const mine = harnessView(h, normaliseLog);
      let real: View;
      const dropUser = (fields: Record<string, string>) => scriptFields(fields, c.user);
      if (c.userdb) {
        const r = await dovecot.userLookup(c.user);
        // doveadm user also prints the mail_location setting as `mail` (empty here) when the userdb gave none
        const fields = dropUser(r.fields);
        if (fields.mail === '' && h.fields.mail === undefined) delete fields.mail;
        real = { outcome: r.status === 'ok' ? 'ok' : r.status === 'unknown' ? 'fail' : 'tempfail', fields: r.status === 'ok' ? fields : {}, logs: [] };
        delete mine.code;
      } else if (c.cram) {
        const answer = normaliseImap(await dovecot.imapCramMd5(c.user, c.password, ip));
        real = { outcome: answer.startsWith('OK') ? 'ok' : /UNAVAILABLE/.test(answer) ? 'tempfail' : 'fail', fields: {}, imap: answer, logs: [] };
        // over IMAP there is no code= field and no field list to compare
        mine.imap = h.imap;
        delete mine.code;
        mine.fields = {};
      } else {
        const r = await dovecot.authTest(c.user, c.password, ip);
        real = { outcome: r.ok ? 'ok' : r.fields.code === 'temp_fail' ? 'tempfail' : 'fail', ...(r.fields.code ? { code: r.fields.code } : {}), fields: dropUser(r.fields), logs: [] };
      }
      real.logs = await realLogs(mine.logs.length);
      if (c.imap) {
        const answer = normaliseImap(await dovecot.imapLogin(c.user, c.password, `198.51.100.${ipCounter++}`));
        real.imap = answer;
        mine.imap = h.imap;
        dovecot.takeLog();
      }
      const same = isDeepStrictEqual(mine, real);
      table.push(`${c.name} | ${h.status} ${mine.outcome}${mine.code ? ` code=${mine.code}` : ''} ${fieldText(mine)}${mine.imap ? ` [${mine.imap}]` : ''} | ${real.outcome}${real.code ? ` code=${real.code}` : ''} ${fieldText(real)}${real.imap ? ` [${real.imap}]` : ''} | ${same ? 'yes' : 'NO'}`);
      assert.deepEqual(mine, real);
    });
  }

  test('the seed script sent the client address as X-Forwarded-For in both', () => {
    assert.ok(forwardedFor.length >= 4);
    for (const v of forwardedFor) assert.match(v, /^(192\.0\.2|198\.51\.100)\.\d+$/);
  });
});
