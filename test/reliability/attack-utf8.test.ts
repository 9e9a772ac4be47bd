// Attack: text beyond Latin-1 in names, passwords, accounts and status messages, raw UTF-8 header bytes as nginx sends them (issue 13, finding 11).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfigFile } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';
import { FIXTURES } from '../helpers/engine-fixture';
import { decisionOf, injectWire } from '../../engine/studio/simulator';
import { fromWireHeader } from '../../engine/http/header-bytes';

const PASSWORD = 'pässword';
const REFUSAL = 'Zugang gesperrt — 帳戶已鎖定 ✋';
const logLines: string[] = [];
let engine: AuthEngine;
let app: FastifyInstance;
let port: number;

const sink = () => new Writable({
  write(chunk, _enc, cb) {
    logLines.push(String(chunk));
    cb();
  },
});

before(async () => {
  const config = loadConfigFile(path.join(FIXTURES, 'faults', 'attack-utf8', 'authstudio.yml'));
  engine = await AuthEngine.create(config, { logger: pino({ level: 'debug' }, sink()) });
  app = await buildHttpApp(engine, { logRequests: true, requestLogStream: sink() });
  // a route that fails unexpectedly, to see what the error handler logs about a URL with a password
  app.get('/api/v1/auth/explode', async () => {
    throw new Error('unexpected fault');
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as net.AddressInfo).port;
});
after(async () => {
  await app?.close();
  await engine?.close();
});

interface RawAnswer {
  status: number;
  /** Header values as the raw bytes on the wire (lower-case names). */
  headers: Map<string, Buffer>;
  body: string;
}

/** Send raw request bytes and read the whole answer (Connection: close). */
function raw(lines: Array<string | Buffer>, body: Buffer = Buffer.alloc(0)): Promise<RawAnswer> {
  const head = Buffer.concat([...lines.flatMap((l) => [Buffer.isBuffer(l) ? l : Buffer.from(l, 'latin1'), Buffer.from('\r\n')]), Buffer.from('\r\n')]);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => sock.end(Buffer.concat([head, body])));
    const chunks: Buffer[] = [];
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', reject);
    sock.on('end', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      const headLines: Buffer[] = [];
      for (let i = 0, j; i < end; i = j + 2) {
        j = all.indexOf('\r\n', i);
        if (j < 0 || j > end) j = end;
        headLines.push(all.subarray(i, j));
      }
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headLines[0].toString('latin1'))?.[1]);
      const headers = new Map<string, Buffer>();
      for (const l of headLines.slice(1)) {
        const c = l.indexOf(':');
        headers.set(l.subarray(0, c).toString('latin1').toLowerCase(), l.subarray(c + 1).subarray(l[c + 1] === 0x20 ? 1 : 0));
      }
      resolve({ status, headers, body: all.subarray(end + 4).toString('utf8') });
    });
  });
}

const utf8Header = (name: string, value: string) => Buffer.concat([Buffer.from(`${name}: `), Buffer.from(value, 'utf8')]);
const authUser = (a: RawAnswer) => a.headers.get('auth-user')?.toString('hex');
const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

