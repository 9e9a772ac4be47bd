// Password hash schemes for nauthilus_password: {SCHEME} prefixes, crypt(3) strings, bcrypt, argon2, plain text.
import crypto from 'node:crypto';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { bcrypt, bcryptVerify, argon2id, argon2i, argon2Verify } from 'hash-wasm';

/** A stored hash this module cannot check (unknown scheme, malformed encoding, absurd cost). */
export class PasswordSchemeError extends Error {}

type Digest = 'md5' | 'sha1' | 'sha256' | 'sha512';
const DIGEST_LEN: Record<Digest, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

/** {SCHEME}: digest(plain + salt) + salt, base64 unless `.HEX`. */
const SALTED: Record<string, Digest> = { SSHA: 'sha1', SSHA256: 'sha256', SSHA512: 'sha512', SMD5: 'md5' };
/** {SCHEME}: digest(plain); base64 or hex, told apart by length. */
const UNSALTED: Record<string, Digest> = {
  SHA: 'sha1', SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512', MD5: 'md5', 'LDAP-MD5': 'md5', 'PLAIN-MD5': 'md5',
};
/** {SCHEME}: the rest is a crypt(3)-style string ($1$, $5$, $6$, $2y$, $argon2id$...). */
const CRYPT_PREFIXES = new Set(['CRYPT', 'MD5-CRYPT', 'SHA256-CRYPT', 'SHA512-CRYPT', 'BLF-CRYPT', 'BCRYPT', 'ARGON2I', 'ARGON2ID']);
const PLAIN_PREFIXES = new Set(['PLAIN', 'CLEARTEXT']);

const PREFIX = /^\{([A-Za-z0-9-]+)(?:\.(HEX|B64))?\}([\s\S]*)$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Argon2 memory cost above this (KiB) is refused rather than allocated. */
const ARGON2_MAX_KIB = 1 << 20;
const SHA_CRYPT_MAX_ROUNDS = 10_000_000;

/** Constant-time equality of two strings of any length (lengths are hidden behind a digest). */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb) && Buffer.byteLength(a) === Buffer.byteLength(b);
}

function digest(alg: Digest, ...parts: Array<string | Buffer>): Buffer {
  const h = crypto.createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest();
}

function decode(payload: string, enc: 'hex' | 'b64'): Buffer {
  if (enc === 'hex') {
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(payload)) throw new PasswordSchemeError('invalid hex in password hash');
    return Buffer.from(payload, 'hex');
  }
  if (!BASE64.test(payload)) throw new PasswordSchemeError('invalid base64 in password hash');
  return Buffer.from(payload, 'base64');
}

function verifySalted(alg: Digest, payload: string, enc: 'hex' | 'b64', plain: string): boolean {
  const raw = decode(payload, enc);
  const n = DIGEST_LEN[alg];
  if (raw.length <= n) throw new PasswordSchemeError('salted hash is too short (no salt)');
  const salt = raw.subarray(n);
  return crypto.timingSafeEqual(raw.subarray(0, n), digest(alg, plain, salt));
}

function verifyUnsalted(alg: Digest, payload: string, enc: 'hex' | 'b64' | undefined, plain: string): boolean {
  const n = DIGEST_LEN[alg];
  let raw: Buffer | undefined;
  if (enc !== 'hex' && BASE64.test(payload) && Buffer.from(payload, 'base64').length === n) raw = Buffer.from(payload, 'base64');
  else if (enc !== 'b64' && payload.length === 2 * n) raw = decode(payload, 'hex');
  if (!raw) throw new PasswordSchemeError(`not a ${alg} digest (${n} bytes, base64 or hex)`);
  return crypto.timingSafeEqual(raw, digest(alg, plain));
}

/**
 * Check `plain` against a stored hash. Resolves true/false; rejects with PasswordSchemeError when the
 * hash cannot be checked. A value with no `{SCHEME}` prefix and no `$id$` is compared as plain text.
 */
export async function verifyPassword(stored: string, plain: string): Promise<boolean> {
  if (stored === '') throw new PasswordSchemeError('empty password hash');
  const m = PREFIX.exec(stored);
  if (m) {
    const scheme = m[1].toUpperCase();
    const enc = m[2] ? (m[2].toUpperCase() === 'HEX' ? 'hex' : 'b64') : undefined;
    const payload = m[3];
    if (SALTED[scheme]) return verifySalted(SALTED[scheme], payload, enc ?? 'b64', plain);
    if (scheme === 'MD5' && payload.startsWith('$1$')) return verifyCrypt(payload, plain); // Dovecot's {MD5} is MD5-CRYPT
    if (UNSALTED[scheme]) return verifyUnsalted(UNSALTED[scheme], payload, enc ?? (scheme === 'PLAIN-MD5' ? 'hex' : undefined), plain);
    if (CRYPT_PREFIXES.has(scheme)) return verifyCrypt(payload, plain);
    if (PLAIN_PREFIXES.has(scheme)) return safeEqual(payload, plain);
    throw new PasswordSchemeError(`unsupported password scheme {${m[1]}}`);
  }
  if (stored.startsWith('$')) return verifyCrypt(stored, plain);
  return safeEqual(stored, plain);
}

