// The corpus on disk: rotation at the size bound, the oldest files dropped past the count bound, a line cut short
// skipped with file:line, credentials headers left out, and a sealed password opened only by the key that sealed it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAuthRequest } from '../../engine/pipeline/auth-request';
import type { AuthOutcome } from '../../engine/pipeline/pipeline';
import { CorpusRecorder, corpusFiles, readCorpus } from '../../engine/replay/corpus';
import { requestOf } from '../../engine/replay/corpus-entry';
import { CorpusKey } from '../../engine/replay/password-key';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'as-corpus-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function login(username: string, password: string) {
  const req = buildAuthRequest({ username, password, protocol: 'imap', client_ip: '198.51.100.7' }, 'auth', 'header');
  req.http = { method: 'GET', path: '/api/v1/auth/header', query: {}, headers: { 'auth-user': [username], 'auth-pass': [password], authorization: ['Basic eDp5'], 'x-ssl': ['on'] }, body: '' };
  const out = { decision: 'ok', session: req.session, attributes: {}, fromCache: false, trace: [{ stage: 'backend', name: 'lua', duration_ms: 1, result: 'authenticated', logs: {} }], customLogs: [], latencyMs: 1, postActions: Promise.resolve([]), protocol: 'imap' } as unknown as AuthOutcome;
  return { req, out };
}

test('files rotate at the size bound and only the newest are kept; entries come back oldest first', () => {
  const dir = path.join(tmp, 'rotate');
  const rec = new CorpusRecorder(dir, undefined, { fileBytes: 1500, files: 3 });
  for (let i = 0; i < 40; i++) {
    const { req, out } = login(`user${i}`, 'pw-secret-1');
    rec.record(req, out);
  }
  rec.stop();
  const files = corpusFiles(dir);
  assert.equal(files.length, 3);
  for (const f of files) assert.ok(fs.statSync(path.join(dir, f)).size <= 1500, f);
  const { entries, skipped } = readCorpus(dir);
  assert.deepEqual(skipped, []);
  assert.equal(entries.at(-1)?.fields.username, 'user39');
  const names = entries.map((e) => Number(e.fields.username!.slice(4)));
  assert.deepEqual(names, [...names].sort((a, b) => a - b));
  assert.ok(names[0] > 0, 'the oldest entries were dropped with their file');
});

test('no credentials in an entry without opt-in; a line cut short is skipped with file:line', () => {
  const dir = path.join(tmp, 'plain');
  const rec = new CorpusRecorder(dir, undefined);
  const { req, out } = login('alice', 'alice-secret');
  rec.record(req, out);
  rec.stop();
  const [file] = corpusFiles(dir);
  fs.appendFileSync(path.join(dir, file), '{"v":1,"time":');
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  assert.ok(!text.includes('alice-secret') && !text.includes('eDp5'));
  const { entries, skipped } = readCorpus(dir);
  assert.deepEqual(Object.keys(entries[0].http!.headers).sort(), ['auth-user', 'x-ssl']);
  assert.deepEqual(skipped, [`${file}:2: not valid JSON (a line cut short when the recorder stopped?)`]);
  assert.equal(requestOf(entries[0], undefined).password, 'not-recorded');
  assert.equal(requestOf(entries[0], undefined).req.mode, 'no-auth');
});

test('a sealed password opens with its key only', () => {
  const key = CorpusKey.load({ create: true, env: { AUTHSTUDIO_CONFIG_DIR: path.join(tmp, 'here') } })!;
  const other = CorpusKey.load({ create: true, env: { AUTHSTUDIO_CONFIG_DIR: path.join(tmp, 'there') } })!;
  assert.equal(fs.statSync(key.file).mode & 0o777, 0o600);
  const dir = path.join(tmp, 'sealed');
  const rec = new CorpusRecorder(dir, key);
  const { req, out } = login('alice', 'alice-secret');
  rec.record(req, out);
  rec.stop();
  const [entry] = readCorpus(dir).entries;
  assert.ok(!JSON.stringify(entry).includes('alice-secret'));
  const mine = requestOf(entry, key);
  assert.deepEqual([mine.password, mine.req.mode, mine.req.fields.password], ['opened', 'auth', 'alice-secret']);
  assert.deepEqual([requestOf(entry, other).password, requestOf(entry, other).req.mode], ['other-machine', 'no-auth']);
  assert.equal(requestOf(entry, undefined).password, 'no-key');
  const tampered = { ...entry, password: { ...entry.password!, data: Buffer.from('x').toString('base64') } };
  assert.equal(requestOf(tampered, key).password, 'unreadable', 'an altered ciphertext does not open');
});
