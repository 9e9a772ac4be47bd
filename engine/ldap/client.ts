// A small LDAPv3 client over node:net/tls: simple bind, search, modify and unbind (what nauthilus_ldap needs).
import net from 'node:net';
import tls from 'node:tls';
import { bool, children, elementSize, int, readElement, readInt, seq, str, type BerElement } from './ber';
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

/** An LDAP failure, worded as go-ldap words it: `LDAP Result Code 32 "No Such Object": <server text>`. */
export class LdapError extends Error {
  constructor(readonly resultCode: number, detail: string) {
    super(`LDAP Result Code ${resultCode} "${RESULT_NAMES[resultCode] ?? 'Unknown'}": ${detail}`);
  }
}

export interface LdapEntry { dn: string; attributes: { name: string; values: string[] }[] }
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

interface Pending { resolve: (msgs: BerElement[]) => void; reject: (e: Error) => void; msgs: BerElement[]; timer: NodeJS.Timeout }

const SCOPES: Record<SearchScope, number> = { base: 0, one: 1, sub: 2 };
const MOD_OPS: Record<ModifyOperation, number> = { add: 0, delete: 1, replace: 2 };
/** A response larger than this ends the connection (a server's or an attacker's runaway length). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
// response tags that end an operation (all others are intermediate, e.g. search entries)
const FINAL_TAGS = new Set([0x61, 0x65, 0x67, 0x78]);

/** Host and port of an ldap:// or ldaps:// URI (ports 389 and 636 by default). */
export function parseLdapUri(uri: string): { secure: boolean; host: string; port: number } | string {
  const m = /^(ldaps?):\/\/(?:\[([^\]]+)\]|([^:/]*))(?::(\d+))?\/?$/i.exec(uri.trim());
  if (!m) return `"${uri}" is not an ldap:// or ldaps:// URI (ldapi:// is not supported)`;
  const secure = m[1].toLowerCase() === 'ldaps';
  const port = m[4] ? Number(m[4]) : secure ? 636 : 389;
  if (port < 1 || port > 65535) return `"${uri}": port out of range`;
  return { secure, host: m[2] ?? (m[3] || '127.0.0.1'), port };
}

/** One LDAP connection; requests are multiplexed by message ID. */
export class LdapConnection {
  private socket!: net.Socket;
  private chunks: Buffer[] = [];
  private bytes = 0;
  /** Bytes the next message needs in all (0: its header is not complete yet). */
  private need = 0;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  closed = false;

  private constructor() {}

  /** Opens (and, for ldaps:// or startTls, secures) a connection; `opTimeoutMs` bounds the StartTLS exchange. */
  static async open(opts: ConnectOptions, opTimeoutMs = opts.timeoutMs): Promise<LdapConnection> {
    const target = parseLdapUri(opts.uri);
    if (typeof target === 'string') throw new LdapError(200, target);
    const c = new LdapConnection();
    const tlsOpts = { host: target.host, servername: net.isIP(target.host) ? undefined : target.host, rejectUnauthorized: !opts.tlsSkipVerify, ca: opts.ca, cert: opts.cert, key: opts.key };
    const raw = await dial(target.secure
      ? () => tls.connect({ ...tlsOpts, port: target.port })
      : () => net.connect({ host: target.host, port: target.port }), target.secure ? 'secureConnect' : 'connect', opts);
    c.attach(raw);
    if (opts.startTls && !target.secure) {
      try {
        const reply = await c.request(seq([str('1.3.6.1.4.1.1466.20037', 0x80)], 0x77), opTimeoutMs);
        checkResult(reply[reply.length - 1]);
        raw.removeAllListeners('data');
        const secured = await dial(() => tls.connect({ socket: raw, ...tlsOpts }), 'secureConnect', opts);
        c.attach(secured);
      } catch (e) {
        raw.destroy();
        throw e;
      }
    }
    return c;
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    // an idle pooled connection does not keep the process alive; a request's timer does while it waits
    socket.unref();
    socket.on('data', (d) => this.onData(d));
    socket.on('error', (e) => this.fail(new LdapError(200, e.message)));
    socket.on('close', () => this.fail(new LdapError(200, 'ldap: connection closed')));
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.bytes += d.length;
    // large answers arrive in many chunks: join them once the message is complete, not per chunk
    if (this.need > 0 && this.bytes < this.need) return;
    let buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    // whatever the peer sends (a server that is not LDAP, a broken one) ends this connection, never the engine
    try {
      for (;;) {
        this.need = 0;
        if (buf.length > 0 && buf[0] !== 0x30) throw new Error('ldap: the server does not speak LDAP');
        const size = elementSize(buf);
        if (size !== undefined && size > MAX_MESSAGE_BYTES) throw new Error(`ldap: a response of more than ${MAX_MESSAGE_BYTES} bytes`);
        const msg = size !== undefined && size <= buf.length ? readElement(buf) : undefined;
        if (!msg) {
          this.need = size ?? 0;
          break;
        }
        buf = buf.subarray(msg.end);
        const [idEl, op] = children(msg.content);
        if (!idEl || idEl.tag !== 0x02 || !op) throw new Error('ldap: malformed response');
        const id = readInt(idEl.content);
        const p = this.pending.get(id);
        if (!p) continue; // an unsolicited notification: the close that follows fails everything pending
        p.msgs.push(op);
        if (FINAL_TAGS.has(op.tag)) {
          this.pending.delete(id);
          clearTimeout(p.timer);
          p.resolve(p.msgs);
        }
      }
    } catch (e) {
      buf = Buffer.alloc(0);
      this.fail(new LdapError(200, (e as Error).message));
    }
    this.chunks = buf.length ? [buf] : [];
    this.bytes = buf.length;
  }

