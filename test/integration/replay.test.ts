// Replay and what-if as a user runs them: `serve --record` over real HTTP writes the corpus (passwords only sealed,
// only on opt-in), `authstudio replay` lists exactly the logins an edited workspace decides differently (exit 1),
// and a corpus replayed where its key is missing says the passwords are unavailable.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, spawnServe } from '../helpers/spawn-serve';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'as-replay-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const keyHome = path.join(tmp, 'config-home');
const wsA = path.join(tmp, 'ws-a');
const wsB = path.join(tmp, 'ws-b');
fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'ws-basic'), wsA, { recursive: true });
fs.cpSync(wsA, wsB, { recursive: true });
// B: the filter now suspends alice (only a login with her right password reaches that line)
const filter = path.join(wsB, 'filters', 'no_pop3_for_bob.lua');
fs.writeFileSync(filter, fs.readFileSync(filter, 'utf8').replace('  if request.authenticated and request.username == "bob"',
  '  if request.authenticated and request.username == "alice" then\n    nauthilus_builtin.status_message_set("alice is suspended")\n    return nauthilus_builtin.FILTER_REJECT, nauthilus_builtin.FILTER_RESULT_OK\n  end\n  if request.authenticated and request.username == "bob"'));

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, AUTHSTUDIO_CONFIG_DIR: keyHome, ...env }, timeout: 120_000 });
}

