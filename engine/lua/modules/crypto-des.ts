// DES (FIPS 46-3) on single 8-byte blocks: gluacrypto's des-ecb/des-cbc, which Node's OpenSSL 3 no longer offers.

const IP = [58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
  57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7];
const FP = [40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31, 38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29,
  36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27, 34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25];
// E (the expansion 32, 1, 2, 3, 4, 5, 4, 5, ... 28, 29, 30, 31, 32, 1) is computed from R rotated by one bit in desWords.
const P = [16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25];
const PC1 = [57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4];
const PC2 = [14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
  41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32];
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
const S = [
  '14 4 13 1 2 15 11 8 3 10 6 12 5 9 0 7 0 15 7 4 14 2 13 1 10 6 12 11 9 5 3 8 4 1 14 8 13 6 2 11 15 12 9 7 3 10 5 0 15 12 8 2 4 9 1 7 5 11 3 14 10 0 6 13',
  '15 1 8 14 6 11 3 4 9 7 2 13 12 0 5 10 3 13 4 7 15 2 8 14 12 0 1 10 6 9 11 5 0 14 7 11 10 4 13 1 5 8 12 6 9 3 2 15 13 8 10 1 3 15 4 2 11 6 7 12 0 5 14 9',
  '10 0 9 14 6 3 15 5 1 13 12 7 11 4 2 8 13 7 0 9 3 4 6 10 2 8 5 14 12 11 15 1 13 6 4 9 8 15 3 0 11 1 2 12 5 10 14 7 1 10 13 0 6 9 8 7 4 15 14 3 11 5 2 12',
  '7 13 14 3 0 6 9 10 1 2 8 5 11 12 4 15 13 8 11 5 6 15 0 3 4 7 2 12 1 10 14 9 10 6 9 0 12 11 7 13 15 1 3 14 5 2 8 4 3 15 0 6 10 1 13 8 9 4 5 11 12 7 2 14',
  '2 12 4 1 7 10 11 6 8 5 3 15 13 0 14 9 14 11 2 12 4 7 13 1 5 0 15 10 3 9 8 6 4 2 1 11 10 13 7 8 15 9 12 5 6 3 0 14 11 8 12 7 1 14 2 13 6 15 0 9 10 4 5 3',
  '12 1 10 15 9 2 6 8 0 13 3 4 14 7 5 11 10 15 4 2 7 12 9 5 6 1 13 14 0 11 3 8 9 14 15 5 2 8 12 3 7 0 4 10 1 13 11 6 4 3 2 12 9 5 15 10 11 14 1 7 6 0 8 13',
  '4 11 2 14 15 0 8 13 3 12 9 7 5 10 6 1 13 0 11 7 4 9 1 10 14 3 5 12 2 15 8 6 1 4 11 13 12 3 7 14 10 15 6 8 0 5 9 2 6 11 13 8 1 4 10 7 9 5 0 15 14 2 3 12',
  '13 2 8 4 6 15 11 1 10 9 3 14 5 0 12 7 1 15 13 8 10 3 7 4 12 5 6 11 0 14 9 2 7 11 4 1 9 12 14 2 0 6 10 13 15 3 5 8 2 1 14 7 4 10 8 13 15 12 9 0 3 5 6 11',
].map((row) => row.split(' ').map(Number));

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
