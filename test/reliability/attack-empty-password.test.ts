// Attack: an empty password. It used to reach Lua as nil, so a backend comparing it with a lookup that
// found nothing (`request.password == redis_hget(...)`, nil for an unknown user) logged anyone in. Now every
// absent string field is "" (as in Nauthilus 1.10 / 3.0, whose request table sets every string field), and
// an empty password never authenticates in auth mode (Nauthilus 1.10: AuthResultEmptyPassword, a failed
// login before the backends) and counts as a wrong password for brute force.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { AuthEngine } from '../../engine/engine';
import { loadConfigFile } from '../../engine/config/load';
import { buildAuthRequest } from '../../engine/pipeline/auth-request';
import { buildHttpApp } from '../../engine/http/app';
import { workspace, yml } from '../helpers/config-text';

// the hazard as users write it: the stored password of an unknown user is nil
const BACKEND = `
local PASSWORDS = { alice = "alice-secret" }
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  local stored = PASSWORDS[request.username]
  b:user_found(stored ~= nil)
  b:authenticated(request.password == stored)
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;
// what a script sees of fields the client did not send
const FEATURE = `
function nauthilus_call_feature(request)
  nauthilus_builtin.custom_log_add("password_type", type(request.password) .. ":" .. tostring(request.password))
  nauthilus_builtin.custom_log_add("client_port_type", type(request.client_port))
  nauthilus_builtin.custom_log_add("ssl_type", type(request.ssl))
  return false, false, nauthilus_builtin.FEATURE_RESULT_OK
end
`;

let engine: AuthEngine;
let app: FastifyInstance;
let port: number;

before(async () => {
  const dir = workspace({
    'authstudio.yml': yml(
      'server:', '  address: 127.0.0.1:0', '  backends: [lua]', '  redis: mock', '  log: {level: error}',
      'brute_force:', '  buckets:', '    - {name: b24, period: 10m, cidr: 24, ipv4: true, failed_requests: 3}',
      'lua:', '  features:', '    - {name: seen, script_path: ./seen.lua}', '  config:', '    backend_script_path: ./backend.lua', '    number_of_workers: 2',
    ),
    'backend.lua': BACKEND,
    'seen.lua': FEATURE,
  });
  engine = await AuthEngine.create(loadConfigFile(path.join(dir, 'authstudio.yml')), { logger: pino({ level: 'silent' }) });
  app = await buildHttpApp(engine);
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as net.AddressInfo).port;
});
after(async () => {
  await app?.close();
  await engine?.close();
});

/** Send raw request lines on a fresh socket; resolve with the status and the header block. */
function raw(lines: string[], body = ''): Promise<{ status: number; head: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    sock.setTimeout(10000, () => sock.destroy(new Error('no answer in 10 s')));
    sock.on('connect', () => sock.write([...lines, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n')));
    sock.on('data', (d) => (buf += d.toString('latin1')));
    sock.on('end', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
      if (!m) return reject(new Error(`not an HTTP answer: ${buf.slice(0, 200)}`));
      resolve({ status: Number(m[1]), head: buf.slice(0, buf.indexOf('\r\n\r\n')) });
    });
    sock.on('error', reject);
  });
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

// every endpoint, with an empty and with an absent password, for a user the backend does not know
const ATTEMPTS: Array<{ name: string; send: (user: string, ip: string) => Promise<{ status: number; head: string }> }> = [
  { name: 'json, password ""', send: (u, ip) => raw(['POST /api/v1/auth/json HTTP/1.1', 'Host: x', 'Content-Type: application/json'], JSON.stringify({ username: u, password: '', client_ip: ip })) },
  { name: 'json, no password field', send: (u, ip) => raw(['POST /api/v1/auth/json HTTP/1.1', 'Host: x', 'Content-Type: application/json'], JSON.stringify({ username: u, client_ip: ip })) },
  { name: 'header, empty Auth-Pass', send: (u, ip) => raw(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', `Auth-User: ${u}`, 'Auth-Pass: ', `Client-IP: ${ip}`]) },
  { name: 'header, no Auth-Pass', send: (u, ip) => raw(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', `Auth-User: ${u}`, `Client-IP: ${ip}`]) },
  { name: 'basic, "user:"', send: (u, ip) => raw(['GET /api/v1/auth/basic HTTP/1.1', 'Host: x', `Authorization: Basic ${b64(`${u}:`)}`, `Client-IP: ${ip}`]) },
  { name: 'nginx, empty Auth-Pass', send: (u, ip) => raw(['GET /api/v1/auth/nginx HTTP/1.1', 'Host: x', `Auth-User: ${u}`, 'Auth-Pass: ', 'Auth-Protocol: imap', `Client-IP: ${ip}`]) },
];

// nginx answers 200 either way: its verdict is the Auth-Status header
const succeeded = (r: { status: number; head: string }, nginx: boolean) => (nginx ? /^Auth-Status: OK\r?$/im.test(r.head) : r.status === 200);

test('an empty or absent password never logs in an unknown user, on every auth endpoint (json, header, basic, nginx)', async () => {
  const logins: string[] = [];
  for (const [i, a] of ATTEMPTS.entries()) {
    const r = await a.send(`nosuchuser${i}`, `192.0.2.${i + 1}`);
    if (succeeded(r, a.name.startsWith('nginx'))) logins.push(`${a.name}: ${r.status}`);
    else if (a.name.startsWith('nginx')) assert.match(r.head, /^Auth-Status: Invalid login or password\r?$/im, a.name);
    else assert.equal(r.status, 403, `${a.name}: ${r.head}`);
  }
  assert.deepEqual(logins, [], 'these logged in');
});

test('an empty password does not log in a known user either', async () => {
  const r = await ATTEMPTS[0].send('alice', '198.18.0.1');
  assert.equal(r.status, 403);
});

test('scripts see an empty password as "" and unsent string fields as "" (Nauthilus 1.10 request table), never nil', async () => {
  const out = await engine.authenticate(buildAuthRequest({ username: 'alice', password: '', client_ip: '198.18.1.1' }, 'auth', 'json'));
  const feature = out.trace.find((r) => r.stage === 'feature');
  assert.deepEqual(feature?.logs, { password_type: 'string:', client_port_type: 'string', ssl_type: 'string' });
  assert.equal(out.decision, 'fail');
  assert.ok(!out.trace.some((r) => r.stage === 'backend' && r.name !== 'empty_password'), 'no backend script ran');
});

test('empty passwords count as failed logins for brute force: after 3 the right password from that network is refused', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await ATTEMPTS[0].send(`nosuch-${i}`, `203.0.113.${i + 1}`)).status, 403);
  assert.equal(await engine.services.redis.client.get('bf:b24:203.0.113.0/24'), '3');
  const right = await raw(['POST /api/v1/auth/json HTTP/1.1', 'Host: x', 'Content-Type: application/json'], JSON.stringify({ username: 'alice', password: 'alice-secret', client_ip: '203.0.113.50' }));
  assert.equal(right.status, 403, 'the network is blocked');
});
