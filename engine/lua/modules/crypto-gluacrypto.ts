// gluacrypto's (the `crypto` Nauthilus loads with dynamic_loader("nauthilus_gluacrypto")) encrypt, decrypt and crc32.
import nodeCrypto from 'node:crypto';
import { desSubkeys, desWords } from './crypto-des';

/** gluacrypto's error texts (its own and Go's). */
const NOT_SUPPORTED = 'unsupported encrypt method';
const NOT_FULL_BLOCKS = 'ciphertext is not a multiple of the block size';

/** A Go panic inside gluacrypto (bad IV length, padding past the data): a Lua error in Nauthilus too. */
export class GoPanic extends Error {}

function pkcs5Pad(data: Buffer, bs: number): Buffer {
  const n = bs - (data.length % bs);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

/** gluacrypto strips the last byte's count without checking it; past the start, Go panics. */
function pkcs5Unpad(data: Buffer): Buffer {
  if (data.length === 0) throw new GoPanic('runtime error: index out of range [-1]');
  const n = data[data.length - 1];
  if (n > data.length) throw new GoPanic(`runtime error: slice bounds out of range [:${data.length - n}]`);
  return data.subarray(0, data.length - n);
}

function desCrypt(data: Buffer, key: Buffer, iv: Buffer | null, decrypt: boolean): Buffer {
  const keys = desSubkeys(key);
  if (iv && iv.length !== 8) throw new GoPanic(`cipher.NewCBC${decrypt ? 'Decrypter' : 'Encrypter'}: IV length must equal block size`);
  const out = Buffer.alloc(data.length);
  let ph = iv ? iv.readUInt32BE(0) : 0;
  let pl = iv ? iv.readUInt32BE(4) : 0;
  for (let i = 0; i < data.length; i += 8) {
    const h = data.readUInt32BE(i);
    const l = data.readUInt32BE(i + 4);
    let oh: number, ol: number;
    if (decrypt) {
      [oh, ol] = desWords(keys, h, l, true);
      if (iv) [oh, ol, ph, pl] = [(oh ^ ph) >>> 0, (ol ^ pl) >>> 0, h, l];
    } else {
      [oh, ol] = desWords(keys, iv ? (h ^ ph) >>> 0 : h, iv ? (l ^ pl) >>> 0 : l, false);
      [ph, pl] = [oh, ol];
    }
    out.writeUInt32BE(oh, i);
    out.writeUInt32BE(ol, i + 4);
  }
  return out;
}

function aesCbc(data: Buffer, key: Buffer, iv: Buffer, decrypt: boolean): Buffer {
  if (![16, 24, 32].includes(key.length)) throw new Error(`crypto/aes: invalid key size ${key.length}`);
  if (iv.length !== 16) throw new GoPanic(`cipher.NewCBC${decrypt ? 'Decrypter' : 'Encrypter'}: IV length must equal block size`);
  const algo = `aes-${key.length * 8}-cbc`;
  const c = decrypt ? nodeCrypto.createDecipheriv(algo, key, iv) : nodeCrypto.createCipheriv(algo, key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** gluacrypto's Encrypt: des-ecb, des-cbc, aes-cbc with PKCS#5 padding. Throws Error (returned as err) or GoPanic. */
export function gluaEncrypt(data: Buffer, method: string, key: Buffer, iv: Buffer): Buffer {
  switch (method) {
    case 'des-ecb': desSubkeys(key); return desCrypt(pkcs5Pad(data, 8), key, null, false);
    case 'des-cbc': desSubkeys(key); return desCrypt(pkcs5Pad(data, 8), key, iv, false);
    case 'aes-cbc':
      if (![16, 24, 32].includes(key.length)) throw new Error(`crypto/aes: invalid key size ${key.length}`);
      return aesCbc(pkcs5Pad(data, 16), key, iv, false);
    default: throw new Error(NOT_SUPPORTED);
  }
}

/** gluacrypto's Decrypt, the reverse of gluaEncrypt. */
export function gluaDecrypt(data: Buffer, method: string, key: Buffer, iv: Buffer): Buffer {
  switch (method) {
    case 'des-ecb':
      desSubkeys(key);
      if (data.length % 8 !== 0) throw new Error('crypto/cipher: input not full blocks');
      return pkcs5Unpad(desCrypt(data, key, null, true));
    case 'des-cbc':
      desSubkeys(key);
      if (data.length % 8 !== 0) throw new Error(NOT_FULL_BLOCKS);
      return pkcs5Unpad(desCrypt(data, key, iv, true));
    case 'aes-cbc':
      if (![16, 24, 32].includes(key.length)) throw new Error(`crypto/aes: invalid key size ${key.length}`);
      if (data.length % 16 !== 0) throw new Error(NOT_FULL_BLOCKS);
      return pkcs5Unpad(aesCbc(data, key, iv, true));
    default: throw new Error(NOT_SUPPORTED);
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (IEEE), as Go's hash/crc32 sums it: 4 bytes, big-endian. */
export function crc32(data: Buffer): Buffer {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out;
}
