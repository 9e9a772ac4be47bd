// Bad input that only a real socket can carry: raw invalid UTF-8 and control bytes in headers, oversized headers, broken framing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startFixture, type EngineFixture } from '../helpers/engine-fixture';
import { tally } from './support/input-oracle';

let fx: EngineFixture;
let port: number;
before(async () => {
  fx = await startFixture('faults/input');
  await fx.app.listen({ host: '127.0.0.1', port: 0 });
  port = (fx.app.server.address() as net.AddressInfo).port;
});
after(async () => {
  await fx?.close();
  console.log('bad-input socket figures', JSON.stringify(tally));
});

interface Raw {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Write raw bytes, read until the server closes; parse the status line, headers and body. */
function raw(bytes: Buffer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    sock.setTimeout(5000, () => sock.destroy(new Error('no answer within 5 s')));
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' && chunks.length ? undefined : reject(e)));
    sock.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    sock.end(bytes);
  });
}

const req = (lines: Array<string | Buffer>, body: Buffer | string = '') =>
  Buffer.concat([...lines.flatMap((l) => [Buffer.isBuffer(l) ? l : Buffer.from(l, 'latin1'), Buffer.from('\r\n')]), Buffer.from('\r\n'), Buffer.from(body as string)]);
const header = (name: string, value: Buffer) => Buffer.concat([Buffer.from(`${name}: `), value]);
const bytes = (...b: number[]) => Buffer.from(b);
const jsonReq = (body: Buffer) => req(['POST /api/v1/auth/json HTTP/1.1', 'Host: x', 'Content-Type: application/json', `Content-Length: ${body.length}`, 'Connection: close'], body);

