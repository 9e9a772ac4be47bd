// Backend server health checks and monitoring, as Nauthilus 1.10 does them (monitoring/connection.go, server.go),
// against local listeners: IMAP/POP3/SMTP/LMTP stand-ins, a PROXY v2 header, implicit TLS with a login.
import { test } from 'node:test';
import http from 'node:http';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import pino from 'pino';
import { Registry } from 'prom-client';
import { checkBackendConnection, proxyV2LocalHeader } from '../../engine/monitoring/backend-check';
import { BackendServerMonitor } from '../../engine/monitoring/backend-monitor';
import type { BackendServerConfig } from '../../engine/config/types';
import { startSmtpServer } from '../helpers/smtp-server';

interface Listener { port: number; received: Buffer[]; firstClosed: Promise<void>; close(): Promise<void> }

/** A loopback server that sends `greeting`, answers each line with `answer(line)`, and keeps what it received. */
async function listen(greeting: string, answer: (line: string) => string | undefined = () => undefined, secure?: tls.SecureContextOptions): Promise<Listener> {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  let closed!: () => void;
  const firstClosed = new Promise<void>((r) => (closed = r));
  const onConn = (c: net.Socket) => {
    sockets.add(c);
    c.on('close', () => {
      sockets.delete(c);
      closed();
    });
    c.on('error', () => undefined);
    if (greeting) c.write(greeting);
    let buf = '';
    c.on('data', (d: Buffer) => {
      received.push(d);
      buf += d.toString('latin1');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        const a = answer(line);
        if (a !== undefined) c.write(a);
      }
    });
  };
  const srv = secure ? tls.createServer(secure, onConn) : net.createServer(onConn);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    received,
    firstClosed,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      srv.close(() => r());
    }),
  };
}

function server(port: number, over: Partial<BackendServerConfig> = {}): BackendServerConfig {
  return { protocol: 'imap', host: '127.0.0.1', port, deepCheck: false, requestUri: '', testUsername: '', testPassword: '', tls: false, tlsSkipVerify: false, haproxyV2: false, ...over };
}

const imapAnswer = (l: string) => (l.startsWith('a1 LOGIN probe secret') ? 'a1 OK logged in\r\n' : l.startsWith('a1 LOGIN') ? 'a1 NO [AUTHENTICATIONFAILED] failed\r\n' : undefined);

test('Nauthilus 1.10: a plain check only connects; deep_check reads the IMAP and POP3 greetings', async () => {
  const imap = await listen('* OK ready\r\n');
  const pop3 = await listen('+OK POP3 ready\r\n');
  const wrong = await listen('-ERR go away\r\n');
  try {
    await checkBackendConnection(server(imap.port));
    await checkBackendConnection(server(imap.port, { deepCheck: true }));
    await checkBackendConnection(server(pop3.port, { protocol: 'pop3', deepCheck: true }));
    await assert.rejects(checkBackendConnection(server(wrong.port, { deepCheck: true })), /IMAP greeting failed: -ERR go away/);
    await assert.rejects(checkBackendConnection(server(wrong.port, { protocol: 'pop3', deepCheck: true })), /POP3 greeting failed/);
    // without deep_check the greeting is not read: a listening port is alive
    await checkBackendConnection(server(wrong.port));
  } finally {
    await Promise.all([imap.close(), pop3.close(), wrong.close()]);
  }
});

test('Nauthilus 1.10: deep_check of SMTP sends EHLO, of LMTP LHLO; test credentials need TLS', async () => {
  const smtp = await startSmtpServer();
  const lmtp = await startSmtpServer({ lmtp: true });
  try {
    await checkBackendConnection(server(smtp.port, { protocol: 'smtp', deepCheck: true }));
    await checkBackendConnection(server(lmtp.port, { protocol: 'lmtp', deepCheck: true }));
    assert.ok(smtp.commands.some((c) => /^EHLO localhost\.localdomain/i.test(c)), smtp.commands.join('|'));
    assert.ok(lmtp.commands.some((c) => /^LHLO localhost\.localdomain/i.test(c)), lmtp.commands.join('|'));
    // Nauthilus never sends test credentials in clear text: the server counts as down
    await assert.rejects(checkBackendConnection(server(smtp.port, { protocol: 'smtp', deepCheck: true, testUsername: 'probe', testPassword: 'secret' })), /missing TLS/);
  } finally {
    await Promise.all([smtp.close(), lmtp.close()]);
  }
});

test('Nauthilus 1.10: haproxy_v2 sends a PROXY v2 LOCAL header before anything else', async () => {
  const l = await listen('* OK ready\r\n');
  try {
    await checkBackendConnection(server(l.port, { haproxyV2: true, deepCheck: true }));
    await l.firstClosed; // the checker closed its connection: everything it sent has arrived
    const all = Buffer.concat(l.received);
    assert.deepEqual(all.subarray(0, 16), proxyV2LocalHeader());
    assert.equal(all.subarray(0, 12).toString('latin1'), '\r\n\r\n\0\r\nQUIT\n');
    assert.equal(all[12], 0x20); // version 2, command LOCAL
    assert.equal(all.subarray(16).toString('latin1'), 'a2 LOGOUT\r\n'); // then the IMAP dialogue
  } finally {
    await l.close();
  }
});

