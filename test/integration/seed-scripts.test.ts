// The seed document's Lua backend, blocklist feature, geoip-policyd filter and HAProxy action, copied
// verbatim, run unchanged through the HTTP API against real MariaDB, local HTTP services and a TCP listener.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { startFixture, jsonLogin, FIXTURES, type EngineFixture } from '../helpers/engine-fixture';
import { startHttpServer, type TestHttpServer } from '../helpers/http-server';
import { closeDbPools } from '../../engine/lua/modules/db-pools';

// the team's shared/ folder sits beside the project's checkout (as in CI)
const SEED_DOC = path.join(FIXTURES, '..', '..', '..', 'shared', 'seeds', '000_abb23ce82a1debbd.txt');
const SEED_DIR = path.join(FIXTURES, 'seed');
const SCRIPTS = ['backend/backend.lua', 'features/blocklist.lua', 'filters/geoippolicyd.lua', 'actions/haproxy.lua', 'hooks/callback.lua'];

// the backend's DSN is fixed by the seed (`user:password@tcp(127.0.0.1)/database`): rows are unique per run
const RUN = `seed-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
const ALICE = { username: `${RUN}-alice`, account: `${RUN}-alice@example.test`, password: 'alice-secret' };
const BOB = { username: `${RUN}-bob`, account: `${RUN}-bob@example.test`, password: 'bob-secret' };

/** {SSHA256}: base64(sha256(password + salt) + salt), as Dovecot and Nauthilus write it. */
function ssha256(plain: string): string {
  const salt = crypto.randomBytes(8);
  const digest = crypto.createHash('sha256').update(Buffer.concat([Buffer.from(plain), salt])).digest();
  return '{SSHA256}' + Buffer.concat([digest, salt]).toString('base64');
}

async function rootDb(): Promise<mysql.Connection> {
  return mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
}

/** A stand-in for HAProxy's stats socket: records every byte each connection sends. */
interface StatsSocket {
  address: string;
  received: string[];
  /** The next newline-terminated line (newline included) not yet taken. */
  nextLine(): Promise<string>;
  close(): Promise<void>;
}

async function startStatsSocket(): Promise<StatsSocket> {
  const received: string[] = [];
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    let buf = '';
    sock.on('data', (d) => {
      received.push(d.toString());
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl + 1);
        buf = buf.slice(nl + 1);
        const w = waiters.shift();
        if (w) w(line);
        else lines.push(line);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    received,
    nextLine() {
      const l = lines.shift();
      if (l !== undefined) return Promise.resolve(l);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no line on the stats socket within 5 s (got ${JSON.stringify(received)})`)), 5000);
        waiters.push((line) => {
          clearTimeout(t);
          resolve(line);
        });
      });
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

type Reply = { status: number; body: unknown };
let blocklistReply: Reply;
let geoipReply: Reply;
let blocklist: TestHttpServer;
let geoip: TestHttpServer;
let stats: StatsSocket;
let fx: EngineFixture;

before(async () => {
  const db = await rootDb();
  try {
    await db.query('CREATE DATABASE IF NOT EXISTS `database`');
    for (const host of ['%', 'localhost']) {
      await db.query(`CREATE USER IF NOT EXISTS 'user'@'${host}' IDENTIFIED BY 'password'`);
      await db.query(`ALTER USER 'user'@'${host}' IDENTIFIED BY 'password'`);
      await db.query(`GRANT ALL PRIVILEGES ON \`database\`.* TO 'user'@'${host}'`);
    }
    await db.query(`CREATE TABLE IF NOT EXISTS \`database\`.users (username VARCHAR(190) PRIMARY KEY,
      account VARCHAR(255) NOT NULL, password VARCHAR(255) NOT NULL, totp_secret VARCHAR(255) NULL)`);
    await db.query('INSERT INTO `database`.users (username, account, password) VALUES (?, ?, ?), (?, ?, ?)', [
      ALICE.username, ALICE.account, ssha256(ALICE.password), BOB.username, BOB.account, ssha256(BOB.password),
    ]);
  } finally {
    await db.end();
  }
  const reply = (r: () => Reply) => (_req: unknown, res: import('node:http').ServerResponse) => {
    const { status, body } = r();
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  blocklist = await startHttpServer(reply(() => blocklistReply));
  geoip = await startHttpServer(reply(() => geoipReply));
  stats = await startStatsSocket();
  fx = await startFixture('seed', {
    redis: 'mock',
    env: {
      BLOCKLIST_URL: `${blocklist.url}/blocklist`,
      GEOIP_POLICY_URL: `${geoip.url}/policy`,
      HAPROXY_STATS: stats.address,
      HAPROXY_SMTP_MAP: '/etc/haproxy/smtp.map',
      HAPROXY_GENERIC_MAP: '/etc/haproxy/generic.map',
    },
  });
});

after(async () => {
  await fx?.close();
  if (fx) await closeDbPools(fx.engine.services);
  await Promise.all([blocklist?.close(), geoip?.close(), stats?.close()]);
  const db = await rootDb();
  await db.query('DELETE FROM `database`.users WHERE username IN (?, ?)', [ALICE.username, BOB.username]);
  await db.end();
});

beforeEach(() => {
  blocklistReply = { status: 200, body: { found: false } };
  geoipReply = { status: 202, body: { guid: 'g-accept', object: { policy_reject: false } } };
  blocklist.requests.length = 0;
  geoip.requests.length = 0;
});

const login = (fields: Record<string, unknown>, query = '') =>
  jsonLogin(fx.app, { client_ip: '198.51.100.7', protocol: 'imap', ...fields }, query);
const traceOf = (res: { headers: Record<string, unknown> }) => fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))!;