/** The logins a day brings: two good ones of alice, bob's good IMAP and refused POP3, a wrong password, a blocked IP. */
async function recordDay(corpus: string, extra: string[]): Promise<void> {
  const srv = await spawnServe(['--config', path.join(wsA, 'authstudio.yml'), '--workers', '1', '--record', corpus, ...extra], { AUTHSTUDIO_CONFIG_DIR: keyHome });
  try {
    const json = (body: Record<string, string>) => fetch(`${srv.url}/api/v1/auth/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await json({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7', protocol: 'imap' })).status, 200);
    assert.equal((await fetch(`${srv.url}/api/v1/auth/header`, { headers: { 'auth-user': 'bob', 'auth-pass': 'bob-secret', 'auth-protocol': 'imap', 'client-ip': '198.51.100.8' } })).status, 200);
    assert.equal((await json({ username: 'bob', password: 'bob-secret', client_ip: '198.51.100.8', protocol: 'pop3' })).status, 403);
    assert.equal((await fetch(`${srv.url}/api/v1/auth/header`, { headers: { 'auth-user': 'alice', 'auth-pass': 'wrong-pw-123', 'client-ip': '198.51.100.9' } })).status, 403);
    assert.equal((await json({ username: 'alice', password: 'alice-secret', client_ip: '203.0.113.5', protocol: 'imap' })).status, 403);
    assert.equal((await json({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7', protocol: 'smtp' })).status, 200);
  } finally {
    assert.equal(await srv.stop(), 0, srv.stderr());
  }
}

function corpusText(dir: string): string {
  return fs.readdirSync(dir).map((n) => fs.readFileSync(path.join(dir, n), 'utf8')).join('');
}

const plain = path.join(tmp, 'corpus-plain');
const sealed = path.join(tmp, 'corpus-sealed');

test('serve --record writes the corpus; passwords absent without opt-in; with opt-in the file holds no plaintext password', async () => {
  await recordDay(plain, []);
  const text = corpusText(plain);
  const entries = text.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(entries.map((e) => [e.fields.username, e.fields.protocol, e.outcome.decision]), [
    ['alice', 'imap', 'ok'], ['bob', 'imap', 'ok'], ['bob', 'pop3', 'fail'], ['alice', 'default', 'fail'], ['alice', 'imap', 'fail'], ['alice', 'smtp', 'ok'],
  ]);
  assert.equal(entries[2].outcome.status_message, 'POP3 is disabled for this account');
  assert.ok(entries[0].outcome.stage_path.some((s: string) => s.startsWith('filter:no-pop3-for-bob=')), entries[0].outcome.stage_path.join(' '));
  assert.ok(entries.every((e) => e.had_password === true && e.password === undefined));
  for (const secret of ['alice-secret', 'bob-secret', 'wrong-pw-123']) assert.ok(!text.includes(secret), `${secret} is in the corpus`);
  assert.ok(!fs.existsSync(path.join(keyHome, 'corpus-key')), 'no key is made without --record-passwords');

  await recordDay(sealed, ['--record-passwords']);
  const sealedText = corpusText(sealed);
  for (const secret of ['alice-secret', 'bob-secret', 'wrong-pw-123']) assert.ok(!sealedText.includes(secret), `${secret} is in the corpus in plain text`);
  const first = JSON.parse(sealedText.split('\n')[0]);
  assert.equal(first.password.alg, 'aes-256-gcm');
  const key = path.join(keyHome, 'corpus-key');
  assert.equal(fs.statSync(key).mode & 0o777, 0o600);
  assert.deepEqual(fs.readdirSync(sealed).filter((n) => !n.endsWith('.jsonl')), [], 'only corpus files in the corpus folder');
});

test('replay against an edited workspace lists exactly the logins whose decision changes, with exit 1', () => {
  const same = cli(['replay', sealed, '--workspace', wsA]);
  assert.equal(same.status, 0, same.stdout + same.stderr);
  assert.match(same.stdout, /6 requests replayed \(recorded -> .*ws-a\): 0 changed/);

  const r = cli(['replay', sealed, '--workspace', wsA, '--against', wsB]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^#1 \S+ alice imap 198\.51\.100\.7: decision ok -> fail$/m);
  assert.match(r.stdout, /^#6 \S+ alice smtp 198\.51\.100\.7: decision ok -> fail$/m);
  assert.match(r.stdout, /filter +no-pop3-for-bob +reject.*status "alice is suspended"/);
  assert.match(r.stdout, /this change refuses 2 logins that succeed today/);

  const j = cli(['replay', sealed, '--workspace', wsA, '--against', wsB, '--json']);
  assert.equal(j.status, 1, j.stderr);
  const report = JSON.parse(j.stdout);
  assert.deepEqual(report.changed.map((c: { index: number; username: string; after: { status_message: string } }) => [c.index, c.username, c.after.status_message]), [[0, 'alice', 'alice is suspended'], [5, 'alice', 'alice is suspended']]);
  assert.equal(report.now_refused, 2);
  assert.equal(report.without_password, 0);
});

test('a corpus replayed on a machine without the key says passwords are unavailable', () => {
  const elsewhere = path.join(tmp, 'other-machine');
  const r = cli(['replay', sealed, '--workspace', wsA, '--against', wsB], { AUTHSTUDIO_CONFIG_DIR: elsewhere });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /6 logins ran as lookups without a password \(6 sealed, but this machine has no corpus key: passwords are unavailable here\)/);
  // with a different key of its own, the sealed passwords are another machine's
  fs.mkdirSync(elsewhere, { recursive: true });
  fs.writeFileSync(path.join(elsewhere, 'corpus-key'), 'ab'.repeat(32), { mode: 0o600 });
  const other = cli(['replay', sealed, '--workspace', wsA], { AUTHSTUDIO_CONFIG_DIR: elsewhere });
  assert.equal(other.status, 0, other.stdout + other.stderr);
  assert.match(other.stdout, /6 logins could not be judged without a password \(6 sealed with another machine's key: passwords are unavailable here\)/);
  // a corpus recorded without passwords says so
  const none = cli(['replay', plain, '--workspace', wsA, '--against', wsB]);
  assert.match(none.stdout, /recorded without --record-passwords/);
});

test('replay without a corpus folder is an error with exit 2', () => {
  const r = cli(['replay', path.join(tmp, 'nothing-here'), '--workspace', wsA]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /is not a corpus folder/);
});
