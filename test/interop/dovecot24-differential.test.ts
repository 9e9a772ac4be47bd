// The same Dovecot Lua scripts in the harness' 2.4 profile and in a real Dovecot 2.4.1 (Debian 13, run with chroot):
// same verdict, fields, log lines and IMAP answer. Several cases are Dovecot 2.3 usage that 2.4 refuses.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { runDovecotScript } from '../../engine/dovecot';
import { ROOT } from '../helpers/spawn-serve';
import { dovecot24Gate, startDovecot, type DovecotServer } from './dovecot-server';
import { fieldText, harnessView, normaliseImap, scriptFields, type View } from './dovecot-diff-view';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'dovecot24-diff');
const USERDB = path.join(FIXTURES, 'userdb.lua');
const gate = dovecot24Gate();

interface DiffCase {
  name: string;
  user: string;
  password: string;
  /** Also log in with IMAP LOGIN and compare the answer. */
  imap?: boolean;
  /** A userdb lookup (`doveadm user`) instead of a login. */
  userdb?: boolean;
  /** The script's top level or script_init fails: a Dovecot of its own, compared on what an IMAP client gets. */
  init?: string;
}

const c = (name: string, user: string, password = 'any', imap = false): DiffCase => ({ name, user, password, imap });
const CASES: DiffCase[] = [
  c('Dovecot 2.4: OK with a table of fields (numbers, booleans)', 'table_ok@cases.test', 'any', true),
  c('Dovecot 2.4: a string result (2.3 style) is refused: invalid return value, expected nil or table', 'string_ok@cases.test', 'any', true),
  c('Dovecot 2.4: OK with nil fields: no password returned', 'nil_ok@cases.test'),
  c('Dovecot 2.4: {PLAIN} password, right', 'plain@cases.test', 'secret', true),
  c('Dovecot 2.4: {PLAIN} password, wrong', 'plain@cases.test', 'guess', true),
  c('Dovecot 2.4: {SHA256} password, right', 'sha256@cases.test', 'secret'),
  c('Dovecot 2.4: unknown scheme {NOPE}', 'nosuch@cases.test', 'secret'),
  c('Dovecot 2.4: PASSWORD_MISMATCH without a second value', 'mismatch@cases.test'),
  c('Dovecot 2.4: USER_DISABLED with nil', 'disabled@cases.test'),
  c('Dovecot 2.4: PASS_EXPIRED', 'expired@cases.test', 'any', true),
  c('Dovecot 2.4: INTERNAL_FAILURE with an error string', 'internal@cases.test'),
  c('Dovecot 2.4: INTERNAL_FAILURE with nil reads "passdb failed"', 'internal_nil@cases.test'),
  c('Dovecot 2.4: USER_UNKNOWN with a table (2.3 style) is refused: expected nil or string', 'unknown_table@cases.test'),
  c('Dovecot 2.4: USER_UNKNOWN with an empty string', 'unknown_string@cases.test'),
  c('Dovecot 2.4: an unknown user', 'nobody@cases.test'),
  c('Dovecot 2.4: noauthenticate as the only passdb', 'noauthenticate@cases.test'),
  c('Dovecot 2.4: request fields renamed (protocol, remote_ip, mechanism); service, rip, mech, username, domain are nil', 'Fields@Cases.test'),
  c('Dovecot 2.4: user= renames', 'rename@cases.test'),
  c('Dovecot 2.4: an empty field key is skipped with a warning', 'empty_key@cases.test'),
  c('Dovecot 2.4: a field key with a TAB is skipped with a warning', 'tab_key@cases.test'),
  c('Dovecot 2.4: a table value is skipped with a warning', 'table_value@cases.test'),
  c('Dovecot 2.4: lua_settings reach script_init(args); its result 1 does not stop the service', 'setting@cases.test'),
  c('Dovecot 2.4: var_expand with %{name | filter}', 'expand@cases.test'),
  c('Dovecot 2.4: var_expand leaves 2.3 templates (%d/%n) as they are', 'expand_23@cases.test'),
  c('Dovecot 2.4: var_expand of a 2.3 name (%{rip}) raises Unknown variable', 'expand_unknown@cases.test'),
  c('Dovecot 2.4.1: var_expand drops a text run that is exactly "y"', 'expand_y@cases.test'),
  c('Dovecot 2.4: a script error (traceback)', 'script_error@cases.test', 'any', true),
  c('Dovecot 2.4: a status that is not a number', 'not_number@cases.test'),
  c('Dovecot 2.4: http client max_attempts (2.3 name) is an unknown setting', 'http_max_attempts@cases.test'),
  c('Dovecot 2.4: http client request_timeout_msecs (2.3 name) is an unknown setting', 'http_timeout_msecs@cases.test'),
  c('Dovecot 2.4: http client debug (removed) is an unknown setting', 'http_debug@cases.test'),
  c('Dovecot 2.4: http client no_auto_redirect (2.3 name) is an unknown setting', 'http_no_auto_redirect@cases.test'),
  c('Dovecot 2.4: http client request_timeout = 5000 lacks a unit', 'http_no_unit@cases.test'),
  c('Dovecot 2.4: http client request_max_attempts = -1', 'http_negative@cases.test'),
  c('Dovecot 2.4: http client with a boolean setting: the auth worker dies', 'http_bool@cases.test'),
  c('Dovecot 2.4: http client with 2.4 settings asks the backend', 'http_ok@cases.test', 'any', true),
  c('Dovecot 2.4: auth_password_verify with a table, right password', 'verify_ok@verify.test', 'secret'),
  c('Dovecot 2.4: auth_password_verify, wrong password', 'verify_ok@verify.test', 'wrong'),
  c('Dovecot 2.4: auth_password_verify with a string result (2.3 style) is refused', 'verify_string@verify.test', 'secret'),
  { name: 'Dovecot 2.4: userdb with a table', user: 'table@users.test', password: '', userdb: true },
  { name: 'Dovecot 2.4: userdb with a string (2.3 style) is refused', user: 'string@users.test', password: '', userdb: true },
  { name: 'Dovecot 2.4: userdb USER_UNKNOWN', user: 'unknown@users.test', password: '', userdb: true },
  { name: 'Dovecot 2.4: userdb INTERNAL_FAILURE with a message', user: 'failing@users.test', password: '', userdb: true },
  { name: 'Dovecot 2.4: userdb INTERNAL_FAILURE with nil', user: 'failing_nil@users.test', password: '', userdb: true },
  { name: 'Dovecot 2.4: script_init raises: auth process broken', user: 'alice', password: 'x', init: 'init-raises.lua' },
  { name: 'Dovecot 2.4: the top level raises: auth process broken', user: 'alice', password: 'x', init: 'top-level-error.lua' },
];

