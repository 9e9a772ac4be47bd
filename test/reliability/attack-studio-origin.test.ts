// Issue 13, findings 7 and 19: only the studio page may drive the studio API (per-launch token, JSON, exact Origin);
// a cross-site page (a sandboxed iframe sends `Origin: null`) cannot flush Redis, write files or reload, and
// `--token` refuses tokens nobody should use. Raw sockets, a private redis-server, the CLI as a process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import Redis from 'ioredis';
import { createHttpClient } from '../../engine/api/http-client';
import { openStudio, type Studio } from '../../engine/studio/open-studio';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { ROOT, editFile, tempWorkspace } from '../studio/studio-fixture';

const PREFIX = `as-attack-studio-${process.pid}:`;
const KEY = 'precious';
let redis: RedisServer;
let direct: Redis;
let ws: string;
let studio: Studio;
let port: number;

before(async () => {
  redis = await startRedisServer();
  direct = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  ws = tempWorkspace('ws-basic', (dir) => editFile(dir, 'authstudio.yml', 'redis: mock', `redis:\n    prefix: "${PREFIX}"\n    master:\n      address: ${redis.address}`));
  studio = await openStudio({ workspace: ws, listen: '127.0.0.1:0', watch: false });
  port = Number(new URL(await studio.app.listen({ host: '127.0.0.1', port: 0 })).port);
});

after(async () => {
  await studio?.close();
  direct?.disconnect();
  await redis?.stop();
  if (ws) fs.rmSync(ws, { recursive: true, force: true });
});

/** One HTTP/1.1 request on a fresh socket, headers exactly as given (a browser's, an attacker's). */
function raw(method: string, target: string, headers: Record<string, string>, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.setEncoding('utf8');
    sock.on('data', (d) => (data += d));
    sock.on('error', reject);
    sock.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), body: data.slice(data.indexOf("\r\n\r\n") + 4) }));
    const head = Object.entries({ host: `127.0.0.1:${port}`, ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' })
      .map(([k, v]) => `${k}: ${v}`).join('\r\n');
    // no half-close: the server closes after answering (Connection: close)
    sock.write(`${method} ${target} HTTP/1.1\r\n${head}\r\n\r\n${body}`);
  });
}

/** What a cross-site page's fetch(..., {method: 'POST', mode: 'no-cors', body: '{}'}) sends from a sandboxed iframe. */
const SANDBOXED_IFRAME = { origin: 'null', 'content-type': 'text/plain;charset=UTF-8', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'empty' };

async function seed(): Promise<void> {
  await direct.set(`${PREFIX}${KEY}`, 'still here');
}

async function damageDone(): Promise<string[]> {
  const harm: string[] = [];
  if ((await direct.exists(`${PREFIX}${KEY}`)) !== 1) harm.push('Redis was flushed');
  if (fs.existsSync(path.join(ws, 'pwned.lua'))) harm.push('a file was written');
  return harm;
}

/** The studio's per-launch token (read through a cast: the property is what this finding adds). */
function tokenOf(s: Studio): string {
  return String((s as { token?: string }).token);
}

const ATTACKS: Array<[string, string]> = [
  ['flushNamespace', '{}'],
  ['createFile', JSON.stringify({ path: 'pwned.lua', content: 'return 1' })],
  ['deleteKey', JSON.stringify({ key: KEY })],
];

test('issue 13 #7: a sandboxed iframe (Origin: null, text/plain) cannot flush Redis, write files or delete keys', async () => {
  await seed();
  for (const [m, body] of ATTACKS) {
    const res = await raw('POST', `/api/studio/call/${m}`, SANDBOXED_IFRAME, body);
    assert.ok(res.status === 401 || res.status === 403, `${m}: ${res.status} ${res.body}`);
    assert.equal(JSON.parse(res.body).error.code, 'AS_ERR_UNAUTHORIZED', res.body);
  }
  assert.deepEqual(await damageDone(), []);
});

test('issue 13 #7: Origin: null is refused even with the right token and a JSON body', async () => {
  await seed();
  const token = tokenOf(studio);
  assert.ok(token.length >= 32, 'the studio has a per-launch token');
  for (const [m, body] of ATTACKS) {
    const res = await raw('POST', `/api/studio/call/${m}`, { origin: 'null', 'content-type': 'application/json', authorization: `Bearer ${token}` }, body);
    assert.equal(res.status, 403, `${m}: ${res.body}`);
    assert.match(JSON.parse(res.body).error.message, /origin/i);
  }
  assert.deepEqual(await damageDone(), []);
});

test('issue 13 #7: another local page (other port, other loopback name) and cross-site fetch metadata are refused', async () => {
  await seed();
  const token = tokenOf(studio);
  const json = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const refused: Array<Record<string, string>> = [
    { ...json, origin: 'http://127.0.0.1:1' },
    { ...json, origin: `http://localhost:${port}` },
    { ...json, origin: `http://127.0.0.1:${port}/` },
    { ...json, origin: `file://` },
    { ...json, 'sec-fetch-site': 'cross-site' },
    { ...json, 'sec-fetch-site': 'same-site' },
  ];
  for (const headers of refused) {
    const res = await raw('POST', '/api/studio/call/flushNamespace', headers, '{}');
    assert.equal(res.status, 403, `${JSON.stringify(headers)}: ${res.body}`);
  }
  assert.deepEqual(await damageDone(), []);
});