test('header endpoint (as Nauthilus 1.10: header bytes in and out as they are): raw UTF-8 Auth-User and Auth-Pass match, the answer carries the account as UTF-8 bytes', async () => {
  const a = await raw(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', utf8Header('Auth-User', 'cärol'), utf8Header('Auth-Pass', PASSWORD), 'Client-IP: 192.0.2.10', 'Connection: close']);
  assert.equal(a.status, 200, a.body);
  assert.equal(authUser(a), hex('cärol'));
  const b = await raw(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', utf8Header('Auth-User', '東京'), utf8Header('Auth-Pass', PASSWORD), 'Client-IP: 192.0.2.10', 'Connection: close']);
  assert.equal(b.status, 200, b.body);
  assert.equal(authUser(b), hex('東京@例え.jp'));
  const wrong = await raw(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', utf8Header('Auth-User', 'cärol'), utf8Header('Auth-Pass', 'pässwort'), 'Client-IP: 192.0.2.10', 'Connection: close']);
  assert.equal(wrong.status, 403);
  // the same password in Latin-1 bytes (not valid UTF-8) is not the password: its bytes differ, as in Nauthilus
  const latin1 = await raw(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', utf8Header('Auth-User', 'cärol'), Buffer.concat([Buffer.from('Auth-Pass: '), Buffer.from(PASSWORD, 'latin1')]), 'Client-IP: 192.0.2.10', 'Connection: close']);
  assert.equal(latin1.status, 403);
});

test('nginx endpoint (Nauthilus 1.10 reads header bytes as they come): raw UTF-8 logs in, Auth-User passed on as the exact UTF-8 account', async () => {
  const a = await raw(['GET /api/v1/auth/nginx HTTP/1.1', 'Host: x', utf8Header('Auth-User', 'cärol'), utf8Header('Auth-Pass', PASSWORD), 'Auth-Protocol: imap', 'Client-IP: 192.0.2.11', 'Connection: close']);
  assert.equal(a.status, 200);
  assert.equal(a.headers.get('auth-status')?.toString(), 'OK');
  const b = await raw(['GET /api/v1/auth/nginx HTTP/1.1', 'Host: x', utf8Header('Auth-User', '東京'), utf8Header('Auth-Pass', PASSWORD), 'Auth-Protocol: imap', 'Client-IP: 192.0.2.11', 'Connection: close']);
  assert.equal(b.headers.get('auth-status')?.toString(), 'OK', b.body);
  assert.equal(authUser(b), hex('東京@例え.jp'));
  // nginx %-escapes some bytes: the escaped UTF-8 form means the same
  const c = await raw(['GET /api/v1/auth/nginx HTTP/1.1', 'Host: x', utf8Header('Auth-User', 'cärol'), `Auth-Pass: ${encodeURIComponent(PASSWORD)}`, 'Auth-Protocol: imap', 'Client-IP: 192.0.2.11', 'Connection: close']);
  assert.equal(c.headers.get('auth-status')?.toString(), 'OK');
});

test('json and basic endpoints: a login whose account is beyond Latin-1 succeeds (200, Auth-User as UTF-8 bytes)', async () => {
  const body = Buffer.from(JSON.stringify({ username: '東京', password: PASSWORD, client_ip: '192.0.2.12', protocol: 'imap' }));
  const a = await raw(['POST /api/v1/auth/json HTTP/1.1', 'Host: x', 'Content-Type: application/json', `Content-Length: ${body.length}`, 'Connection: close'], body);
  assert.equal(a.status, 200, a.body);
  assert.equal(authUser(a), hex('東京@例え.jp'));
  assert.equal(JSON.parse(a.body).attributes.account, '東京@例え.jp');
  const basic = Buffer.from(`東京:${PASSWORD}`, 'utf8').toString('base64');
  const b = await raw(['GET /api/v1/auth/basic HTTP/1.1', 'Host: x', `Authorization: Basic ${basic}`, 'Connection: close']);
  assert.equal(b.status, 200, b.body);
  assert.equal(authUser(b), hex('東京@例え.jp'));
  const q = `username=${encodeURIComponent('東京')}&password=${encodeURIComponent(PASSWORD)}&client_ip=192.0.2.12`;
  const c = await raw([`GET /api/v1/auth/json?${q} HTTP/1.1`, 'Host: x', 'Connection: close']);
  assert.equal(c.status, 200, c.body);
  assert.equal(authUser(c), hex('東京@例え.jp'));
});

test('a refusal whose status message is beyond Latin-1 is a refusal (403 / nginx fail), the message sent as UTF-8 bytes', async () => {
  const body = Buffer.from(JSON.stringify({ username: 'zoë', password: PASSWORD, client_ip: '192.0.2.13' }));
  const a = await raw(['POST /api/v1/auth/json HTTP/1.1', 'Host: x', 'Content-Type: application/json', `Content-Length: ${body.length}`, 'Connection: close'], body);
  assert.equal(a.status, 403, a.body);
  assert.equal(a.headers.get('auth-status')?.toString('hex'), hex(REFUSAL));
  assert.equal(JSON.parse(a.body).status_message, REFUSAL);
  const b = await raw(['GET /api/v1/auth/nginx HTTP/1.1', 'Host: x', utf8Header('Auth-User', 'zoë'), utf8Header('Auth-Pass', PASSWORD), 'Auth-Protocol: smtp', 'Client-IP: 192.0.2.13', 'Connection: close']);
  assert.equal(b.status, 200);
  assert.equal(b.headers.get('auth-status')?.toString('hex'), hex(REFUSAL));
  assert.equal(b.headers.get('auth-error-code')?.toString(), '535 5.7.8');
});

test('logs name UTF-8 users as they are and never carry a URL query or the password', async () => {
  const a = await raw(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', utf8Header('Auth-User', 'cärol'), utf8Header('Auth-Pass', 'wröng'), 'Client-IP: 192.0.2.14', 'Connection: close']);
  assert.equal(a.status, 403);
  const q = `username=${encodeURIComponent('cärol')}&password=${encodeURIComponent(PASSWORD)}`;
  const e = await raw([`GET /api/v1/auth/explode?${q} HTTP/1.1`, 'Host: x', 'Connection: close']);
  assert.equal(e.status, 500);
  const g = await raw([`GET /api/v1/auth/json?${q}&client_ip=192.0.2.14 HTTP/1.1`, 'Host: x', 'Connection: close']);
  assert.equal(g.status, 200);
  const logs = logLines.join('');
  assert.ok(logs.includes('"username":"cärol"'), 'the auth log names cärol');
  assert.ok(!logs.includes('cÃ¤rol'), 'no user name decoded as Latin-1 in the log');
  assert.ok(logs.includes('unexpected error while serving a request'), 'the unexpected error is logged');
  assert.ok(logs.includes('/api/v1/auth/json'), 'request log lines were written');
  for (const needle of ['password=', PASSWORD, encodeURIComponent(PASSWORD), 'wröng']) {
    assert.ok(!logs.includes(needle), `the logs contain ${JSON.stringify(needle)}: ${logs.split('\n').find((l) => l.includes(needle))}`);
  }
});

test('studio simulator (in-process inject): header requests beyond Latin-1 go out as UTF-8 bytes, answers read back as text', async () => {
  const ok = await injectWire(app, { method: 'GET', url: '/api/v1/auth/header', headers: { 'auth-user': '東京', 'auth-pass': PASSWORD, 'client-ip': '192.0.2.15' } });
  assert.equal(decisionOf(ok), 'ok');
  assert.equal(fromWireHeader(String(ok.headers['auth-user'])), '東京@例え.jp');
  const refused = await injectWire(app, { method: 'GET', url: '/api/v1/auth/nginx', headers: { 'auth-user': 'zoë', 'auth-pass': PASSWORD, 'auth-protocol': 'imap', 'client-ip': '192.0.2.15' } });
  assert.equal(decisionOf(refused), 'fail');
  assert.equal(fromWireHeader(String(refused.headers['auth-status'])), REFUSAL);
});

test('a custom hook setting headers beyond Latin-1, with a bad name or a CR LF: its answer, not a 500 (Go net/http writes header bytes as they are)', async () => {
  const a = await raw(['GET /api/v1/custom/greeting HTTP/1.1', 'Host: x', 'Connection: close']);
  assert.equal(a.status, 200, a.body);
  assert.equal(a.headers.get('x-greeting')?.toString('hex'), hex('grüße ✋ 東京'));
  assert.equal(a.body, 'grüße ✋');
  // a header name HTTP does not allow is dropped (and logged); a value cannot start a header of its own
  assert.equal(a.headers.has('bad name'), false);
  assert.equal(a.headers.has('injected'), false);
  assert.equal(a.headers.get('x-split')?.toString('latin1'), 'a  Injected: 1');
  assert.ok(logLines.some((l) => l.includes('invalid header name')), 'the dropped header is logged');
});
