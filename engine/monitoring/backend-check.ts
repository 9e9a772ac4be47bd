// One health check of a backend server, as Nauthilus 1.10 does it (monitoring/connection.go): a TCP connect
// (5 s), an optional PROXY v2 header, implicit TLS when `tls` is set (not for sieve), and with `deep_check` a
// protocol dialogue: IMAP/POP3 greeting (+ login over TLS), SMTP EHLO / LMTP LHLO (+ AUTH LOGIN over TLS), HTTP GET,
// ManageSieve greeting + STARTTLS (+ AUTHENTICATE PLAIN).
import net from 'node:net';
import tls from 'node:tls';
import type { BackendServerConfig } from '../config/types';

const TIMEOUT_MS = 5000;

/** A line-reading dialogue on one socket: every read and the whole check end after 5 s. */
class Dialogue {
  private buf = '';
  private waiters: Array<() => void> = [];
  private ended: Error | undefined;

  private readonly onData = (d: Buffer) => {
    this.buf += d.toString('latin1');
    this.wake();
  };
  private readonly onEnd = () => this.end();
  private readonly onError = (e: Error) => this.end(e);

  constructor(public sock: net.Socket) {
    this.attach(sock);
  }

  private attach(sock: net.Socket): void {
    this.sock = sock;
    sock.on('data', this.onData);
    sock.on('end', this.onEnd);
    sock.on('close', this.onEnd);
    sock.on('error', this.onError);
  }

  /** Hand the connection to TLS (STARTTLS): this dialogue goes on over `upgrade(socket)`. */
  async upgrade(to: (raw: net.Socket) => Promise<net.Socket>): Promise<void> {
    const raw = this.sock;
    for (const [ev, fn] of [['data', this.onData], ['end', this.onEnd], ['close', this.onEnd], ['error', this.onError]] as const) raw.off(ev, fn as never);
    this.buf = '';
    this.attach(await to(raw));
  }

  private end(e?: Error): void {
    this.ended ??= e ?? new Error('connection closed by the server');
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('\n');
      if (i >= 0) {
        const l = this.buf.slice(0, i).replace(/\r$/, '');
        this.buf = this.buf.slice(i + 1);
        return l;
      }
      if (this.ended) throw this.ended;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  write(s: string): void {
    this.sock.write(s, 'latin1');
  }
}

/** The PROXY protocol v2 header with the LOCAL command (a health check, not a proxied client). */
export function proxyV2LocalHeader(): Buffer {
  const sig = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  return Buffer.concat([sig, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
}

function connect(server: BackendServerConfig, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (!server.port) return reject(new Error(`no port configured for ${server.host} (${server.protocol})`));
    const sock = net.connect({ host: server.host, port: server.port, signal });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`TCP dial timed out after ${TIMEOUT_MS / 1000}s`));
    }, TIMEOUT_MS);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`TCP dial failed: ${e.message}`));
    });
  });
}

function startTls(sock: net.Socket, server: BackendServerConfig): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const servername = net.isIP(server.host) ? undefined : server.host;
    const t = tls.connect({ socket: sock, servername, rejectUnauthorized: !server.tlsSkipVerify, minVersion: 'TLSv1.2' });
    t.once('secureConnect', () => resolve(t));
    t.once('error', (e) => reject(new Error(`TLS handshake failed (host=${server.host} port=${server.port} protocol=${server.protocol} skip_verify=${server.tlsSkipVerify}): ${e.message}`)));
  });
}

const MISSING_TLS = 'missing TLS on connection where required';

async function checkImap(d: Dialogue, server: BackendServerConfig, secure: boolean): Promise<void> {
  const ok = (l: string) => l.startsWith('* OK') || l.startsWith('a1 OK');
  const greeting = await d.line();
  if (!ok(greeting)) throw new Error(`IMAP greeting failed: ${greeting}`);
  if (!server.testUsername || !server.testPassword) return;
  if (!secure) throw new Error(MISSING_TLS);
  d.write(`a1 LOGIN ${server.testUsername} ${server.testPassword}\r\n`);
  const r = await d.line();
  if (!ok(r)) throw new Error(`IMAP LOGIN command failed: ${r}`);
}

async function checkPop3(d: Dialogue, server: BackendServerConfig, secure: boolean): Promise<void> {
  const greeting = await d.line();
  if (!greeting.startsWith('+OK')) throw new Error(`POP3 greeting failed: ${greeting}`);
  if (!server.testUsername || !server.testPassword) return;
  if (!secure) throw new Error(MISSING_TLS);
  d.write(`USER ${server.testUsername}\r\n`);
  let r = await d.line();
  if (!r.startsWith('+OK')) throw new Error(`POP3 USER command failed: ${r}`);
  d.write(`PASS ${server.testPassword}\r\n`);
  r = await d.line();
  if (!r.startsWith('+OK')) throw new Error(`POP3 PASS command failed: ${r}`);
}