test('issue 13 #7: a state-changing call without the token is 401; with the token but not JSON it is 415', async () => {
  await seed();
  const noToken = await raw('POST', '/api/studio/call/flushNamespace', { 'content-type': 'application/json' }, '{}');
  assert.equal(noToken.status, 401, noToken.body);
  const wrong = await raw('POST', '/api/studio/call/flushNamespace', { 'content-type': 'application/json', authorization: `Bearer ${'x'.repeat(43)}` }, '{}');
  assert.equal(wrong.status, 401, wrong.body);
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const res = await raw('POST', '/api/studio/call/flushNamespace', { 'content-type': type, authorization: `Bearer ${tokenOf(studio)}`, origin: `http://127.0.0.1:${port}` }, '{}');
    assert.equal(res.status, 415, `${type}: ${res.body}`);
  }
  assert.deepEqual(await damageDone(), []);
});

test('issue 13 #7: the token is handed out only to the studio page (same origin), never cross-site or to a foreign Host', async () => {
  for (const headers of [
    { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'https://attacker.example' },
    { host: 'attacker.example' }, { host: `attacker.example:${port}` },
  ] as Array<Record<string, string>>) {
    const res = await raw('GET', '/api/studio/session', headers);
    assert.equal(res.status, 403, `${JSON.stringify(headers)}: ${res.body}`);
    assert.ok(!res.body.includes(tokenOf(studio)), 'the token leaked');
  }
  const page = await raw('GET', '/api/studio/session', { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' });
  assert.equal(page.status, 200, page.body);
  assert.equal(JSON.parse(page.body).token, tokenOf(studio));
});

test('issue 13 #7: the HTTP client without a token (the web page) still works: status, saveFile, events', async () => {
  await seed();
  const client = createHttpClient(`http://127.0.0.1:${port}`);
  try {
    await client.connect();
    assert.equal((await client.getStatus()).healthy, true);
    const saved = await client.createFile({ path: 'features/added-by-page.lua', content: '-- from the page\n' });
    assert.equal(saved.path, 'features/added-by-page.lua');
    assert.equal(fs.readFileSync(path.join(ws, 'features', 'added-by-page.lua'), 'utf8'), '-- from the page\n');
    await client.deleteFile({ path: 'features/added-by-page.lua' });
  } finally {
    await client.close();
  }
  assert.deepEqual(await damageDone(), []);
});

test('issue 13 #7: with --token, Origin: null and foreign origins are refused even with the token', async () => {
  const dir = tempWorkspace('ws-basic');
  const tokened = await openStudio({ workspace: dir, listen: '127.0.0.1:0', watch: false, token: 'user-chosen-token-0123456789' });
  try {
    for (const origin of ['null', 'https://attacker.example']) {
      const res = await tokened.app.inject({ method: 'POST', url: '/api/studio/call/createFile', headers: { origin, 'content-type': 'application/json', authorization: 'Bearer user-chosen-token-0123456789' }, payload: { path: 'pwned.lua', content: 'x' } });
      assert.equal(res.statusCode, 403, `${origin}: ${res.body}`);
    }
    assert.equal(fs.existsSync(path.join(dir, 'pwned.lua')), false);
    const ok = await tokened.app.inject({ method: 'POST', url: '/api/studio/call/getStatus', headers: { origin: 'http://localhost', host: 'localhost', 'content-type': 'application/json', authorization: 'Bearer user-chosen-token-0123456789' }, payload: {} });
    assert.equal(ok.statusCode, 200, ok.body);
  } finally {
    await tokened.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---- finding 19: --token ----

const CLI = path.join(ROOT, 'bin', 'authstudio');

/** Run `authstudio studio` until it exits or logs "ready" (then it is stopped by its PID and counted as started). */
function tryStudio(args: string[], env: Record<string, string>): Promise<{ started: boolean; code: number | null; stderr: string }> {
  const dir = tempWorkspace('ws-basic');
  const child = spawn(process.execPath, [CLI, 'studio', '--workspace', dir, '--listen', '127.0.0.1:0', ...args], { env: { ...process.env, AUTHSTUDIO_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let started = false;
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!started && line.includes('authstudio studio ready')) {
      started = true;
      process.kill(child.pid!, 'SIGTERM');
    }
  });
  // 'close', not 'exit': 'exit' can come before the child's last stderr bytes reach us
  return new Promise((resolve) => child.once('close', (code) => {
    fs.rmSync(dir, { recursive: true, force: true });
    resolve({ started, code, stderr });
  }));
}

test('issue 13 #19: --token refuses whitespace, short, one-character and control-character tokens, naming the option', async () => {
  const bad = [' '.repeat(16), '\t'.repeat(20), ' '.repeat(8) + 'abcdefgh12345678', 'a'.repeat(32), 'abababababababab', 'abcdefghijklmno', 'token-with\u0001control-chars', 'tökén-with-non-ascii-0123'];
  const results = await Promise.all(bad.map((t) => tryStudio(['--token', t], {})));
  results.forEach((r, i) => {
    assert.equal(r.started, false, `token ${JSON.stringify(bad[i])} was accepted`);
    assert.equal(r.code, 2, `token ${JSON.stringify(bad[i])}: exit ${r.code} ${r.stderr}`);
    assert.match(r.stderr, /--token/, r.stderr);
  });
  const env = await tryStudio([], { AUTHSTUDIO_TOKEN: ' '.repeat(24) });
  assert.equal(env.started, false, 'AUTHSTUDIO_TOKEN of spaces was accepted');
  assert.match(env.stderr, /AUTHSTUDIO_TOKEN/, env.stderr);
  const good = await tryStudio(['--token', 'Zq3-vX9_kLm2-Pw8rT5y'], {});
  assert.equal(good.started, true, `a good token was refused: ${good.stderr}`);
});
