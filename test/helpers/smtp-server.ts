// Test helper: a small real SMTP/LMTP server on a loopback port that records what clients send.
import net from 'node:net';

/** One message as the server received it. */
export interface ReceivedMail {
  /** The EHLO/HELO/LHLO name. */
  helo: string;
  mailFrom: string;
  rcptTo: string[];
  /** The DATA section with dot-stuffing undone, CRLF line ends kept. */
  data: string;
  /** AUTH PLAIN/LOGIN credentials, if the client authenticated. */
  auth?: { user: string; pass: string };
}

export interface SmtpServerOptions {
  /** Speak LMTP: LHLO instead of EHLO, one reply per recipient after DATA. */
  lmtp?: boolean;
  /** Credentials AUTH must match; with them set, MAIL FROM needs authentication. */
  credentials?: { user: string; pass: string };
  /** Recipients answered with 550. */
  reject?: string[];
}

export interface SmtpTestServer {
  port: number;
  messages: ReceivedMail[];
  /** Commands in the order received (AUTH arguments masked). */
  commands: string[];
  /** Resolves with the next message to complete (or one already received and not yet taken). */
  nextMessage(): Promise<ReceivedMail>;
  close(): Promise<void>;
}

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/**
 * Start the server on 127.0.0.1 and a free port.
 * @example const smtp = await startSmtpServer(); ... const m = await smtp.nextMessage(); await smtp.close();
 */
export async function startSmtpServer(opts: SmtpServerOptions = {}): Promise<SmtpTestServer> {
  const messages: ReceivedMail[] = [];
  const commands: string[] = [];
  let taken = 0;
  const waiters: Array<(m: ReceivedMail) => void> = [];
  const deliver = (m: ReceivedMail) => {
    messages.push(m);
    const w = waiters.shift();
    if (w) {
      taken++;
      w(m);
    }
  };
  const sockets = new Set<net.Socket>();

  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = '';
    let helo = '';
    let auth: ReceivedMail['auth'];
    let from = '';
    let rcpt: string[] = [];
    let mode: 'cmd' | 'data' | 'auth-plain' | 'auth-user' | 'auth-pass' = 'cmd';
    let authUser = '';
    const reply = (s: string) => sock.write(s + '\r\n');
    const checkAuth = (user: string, pass: string) => {
      const ok = !opts.credentials || (opts.credentials.user === user && opts.credentials.pass === pass);
      if (ok) auth = { user, pass };
      reply(ok ? '235 2.7.0 Authentication successful' : '535 5.7.8 Authentication credentials invalid');
      mode = 'cmd';
    };
    const onLine = (line: string) => {
      if (mode === 'auth-plain') {
        const [, user, pass] = b64(line).split('\0');
        return checkAuth(user ?? '', pass ?? '');
      }
      if (mode === 'auth-user') {
        authUser = b64(line);
        mode = 'auth-pass';
        return reply('334 UGFzc3dvcmQ6');
      }
      if (mode === 'auth-pass') return checkAuth(authUser, b64(line));
      const [verb, ...rest] = line.split(' ');
      const cmd = verb.toUpperCase();
      commands.push(cmd === 'AUTH' ? `AUTH ${rest[0] ?? ''}` : line);
      const arg = rest.join(' ');
      if (cmd === 'EHLO' || cmd === 'HELO' || cmd === 'LHLO') {
        if ((cmd === 'LHLO') !== Boolean(opts.lmtp)) return reply(`500 5.5.1 ${cmd} not accepted here`);
        helo = arg;
        return reply(`250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250-STARTTLS\r\n250-8BITMIME\r\n250 SMTPUTF8`);
      }
      if (cmd === 'AUTH') {
        const [method, initial] = rest;
        if (/^plain$/i.test(method)) {
          if (initial) {
            const [, user, pass] = b64(initial).split('\0');
            return checkAuth(user ?? '', pass ?? '');
          }
          mode = 'auth-plain';
          return reply('334 ');
        }
        if (/^login$/i.test(method)) {
          mode = 'auth-user';
          return reply('334 VXNlcm5hbWU6');
        }
        return reply('504 5.5.4 Unrecognized authentication type');
      }
      if (cmd === 'MAIL') {
        if (opts.credentials && !auth) return reply('530 5.7.0 Authentication required');
        from = /<([^>]*)>/.exec(arg)?.[1] ?? '';
        rcpt = [];
        return reply('250 2.1.0 Ok');
      }
      if (cmd === 'RCPT') {
        const to = /<([^>]*)>/.exec(arg)?.[1] ?? '';
        if (opts.reject?.includes(to)) return reply(`550 5.1.1 <${to}>: Recipient address rejected`);
        rcpt.push(to);
        return reply('250 2.1.5 Ok');
      }
      if (cmd === 'DATA') {
        if (!rcpt.length) return reply('503 5.5.1 No valid recipients');
        mode = 'data';
        return reply('354 End data with <CR><LF>.<CR><LF>');
      }
      if (cmd === 'RSET') { from = ''; rcpt = []; return reply('250 2.0.0 Ok'); }
      if (cmd === 'NOOP') return reply('250 2.0.0 Ok');
      if (cmd === 'QUIT') { reply('221 2.0.0 Bye'); return sock.end(); }
      // STARTTLS is advertised (to see that clients only use it when asked) but never works here
      if (cmd === 'STARTTLS') return reply('454 4.7.0 TLS not available');
      return reply('502 5.5.2 Command not recognized');
    };
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      for (;;) {
        if (mode === 'data') {
          const end = buf.indexOf('\r\n.\r\n');
          const atStart = buf.startsWith('.\r\n');
          if (end < 0 && !atStart) return;
          const raw = atStart ? '' : buf.slice(0, end + 2);
          buf = buf.slice(atStart ? 3 : end + 5);
          mode = 'cmd';
          deliver({ helo, mailFrom: from, rcptTo: rcpt, data: raw.replace(/^\.\./gm, '.'), auth });
          if (opts.lmtp) for (const r of rcpt) reply(`250 2.0.0 <${r}> delivered`);
          else reply('250 2.0.0 Ok: queued');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        onLine(line);
      }
    });
    sock.write(`220 localhost ${opts.lmtp ? 'LMTP' : 'ESMTP'} test server\r\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    messages,
    commands,
    nextMessage() {
      if (taken < messages.length) return Promise.resolve(messages[taken++]);
      return new Promise((resolve) => waiters.push(resolve));
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