test('the five fixture scripts are byte-for-byte copies of the seed document', { skip: !fs.existsSync(SEED_DOC) && 'seed document not present' }, () => {
  const doc = fs.readFileSync(SEED_DOC, 'utf8');
  for (const rel of SCRIPTS) {
    const src = fs.readFileSync(path.join(SEED_DIR, rel), 'utf8');
    assert.ok(src.length > 500, rel);
    assert.ok(doc.includes(src.replace(/\n$/, '')), `${rel} is not a verbatim excerpt of the seed`);
  }
});

test('backend: the right password is 200 with the account attribute read from MariaDB', async () => {
  const res = await login({ username: ALICE.username, password: ALICE.password });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['auth-user'], ALICE.account);
  assert.deepEqual(res.json(), { ok: true, account_field: 'account', totp_secret_field: null, backend: 'lua', attributes: { account: ALICE.account } });
});

test('backend: a wrong password and an unknown user are 403', async () => {
  const wrong = await login({ username: ALICE.username, password: BOB.password });
  assert.equal(wrong.statusCode, 403);
  assert.equal(wrong.headers['auth-status'], 'Invalid login or password');
  assert.equal(traceOf(wrong).trace.find((r) => r.stage === 'backend')?.result, 'not_authenticated');
  const unknown = await login({ username: `${RUN}-mallory`, password: 'x' });
  assert.equal(unknown.statusCode, 403);
  assert.equal(traceOf(unknown).trace.find((r) => r.stage === 'backend')?.result, 'user_not_found');
});

test('backend: mode=no-auth finds the user without a password; list-accounts lists the accounts', async () => {
  const res = await login({ username: BOB.username }, '?mode=no-auth');
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['auth-user'], BOB.account);
  assert.equal(blocklist.requests.length, 0, 'the blocklist skips no_auth requests');
  const list = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/json?mode=list-accounts', headers: { accept: 'application/json' } });
  assert.equal(list.statusCode, 200);
  const accounts = list.json() as string[];
  assert.ok(accounts.includes(ALICE.account) && accounts.includes(BOB.account), JSON.stringify(accounts));
});

test('backend: nauthilus_backend_add_totp writes the secret to MariaDB', async () => {
  await fx.engine.addTotp(BOB.username, 'JBSWY3DPEHPK3PXP');
  const db = await rootDb();
  const [rows] = await db.query('SELECT username, totp_secret FROM `database`.users WHERE username IN (?, ?) ORDER BY username', [ALICE.username, BOB.username]);
  await db.end();
  assert.deepEqual(rows, [{ username: ALICE.username, totp_secret: null }, { username: BOB.username, totp_secret: 'JBSWY3DPEHPK3PXP' }]);
});

test('blocklist: a listed IP is 403 "IP address blocked" with the custom log; the service got the client IP', async () => {
  blocklistReply = { status: 200, body: { found: true } };
  const res = await login({ username: ALICE.username, password: ALICE.password, client_ip: '203.0.113.9' });
  assert.equal(res.statusCode, 403);
  assert.equal(res.headers['auth-status'], 'IP address blocked');
  const feature = traceOf(res).trace[0];
  assert.equal(`${feature.stage}:${feature.name}:${feature.result}`, 'feature:blocklist:triggered');
  assert.deepEqual(feature.logs, { blocklist_ip: '203.0.113.9' });
  assert.equal(blocklist.requests.length, 1);
  const req = blocklist.requests[0];
  assert.equal(req.method, 'POST');
  assert.equal(req.url, '/blocklist');
  assert.equal(req.headers['content-type'], 'application/json');
  assert.equal(req.headers['user-agent'], 'Nauthilus');
  assert.deepEqual(JSON.parse(req.body), { ip: '203.0.113.9' });
  await stats.nextLine(); // the lua action wrote to the stats socket (asserted below)
});