/** Each case: the raw request and the answers it may get ('fail': a normal failure; a number: that 4xx). */
/** `bare`: node's HTTP server itself refuses these before fastify sees them, with an empty body. */
const CASES: Array<{ name: string; request: Buffer; expect: Array<number | 'fail'>; bare?: true }> = [
  { name: 'invalid UTF-8 in Auth-User', request: req(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', header('Auth-User', bytes(0x61, 0xff, 0xfe, 0xc3, 0x28)), 'Auth-Pass: alice-secret', 'Connection: close']), expect: ['fail'] },
  { name: 'invalid UTF-8 in Auth-Pass', request: req(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', 'Auth-User: alice', header('Auth-Pass', bytes(0x61, 0x6c, 0x69, 0x63, 0x65, 0xed, 0xa0, 0x80)), 'Connection: close']), expect: ['fail'] },
  { name: 'Latin-1 bytes that spell alice-secret with a trailing 0xA0', request: req(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', 'Auth-User: alice', header('Auth-Pass', Buffer.concat([Buffer.from('alice-secret'), bytes(0xa0)])), 'Connection: close']), expect: ['fail'] },
  { name: 'control byte 0x01 in a header value', request: req(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', header('Auth-User', bytes(0x61, 0x01, 0x62)), 'Connection: close']), expect: [400] },
  { name: 'NUL in a header value', request: req(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', header('Auth-User', bytes(0x61, 0x00)), 'Connection: close']), expect: [400] },
  { name: 'bare LF inside a header value (header injection)', request: req(['GET /api/v1/auth/nginx HTTP/1.1', 'Host: x', 'Auth-User: alice\nAuth-Status: OK', 'Auth-Pass: x', 'Connection: close']), expect: [400] },
  { name: 'nginx: invalid UTF-8 (raw and %-escaped) in Auth-User', request: req(['GET /api/v1/auth/nginx HTTP/1.1', 'Host: x', header('Auth-User', bytes(0xc3, 0x28, 0x25, 0x43, 0x33, 0x25, 0x32, 0x38)), 'Auth-Pass: alice-secret', 'Auth-Protocol: imap', 'Connection: close']), expect: [400, 'fail'] },
  { name: 'Basic credentials that decode to invalid UTF-8', request: req(['GET /api/v1/auth/basic HTTP/1.1', 'Host: x', `Authorization: Basic ${bytes(0x61, 0x6c, 0x69, 0x63, 0x65, 0xff, 0x3a, 0xfe).toString('base64')}`, 'Connection: close']), expect: ['fail'] },
  { name: 'a 20 KiB header', request: req(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', `Auth-User: ${'a'.repeat(20 * 1024)}`, 'Connection: close']), expect: [431] },
  { name: '3000 headers', request: req(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', 'Auth-User: alice', ...Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`), 'Connection: close']), expect: [431, 'fail'] },
  { name: 'invalid UTF-8 in a JSON body', request: jsonReq(Buffer.concat([Buffer.from('{"username":"alice'), bytes(0xff, 0xfe, 0xfd), Buffer.from('","password":"alice-secret"}')])), expect: ['fail'] },
  { name: 'Content-Length larger than the body', request: req(['POST /api/v1/auth/json HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Content-Length: 400', 'Connection: close'], '{"username":"alice"}'), expect: [400] },
  { name: 'Content-Length and chunked together (request smuggling)', request: req(['POST /api/v1/auth/json HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Content-Length: 4', 'Transfer-Encoding: chunked', 'Connection: close'], '0\r\n\r\n'), expect: [400] },
  { name: 'a 1 MiB chunked body', request: req(['POST /api/v1/auth/json HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Transfer-Encoding: chunked', 'Connection: close'], `100000\r\n${'x'.repeat(0x100000)}\r\n0\r\n\r\n`), expect: [413] },
  { name: 'raw 0xFF bytes in the request target', request: req([Buffer.concat([Buffer.from('GET /api/v1/auth/json?username='), bytes(0xff, 0xfe), Buffer.from(' HTTP/1.1')]), 'Host: x', 'Connection: close']), expect: [400, 'fail'] },
  { name: 'garbage request line', request: req(['GARBAGE', 'Connection: close']), expect: [400] },
  { name: 'HTTP/1.1 without Host', request: req(['GET /api/v1/auth/header HTTP/1.1', 'Auth-User: alice', 'Auth-Pass: alice-secret', 'Connection: close']), expect: [400], bare: true },
];

for (const c of CASES) {
  test(`real socket: ${c.name}`, async () => {
    const res = await raw(c.request);
    const t = (tally[`socket: ${c.name}`] ??= { cases: 0, answers: {} });
    t.cases++;
    const code = /"error":"([^"]+)"/.exec(res.body)?.[1] ?? (res.status === 403 ? 'login failed' : 'no body');
    t.answers[`${res.status} ${code}`] = (t.answers[`${res.status} ${code}`] ?? 0) + 1;
    assert.ok(res.status >= 200 && res.status < 500, `status ${res.status}: ${res.body.slice(0, 200)}`);
    if (res.status === 403 || (res.status === 200 && res.headers['auth-status'] && res.headers['auth-status'] !== 'OK')) {
      assert.ok(c.expect.includes('fail'), `a failure was not expected: ${res.status}`);
      return;
    }
    assert.notEqual(res.status, 200, `a success: ${JSON.stringify(res.headers)}`);
    assert.ok(c.expect.includes(res.status), `status ${res.status}, expected ${c.expect.join(' or ')}: ${res.body.slice(0, 200)}`);
    if (c.bare) return assert.match(res.body, /^(0\r\n\r\n)?$/, 'an empty (chunked) body');
    const body = JSON.parse(res.body);
    // every error, the HTTP parser's included, carries an AS_ERR_* code and a message
    assert.match(String(body.error), /^AS_ERR_[A-Z_]+$/, res.body);
    assert.ok(typeof body.message === 'string' && body.message.length > 0, res.body);
  });
}

test('the server still answers after every raw case', async () => {
  const res = await raw(req(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', 'Auth-User: alice', 'Auth-Pass: alice-secret', 'Connection: close']));
  assert.equal(res.status, 200);
  assert.equal(res.headers['auth-status'], 'OK');
});
