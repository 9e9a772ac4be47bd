// DES (FIPS 46-3) on single 8-byte blocks: gluacrypto's des-ecb/des-cbc, which Node's OpenSSL 3 no longer offers.
import { FP, IP, P, PC1, PC2, S, SHIFTS } from '../des-tables';

// E (the expansion) is computed from R rotated by one bit in desWords.


// Blocks are two uint32 halves (hi: bits 1-32, lo: bits 33-64, bit 1 the most significant), as FIPS 46-3 numbers them.
const bit32 = (x: number, pos: number) => (x >>> (32 - pos)) & 1;
const bit64 = (hi: number, lo: number, pos: number) => (pos <= 32 ? bit32(hi, pos) : bit32(lo, pos - 32));

function permute64(hi: number, lo: number, table: number[]): [number, number] {
  let oh = 0;
  let ol = 0;
  for (let i = 0; i < 32; i++) oh = (oh << 1) | bit64(hi, lo, table[i]);
  for (let i = 32; i < 64; i++) ol = (ol << 1) | bit64(hi, lo, table[i]);
  return [oh >>> 0, ol >>> 0];
}

/** SP[s][six]: S-box s applied to a 6-bit input, its 4 bits placed and then permuted by P (one table lookup per box). */
const SP: number[][] = S.map((box, s) => Array.from({ length: 64 }, (_, six) => {
  const v = box[(((six >> 5) << 1) | (six & 1)) * 16 + ((six >> 1) & 15)];
  const pre = (v << (28 - 4 * s)) >>> 0;
  let out = 0;
  for (let i = 0; i < 32; i++) out = (out << 1) | bit32(pre, P[i]);
  return out >>> 0;
}));

/** The 16 round keys of an 8-byte key, each as eight 6-bit values (parity bits ignored, as DES does). */
export function desSubkeys(key: Buffer): number[][] {
  if (key.length !== 8) throw new Error(`crypto/des: invalid key size ${key.length}`);
  const hi = key.readUInt32BE(0);
  const lo = key.readUInt32BE(4);
  const k = PC1.map((pos) => bit64(hi, lo, pos));
  let c = k.slice(0, 28);
  let d = k.slice(28);
  return SHIFTS.map((n) => {
    c = [...c.slice(n), ...c.slice(0, n)];
    d = [...d.slice(n), ...d.slice(0, n)];
    const cd = [...c, ...d];
    const bits = PC2.map((pos) => cd[pos - 1]);
    return Array.from({ length: 8 }, (_, j) => bits.slice(6 * j, 6 * j + 6).reduce((acc, b) => (acc << 1) | b, 0));
  });
}

/** One block as two uint32 words; E is read from R rotated right by one bit (chunk s is bits 4s+1..4s+6 of it). */
export function desWords(subkeys: number[][], hi: number, lo: number, decrypt: boolean): [number, number] {
  let [l, r] = permute64(hi, lo, IP);
  for (let round = 0; round < 16; round++) {
    const k = subkeys[decrypt ? 15 - round : round];
    const rr = ((r >>> 1) | (r << 31)) >>> 0;
    let f = 0;
    for (let s = 0; s < 7; s++) f ^= SP[s][((rr >>> (26 - 4 * s)) & 63) ^ k[s]];
    f ^= SP[7][(((rr & 15) << 2) | ((r & 1) << 1) | (r >>> 31)) ^ k[7]];
    const next = (l ^ f) >>> 0;
    l = r;
    r = next;
  }
  return permute64(r, l, FP);
}

/** Encrypt (or with `decrypt`, decrypt) one 8-byte block. */
export function desBlock(subkeys: number[][], block: Buffer, decrypt: boolean): Buffer {
  const [hi, lo] = desWords(subkeys, block.readUInt32BE(0), block.readUInt32BE(4), decrypt);
  const out = Buffer.alloc(8);
  out.writeUInt32BE(hi, 0);
  out.writeUInt32BE(lo, 4);
  return out;
}