let certCache: { key: Buffer; cert: Buffer } | undefined;
/** A self-signed certificate for localhost, made once per run with openssl. */
function selfSigned(): { key: Buffer; cert: Buffer } {
  if (certCache) return certCache;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    certCache = { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) };
    return certCache;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('Nauthilus 1.10: with tls and test credentials the IMAP check logs in over TLS; a wrong password is a failure', async () => {
  const l = await listen('* OK ready\r\n', imapAnswer, selfSigned());
  try {
    const s = server(l.port, { tls: true, tlsSkipVerify: true, deepCheck: true, testUsername: 'probe', testPassword: 'secret' });
    await checkBackendConnection(s);
    await assert.rejects(checkBackendConnection({ ...s, testPassword: 'wrong' }), /IMAP LOGIN command failed: a1 NO/);
    // a self-signed certificate fails verification unless tls_skip_verify is set
    await assert.rejects(checkBackendConnection({ ...s, tlsSkipVerify: false }), /TLS handshake failed/);
  } finally {
    await l.close();
  }
});

test('Nauthilus 1.10: monitoring lists every server at start, then only those that pass; a stopped listener is removed', async () => {
  const a = await listen('* OK a\r\n');
  const b = await listen('* OK b\r\n');
  const servers = [server(a.port, { deepCheck: true }), server(b.port, { deepCheck: true })];
  const changes: number[][] = [];
  const metrics = new Registry();
  const mon = new BackendServerMonitor(pino({ level: 'silent' }), (alive) => changes.push(alive.map((s) => s.port)), metrics);
  try {
    mon.start(servers);
    assert.deepEqual(mon.alive.map((s) => s.port), [a.port, b.port], 'all are listed before the first round ends');
    await mon.checkNow();
    assert.deepEqual(mon.alive.map((s) => s.port), [a.port, b.port]);
    await b.close();
    await mon.checkNow();
    assert.deepEqual(mon.alive.map((s) => s.port), [a.port]);
    assert.deepEqual(changes.at(-1), [a.port]);
    const text = await metrics.metrics();
    assert.match(text, /backend_servers_status\{server_status="wanted"\} 2/);
    assert.match(text, /backend_servers_status\{server_status="alive"\} 1/);
  } finally {
    mon.stop();
    await a.close();
  }
});

test('Nauthilus 1.10: deep_check of http sends GET request_uri and wants HTTP/1.1 200', async () => {
  const paths: string[] = [];
  const srv = http.createServer((req, res) => {
    paths.push(`${req.url} ${req.headers['user-agent']}`);
    res.writeHead(req.url === '/health' ? 200 : 503).end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  try {
    await checkBackendConnection(server(port, { protocol: 'http', deepCheck: true, requestUri: '/health' }));
    await assert.rejects(checkBackendConnection(server(port, { protocol: 'http', deepCheck: true, requestUri: '/down' })), /HTTP request failed: HTTP\/1.1 503/);
    assert.deepEqual(paths, ['/health Nauthilus', '/down Nauthilus']);
  } finally {
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

/** A ManageSieve stand-in: greeting, STARTTLS, then AUTHENTICATE "PLAIN" over TLS accepted for probe/secret. */
async function sieveServer(): Promise<{ port: number; auths: string[]; close(): Promise<void> }> {
  const { key, cert } = selfSigned();
  const auths: string[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    c.write('"IMPLEMENTATION" "stand-in"\r\n"STARTTLS"\r\nOK "ready"\r\n');
    const onPlain = (d: Buffer) => {
      if (!d.toString('latin1').startsWith('STARTTLS')) return;
      c.off('data', onPlain);
      c.write('OK "Begin TLS negotiation now"\r\n', () => {
        const t = new tls.TLSSocket(c, { isServer: true, key, cert });
        t.on('error', () => undefined);
        let buf = '';
        t.on('data', (x: Buffer) => {
          buf += x.toString('latin1');
          const m = /^AUTHENTICATE "PLAIN" \{(\d+)\+\}\r\n/.exec(buf);
          if (!m || buf.length < m[0].length + Number(m[1])) return;
          const plain = buf.slice(m[0].length, m[0].length + Number(m[1]));
          buf = '';
          auths.push(plain.split('\0').join('|'));
          t.write(plain === '\0probe\0secret' ? 'OK "Logged in"\r\n' : 'NO "Authentication failed"\r\n');
        });
      });
    };
    c.on('data', onPlain);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    auths,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      srv.close(() => r());
    }),
  };
}

test('Nauthilus 1.10: deep_check of sieve reads the greeting, switches to TLS with STARTTLS and authenticates with PLAIN', async () => {
  const sieve = await sieveServer();
  try {
    const s = server(sieve.port, { protocol: 'sieve', deepCheck: true, tlsSkipVerify: true, testUsername: 'probe', testPassword: 'secret' });
    await checkBackendConnection(s);
    await assert.rejects(checkBackendConnection({ ...s, testPassword: 'wrong' }), /Sieve AUTHENTICATE command failed: NO/);
    assert.deepEqual(sieve.auths, ['|probe|secret', '|probe|wrong']);
    // without credentials the check ends after the TLS handshake; without tls_skip_verify the self-signed certificate fails
    await checkBackendConnection({ ...s, testUsername: '', testPassword: '' });
    await assert.rejects(checkBackendConnection({ ...s, tlsSkipVerify: false }), /TLS handshake failed/);
  } finally {
    await sieve.close();
  }
});
