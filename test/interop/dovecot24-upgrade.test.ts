// `authstudio dovecot upgrade` against a real Dovecot 2.4.1: the seed's Nextcloud script and the AuthStudio bridge,
// written for Dovecot 2.3, fail in 2.4 as they are and log in once upgraded (an HTTP server of ours / authstudio serve
// behind them). The harness' 2.4 profile gives the same answers.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runDovecotScript } from '../../engine/dovecot';
import { upgradeScript } from '../../engine/dovecot/upgrade';
import { spawnServe, ROOT, type ServeProcess } from '../helpers/spawn-serve';
import { dovecot24Gate, startDovecot, type DovecotServer } from './dovecot-server';

// the seed's Nextcloud script and its base64 module, as the sample workspace ships them
const SEED_DIR = path.join(ROOT, 'lua-plugins.d', 'dovecot', 'nextcloud');
const BRIDGE_24 = path.join(ROOT, 'lua-plugins.d', 'dovecot', 'authstudio-2.4.lua');
const gate = dovecot24Gate();

describe('Dovecot 2.4: scripts upgraded from 2.3 log in through a real Dovecot 2.4', { skip: gate.skip }, () => {
  if (gate.failure) {
    // CI builds the root: a missing one is a broken setup, reported as a failing test rather than a skip
    test('the Debian 13 root with Dovecot 2.4 is there', () => assert.fail(gate.failure));
    return;
  }
  let nextcloud: http.Server;
  let serve: ServeProcess;
  let work: string;
  let seed23: string;
  let seed24: string;
  let seedDovecot: DovecotServer;
  let oldSeedDovecot: DovecotServer;
  let bridgeDovecot: DovecotServer;

  before(async () => {
    nextcloud = http.createServer((req, res) => {
      const ok = req.method === 'PROPFIND' && req.headers.authorization === `Basic ${Buffer.from('alice@nc.test:app-password').toString('base64')}`;
      res.writeHead(ok ? 207 : 401, ok ? 'Multi-Status' : 'Unauthorized');
      res.end();
    });
    await new Promise<void>((r) => nextcloud.listen(0, '127.0.0.1', r));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-dovecot24-upgrade-'));
    // the seed script with its URL pointed at our stand-in, once as written for 2.3 and once upgraded
    const url = `http://127.0.0.1:${(nextcloud.address() as net.AddressInfo).port}/remote.php/dav/`;
    const seed = fs.readFileSync(path.join(SEED_DIR, 'auth-httpbasic.lua'), 'utf8').replace(/^local http_url = .*$/m, `local http_url = "${url}"`);
    for (const v of ['23', '24']) {
      fs.mkdirSync(path.join(work, v));
      fs.copyFileSync(path.join(SEED_DIR, 'base64.lua'), path.join(work, v, 'base64.lua'));
      fs.writeFileSync(path.join(work, v, 'auth-httpbasic.lua'), v === '23' ? seed : upgradeScript(seed).source);
    }
    seed23 = path.join(work, '23', 'auth-httpbasic.lua');
    seed24 = path.join(work, '24', 'auth-httpbasic.lua');
    serve = await spawnServe(['--config', 'test/fixtures/dovecot-bridge/authstudio.yml']);
    // base64.lua is found next to the script (the seed's /etc/dovecot/lua is not in the root)
    const env = { LUA_PATH: '{dir}/scripts/0/?.lua;;' };
    [seedDovecot, oldSeedDovecot, bridgeDovecot] = await Promise.all([
      startDovecot({ version: '2.4', passdbs: [{ file: seed24 }], env }),
      // its HTTP client is made at load time: the 2.3 script stops the whole auth service
      startDovecot({ version: '2.4', passdbs: [{ file: seed23 }], env }),
      startDovecot({ version: '2.4', passdbs: [{ file: BRIDGE_24 }], env: { AUTHSTUDIO_URL: serve.url } }),
    ]);
  });

  after(async () => {
    await Promise.all([seedDovecot?.stop(), oldSeedDovecot?.stop(), bridgeDovecot?.stop()]);
    await serve?.stop();
    nextcloud?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('Dovecot 2.4: the seed Nextcloud script as written for 2.3 breaks the auth process (an unknown HTTP client setting)', async () => {
    assert.equal(await oldSeedDovecot.imapLogin('alice@nc.test', 'app-password', '192.0.2.60'), '* BYE Auth process broken');
    // the first unknown key Lua's next() meets is named: the table's order changes with each Lua state's hash seed
    assert.ok(oldSeedDovecot.takeLog().some((l) => /Fatal: passdb-lua: script_init\(\) failed: .*Invalid HTTP client setting: (timeout|max_attempts|debug) is unknown setting/.test(l)));
  });

  test('Dovecot 2.4: the upgraded seed Nextcloud script logs in with the right app password and refuses a wrong one', async () => {
    assert.match(await seedDovecot.imapLogin('alice@nc.test', 'app-password', '192.0.2.61'), /^OK .*Logged in/);
    assert.equal(await seedDovecot.imapLogin('alice@nc.test', 'guess', '192.0.2.62'), 'NO [AUTHENTICATIONFAILED] Authentication failed.');
    const real = await seedDovecot.authTest('alice@nc.test', 'app-password', '192.0.2.63');
    assert.equal(real.ok, true);
  });

  test('Dovecot 2.4: the harness\' 2.4 profile agrees on the upgraded seed script, and refuses the 2.3 one', async () => {
    const env = { LUA_PATH: `${path.join(work, '24')}/?.lua;;` };
    const good = await runDovecotScript({ file: seed24, dovecot: '2.4', env, login: { user: 'alice@nc.test', password: 'app-password', remoteIp: '192.0.2.64' } });
    assert.equal(good.imap, 'OK Logged in');
    const bad = await runDovecotScript({ file: seed24, dovecot: '2.4', env, login: { user: 'alice@nc.test', password: 'guess', remoteIp: '192.0.2.65' } });
    assert.equal(bad.imap, 'NO [AUTHENTICATIONFAILED] Authentication failed.');
    const old = await runDovecotScript({ file: seed23, dovecot: '2.4', env, login: { user: 'alice@nc.test', password: 'app-password', remoteIp: '192.0.2.66' } });
    assert.equal(old.imap, '* BYE Auth process broken');
    assert.ok(old.logs.some((l) => /Fatal: passdb-lua: script_init\(\) failed: .*Invalid HTTP client setting: (timeout|max_attempts|debug) is unknown setting/.test(l.text)));
  });

  test('Dovecot 2.4: the 2.4 bridge logs in against authstudio serve; the backend attributes arrive as extra fields', async () => {
    assert.match(await bridgeDovecot.imapLogin('alice', 'alice-secret', '192.0.2.70'), /^OK .*Logged in/);
    const r = await bridgeDovecot.authTest('alice', 'alice-secret', '192.0.2.71');
    assert.equal(r.ok, true);
    assert.equal(r.fields.account, 'alice@example.test');
    assert.equal(r.fields.groups, 'staff,imap');
  });

  test('Dovecot 2.4: the 2.4 bridge refuses a wrong password and a disabled account', async () => {
    assert.equal(await bridgeDovecot.imapLogin('alice', 'not-her-password', '192.0.2.72'), 'NO [AUTHENTICATIONFAILED] Authentication failed.');
    const r = await bridgeDovecot.authTest('disabled', 'disabled-secret', '192.0.2.73');
    assert.equal(r.ok, false);
    assert.equal(r.fields.code, 'user_disabled');
  });
});
