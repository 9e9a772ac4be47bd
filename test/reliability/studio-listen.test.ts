// `authstudio studio` as a process: loopback by default, a token off loopback, 401 without it, foreign Host/Origin refused without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { STUDIO_METHODS } from '../../engine/api/contract';
import { ROOT, tempWorkspace } from '../studio/studio-fixture';

const CLI = path.join(ROOT, 'bin', 'authstudio');
const TOKEN = 'reliability-token-0123456789abcdef';
const ENV = { ...process.env, AUTHSTUDIO_TOKEN: '' };

/** Spawn the studio and resolve with its port once it logs "authstudio studio ready"; stop() sends SIGTERM to its PID. */
async function spawnStudio(args: string[]) {
  const ws = tempWorkspace('ws-basic');
  const child = spawn(process.execPath, [CLI, 'studio', '--workspace', ws, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`studio did not start: ${stderr}`)), 15000);
    child.once('exit', (code) => reject(new Error(`studio exited with ${code}: ${stderr}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const j = JSON.parse(line) as { msg?: string; address?: string };
        if (j.msg === 'authstudio studio ready' && j.address) {
          clearTimeout(timer);
          resolve(j.address);
        }
      } catch {
        // not a log line
      }
    });
  });
  return {
    address, port: Number(new URL(address).port),
    async stop() {
      process.kill(child.pid!, 'SIGTERM');
      const code = await exited;
      fs.rmSync(ws, { recursive: true, force: true });
      return code;
    },
  };
}

/** A request to 127.0.0.1:port with any Host/Origin/Authorization (fetch would not let us set Host). */
function request(port: number, opts: { path: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'POST', path: opts.path, headers: { 'content-type': 'application/json', ...opts.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body ?? (opts.method === 'GET' ? undefined : '{}'));
  });
}

const SAFE = ['getStatus', 'listFiles', 'listPresets', 'getRedis', 'checkWorkspace'];

test('off loopback without a token the studio refuses to start, with a message naming --token', () => {
  for (const listen of ['0.0.0.0:0', '192.0.2.1:0', '[::]:0', 'example.invalid:0']) {
    const run = spawnSync(process.execPath, [CLI, 'studio', '--workspace', tempWorkspace('ws-basic'), '--listen', listen], { encoding: 'utf8', env: ENV, timeout: 15000 });
    assert.notEqual(run.status, 0, `${listen}: exited 0`);
    assert.match(run.stderr, /--token/, `${listen}: ${run.stderr}`);
    assert.doesNotMatch(run.stdout, /studio ready/, `${listen} started anyway`);
  }
  const short = spawnSync(process.execPath, [CLI, 'studio', '--workspace', tempWorkspace('ws-basic'), '--listen', '0.0.0.0:0', '--token', 'short'], { encoding: 'utf8', env: ENV, timeout: 15000 });
  assert.notEqual(short.status, 0);
  assert.match(short.stderr, /at least 16 characters/);
});

test('with --token on 0.0.0.0 every studio call without "Authorization: Bearer <token>" is 401, with it they work', async () => {
  const s = await spawnStudio(['--listen', '0.0.0.0:0', '--token', TOKEN]);
  try {
    const refused = [undefined, `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}x`, `bearer  ${TOKEN} x`, `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`, TOKEN, 'Bearer '];
    let calls = 0;
    for (const m of STUDIO_METHODS) {
      for (const auth of refused) {
        const res = await request(s.port, { path: `/api/studio/call/${m}`, headers: auth === undefined ? {} : { authorization: auth } });
        assert.equal(res.status, 401, `${m} with ${auth}: ${res.body}`);
        assert.equal(JSON.parse(res.body).error.code, 'AS_ERR_UNAUTHORIZED');
        calls++;
      }
    }
    for (const p of ['/api/studio/contract', '/api/studio/events', `/api/studio/events?token=${TOKEN.slice(1)}`]) {
      assert.equal((await request(s.port, { path: p, method: 'GET' })).status, 401, p);
    }
    // a foreign Host does not matter once the token is right (the token is the protection off loopback)
    for (const m of SAFE) {
      const res = await request(s.port, { path: `/api/studio/call/${m}`, headers: { authorization: `Bearer ${TOKEN}`, host: 'studio.example:9080' } });
      assert.equal(res.status, 200, `${m}: ${res.body}`);
    }
    assert.equal((await request(s.port, { path: '/api/studio/contract', method: 'GET', headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    console.log('studio token figures', JSON.stringify({ refused_calls: calls, methods: STUDIO_METHODS.length, accepted_calls: SAFE.length + 1 }));
  } finally {
    assert.equal(await s.stop(), 0, 'SIGTERM exits 0');
  }
});

test('on loopback without --token, a request whose Host is not loopback or whose Origin is not the studio\'s own is refused (403), even with the per-launch token', async () => {
  const s = await spawnStudio(['--listen', '127.0.0.1:0']);
  try {
    const local = `127.0.0.1:${s.port}`;
    const session = await request(s.port, { path: '/api/studio/session', method: 'GET' });
    assert.equal(session.status, 200, session.body);
    const authorization = `Bearer ${JSON.parse(session.body).token as string}`;
    const foreignHosts = ['attacker.example', `attacker.example:${s.port}`, 'localhost.attacker.example', '127.0.0.1.nip.io', '0.0.0.0', '192.168.1.10', '[::ffff:127.0.0.1]', 'LOCALHOST.'];
    const foreignOrigins = ['https://attacker.example', `http://attacker.example:${s.port}`, 'http://localhost.attacker.example', 'file://', 'garbage', 'http://127.0.0.1.attacker.example', 'null', `http://localhost:${s.port}`, 'http://127.0.0.1:1'];
    for (const m of STUDIO_METHODS) {
      for (const host of foreignHosts) {
        const res = await request(s.port, { path: `/api/studio/call/${m}`, headers: { host, authorization } });
        assert.equal(res.status, 403, `${m} Host ${host}: ${res.body}`);
      }
      for (const origin of foreignOrigins) {
        const res = await request(s.port, { path: `/api/studio/call/${m}`, headers: { host: local, origin, authorization } });
        assert.equal(res.status, 403, `${m} Origin ${origin}: ${res.body}`);
        assert.equal(JSON.parse(res.body).error.code, 'AS_ERR_UNAUTHORIZED');
      }
    }
    for (const host of [local, `localhost:${s.port}`, `[::1]:${s.port}`]) {
      for (const origin of [undefined, `http://${host}`]) {
        const res = await request(s.port, { path: '/api/studio/call/getStatus', headers: { host, authorization, ...(origin ? { origin } : {}) } });
        assert.equal(res.status, 200, `Host ${host} Origin ${origin}: ${res.body}`);
      }
    }
    console.log('studio loopback figures', JSON.stringify({ refused_calls: STUDIO_METHODS.length * (foreignHosts.length + foreignOrigins.length), accepted_calls: 6 }));
  } finally {
    assert.equal(await s.stop(), 0);
  }
});
