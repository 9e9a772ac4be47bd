// One LDAP connection over the ldapts client: connect (ldap://, ldaps://, StartTLS), simple bind, search, modify,
// unbind. This file owns the socket ldapts talks over, to give it what ldapts leaves open: per-operation timeouts,
// a connection that never reconnects behind the pool's back (unbound, or without its StartTLS), idle sockets that
// do not keep the process alive, and a stop for peers that do not speak LDAP or announce runaway answers.
import net from 'node:net';
import tls from 'node:tls';
import { TextDecoder } from 'node:util';
import { Attribute, Change, Client, ResultCodeError } from 'ldapts';
import { compileFilter, FilterError } from './filter';

const RESULT_NAMES: Record<number, string> = {
  0: 'Success', 1: 'Operations Error', 2: 'Protocol Error', 3: 'Time Limit Exceeded', 4: 'Size Limit Exceeded',
  7: 'Auth Method Not Supported', 8: 'Strong Auth Required', 16: 'No Such Attribute', 17: 'Undefined Attribute Type',
  18: 'Inappropriate Matching', 19: 'Constraint Violation', 20: 'Attribute Or Value Exists', 21: 'Invalid Attribute Syntax',
  32: 'No Such Object', 34: 'Invalid DN Syntax', 48: 'Inappropriate Authentication', 49: 'Invalid Credentials',
  50: 'Insufficient Access Rights', 51: 'Busy', 52: 'Unavailable', 53: 'Unwilling To Perform', 64: 'Naming Violation',
  65: 'Object Class Violation', 66: 'Not Allowed On Non Leaf', 67: 'Not Allowed On RDN', 68: 'Entry Already Exists',
  80: 'Other', 85: 'Timeout', 200: 'Network Error', 201: 'Filter Compile Error',
};

/** An LDAP failure, worded as go-ldap's Error() words it: `LDAP Result Code 32 "No Such Object": <detail>`. */
export class LdapError extends Error {
  /** Set on failures of the operation itself (not of connecting or binding the pooled connection). */
  inOperation = false;
  /** Set when no answer came in time (a network error to go-ldap, but not one worth a retry). */
  timedOut = false;
  constructor(readonly resultCode: number, readonly detail: string) {
    super(`LDAP Result Code ${resultCode} "${RESULT_NAMES[resultCode] ?? 'Unknown'}": ${detail}`);
  }
}

/** An attribute value: text when it is UTF-8 without NUL, else its bytes. */
export type LdapValue = string | Buffer;
export interface LdapEntry { dn: string; attributes: { name: string; values: LdapValue[] }[] }
export type SearchScope = 'base' | 'one' | 'sub';
export type ModifyOperation = 'add' | 'delete' | 'replace';

export interface ConnectOptions {
  uri: string;
  timeoutMs: number;
  tlsSkipVerify?: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  startTls?: boolean;
}

/** A response larger than this ends the connection (a server's or an attacker's runaway length). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Host and port of an ldap:// or ldaps:// URI (ports 389 and 636 by default). */
export function parseLdapUri(uri: string): { secure: boolean; host: string; port: number } | string {
  const m = /^(ldaps?):\/\/(?:\[([^\]]+)\]|([^:/]*))(?::(\d+))?\/?$/i.exec(uri.trim());
  if (!m) return `"${uri}" is not an ldap:// or ldaps:// URI (ldapi:// is not supported)`;
  const secure = m[1].toLowerCase() === 'ldaps';
  const port = m[4] ? Number(m[4]) : secure ? 636 : 389;
  if (port < 1 || port > 65535) return `"${uri}": port out of range`;
  return { secure, host: m[2] ?? (m[3] || '127.0.0.1'), port };
}

/**
 * Watches what a server sends: a stream of LDAP messages (SEQUENCE, definite length of at most
 * MAX_MESSAGE_BYTES). Only message headers are looked at; contents are skipped. Calls `bad` once otherwise.
 */
