// The studio contract's Dovecot runner (listDovecotPresets, runDovecot) over every transport: the sample workspace's
// Nextcloud example against its stand-in, the 2.3 and 2.4 profiles, master user and userdb lookups, input errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { StudioError, type DovecotRunInput } from '../../engine/api/contract';
import { TRANSPORTS, startStudio } from './studio-fixture';

const NEXTCLOUD = 'dovecot/nextcloud/auth-httpbasic.lua';
const IMAP = { lookup: 'passdb_verify', protocol: 'imap', mechanism: 'PLAIN', remote_ip: '198.51.100.7' } as const;

/** A passdb with a master user, a userdb that reports which request field names the profile has. */
const PASSWD_SCRIPT = `
local users = { alice = "alice-pw", admin = "master-pw" }
function script_init() return 0 end
function auth_passdb_lookup(req)
  local pw = users[req.user]
  if pw == nil then return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, "" end
  return dovecot.auth.PASSDB_RESULT_OK, { password = "{PLAIN}" .. pw }
end
function auth_userdb_lookup(req)
  if req.user == "env" then return dovecot.auth.USERDB_RESULT_OK, { token = tostring(os.getenv("AUTHSTUDIO_TOKEN")), path = tostring(os.getenv("PATH")) } end
  if users[req.user] == nil then return dovecot.auth.USERDB_RESULT_USER_UNKNOWN, "" end
  return dovecot.auth.USERDB_RESULT_OK, { home = "/var/mail/" .. req.user, via = tostring(req.service) .. "/" .. tostring(req.protocol) }
end
`;

const withPasswdScript = (dir: string) => fs.writeFileSync(path.join(dir, 'dovecot', 'passwd.lua'), PASSWD_SCRIPT);