test('blocklist: not listed, or an error answer, lets the login go on to the backend', async () => {
  const ok = await login({ username: ALICE.username, password: ALICE.password });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(traceOf(ok).trace.map((r) => `${r.stage}:${r.result}`), ['feature:ok', 'backend:authenticated', 'filter:accept']);
  blocklistReply = { status: 200, body: { error: 'database unavailable' } };
  const err = await login({ username: ALICE.username, password: ALICE.password });
  assert.equal(err.statusCode, 200);
  assert.equal(blocklist.requests.length, 2);
});

test('blocklist: a non-200 answer is a temporary failure naming the status', async () => {
  blocklistReply = { status: 503, body: 'maintenance' };
  const res = await login({ username: ALICE.username, password: ALICE.password });
  assert.equal(res.statusCode, 500);
  assert.equal(res.headers['auth-status'], 'Temporary server problem, try again later');
  assert.match(traceOf(res).error ?? '', /features\/blocklist\.lua:\d+: blocklist_status_code=503/);
});

test('geoip-policyd: a policy reject turns a good login into 403 "Policy violation"', async () => {
  geoipReply = { status: 202, body: { guid: 'g-1', object: { policy_reject: true, foreign_countries_seen: ['US', 'DE'] } } };
  const res = await login({ username: ALICE.username, password: ALICE.password, client_ip: '8.8.8.8' });
  assert.equal(res.statusCode, 403);
  assert.equal(res.headers['auth-status'], 'Policy violation');
  const filter = traceOf(res).trace.find((r) => r.stage === 'filter')!;
  assert.equal(filter.result, 'reject');
  assert.deepEqual(filter.logs, { geoippolicyd_guid: 'g-1', geoippolicyd_foreign_countries_seen: 'US,DE', geoippolicyd: 'blocked' });
  assert.equal(geoip.requests.length, 1);
  assert.equal(geoip.requests[0].url, '/policy');
  assert.deepEqual(JSON.parse(geoip.requests[0].body), { key: 'client', value: { address: '8.8.8.8', sender: ALICE.account } });
});

test('geoip-policyd: accept is 200; private addresses and failed logins never reach the service', async () => {
  const ok = await login({ username: BOB.username, password: BOB.password, client_ip: '1.1.1.1' });
  assert.equal(ok.statusCode, 200);
  assert.equal(traceOf(ok).trace.find((r) => r.stage === 'filter')?.logs.geoippolicyd_guid, 'g-accept');
  assert.equal(geoip.requests.length, 1);
  assert.equal((await login({ username: BOB.username, password: BOB.password, client_ip: '192.168.1.20' })).statusCode, 200);
  assert.equal((await login({ username: BOB.username, password: 'wrong', client_ip: '1.1.1.1' })).statusCode, 403);
  assert.equal(geoip.requests.length, 1);
});

test('geoip-policyd: an answer that is not 202 is a temporary failure', async () => {
  geoipReply = { status: 200, body: { guid: 'g-2' } };
  const res = await login({ username: BOB.username, password: BOB.password, client_ip: '1.1.1.1' });
  assert.equal(res.statusCode, 500);
  assert.match(traceOf(res).error ?? '', /filters\/geoippolicyd\.lua:\d+: geoippolicyd_status_code=200/);
});

test('haproxy action: a blocked IMAP client is added to the generic map, a submission client to the SMTP map', async () => {
  blocklistReply = { status: 200, body: { found: true } };
  const imap = await login({ username: ALICE.username, password: ALICE.password, client_ip: '203.0.113.77', protocol: 'imap' });
  assert.equal(imap.statusCode, 403);
  assert.deepEqual(traceOf(imap).trace.map((r) => `${r.stage}:${r.name}:${r.result}`), ['feature:blocklist:triggered', 'action:haproxy:ok']);
  assert.equal(await stats.nextLine(), 'add map /etc/haproxy/generic.map 203.0.113.0/24 block_imap\n');
  const smtp = await login({ username: ALICE.username, password: ALICE.password, client_ip: '198.51.100.200', protocol: 'submission' });
  assert.equal(smtp.statusCode, 403);
  assert.equal(await stats.nextLine(), 'add map /etc/haproxy/smtp.map 198.51.100.0/24 block_smtp\n');
  const v6 = await login({ username: ALICE.username, password: ALICE.password, client_ip: '2001:db8:1:2::5', protocol: 'pop3' });
  assert.equal(v6.statusCode, 403);
  assert.equal(await stats.nextLine(), 'add map /etc/haproxy/generic.map 2001:db8:1:2::/64 block_pop3\n');
});