function frameGuard(bad: (why: string) => void): (d: Buffer) => void {
  let skip = 0;
  let head: number[] = [];
  let failed = false;
  return (d) => {
    for (let pos = 0; pos < d.length && !failed;) {
      if (skip > 0) {
        const n = Math.min(skip, d.length - pos);
        skip -= n;
        pos += n;
        continue;
      }
      head.push(d[pos++]);
      if (head[0] !== 0x30) return void (failed = true, bad('ldap: the server does not speak LDAP'));
      if (head.length < 2) continue;
      const n = head[1] & 0x80 ? head[1] & 0x7f : 0;
      if (head[1] & 0x80 && (n === 0 || n > 4)) return void (failed = true, bad('ldap: the server does not speak LDAP'));
      if (head.length < 2 + n) continue;
      const len = n ? head.slice(2).reduce((a, b) => a * 256 + b, 0) : head[1];
      if (2 + n + len > MAX_MESSAGE_BYTES) return void (failed = true, bad(`ldap: a response of more than ${MAX_MESSAGE_BYTES} bytes`));
      skip = len;
      head = [];
    }
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function value(v: string | Buffer): LdapValue {
  if (typeof v === 'string') return v.includes('\0') ? Buffer.from(v, 'utf8') : v;
  if (v.includes(0)) return v;
  try {
    return utf8.decode(v);
  } catch {
    return v;
  }
}

/** One connection; ldapts multiplexes its requests by message ID. */
export class LdapConnection {
  private readonly client: Client;
  /** The sockets this connection dialed or wrapped (the TCP one, then a StartTLS one). */
  private readonly sockets: net.Socket[] = [];
  /** Why the connection ended (a socket error, a guard's verdict, a timeout). */
  private failure: LdapError | undefined;
  closed = false;

  private constructor(socket: net.Socket, tlsOpts: tls.ConnectionOptions) {
    this.own(socket);
    let handedOver = false;
    // ldapts talks over the socket dialed here, once: it never reconnects on its own (unbound, or in plain text)
    this.client = new Client({
      url: 'ldap://127.0.0.1', strictDN: false,
      createConnection: (() => {
        if (handedOver) throw new LdapError(200, 'ldap: connection closed');
        handedOver = true;
        return socket;
      }) as typeof net.connect,
      createSecureConnection: ((o: tls.ConnectionOptions) => this.own(tls.connect({ ...tlsOpts, socket: o.socket }))) as typeof tls.connect,
    });
  }

  /** Opens (and, for ldaps:// or startTls, secures) a connection; `opTimeoutMs` bounds the StartTLS exchange. */
  static async open(opts: ConnectOptions, opTimeoutMs = opts.timeoutMs): Promise<LdapConnection> {
    const target = parseLdapUri(opts.uri);
    if (typeof target === 'string') throw new LdapError(200, target);
    const tlsOpts: tls.ConnectionOptions = {
      host: target.host, servername: net.isIP(target.host) ? undefined : target.host,
      rejectUnauthorized: !opts.tlsSkipVerify, ca: opts.ca, cert: opts.cert, key: opts.key,
    };
    const raw = await dial(target.secure
      ? () => tls.connect({ ...tlsOpts, port: target.port })
      : () => net.connect({ host: target.host, port: target.port }), target.secure ? 'secureConnect' : 'connect', opts);
    const c = new LdapConnection(raw, tlsOpts);
    if (opts.startTls && !target.secure) {
      try {
        await c.run(opTimeoutMs, () => c.client.startTLS());
      } catch (e) {
        c.close();
        throw e;
      }
    }
    return c;
  }

  /** Adopts a socket ldapts will talk over: unref'd, guarded, its failures remembered. */
  private own<S extends net.Socket>(s: S): S {
    const previous = this.sockets[this.sockets.length - 1];
    if (previous) previous.removeListener('data', this.guard); // StartTLS: the TLS socket reads from now on
    this.sockets.push(s);
    s.unref();
    this.guard = frameGuard((why) => this.fail(new LdapError(200, why)));
    s.on('data', this.guard);
    s.on('error', (e) => { this.failure ??= new LdapError(200, e.message); });
    s.on('close', () => {
      this.closed = true;
      this.failure ??= new LdapError(200, 'ldap: connection closed');
    });
    return s;
  }

  private guard: (d: Buffer) => void = () => undefined;

  private fail(e: LdapError): void {
    this.failure ??= e;
    this.closed = true;
    for (const s of this.sockets) s.destroy();
  }

  /** Runs one ldapts operation under a timeout; its errors become LdapErrors. */
  private async run<T>(timeoutMs: number, op: () => Promise<T>): Promise<T> {
    if (this.closed) throw this.failure ?? new LdapError(200, 'ldap: connection closed');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // go-ldap's words and code for a request that got no answer within its timeout
        const e = new LdapError(200, 'ldap: connection timed out');
        e.timedOut = true;
        this.fail(e);
        reject(e);
      }, timeoutMs);
    });
    try {
      return await Promise.race([op(), timeout]);
    } catch (e) {
      if (e instanceof LdapError) throw e;
      if (e instanceof ResultCodeError) throw new LdapError(e.code, e.message.replace(/ ?Code: 0x[0-9a-f]+$/, ''));
      throw this.failure ?? new LdapError(200, (e as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  /** As run(), for the request proper: its errors are marked as the operation's own. */
  private async operation<T>(timeoutMs: number, op: () => Promise<T>): Promise<T> {
    try {
      return await this.run(timeoutMs, op);
    } catch (e) {
      (e as LdapError).inOperation = true;
      throw e;
    }
  }

  bind(dn: string, password: string, timeoutMs: number): Promise<void> {
    return this.run(timeoutMs, () => this.client.bind(dn, password));
  }

  async search(base: string, scope: SearchScope, filter: string, attributes: string[], sizeLimit: number, timeLimitSec: number, timeoutMs: number): Promise<LdapEntry[]> {
    const f = compileSearchFilter(filter);
    // ldapts keeps the entries of a search that hit its size limit; go-ldap fails it ("Size Limit Exceeded").
    // One entry more is asked for: getting it means the limit was exceeded.
    const { searchEntries } = await this.operation(timeoutMs, () => this.client.search(base, {
      scope, filter: f, attributes, sizeLimit: sizeLimit > 0 ? sizeLimit + 1 : 0, timeLimit: timeLimitSec, derefAliases: 'never',
      explicitBufferAttributes: attributes,
    }));
    if (sizeLimit > 0 && searchEntries.length > sizeLimit) {
      const e = new LdapError(4, '');
      e.inOperation = true;
      throw e;
    }
    return searchEntries.map(({ dn, ...attrs }) => ({
      dn,
      attributes: Object.entries(attrs).map(([name, v]) => ({ name, values: (Array.isArray(v) ? v : [v]).map(value) }))
        .filter((a) => a.values.length > 0), // ldapts lists requested attributes the entry lacks as []
    }));
  }

  modify(dn: string, operation: ModifyOperation, attributes: Record<string, LdapValue[]>, timeoutMs: number): Promise<void> {
    const changes = Object.entries(attributes).map(([type, values]) => new Change({
      operation,
      modification: new Attribute({ type, values: values.every((v) => typeof v === 'string') ? values as string[] : values.map((v) => Buffer.from(v)) }),
    }));
    return this.operation(timeoutMs, () => this.client.modify(dn, changes));
  }

  /** Sends an unbind and closes the socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const destroy = () => { for (const s of this.sockets) s.destroy(); };
    if (!this.client.isConnected) return destroy(); // never used by ldapts: nothing to unbind
    this.client.unbind().catch(() => undefined).finally(destroy);
    // a server that does not read the unbind must not hold the socket
    setTimeout(destroy, 1000).unref();
  }
}

/**
 * The filter object of an RFC 4515 filter string, after Nauthilus' clean-up (line breaks and the blanks
 * around them removed, util.RemoveCRLFFromQueryOrFilter).
 * @throws LdapError 201 "Filter Compile Error" (go-ldap's code) when it does not compile.
 */
export function compileSearchFilter(filter: string): ReturnType<typeof compileFilter> {
  try {
    return compileFilter(filter.replace(/[\t\n\f\r ]*[\r\n]+[\t\n\f\r ]*/g, ''));
  } catch (e) {
    if (e instanceof FilterError) {
      const err = new LdapError(201, e.message);
      err.inOperation = true;
      throw err;
    }
    throw e;
  }
}

function dial(make: () => net.Socket, readyEvent: string, opts: ConnectOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = make();
    const timer = setTimeout(() => {
      s.destroy();
      reject(new LdapError(200, `dial ${opts.uri}: i/o timeout`));
    }, opts.timeoutMs);
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(new LdapError(200, e.message));
    });
    s.once(readyEvent, () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
  });
}