for (const transport of TRANSPORTS) {
  describe(`studio contract over ${transport}: the Dovecot runner`, () => {
    test('the Nextcloud example of the sample workspace logs in through its stand-in (IMAP preset, Dovecot 2.3)', async () => {
      const h = await startStudio(transport, { fixture: 'lua-plugins.d' });
      try {
        const presets = await h.client.listDovecotPresets();
        assert.deepEqual(presets.map((p) => p.id), ['imap-login', 'pop3-login', 'submission-login', 'master-login', 'cram-md5-lookup', 'lmtp-userdb']);
        const imap = presets.find((p) => p.id === 'imap-login')!;
        const ok = await h.client.runDovecot({ path: NEXTCLOUD, profile: '2.3', user: 'alice', password: 'alice-app-password', ...imap.input });
        assert.equal(ok.status, 'PASSDB_RESULT_OK');
        assert.equal(ok.decision, 'ok');
        assert.equal(ok.client, 'OK Logged in');
        assert.equal(ok.entry, 'auth_passdb_lookup');
        assert.deepEqual(ok.trace.map((s) => [s.stage, s.result]), [['dovecot_init', 'ok'], ['passdb', 'PASSDB_RESULT_OK']]);
        const call = ok.events.find((e) => e.kind === 'http')!;
        // the script runs unchanged: it asked for the real Nextcloud URL, the studio's stand-in answered
        assert.equal(call.detail.url, 'https://nextcloud.example.com/remote.php/dav/');
        assert.equal(call.detail.status, 207);
        assert.ok(ok.notes.some((n) => /answered by the stand-in at http:\/\/127\.0\.0\.1:\d+/.test(n)), ok.notes.join('\n'));

        const wrong = await h.client.runDovecot({ path: NEXTCLOUD, user: 'alice', password: 'guess', ...imap.input });
        assert.equal(wrong.status, 'PASSDB_RESULT_PASSWORD_MISMATCH');
        assert.equal(wrong.client, 'NO [AUTHENTICATIONFAILED] Authentication failed.');
        assert.equal(wrong.events.find((e) => e.kind === 'http')!.detail.status, 401);
      } finally {
        await h.close();
      }
    });

    test('Dovecot 2.4: the 2.3-only Nextcloud script stops the auth process (dovecot.http.client refuses 2.3 settings)', async () => {
      const h = await startStudio(transport, { fixture: 'lua-plugins.d' });
      try {
        const r = await h.client.runDovecot({ path: NEXTCLOUD, profile: '2.4', user: 'alice', password: 'alice-app-password', ...IMAP });
        assert.equal(r.status, 'AUTH_PROCESS_BROKEN');
        assert.equal(r.client, '* BYE Auth process broken');
        assert.deepEqual(r.trace.map((s) => s.stage), ['dovecot_init']);
        assert.match(r.trace[0].error ?? '', /Invalid HTTP client setting: \w+ is unknown setting \(dovecot\/nextcloud\/auth-httpbasic\.lua:8: in main chunk\)/);
        assert.equal(r.events.filter((e) => e.kind === 'http').length, 0);
      } finally {
        await h.close();
      }
    });

    test('an unsaved buffer runs instead of the file; master-user and userdb lookups per profile', async () => {
      const h = await startStudio(transport, { fixture: 'lua-plugins.d', edit: withPasswdScript });
      try {
        const p = 'dovecot/passwd.lua';
        const buffer = await h.client.runDovecot({ path: p, source: PASSWD_SCRIPT.replace('"alice-pw"', '"edited-pw"'), user: 'alice', password: 'edited-pw', ...IMAP });
        assert.equal(buffer.status, 'PASSDB_RESULT_OK');

        const master = await h.client.runDovecot({ path: p, user: 'alice', password: 'master-pw', master_user: 'admin', ...IMAP });
        assert.equal(master.status, 'PASSDB_RESULT_OK');
        assert.deepEqual(master.fields, { user: 'alice', original_user: 'admin', auth_user: 'admin' });
        assert.ok(master.logs.some((l) => l.text === 'auth: Info: Master user logging in as alice'), JSON.stringify(master.logs));

        const u23 = await h.client.runDovecot({ path: p, lookup: 'userdb_lookup', user: 'alice', protocol: 'lmtp' });
        assert.equal(u23.status, 'USERDB_RESULT_OK');
        assert.deepEqual(u23.fields, { home: '/var/mail/alice', via: 'lmtp/nil' });
        const u24 = await h.client.runDovecot({ path: p, profile: '2.4', lookup: 'userdb_lookup', user: 'alice', protocol: 'lmtp' });
        assert.deepEqual(u24.fields, { home: '/var/mail/alice', via: 'nil/lmtp' }, 'Dovecot 2.4 renamed req.service to req.protocol');

        // Dovecot 2.4 hands the passdb's lua_settings { } to script_init
        const withSettings = PASSWD_SCRIPT.replace('function script_init() return 0 end', 'function script_init(args) GREETING = args and args.greeting return 0 end')
          .replace('via = tostring(req.service)', 'greeting = tostring(GREETING), via = tostring(req.service)');
        const s24 = await h.client.runDovecot({ path: p, source: withSettings, profile: '2.4', lookup: 'userdb_lookup', user: 'alice', lua_settings: { greeting: 'hello' } });
        assert.equal(s24.fields.greeting, 'hello', JSON.stringify(s24));

        // like Dovecot's import_environment, the studio's own environment stays out of the script's reach
        const env = await h.client.runDovecot({ path: p, lookup: 'userdb_lookup', user: 'env' });
        assert.deepEqual(env.fields, { token: "nil", path: "nil" }, JSON.stringify(env));
      } finally {
        await h.close();
      }
    });

    test('the AuthStudio bridge script logs in through this studio\'s own engine (2.3 and 2.4 bridges)', async () => {
      const h = await startStudio(transport, { fixture: 'lua-plugins.d', listen: true });
      try {
        for (const [path, profile] of [['dovecot/authstudio.lua', '2.3'], ['dovecot/authstudio-2.4.lua', '2.4']] as const) {
          const ok = await h.client.runDovecot({ path, profile, user: 'alice', password: 'alice-secret', ...IMAP });
          assert.equal(ok.status, 'PASSDB_RESULT_OK', `${path}: ${JSON.stringify(ok.logs)}`);
          assert.ok(ok.events.some((e) => e.kind === 'http' && String(e.detail.url).startsWith(h.url!)), JSON.stringify(ok.events));
          const bad = await h.client.runDovecot({ path, profile, user: 'alice', password: 'wrong', ...IMAP });
          assert.equal(bad.status, 'PASSDB_RESULT_PASSWORD_MISMATCH', `${path}: ${JSON.stringify(bad.logs)}`);
        }
      } finally {
        await h.close();
      }
    });

    test('bad input is refused with an error naming the field', async () => {
      const h = await startStudio(transport, { fixture: 'lua-plugins.d' });
      try {
        const base: DovecotRunInput = { path: NEXTCLOUD, user: 'alice', password: 'x' };
        const cases: Array<[Partial<DovecotRunInput> & Record<string, unknown>, string, RegExp]> = [
          [{ path: 'dovecot/nextcloud/missing.lua' }, 'path', /not a file of the workspace/],
          [{ path: '../outside.lua' }, 'path', /path/],
          [{ path: 'authstudio.yml' }, 'path', /\.lua script/],
          [{ profile: '2.5' as never }, 'profile', /2\.3 or 2\.4/],
          [{ lookup: 'passdb' as never }, 'lookup', /passdb_verify, passdb_lookup, userdb_lookup/],
          [{ user: '' }, 'user', /required/],
          [{ remote_ip: '198.51.100.300' }, 'remote_ip', /IPv4 or IPv6/],
          [{ lookup: 'passdb_lookup', mechanism: 'PLAIN' }, 'mechanism', /CRAM-MD5/],
          [{ password: undefined }, 'password', /required for passdb_verify/],
          [{ lookup: 'userdb_lookup', master_user: 'admin' }, 'master_user', /not to a userdb lookup/],
          [{ lua_settings: { a: 'b' } }, 'lua_settings', /2\.4 only/],
          [{ local_port: 70000 }, 'local_port', /port number/],
        ];
        for (const [over, field, message] of cases) {
          await assert.rejects(h.client.runDovecot({ ...base, ...over } as DovecotRunInput), (e: StudioError) => {
            assert.equal(e.code, 'AS_ERR_BAD_REQUEST', JSON.stringify(over));
            assert.equal(e.info.path, field, `${JSON.stringify(over)}: ${e.message}`);
            assert.match(e.message, message);
            return true;
          });
        }
      } finally {
        await h.close();
      }
    });
  });
}