async function checkSmtp(d: Dialogue, server: BackendServerConfig, secure: boolean): Promise<void> {
  const lmtp = server.protocol === 'lmtp';
  const greeting = await d.line();
  if (!greeting.startsWith('220 ')) throw new Error(`S/LMTP greeting failed, response: ${greeting}`);
  d.write(`${lmtp ? 'LHLO' : 'EHLO'} localhost.localdomain\r\n`);
  for (;;) {
    const r = await d.line();
    if (r.startsWith('250 ')) break;
    if (r[0] >= '4') throw new Error(`L/SMTP EHLO/LHLO failed, response: ${r}`);
  }
  if (lmtp || !server.testUsername || !server.testPassword) return;
  if (!secure) throw new Error(MISSING_TLS);
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  d.write('AUTH LOGIN\r\n');
  for (const [send, want] of [[undefined, '334'], [b64(server.testUsername), '334'], [b64(server.testPassword), '235']] as const) {
    if (send !== undefined) d.write(`${send}\r\n`);
    const r = await d.line();
    if (!r.startsWith(want)) throw new Error(`SMTP AUTH LOGIN failed: ${r}`);
  }
}

async function checkHttp(d: Dialogue, server: BackendServerConfig, secure: boolean): Promise<void> {
  let auth = '';
  if (server.testUsername && server.testPassword) {
    if (!secure) throw new Error(MISSING_TLS);
    auth = `Authorization: Basic ${Buffer.from(`${server.testUsername}:${server.testPassword}`).toString('base64')}\r\n`;
  }
  d.write(`GET ${server.requestUri || '/'} HTTP/1.1\r\nHost: ${server.host}\r\n${auth}User-Agent: Nauthilus\r\nAccept: */*\r\n\r\n`);
  const status = await d.line();
  if (!status.startsWith('HTTP/1.1 200')) throw new Error(`HTTP request failed: ${status}`);
  while ((await d.line()) !== '') {
    // read the header block
  }
}

/** ManageSieve: lines until one starting with OK (then "OK") or NO (then that line). */
async function sieveResponse(d: Dialogue): Promise<string> {
  for (;;) {
    const l = await d.line();
    if (l.startsWith('OK')) return 'OK';
    if (l.startsWith('NO')) return l;
  }
}

/** ManageSieve: greeting, STARTTLS (always: sieve has no implicit TLS), then AUTHENTICATE "PLAIN" with the test user. */
async function checkSieve(d: Dialogue, server: BackendServerConfig): Promise<boolean> {
  let r = await sieveResponse(d);
  if (r !== 'OK') throw new Error(`Sieve greeting failed: ${r}`);
  d.write('STARTTLS\r\n');
  r = await sieveResponse(d);
  if (r !== 'OK') throw new Error(`STARTTLS command failed: ${r}`);
  await d.upgrade((raw) => startTls(raw, server));
  if (!server.testUsername || !server.testPassword) return true;
  const plain = `\0${server.testUsername}\0${server.testPassword}`;
  d.write(`AUTHENTICATE "PLAIN" {${Buffer.byteLength(plain, 'latin1')}+}\r\n${plain}`);
  // as Nauthilus: the first OK after the command counts (the capabilities a server repeats after TLS end in one)
  r = await sieveResponse(d);
  if (r !== 'OK') throw new Error(`Sieve AUTHENTICATE command failed: ${r}`);
  return true;
}

/**
 * Check one backend server. Resolves when it is alive, rejects with the reason otherwise. Never takes longer
 * than about 5 s per step; `signal` ends it at once.
 */
export async function checkBackendConnection(server: BackendServerConfig, signal?: AbortSignal): Promise<void> {
  let sock: net.Socket = await connect(server, signal);
  const deadline = setTimeout(() => sock.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000}s`)), TIMEOUT_MS);
  // stopping the monitor (engine shutdown) ends a check at once
  const onAbort = () => sock.destroy(new Error('check aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (server.haproxyV2) sock.write(proxyV2LocalHeader());
    let secure = false;
    // sieve starts in clear text and switches with STARTTLS (deep check); the others speak TLS from the start
    if (server.tls && server.protocol !== 'sieve') {
      sock = await startTls(sock, server);
      secure = true;
    }
    if (!server.deepCheck) return;
    const d = new Dialogue(sock);
    const bye: Record<string, string> = { imap: 'a2 LOGOUT\r\n', pop3: 'QUIT\r\n', smtp: 'QUIT\r\n', lmtp: 'QUIT\r\n', sieve: 'LOGOUT\r\n' };
    try {
      switch (server.protocol) {
        case 'imap': return await checkImap(d, server, secure);
        case 'pop3': return await checkPop3(d, server, secure);
        case 'smtp':
        case 'lmtp': return await checkSmtp(d, server, secure);
        case 'http': return await checkHttp(d, server, secure);
        case 'sieve':
          await checkSieve(d, server);
          sock = d.sock; // now the TLS socket: LOGOUT and close go over it
          return;
        default: throw new Error('unsupported protocol');
      }
    } finally {
      if (bye[server.protocol] && !sock.destroyed) d.write(bye[server.protocol]);
    }
  } finally {
    clearTimeout(deadline);
    signal?.removeEventListener('abort', onAbort);
    sock.end();
    sock.destroy();
  }
}
