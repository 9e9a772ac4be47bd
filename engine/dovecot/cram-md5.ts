// The CRAM-MD5 / HMAC-MD5 credentials Dovecot stores: the two MD5 states of HMAC-MD5 after the key blocks
// (outer, then inner; four little-endian words each), so a CRAM-MD5 answer can be checked without the password.
import crypto from 'node:crypto';

const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

/** One MD5 compression of a 64-byte block from the initial state. */
function md5Block(block: Buffer): number[] {
  const st = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  let [a, b, c, d] = st;
  for (let i = 0; i < 64; i++) {
    let f: number;
    let g: number;
    if (i < 16) [f, g] = [(b & c) | (~b & d), i];
    else if (i < 32) [f, g] = [(d & b) | (~d & c), (5 * i + 1) % 16];
    else if (i < 48) [f, g] = [b ^ c ^ d, (3 * i + 5) % 16];
    else [f, g] = [c ^ (b | ~d), (7 * i) % 16];
    const s = S[(i >> 4) * 4 + (i % 4)];
    const x = (a + f + K[i] + block.readUInt32LE(g * 4)) >>> 0;
    [a, d, c] = [d, c, b];
    b = (b + ((x << s) | (x >>> (32 - s)))) >>> 0;
  }
  return [(st[0] + a) >>> 0, (st[1] + b) >>> 0, (st[2] + c) >>> 0, (st[3] + d) >>> 0];
}

/** hmac_md5_get_cram_context for `password` (a key over 64 bytes is hashed first, as HMAC does). */
export function cramMd5Context(password: Buffer): Buffer {
  const key = Buffer.alloc(64);
  (password.length > 64 ? crypto.createHash('md5').update(password).digest() : password).copy(key);
  const pad = (v: number) => Buffer.from(key.map((k) => k ^ v));
  const out = Buffer.alloc(32);
  md5Block(pad(0x5c)).forEach((w, i) => out.writeUInt32LE(w, i * 4));
  md5Block(pad(0x36)).forEach((w, i) => out.writeUInt32LE(w, 16 + i * 4));
  return out;
}
