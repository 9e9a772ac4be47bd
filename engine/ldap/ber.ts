// The BER subset LDAPv3 (RFC 4511) needs: definite lengths, integers, octet strings, constructed values.

/** One decoded BER element: its tag byte, content bytes and where the next element starts. */
export interface BerElement {
  tag: number;
  content: Buffer;
  end: number;
}

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Tag + length + content. */
export function tlv(tag: number, content: Buffer | Buffer[]): Buffer {
  const body = Array.isArray(content) ? Buffer.concat(content) : content;
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

/** A two's-complement integer (tag 0x02 INTEGER, 0x0a ENUMERATED). */
export function int(n: number, tag = 0x02): Buffer {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v !== 0 && v !== -1);
  if (n >= 0 && bytes[0] & 0x80) bytes.unshift(0);
  if (n < 0 && !(bytes[0] & 0x80)) bytes.unshift(0xff);
  return tlv(tag, Buffer.from(bytes));
}

/** An OCTET STRING (or any primitive tag) holding UTF-8 text or bytes. */
export function str(s: string | Buffer, tag = 0x04): Buffer {
  return tlv(tag, typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
}

export const bool = (b: boolean): Buffer => tlv(0x01, Buffer.from([b ? 0xff : 0]));
export const seq = (items: Buffer[], tag = 0x30): Buffer => tlv(tag, items);

/**
 * The total size (tag, length and content) of the element at the start of `buf`, or undefined while its
 * header is incomplete.
 * @throws Error on lengths this client refuses (indefinite, or more than 4 length bytes).
 */
export function elementSize(buf: Buffer): number | undefined {
  if (buf.length < 2) return undefined;
  const first = buf[1];
  if (!(first & 0x80)) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4) throw new Error('ber: unsupported length encoding');
  if (buf.length < 2 + n) return undefined;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[2 + i];
  return 2 + n + len;
}

/**
 * Reads the element at `offset`; undefined when `buf` does not hold all of it yet.
 * @throws Error on lengths this client refuses (indefinite, or more than 4 length bytes).
 */
export function readElement(buf: Buffer, offset = 0): BerElement | undefined {
  if (buf.length < offset + 2) return undefined;
  const tag = buf[offset];
  let len = buf[offset + 1];
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('ber: unsupported length encoding');
    if (buf.length < pos + n) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i];
    pos += n;
  }
  if (buf.length < pos + len) return undefined;
  return { tag, content: buf.subarray(pos, pos + len), end: pos + len };
}

/** Every element inside a constructed value. */
export function children(content: Buffer): BerElement[] {
  const out: BerElement[] = [];
  let off = 0;
  while (off < content.length) {
    const e = readElement(content, off);
    if (!e) throw new Error('ber: truncated element');
    out.push(e);
    off = e.end;
  }
  return out;
}

/** The value of an INTEGER or ENUMERATED element. */
export function readInt(content: Buffer): number {
  let v = content.length && content[0] & 0x80 ? -1 : 0;
  for (const b of content) v = v * 256 + b;
  return v;
}
