// Attack: dodging brute-force protection through the client address. Leaving `client_ip` out used to skip
// protection (Nauthilus 1.10 does the same: isLocalOrEmptyIP skips brute force for an empty address); here
// requests without an address share one bucket of their own ("no-client-ip") under every rule. Writing an
// IPv4 address as IPv4-mapped IPv6 (`::ffff:c633:6407`, `0:0:0:0:0:ffff:…`, `::ffff:0:…`, upper case) used to
// put it in another bucket and past IPv4 blocklists; addresses are now normalised once at the edge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { AuthEngine } from '../../engine/engine';
import { loadConfigFile } from '../../engine/config/load';
import { buildHttpApp } from '../../engine/http/app';
import { normaliseIp } from '../../engine/pipeline/auth-request';
import { startHttpServer, type TestHttpServer } from '../helpers/http-server';
import { workspace, yml } from '../helpers/config-text';
import { FIXTURES } from '../helpers/engine-fixture';

const BACKEND = `
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  nauthilus_builtin.custom_log_add("backend_saw_ip", request.client_ip)
  if request.username == "alice" then
    b:user_found(true)
    b:authenticated(request.password == "alice-secret")
  end
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;

let engine: AuthEngine;
let app: FastifyInstance;
let port: number;
let blocklist: TestHttpServer;

before(async () => {
  // the sample blocklist service: 203.0.113.0/24 is listed
  blocklist = await startHttpServer((req, res) => {
    const ip = (JSON.parse(req.body) as { ip?: string }).ip ?? '';
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ found: ip.startsWith('203.0.113.') }));
  });
  const dir = workspace({
    'authstudio.yml': yml(
      'server:', '  address: 127.0.0.1:0', '  backends: [lua]', '  redis: mock', '  log: {level: error}',
      'brute_force:', '  buckets:',
      '    - {name: b24, period: 10m, cidr: 24, ipv4: true, failed_requests: 3}',
      '    - {name: b64, period: 10m, cidr: 64, ipv6: true, failed_requests: 3}',
      'lua:', '  features:', '    - {name: blocklist, script_path: ./blocklist.lua}',
      '  config:', '    backend_script_path: ./backend.lua', '    number_of_workers: 2',
    ),
    'backend.lua': BACKEND,
    // the seed's (lua-plugins.d) sample blocklist feature, as shipped
    'blocklist.lua': fs.readFileSync(path.join(FIXTURES, 'seed', 'features', 'blocklist.lua'), 'utf8'),
  });
  const env = { ...process.env, BLOCKLIST_URL: `${blocklist.url}/blocklist` };
  engine = await AuthEngine.create(loadConfigFile(path.join(dir, 'authstudio.yml'), { env }), { logger: pino({ level: 'silent' }), env });
  app = await buildHttpApp(engine);
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as net.AddressInfo).port;
});
after(async () => {
  await app?.close();
  await engine?.close();
  await blocklist?.close();
});

function raw(lines: string[], body = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    sock.setTimeout(10000, () => sock.destroy(new Error('no answer in 10 s')));
    sock.on('connect', () => sock.write([...lines, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n')));
    sock.on('data', (d) => (buf += d.toString('latin1')));
    sock.on('end', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`not an HTTP answer: ${buf.slice(0, 200)}`));
    });
    sock.on('error', reject);
  });
}

/** JSON endpoint; `ip` undefined leaves client_ip out. */
const jsonLogin = (password: string, ip?: string) =>
  raw(['POST /api/v1/auth/json HTTP/1.1', 'Host: x', 'Content-Type: application/json'], JSON.stringify({ username: 'alice', password, protocol: 'imap', ...(ip === undefined ? {} : { client_ip: ip }) }));
/** Header endpoint; `ip` undefined sends no Client-IP. */
const headerLogin = (password: string, ip?: string) =>
  raw(['GET /api/v1/auth/header HTTP/1.1', 'Host: x', 'Auth-User: alice', `Auth-Pass: ${password}`, 'Auth-Protocol: imap', ...(ip === undefined ? [] : [`Client-IP: ${ip}`])]);

test('without client_ip (json and header endpoints) failures share one "no-client-ip" bucket: after the limit the right password is refused', async () => {
  for (let i = 0; i < 2; i++) assert.equal(await jsonLogin(`guess-json-${i}`), 403);
  assert.equal(await headerLogin('guess-header-1'), 403);
  assert.equal(await engine.services.redis.client.get('bf:b24:no-client-ip'), '3');
  assert.equal(await jsonLogin('alice-secret'), 403, 'json: the right password without an address is refused after the limit');
  assert.equal(await headerLogin('alice-secret'), 403, 'header: the same');
  // a client that sends its address is not affected
  assert.equal(await jsonLogin('alice-secret', '192.0.2.44'), 200);
});

const MAPPED = ['::ffff:c633:6407', '0:0:0:0:0:ffff:c633:6407', '::FFFF:C633:6407', '::ffff:0:c633:6407', '0:0:0:0:0:FFFF:198.51.100.7', '::ffff:198.51.100.7', '[::ffff:c633:6407]', '::c633:6407'];

test('IPv4-mapped IPv6 spellings are the IPv4 address: they log in from a blocked network no more', async () => {
  for (let i = 0; i < 3; i++) assert.equal(await jsonLogin(`guess-${i}`, `198.51.100.${i + 1}`), 403);
  const logins: string[] = [];
  for (const ip of MAPPED) {
    if ((await jsonLogin('alice-secret', ip)) === 200) logins.push(`json ${ip}`);
    if ((await headerLogin('alice-secret', ip)) === 200) logins.push(`header ${ip}`);
  }
  assert.deepEqual(logins, [], 'these logged in from the blocked 198.51.100.0/24');
  assert.equal(await engine.services.redis.client.get('bf:b64:::/64'), null, 'nothing was counted in an IPv6 bucket');
});

test('the sample blocklist (lua-plugins.d feature) sees the IPv4 address behind a mapped spelling and blocks it', async () => {
  blocklist.requests.length = 0;
  const passed: string[] = [];
  for (const ip of ['::ffff:cb00:7109', '0:0:0:0:0:FFFF:CB00:7109', '::ffff:0:cb00:7109', '::ffff:203.0.113.9']) {
    if ((await jsonLogin('alice-secret', ip)) !== 403) passed.push(ip);
  }
  assert.deepEqual(passed, [], 'these passed the blocklist');
  assert.deepEqual(new Set(blocklist.requests.map((r) => (JSON.parse(r.body) as { ip: string }).ip)), new Set(['203.0.113.9']));
});

test('addresses are normalised once: mapped forms unmapped, IPv6 in its canonical lower-case form, brackets and zones dropped', () => {
  for (const ip of MAPPED) assert.equal(normaliseIp(ip, 'client_ip'), '198.51.100.7', ip);
  assert.equal(normaliseIp('2001:DB8:0:0:0:0:0:1', 'client_ip'), '2001:db8::1');
  assert.equal(normaliseIp('[2001:db8::7]', 'client_ip'), '2001:db8::7');
  assert.equal(normaliseIp('fe80::1%eth0', 'client_ip'), 'fe80::1');
  assert.equal(normaliseIp('2001:db8::198.51.100.7', 'client_ip'), '2001:db8::c633:6407');
  for (const keep of ['::1', '::', '2001:db8::ffff:c633:6407']) assert.equal(normaliseIp(keep, 'client_ip'), keep);
  assert.throws(() => normaliseIp('::ffff:999.1.1.1', 'client_ip'), /not an IP address/);
});
