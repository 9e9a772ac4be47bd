// Finding 20 (issue 13): `Expect: 100-continue` with wrong API credentials gets the final 401 at once, without
// "100 Continue", and the connection closes (Dovecot's HTTP client otherwise waits for its 60 s timeout).
// Every refused API request (401/403) writes one log line, without credentials or query string.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { FIXTURES } from '../helpers/engine-fixture';
import { loadConfigFile } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';
import { basicHeader, parseAnswer } from './support/attack-raw-http';
import { signJwt } from '../../engine/http/jwt';

interface Served { engine: AuthEngine; app: FastifyInstance; port: number; logs: Array<Record<string, unknown>>; close(): Promise<void> }

/** An engine on a fixture, listening on a free loopback port, its log lines collected as objects. */
async function serve(file: string): Promise<Served> {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfigFile(path.join(FIXTURES, 'attack-access', file));
  const engine = await AuthEngine.create(config, { logger: pino({ level: 'info' }, sink) });
  const app = await buildHttpApp(engine);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return { engine, app, port, logs, async close() { await app.close(); await engine.close(); } };
}

/** A raw keep-alive connection: write bytes, wait until what was read satisfies a test, see when it closes. */
function connection(port: number) {
  const sock = net.connect({ host: '127.0.0.1', port });
  let text = '';
  let closed = false;
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  sock.on('data', (d) => { text += d.toString('latin1'); wake(); });
  sock.on('close', () => { closed = true; wake(); });
  sock.on('error', () => undefined);
  const until = (what: string, ok: () => boolean, ms = 3000) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms; read so far: ${JSON.stringify(text.slice(0, 300))}`)), ms);
    const check = () => (ok() ? (clearTimeout(timer), resolve()) : waiters.push(check));
    check();
  });
  return {
    write: (s: string) => sock.write(s, 'latin1'),
    get text() { return text; },
    untilClosed: (ms?: number) => until('the server closing the connection', () => closed, ms),
    until,
    destroy: () => sock.destroy(),
  };
}

const BODY = JSON.stringify({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' });
const head = (authorization: string, url = '/api/v1/auth/json') =>
  `POST ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorization}\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\nExpect: 100-continue\r\n\r\n`;

describe('Expect: 100-continue', () => {
  let s: Served;
  before(async () => {
    s = await serve('basic.yml');
  });
  after(async () => {
    await s?.close();
  });

  test('wrong API credentials: the final 401 comes at once without "100 Continue", with Connection: close, and the connection ends', async (t) => {
    for (const url of ['/api/v1/auth/json', '/api/v1/bruteforce/list', '/api/v1/custom/echo', '/api/v1/no-such-route']) {
      const c = connection(s.port);
      t.after(() => c.destroy());
      c.write(head(basicHeader('ops', 'wrong-password'), url));
      await c.untilClosed();
      assert.doesNotMatch(c.text, /100 Continue/i, `${url}: "100 Continue" was sent before a refusal`);
      const answer = parseAnswer(c.text);
      assert.equal(answer.status, 401, `${url}: ${c.text.slice(0, 200)}`);
      assert.equal(answer.headers.connection, 'close');
    }
  });

  test('right API credentials: "100 Continue", then the body is read and answered', async (t) => {
    const c = connection(s.port);
    t.after(() => c.destroy());
    c.write(head(basicHeader('ops', 'ops-password-1')));
    await c.until('"100 Continue"', () => /^HTTP\/1\.1 100 Continue\r\n\r\n/.test(c.text));
    c.write(BODY);
    await c.until('the final answer', () => /\r\n\r\nHTTP\/1\.1 200 [^\r]*\r\n[\s\S]*\r\n\r\n\{[\s\S]*\}$/.test(c.text));
    assert.match(c.text.split('\r\n\r\n')[2] ?? '', /"ok":true/);
  });

  test('an open route (/auth/basic carries the user\'s own credentials) still gets "100 Continue"', async (t) => {
    const c = connection(s.port);
    t.after(() => c.destroy());
    c.write(`GET /api/v1/auth/basic HTTP/1.1\r\nHost: x\r\nAuthorization: ${basicHeader('alice', 'alice-secret')}\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n`);
    await c.until('"100 Continue"', () => /^HTTP\/1\.1 100 Continue\r\n\r\n/.test(c.text));
    c.write('{}');
    await c.until('the final answer', () => /\r\n\r\nHTTP\/1\.1 200 /.test(c.text));
  });
});

describe('Expect: 100-continue, refusals that come before the body', () => {
  test('a hook that needs a role the token lacks: 403 at once, no "100 Continue"', async (t) => {
    const s = await serve('jwt.yml');
    t.after(() => s.close());
    const now = Math.floor(Date.now() / 1000);
    const viewer = signJwt({ sub: 'viewer', roles: ['monitoring'], iat: now, exp: now + 600, typ: 'access' }, s.engine.config.server.jwtAuth!.secretKey);
    const c = connection(s.port);
    t.after(() => c.destroy());
    c.write(head(`Bearer ${viewer}`, '/api/v1/custom/admin-echo'));
    await c.untilClosed();
    assert.doesNotMatch(c.text, /100 Continue/i);
    assert.equal(parseAnswer(c.text).status, 403, c.text.slice(0, 200));
  });

  test('a Content-Length over the body limit with the right credentials: 413 at once, no "100 Continue"', async (t) => {
    const s = await serve('basic.yml');
    t.after(() => s.close());
    const c = connection(s.port);
    t.after(() => c.destroy());
    c.write(`POST /api/v1/auth/json HTTP/1.1\r\nHost: x\r\nAuthorization: ${basicHeader('ops', 'ops-password-1')}\r\nContent-Type: application/json\r\nContent-Length: ${10 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n`);
    await c.untilClosed();
    assert.doesNotMatch(c.text, /100 Continue/i);
    assert.equal(parseAnswer(c.text).status, 413, c.text.slice(0, 200));
  });
});

describe('one log line per refused API request', () => {
  test('401 (Basic): one line naming method, path and status; no query string, no credentials', async (t) => {
    const s = await serve('basic.yml');
    t.after(() => s.close());
    const secretAuth = basicHeader('ops', 'wrong-secret-password');
    const requests = [
      `GET /api/v1/bruteforce/list?password=hunter2&user=alice HTTP/1.1\r\nHost: x\r\nAuthorization: ${secretAuth}\r\nConnection: close\r\n\r\n`,
      `GET http://x/api/v1/custom/echo?token=hunter2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      `GET /api/v1/auth/basic?password=hunter2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    ];
    for (const [i, raw] of requests.entries()) {
      const c = connection(s.port);
      c.write(raw);
      await c.untilClosed();
      assert.equal(parseAnswer(c.text).status, 401);
      const refused = s.logs.filter((l) => l.msg === 'API request refused');
      assert.equal(refused.length, i + 1, JSON.stringify(s.logs));
    }
    const refused = s.logs.filter((l) => l.msg === 'API request refused');
    assert.deepEqual(refused.map((l) => [l.method, l.path, l.status]), [['GET', '/api/v1/bruteforce/list', 401], ['GET', '/api/v1/custom/echo', 401], ['GET', '/api/v1/auth/basic', 401]]);
    const all = JSON.stringify(s.logs);
    for (const secret of ['hunter2', 'wrong-secret-password', secretAuth.slice(6), 'password=']) assert.ok(!all.includes(secret), `the log shows ${secret}`);
  });

  test('403 (a token without the role) and 401 (a bad token): one line each', async (t) => {
    const s = await serve('jwt.yml');
    t.after(() => s.close());
    const now = Math.floor(Date.now() / 1000);
    const viewer = signJwt({ sub: 'viewer', roles: ['monitoring'], iat: now, exp: now + 600, typ: 'access' }, s.engine.config.server.jwtAuth!.secretKey);
    for (const token of [viewer, `${viewer}x`]) {
      const r = await s.app.inject({ method: 'DELETE', url: '/api/v1/cache/flush?x=1', headers: { authorization: `Bearer ${token}` }, payload: { user: 'alice' } });
      assert.ok(r.statusCode === 401 || r.statusCode === 403, r.body);
    }
    const refused = s.logs.filter((l) => l.msg === 'API request refused');
    assert.deepEqual(refused.map((l) => [l.path, l.status]), [['/api/v1/cache/flush', 403], ['/api/v1/cache/flush', 401]]);
    assert.ok(!JSON.stringify(s.logs).includes(viewer.split('.')[2]), 'the log shows the token');
  });
});
