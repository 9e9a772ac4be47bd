// The attack suite's client: raw HTTP/1.1 over a socket (any request line, any header bytes), one request per
// connection, with a deadline; what came back is parsed just enough to judge it.
import net from 'node:net';

export interface RawAnswer {
  /** 0 when the connection closed without a status line. */
  status: number;
  /** Header names lower-cased; values as the bytes arrived (latin1 string of the raw bytes). */
  headers: Record<string, string>;
  body: string;
  /** True when no complete answer arrived before the deadline. */
  hung: boolean;
  /** The connection was reset or refused. */
  error?: string;
}

/**
 * Send `head` (request line and headers, without the blank line) and `body`; `Connection: close` and
 * `Content-Length` are added. Resolves with the answer once the server closes or the deadline passes.
 */
export function rawRequest(port: number, head: string | Buffer, body: string | Buffer = '', deadlineMs = 15_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (hung: boolean, error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ ...parse(Buffer.concat(chunks)), hung, error });
    };
    const timer = setTimeout(() => finish(true), deadlineMs);
    sock.on('data', (d) => {
      chunks.push(d);
      if (complete(Buffer.concat(chunks))) finish(false);
    });
    sock.on('end', () => finish(false));
    sock.on('error', (e) => finish(false, (e as NodeJS.ErrnoException).code ?? e.message));
    const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const h = Buffer.isBuffer(head) ? head : Buffer.from(head, 'latin1');
    sock.write(Buffer.concat([h, Buffer.from(`\r\nConnection: close\r\nContent-Length: ${b.length}\r\n\r\n`, 'latin1'), b]));
  });
}

function splitHead(buf: Buffer): { head: string; rest: Buffer } | undefined {
  const i = buf.indexOf('\r\n\r\n');
  if (i < 0) return undefined;
  return { head: buf.subarray(0, i).toString('latin1'), rest: buf.subarray(i + 4) };
}

function complete(buf: Buffer): boolean {
  const s = splitHead(buf);
  if (!s) return false;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(s.head);
  return m ? s.rest.length >= Number(m[1]) : false;
}

function parse(buf: Buffer): Omit<RawAnswer, 'hung' | 'error'> {
  const s = splitHead(buf);
  if (!s) return { status: 0, headers: {}, body: '' };
  const lines = s.head.split('\r\n');
  // a 100 Continue before the final answer is skipped
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? 0);
  if (status === 100) return parse(s.rest);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
  }
  return { status, headers, body: s.rest.toString('utf8') };
}

/** A small seeded PRNG (mulberry32): the same seed gives the same attack, printed on failure. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick<T>(xs: readonly T[]): T {
      return xs[Math.floor(next() * xs.length)];
    },
    chance: (p: number) => next() < p,
  };
}
export type Rng = ReturnType<typeof prng>;

/** Run `tasks` with at most `width` in flight. */
export async function runPool<T>(tasks: Array<() => Promise<T>>, width: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, worker));
  return out;
}