async function verifyCrypt(stored: string, plain: string): Promise<boolean> {
  if (/^\$(1|apr1)\$/.test(stored)) {
    const m = /^\$(1|apr1)\$([^$]{0,8})[^$]*\$/.exec(stored);
    if (!m) throw new PasswordSchemeError('malformed MD5-crypt hash');
    return safeEqual(md5Crypt(plain, m[2], `$${m[1]}$`), stored);
  }
  if (/^\$[56]\$/.test(stored)) {
    const m = /^\$([56])\$(?:rounds=(\d+)\$)?([^$]*)\$[./0-9A-Za-z]+$/.exec(stored);
    if (!m) throw new PasswordSchemeError('malformed SHA-crypt hash');
    return safeEqual(shaCrypt(plain, m[1] as '5' | '6', m[3], m[2] === undefined ? undefined : Number(m[2])), stored);
  }
  if (/^\$2[abxy]\$/.test(stored)) {
    if (!/^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/.test(stored)) throw new PasswordSchemeError('malformed bcrypt hash');
    // hash-wasm only knows $2a$/$2b$; $2y$ (PHP, Dovecot) is the same algorithm
    return bcryptVerify({ password: plain, hash: '$2a$' + stored.slice(4) });
  }
  if (/^\$argon2(id|i|d)\$/.test(stored)) {
    const mem = /[$,]m=(\d+)/.exec(stored);
    if (!mem) throw new PasswordSchemeError('malformed argon2 hash');
    if (Number(mem[1]) > ARGON2_MAX_KIB) throw new PasswordSchemeError(`argon2 memory cost m=${mem[1]} KiB is above the limit of ${ARGON2_MAX_KIB}`);
    try {
      return await argon2Verify({ password: plain, hash: stored });
    } catch (e) {
      throw new PasswordSchemeError(`malformed argon2 hash: ${(e as Error).message}`);
    }
  }
  throw new PasswordSchemeError(`unsupported crypt hash ${stored.slice(0, stored.indexOf('$', 1) + 1) || stored.slice(0, 4)}`);
}

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function b64From24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ITOA64[w & 0x3f];
    w >>= 6;
  }
  return out;
}

/** crypt(3) MD5 ("$1$salt$...", Apache "$apr1$salt$..."), as in FreeBSD's md5crypt. */
export function md5Crypt(plain: string, salt: string, magic = '$1$'): string {
  const pw = Buffer.from(plain);
  const s = salt.slice(0, 8);
  const alt = digest('md5', pw, s, pw);
  const ctx = crypto.createHash('md5').update(pw).update(magic).update(s);
  for (let pl = pw.length; pl > 0; pl -= 16) ctx.update(alt.subarray(0, Math.min(pl, 16)));
  for (let i = pw.length; i; i >>= 1) ctx.update(i & 1 ? Buffer.alloc(1) : pw.subarray(0, 1));
  let fin = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const c = crypto.createHash('md5');
    c.update(i & 1 ? pw : fin);
    if (i % 3) c.update(s);
    if (i % 7) c.update(pw);
    c.update(i & 1 ? fin : pw);
    fin = c.digest();
  }
  const f = fin;
  const enc = b64From24(f[0], f[6], f[12], 4) + b64From24(f[1], f[7], f[13], 4) + b64From24(f[2], f[8], f[14], 4) +
    b64From24(f[3], f[9], f[15], 4) + b64From24(f[4], f[10], f[5], 4) + b64From24(0, 0, f[11], 2);
  return `${magic}${s}$${enc}`;
}

const SHA256_ORDER = [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29]];
const SHA512_ORDER = [[0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10],
  [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41]];

/** Fill `len` bytes by repeating `block` (steps 16 and 20 of the SHA-crypt spec). */
function repeatTo(block: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i += block.length) block.copy(out, i, 0, Math.min(block.length, len - i));
  return out;
}

