// `authstudio dovecot`: the seed's Nextcloud script from the command line (text and --json, exit codes).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHttpServer, type TestHttpServer } from '../helpers/http-server';
import { ROOT } from '../helpers/spawn-serve';

/** The seed's Nextcloud passdb script and its base64 module, as the sample workspace ships them. */
const NEXTCLOUD = path.join(ROOT, 'lua-plugins.d', 'dovecot', 'nextcloud');

let nextcloud: TestHttpServer;
let dir: string;
let script: string;

before(async () => {
  nextcloud = await startHttpServer((req, res) => {
    const ok = req.headers.authorization === `Basic ${Buffer.from('alice:app-password').toString('base64')}`;
    res.writeHead(ok ? 207 : 401, ok ? 'Multi-Status' : 'Unauthorized').end();
  });
  // the seed script with only its URL line changed; base64.lua sits in a folder mapped to /etc/dovecot/lua
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-dovecot-cli-'));
  script = path.join(dir, 'auth-httpbasic.lua');
  const seed = fs.readFileSync(path.join(NEXTCLOUD, 'auth-httpbasic.lua'), 'utf8');
  fs.writeFileSync(script, seed.replace(/^local http_url = .*$/m, `local http_url = "${nextcloud.url}/remote.php/dav/"`));
});
after(async () => {
  await nextcloud.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'dovecot', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const MAP = `/etc/dovecot/lua=${NEXTCLOUD}`;

test('the right app password: status, client answer, the PROPFIND call; exit 0', async () => {
  const r = await cli('--script', script, '--user', 'alice', '--password', 'app-password', '--remote-ip', '192.0.2.7', '--map', MAP);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^status: PASSDB_RESULT_OK\n/);
  assert.match(r.stdout, /^entry:  auth_passdb_lookup\(\)$/m);
  assert.match(r.stdout, /^client: OK Logged in$/m);
  assert.match(r.stdout, /^fields: \(none\)$/m);
  assert.match(r.stdout, new RegExp(`^  PROPFIND ${nextcloud.url}/remote.php/dav/ -> 207 Multi-Status \\(\\d+ ms\\)$`, 'm'));
  assert.equal(nextcloud.requests.at(-1)!.headers['x-forwarded-for'], '192.0.2.7');
});

test('--json: one object; a wrong password exits 1, a missing --remote-ip is the add_header nil error (exit 75)', async () => {
  const wrong = await cli('--script', script, '--user', 'alice', '--password', 'guess', '--remote-ip', '192.0.2.7', '--map', MAP, '--json');
  assert.equal(wrong.code, 1);
  const j = JSON.parse(wrong.stdout);
  assert.equal(j.status, 'PASSDB_RESULT_PASSWORD_MISMATCH');
  assert.equal(j.http[0].status, 401);
  const noIp = await cli('--script', script, '--user', 'alice', '--password', 'app-password', '--map', MAP);
  assert.equal(noIp.code, 75);
  assert.match(noIp.stdout, /^status: PASSDB_RESULT_INTERNAL_FAILURE$/m);
  assert.match(noIp.stdout, /bad argument #2 to 'add_header' \(string expected, got nil\)/);
  assert.match(noIp.stdout, /^  auth-worker: Error: \t\[C\]: in method 'add_header'$/m);
});

test('without --map the seed\'s /etc/dovecot/lua is looked up next to the script, and the output says so', async () => {
  fs.copyFileSync(path.join(NEXTCLOUD, 'base64.lua'), path.join(dir, 'base64.lua'));
  const r = await cli('--script', script, '--user', 'alice', '--password', 'app-password', '--remote-ip', '192.0.2.8');
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /^harness notes:\n  require\("base64"\): \/etc\/dovecot\/lua\/ does not exist on this host; read .*base64\.lua/m);
});

test('usage errors exit 2 and name the problem', async () => {
  const r = await cli('--script', script);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--user is required/);
  const mode = await cli('--script', script, '--user', 'a', '--mode', 'nope');
  assert.equal(mode.code, 2);
  assert.match(mode.stderr, /--mode must be passdb, userdb or iterate/);
});

test('Dovecot 2.3.19 master users from the command line: --master-script, USER*MASTER; a broken script_init exits 75 with the BYE', async () => {
  const fx = path.join(ROOT, 'test', 'fixtures', 'dovecot-diff');
  const r = await cli('--script', path.join(fx, 'returns.lua'), '--master-script', path.join(fx, 'master.lua'),
    '--user', 'alice@ret.test*admin', '--password', 'master-secret');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^  user=alice@ret.test$/m);
  assert.match(r.stdout, /^  auth_user=admin$/m);
  assert.match(r.stdout, /^  auth: Info: Master user logging in as alice@ret.test$/m);
  const sep = await cli('--script', path.join(fx, 'returns.lua'), '--master-script', path.join(fx, 'master.lua'), '--master-separator', '%',
    '--user', 'alice@ret.test%admin', '--password', 'wrong');
  assert.equal(sep.code, 1, sep.stdout);
  assert.match(sep.stdout, /lua\(admin,master\): Password mismatch/);
  const broken = await cli('--script', path.join(fx, 'init-fails.lua'), '--user', 'alice', '--password', 'x');
  assert.equal(broken.code, 75);
  assert.match(broken.stdout, /^status: AUTH_PROCESS_BROKEN$/m);
  assert.match(broken.stdout, /^client: \* BYE Auth process broken$/m);
});