/** The parts of a 2.4 log line that differ from run to run: process ids, the per-worker request number. */
function normaliseLog(line: string): string | undefined {
  if (/^(master|imap-login|imap\(|doveadm)/.test(line) || /Fatal: master: service\(/.test(line)) return undefined;
  return line
    .replace(/^(auth(?:-worker)?)\((\d+)\)/, '$1')
    .replace(/^(auth(?:-worker)?\([^)]*\))<\d+>/, '$1')
    .replace(/: request \[\d+\]: /, ': request [1]: ');
}

describe('Dovecot Lua scripts: harness (2.4 profile) vs real Dovecot 2.4', { skip: gate.skip }, () => {
  if (gate.failure) {
    // CI builds the root: a missing one is a broken setup, reported as a failing test rather than a skip
    test('the Debian 13 root with Dovecot 2.4 is there', () => assert.fail(gate.failure));
    return;
  }
  let dovecot: DovecotServer;
  const broken: Record<string, DovecotServer> = {};
  let backendServer: http.Server;
  let luaSettings: Record<string, string>;
  const table: string[] = [];
  let ipCounter = 10;
  const scripts: Record<string, string> = { cases: path.join(FIXTURES, 'cases.lua'), verify: path.join(FIXTURES, 'verify.lua') };

  before(async () => {
    backendServer = http.createServer((req, res) => {
      res.writeHead(req.url === '/check' ? 200 : 404);
      res.end('fine');
    });
    await new Promise<void>((r) => backendServer.listen(0, '127.0.0.1', r));
    luaSettings = { backend: `http://127.0.0.1:${(backendServer.address() as net.AddressInfo).port}`, greeting: 'hello' };
    const inits = [...new Set(CASES.filter((x) => x.init).map((x) => x.init!))];
    const started = await Promise.all([
      startDovecot({
        version: '2.4', luaSettings,
        passdbs: Object.entries(scripts).map(([domain, file]) => ({ file, usernameFilter: `*@${domain}.test` })),
        userdbs: [{ file: USERDB }],
      }),
      ...inits.map((f) => startDovecot({ version: '2.4', luaSettings, passdbs: [{ file: path.join(FIXTURES, f) }] })),
    ]);
    dovecot = started[0];
    inits.forEach((f, i) => (broken[f] = started[i + 1]));
  });

  after(async () => {
    await Promise.all([dovecot?.stop(), ...Object.values(broken).map((d) => d.stop())]);
    backendServer?.close();
    if (table.length) console.log(['', 'case | harness | real Dovecot 2.4 | same', ...table].join('\n'));
  });

  const domainOf = (user: string) => user.slice(user.indexOf('@') + 1).replace(/\.test$/i, '').toLowerCase();

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

  for (const dc of CASES) {
    test(dc.name, async () => {
      const ip = `192.0.2.${ipCounter++}`;
      if (dc.init) {
        const d = broken[dc.init];
        d.takeLog();
        const h = await runDovecotScript({
          file: path.join(FIXTURES, dc.init), displayPath: d.scriptPath(path.join(FIXTURES, dc.init)), dovecot: '2.4', luaSettings,
          login: { user: dc.user, password: dc.password, remoteIp: ip },
        });
        const answer = await d.imapLogin(dc.user, dc.password, ip);
        const mineLogs = [...new Set(harnessView(h, normaliseLog).logs)];
        const realLogs = [...new Set(await realLogsOf(d, mineLogs.length))];
        table.push(`${dc.name} | ${h.status} [${h.imap}] | [${answer}] | ${h.imap === answer ? 'yes' : 'NO'}`);
        assert.deepEqual({ outcome: h.outcome, imap: h.imap, logs: mineLogs }, { outcome: answer.startsWith('* BYE') ? 'tempfail' : 'ok', imap: answer, logs: realLogs });
        return;
      }
      dovecot.takeLog();
      if (dc.userdb) {
        const h = await runDovecotScript({ file: USERDB, displayPath: dovecot.scriptPath(USERDB), dovecot: '2.4', action: 'userdb', passdbName: 'lua0', login: { user: dc.user, service: 'imap' } });
        const mine = harnessView(h, normaliseLog);
        delete mine.code;
        const r = await dovecot.userLookup(dc.user);
        const fields = Object.fromEntries(Object.entries(r.fields).filter(([k, v]) => !(k === 'user' && v === dc.user)));
        // doveadm user also prints mail_path (empty here) when the userdb gave none
        if (fields.mail_path === '' && h.fields.mail_path === undefined) delete fields.mail_path;
        const real: View = { outcome: r.status === 'ok' ? 'ok' : r.status === 'unknown' ? 'fail' : 'tempfail', fields: r.status === 'ok' ? fields : {}, logs: [] };
        real.logs = await realLogsOf(dovecot, mine.logs.length);
        table.push(`${dc.name} | ${h.status} ${mine.outcome} | ${real.outcome} | ${isDeepStrictEqual(mine, real) ? 'yes' : 'NO'}`);
        assert.deepEqual(mine, real);
        return;
      }
      const file = scripts[domainOf(dc.user)];
      const h = await runDovecotScript({
        file, displayPath: dovecot.scriptPath(file), dovecot: '2.4', luaSettings,
        passdbName: `lua${Object.keys(scripts).indexOf(domainOf(dc.user))}`,
        login: { user: dc.user, password: dc.password, service: 'imap', remoteIp: ip },
      });
      const mine = harnessView(h, normaliseLog);
      const r = await dovecot.authTest(dc.user, dc.password, ip);
      const dropUser = (fields: Record<string, string>) => scriptFields(fields, dc.user);
      const real: View = { outcome: r.ok ? 'ok' : r.fields.code === 'temp_fail' ? 'tempfail' : 'fail', ...(r.fields.code ? { code: r.fields.code } : {}), fields: dropUser(r.fields), logs: [] };
      real.logs = await realLogsOf(dovecot, mine.logs.length);
      if (dc.imap) {
        real.imap = normaliseImap(await dovecot.imapLogin(dc.user, dc.password, `198.51.100.${ipCounter++}`));
        mine.imap = h.imap;
        dovecot.takeLog();
      }
      const same = isDeepStrictEqual(mine, real);
      table.push(`${dc.name} | ${h.status} ${mine.outcome}${mine.code ? ` code=${mine.code}` : ''} ${fieldText(mine)}${mine.imap ? ` [${mine.imap}]` : ''} | ${real.outcome}${real.code ? ` code=${real.code}` : ''} ${fieldText(real)}${real.imap ? ` [${real.imap}]` : ''} | ${same ? 'yes' : 'NO'}`);
      assert.deepEqual(mine, real);
    });
  }
});