/** SHA-crypt ("$5$" SHA-256, "$6$" SHA-512) per Ulrich Drepper's specification (glibc crypt). */
export function shaCrypt(plain: string, id: '5' | '6', salt: string, rounds?: number): string {
  const alg = id === '5' ? 'sha256' : 'sha512';
  const n = DIGEST_LEN[alg];
  const key = Buffer.from(plain);
  const s = Buffer.from(salt.slice(0, 16));
  const r = rounds === undefined ? 5000 : Math.min(Math.max(rounds, 1000), 999_999_999);
  if (r > SHA_CRYPT_MAX_ROUNDS) throw new PasswordSchemeError(`SHA-crypt rounds=${rounds} is above the limit of ${SHA_CRYPT_MAX_ROUNDS}`);
  const b = digest(alg, key, s, key);
  const a = crypto.createHash(alg).update(key).update(s);
  let i = key.length;
  for (; i > n; i -= n) a.update(b);
  a.update(b.subarray(0, i));
  for (i = key.length; i > 0; i >>= 1) a.update(i & 1 ? b : key);
  let acc = a.digest();
  const dp = crypto.createHash(alg);
  for (i = 0; i < key.length; i++) dp.update(key);
  const p = repeatTo(dp.digest(), key.length);
  const ds = crypto.createHash(alg);
  for (i = 0; i < 16 + acc[0]; i++) ds.update(s);
  const sp = repeatTo(ds.digest(), s.length);
  for (i = 0; i < r; i++) {
    const c = crypto.createHash(alg);
    c.update(i & 1 ? p : acc);
    if (i % 3) c.update(sp);
    if (i % 7) c.update(p);
    c.update(i & 1 ? acc : p);
    acc = c.digest();
  }
  let enc = '';
  for (const [x, y, z] of id === '5' ? SHA256_ORDER : SHA512_ORDER) enc += b64From24(acc[x], acc[y], acc[z], 4);
  enc += id === '5' ? b64From24(0, acc[31], acc[30], 3) : b64From24(0, 0, acc[63], 2);
  return `$${id}$${rounds === undefined ? '' : `rounds=${r}$`}${s.toString()}$${enc}`;
}

function cryptSalt(len: number): string {
  const bytes = crypto.randomBytes(len);
  let out = '';
  for (let i = 0; i < len; i++) out += ITOA64[bytes[i] & 0x3f];
  return out;
}

/** Schemes generate_password_hash accepts (upper case), see docs/lua-api/nauthilus_password.md. */
export const GENERATE_SCHEMES = ['SSHA', 'SSHA256', 'SSHA512', 'SHA', 'SHA256', 'SHA512', 'MD5', 'MD5-CRYPT',
  'SHA256-CRYPT', 'SHA512-CRYPT', 'CRYPT', 'BCRYPT', 'BLF-CRYPT', 'ARGON2I', 'ARGON2ID', 'PLAIN'];

/** Hash `plain` with a named scheme and a fresh random salt. */
export async function generateHash(plain: string, scheme: string): Promise<string> {
  const s = scheme.toUpperCase();
  if (SALTED[s]) {
    const salt = crypto.randomBytes(8);
    return `{${s}}` + Buffer.concat([digest(SALTED[s], plain, salt), salt]).toString('base64');
  }
  if (UNSALTED[s] && !s.includes('-')) return `{${s}}` + digest(UNSALTED[s], plain).toString('base64');
  switch (s) {
    case 'MD5-CRYPT': return md5Crypt(plain, cryptSalt(8));
    case 'SHA256-CRYPT': return shaCrypt(plain, '5', cryptSalt(16));
    case 'SHA512-CRYPT': case 'CRYPT': return shaCrypt(plain, '6', cryptSalt(16));
    case 'BCRYPT': case 'BLF-CRYPT': {
      const h = await bcrypt({ password: plain, salt: crypto.randomBytes(16), costFactor: 10, outputType: 'encoded' });
      return '$2y$' + h.slice(4);
    }
    case 'ARGON2I': case 'ARGON2ID': {
      const opts = { password: plain, salt: crypto.randomBytes(16), parallelism: 1, iterations: 2, memorySize: 19456, hashLength: 32, outputType: 'encoded' as const };
      return s === 'ARGON2ID' ? argon2id(opts) : argon2i(opts);
    }
    case 'PLAIN': return `{PLAIN}${plain}`;
  }
  throw new PasswordSchemeError(`unsupported scheme "${scheme}" (one of ${GENERATE_SCHEMES.join(', ')})`);
}

/** workerData.role under which this file serves verify/generate jobs off the main thread. */
export const HASHER_ROLE = 'authstudio-password-hasher';

/** A job for the hasher thread and its answer. */
export type HasherJob = { id: number; op: 'verify' | 'generate'; a: string; b: string };
export type HasherAnswer = { id: number; value?: boolean | string; error?: string; schemeError?: boolean };

if (!isMainThread && workerData?.role === HASHER_ROLE && parentPort) {
  const port = parentPort;
  port.on('message', (job: HasherJob) => {
    const work = job.op === 'verify' ? verifyPassword(job.a, job.b) : generateHash(job.a, job.b);
    work.then(
      (value) => port.postMessage({ id: job.id, value } satisfies HasherAnswer),
      (e: Error) => port.postMessage({ id: job.id, error: e.message, schemeError: e instanceof PasswordSchemeError } satisfies HasherAnswer),
    );
  });
}