  private fail(e: Error): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
    this.socket.destroy();
  }

  /** Sends one protocol operation and collects every response to it up to the final one. */
  request(op: Buffer, timeoutMs: number): Promise<BerElement[]> {
    if (this.closed) return Promise.reject(new LdapError(200, 'ldap: connection closed'));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LdapError(85, `ldap: connection timed out (no answer within ${timeoutMs / 1000}s)`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, msgs: [], timer });
      this.socket.write(seq([int(id), op]));
    });
  }

  async bind(dn: string, password: string, timeoutMs: number): Promise<void> {
    const reply = await this.request(seq([int(3), str(dn), str(password, 0x80)], 0x60), timeoutMs);
    checkResult(reply[reply.length - 1]);
  }

  async search(base: string, scope: SearchScope, filter: string, attributes: string[], sizeLimit: number, timeLimitSec: number, timeoutMs: number): Promise<LdapEntry[]> {
    const f = compileSearchFilter(filter);
    const op = seq([str(base), int(SCOPES[scope], 0x0a), int(0, 0x0a), int(sizeLimit), int(timeLimitSec), bool(false), f, seq(attributes.map((a) => str(a)))], 0x63);
    const reply = await this.request(op, timeoutMs);
    checkResult(reply[reply.length - 1]);
    return reply.filter((m) => m.tag === 0x64).map((m) => {
      const [dn, attrs] = children(m.content);
      if (!dn || !attrs) throw new LdapError(2, 'ldap: malformed search entry');
      return {
        dn: dn.content.toString('utf8'),
        attributes: children(attrs.content).map((a) => {
          const [type, vals] = children(a.content);
          return { name: type.content.toString('utf8'), values: children(vals.content).map((v) => v.content.toString('utf8')) };
        }),
      };
    });
  }

  async modify(dn: string, operation: ModifyOperation, attributes: Record<string, string[]>, timeoutMs: number): Promise<void> {
    const changes = Object.entries(attributes).map(([name, values]) =>
      seq([int(MOD_OPS[operation], 0x0a), seq([str(name), seq(values.map((v) => str(v)), 0x31)])]));
    const reply = await this.request(seq([str(dn), seq(changes)], 0x66), timeoutMs);
    checkResult(reply[reply.length - 1]);
  }

  /** Sends an unbind and closes the socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end(seq([int(++this.nextId), Buffer.from([0x42, 0x00])]));
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new LdapError(200, 'ldap: connection closed'));
    }
    this.pending.clear();
  }
}

/**
 * The BER form of an RFC 4515 filter.
 * @throws LdapError 201 "Filter Compile Error" (go-ldap's code) when it does not compile.
 */
export function compileSearchFilter(filter: string): Buffer {
  try {
    return compileFilter(filter);
  } catch (e) {
    if (e instanceof FilterError) throw new LdapError(201, e.message);
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

function checkResult(res: BerElement | undefined): void {
  if (!res) throw new LdapError(2, 'ldap: empty response');
  const [code, , diag] = children(res.content);
  if (!code) throw new LdapError(2, 'ldap: malformed response');
  const rc = readInt(code.content);
  if (rc !== 0) throw new LdapError(rc, diag ? diag.content.toString('utf8') : '');
}
