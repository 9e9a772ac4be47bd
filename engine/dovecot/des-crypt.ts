// Traditional DES crypt(3) ("ab" + 11 characters), as Dovecot's {DES-CRYPT} and {CRYPT} hand it to libxcrypt:
// the first 8 password bytes (7 bits each) are the key, the 12 salt bits swap E-table entries, and a zero
// block is encrypted 25 times. A bit-array implementation on the DES standard's tables (engine/lua/des-tables.ts).
import { E, FP, IP, P, PC1, PC2, S, SHIFTS } from '../lua/des-tables';
const ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const permute = (bits: number[], table: number[]) => table.map((i) => bits[i - 1]);

function subkeys(key: number[]): number[][] {
  const cd = permute(key, PC1);
  let c = cd.slice(0, 28);
  let d = cd.slice(28);
  return SHIFTS.map((n) => {
    c = [...c.slice(n), ...c.slice(0, n)];
    d = [...d.slice(n), ...d.slice(0, n)];
    return permute([...c, ...d], PC2);
  });
}

/** crypt(password, salt) for a two-character salt from `./0-9A-Za-z`. */
export function desCrypt(password: Buffer, salt: string): string {
  const key: number[] = [];
  for (let i = 0; i < 8; i++) {
    const c = i < password.length ? password[i] : 0;
    for (let j = 6; j >= 0; j--) key.push((c >> j) & 1);
    key.push(0);
  }
  // a NUL ends the password (C string)
  const nul = password.indexOf(0);
  if (nul >= 0 && nul < 8) key.fill(0, nul * 8);
  const e = [...E];
  for (let i = 0; i < 2; i++) {
    const v = ALPHABET.indexOf(salt[i]);
    for (let j = 0; j < 6; j++) if ((v >> j) & 1) [e[6 * i + j], e[6 * i + j + 24]] = [e[6 * i + j + 24], e[6 * i + j]];
  }
  const ks = subkeys(key);
  let block = new Array<number>(64).fill(0);
  for (let n = 0; n < 25; n++) {
    const b = permute(block, IP);
    let l = b.slice(0, 32);
    let r = b.slice(32);
    for (let round = 0; round < 16; round++) {
      const x = permute(r, e).map((bit, i) => bit ^ ks[round][i]);
      const f: number[] = [];
      for (let s = 0; s < 8; s++) {
        const six = x.slice(s * 6, s * 6 + 6);
        const v = S[s][((six[0] << 1) | six[5]) * 16 + ((six[1] << 3) | (six[2] << 2) | (six[3] << 1) | six[4])];
        for (let j = 3; j >= 0; j--) f.push((v >> j) & 1);
      }
      const nr = permute(f, P).map((bit, i) => bit ^ l[i]);
      l = r;
      r = nr;
    }
    block = permute([...r, ...l], FP);
  }
  const bits = [...block, 0, 0];
  let out = salt.slice(0, 2);
  for (let i = 0; i < 11; i++) {
    let v = 0;
    for (let j = 0; j < 6; j++) v = (v << 1) | bits[6 * i + j];
    out += ALPHABET[v];
  }
  return out;
}
