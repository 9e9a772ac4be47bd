// A tiny authoritative DNS server over UDP on 127.0.0.1, answering from a table: the DNS answers a test declares
// (`authstudio test`), and the DNS server of our own tests.
import dgram from 'node:dgram';
import net from 'node:net';

/** Records per name. A key may also be an IP address: its PTR records then answer the reverse name. */
export type DnsRecords = Record<string, {
  A?: string[];
  AAAA?: string[];
  TXT?: string[];
  MX?: Array<{ priority: number; exchange: string }>;
  NS?: string[];
  PTR?: string[];
  CNAME?: string;
}>;

export interface DnsServer {
  port: number;
  /** "127.0.0.1:port", ready for EngineServices.dnsResolver. */
  address: string;
  /** Every question received, in order (name lower-cased, type as text, e.g. "A"). */
  queries: Array<{ name: string; type: string }>;
  stop(): Promise<void>;
}

const TYPE_CODES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, PTR: 12, MX: 15, TXT: 16, AAAA: 28 };
const TYPE_NAMES = Object.fromEntries(Object.entries(TYPE_CODES).map(([k, v]) => [v, k]));

/** "192.0.2.1" -> "1.2.0.192.in-addr.arpa"; IPv6 -> nibble form under ip6.arpa. */
export function reverseName(ip: string): string {
  if (net.isIPv4(ip)) return ip.split('.').reverse().join('.') + '.in-addr.arpa';
  const hex = ipv6Bytes(ip).toString('hex');
  return hex.split('').reverse().join('.') + '.ip6.arpa';
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const buf = Buffer.alloc(16);
  groups.forEach((g, i) => buf.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return buf;
}

const norm = (name: string) => name.toLowerCase().replace(/\.$/, '');

function encodeName(name: string): Buffer {
  const parts = norm(name).split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function rdata(type: string, value: unknown): Buffer {
  switch (type) {
    case 'A': return Buffer.from((value as string).split('.').map(Number));
    case 'AAAA': return ipv6Bytes(value as string);
    case 'TXT': {
      const s = Buffer.from(value as string);
      const chunks: Buffer[] = [];
      for (let i = 0; i === 0 || i < s.length; i += 255) {
        const c = s.subarray(i, i + 255);
        chunks.push(Buffer.from([c.length]), c);
      }
      return Buffer.concat(chunks);
    }
    case 'MX': {
      const mx = value as { priority: number; exchange: string };
      const pref = Buffer.alloc(2);
      pref.writeUInt16BE(mx.priority);
      return Buffer.concat([pref, encodeName(mx.exchange)]);
    }
    default: return encodeName(value as string); // NS, PTR, CNAME
  }
}

function answer(owner: Buffer, type: string, value: unknown): Buffer {
  const data = rdata(type, value);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(TYPE_CODES[type], 0);
  fixed.writeUInt16BE(1, 2); // IN
  fixed.writeUInt32BE(60, 4);
  fixed.writeUInt16BE(data.length, 8);
  return Buffer.concat([owner, fixed, data]);
}

function parseQuestion(msg: Buffer): { name: string; qtype: number; end: number } | undefined {
  let pos = 12;
  const labels: string[] = [];
  while (pos < msg.length && msg[pos] !== 0) {
    const len = msg[pos];
    labels.push(msg.subarray(pos + 1, pos + 1 + len).toString());
    pos += 1 + len;
  }
  if (pos + 5 > msg.length) return undefined;
  return { name: labels.join('.').toLowerCase(), qtype: msg.readUInt16BE(pos + 1), end: pos + 5 };
}

/**
 * Start a DNS server answering A, AAAA, TXT, MX, NS, PTR and CNAME from `records`; unknown names get
 * NXDOMAIN, known names without the asked type an empty NOERROR. With `silent` it never answers
 * (for timeout tests).
 *
 * @example
 *   const dns = await startDnsServer({ '2.0.0.127.zen.example': { A: ['127.0.0.2'] } });
 *   const services = testServices({ dnsResolver: dns.address });
 *   ...
 *   await dns.stop();
 */
export async function startDnsServer(records: DnsRecords, opts: { silent?: boolean } = {}): Promise<DnsServer> {
  const table = new Map<string, DnsRecords[string]>();
  for (const [k, v] of Object.entries(records)) table.set(net.isIP(k) ? reverseName(k) : norm(k), v);
  const queries: DnsServer['queries'] = [];
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const q = parseQuestion(msg);
    if (!q) return;
    const type = TYPE_NAMES[q.qtype] ?? String(q.qtype);
    queries.push({ name: q.name, type });
    if (opts.silent) return;
    const answers: Buffer[] = [];
    let entry = table.get(q.name);
    let owner: Buffer = Buffer.from([0xc0, 0x0c]); // pointer to the question's name
    if (entry?.CNAME && type !== 'CNAME') {
      answers.push(answer(owner, 'CNAME', entry.CNAME));
      owner = encodeName(entry.CNAME);
      entry = table.get(norm(entry.CNAME));
    }
    const values = entry ? (entry as Record<string, unknown>)[type] : undefined;
    for (const v of type === 'CNAME' ? (values === undefined ? [] : [values]) : ((values as unknown[]) ?? [])) answers.push(answer(owner, type, v));
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0);
    const rcode = table.has(q.name) ? 0 : 3;
    header.writeUInt16BE(0x8480 | (msg.readUInt16BE(2) & 0x0100) | rcode, 2); // QR, AA, RA, RD copied
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    sock.send(Buffer.concat([header, msg.subarray(12, q.end), ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => resolve());
  });
  const port = sock.address().port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    queries,
    stop: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
