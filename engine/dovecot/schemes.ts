// Dovecot 2.3's password schemes (`doveadm pw -l` of Debian's 2.3.19.1): how a `{SCHEME}data` value is
// decoded and checked against a plaintext password, with Dovecot's return codes and error texts.
//
//   splitDovecotScheme("{SSHA}...")  -> scheme + data ("$1$..." alone is MD5-CRYPT, nothing is PLAIN)
//   decodeDovecotPassword(data, scheme) -> raw bytes (encoding from .HEX/.B64, the scheme's default, or a guess)
//   verifyDovecotPassword(plain, scheme, raw, user) -> 1 match, 0 mismatch, -1 bad data (+ error text)
import crypto from 'node:crypto';
import { argon2Verify, bcryptVerify, md4 } from 'hash-wasm';
import { md5Crypt, shaCrypt } from '../lua/modules/password-schemes';
import { desCrypt } from './des-crypt';
import { cramMd5Context } from './cram-md5';

type Enc = 'none' | 'b64' | 'hex';
export interface SchemeResult {
  ret: number;
  err?: string;
  /** Something the harness could not compute the way the host's crypt(3) would (see the note). */
  note?: string;
}
type Verify = (plain: Buffer, raw: Buffer, user: string) => Promise<SchemeResult> | SchemeResult;
interface Scheme {
  enc: Enc;
  /** Length of the decoded data; 0: any. */
  rawLen: number;
  verify: Verify;
}

const MISMATCH = 'Password mismatch';
/** Iteration counts above this are not computed (the harness would stall); Dovecot would spend the time. */
const MAX_ITERATIONS = 10_000_000;
const tooCostly = (what: string, n: number): SchemeResult => ({ ret: 0, note: `${what} with ${n} iterations is above the harness' limit of ${MAX_ITERATIONS}; counted as a mismatch` });
const hash = (alg: string, ...parts: Array<Buffer | string>) => {
  const h = crypto.createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest();
};
const eq = (a: Buffer, b: Buffer) => a.length === b.length && crypto.timingSafeEqual(a, b);
const result = (ok: boolean): SchemeResult => ({ ret: ok ? 1 : 0 });
/** The generic check: generate from the plaintext and compare the bytes. */
const generated = (gen: (plain: Buffer, user: string) => Buffer | Promise<Buffer>): Verify => async (plain, raw, user) => result(eq(await gen(plain, user), raw));

function salted(alg: string, name: string, len: number): Verify {
  return (plain, raw) => {
    if (raw.length <= len) return { ret: -1, err: `${name} password is too short` };
    return result(eq(hash(alg, plain, raw.subarray(len)), raw.subarray(0, len)));
  };
}

/** password_generate_md5_crypt: the salt is what follows `$1$`, up to 8 characters, up to a `$`. */
function md5CryptOf(plain: Buffer, setting: string): string {
  const body = setting.startsWith('$1$') ? setting.slice(3) : setting;
  const salt = body.split('$')[0].slice(0, 8);
  return md5Crypt(plain.toString('latin1'), salt);
}

/** crypt(3) as Debian's libxcrypt runs it for the formats Dovecot users store; a failure never matches. */
export function hostCrypt(plain: Buffer, setting: string): { out?: string; note?: string } {
  const pw = plain.toString('latin1');
  if (setting.startsWith('$1$')) return { out: md5CryptOf(plain, setting) };
  const sha = /^\$([56])\$(?:rounds=(\d+)\$)?([^$]*)/.exec(setting);
  if (sha) {
    const rounds = sha[2] === undefined ? undefined : Math.min(Math.max(Number(sha[2]), 1000), 999_999_999);
    if (sha[2] !== undefined && !/^[1-9]\d*$/.test(sha[2])) return {};
    if (rounds !== undefined && rounds > MAX_ITERATIONS) return { note: `crypt(3) with rounds=${rounds} is above the harness' limit of ${MAX_ITERATIONS}; counted as a mismatch` };
    return { out: shaCrypt(pw, sha[1] as '5' | '6', sha[3].slice(0, 16), rounds) };
  }
  if (/^[./0-9A-Za-z]{2}/.test(setting) && !setting.startsWith('$')) return { out: desCrypt(plain, setting.slice(0, 2)) };
  if (setting.startsWith('$') || setting.startsWith('_')) {
    return { note: `crypt(3) format ${setting.slice(0, setting.indexOf('$', 1) + 1) || setting.slice(0, 3)} is not computed by the harness (libxcrypt would); counted as a mismatch` };
  }
  return {};
}

async function blowfish(plain: Buffer, raw: Buffer): Promise<SchemeResult> {
  if (raw.length === 0) return { ret: 0 };
  const pw = raw.toString('latin1');
  if (raw.length < 30 || !/^\$2[a-z]\$/.test(pw)) return { ret: -1, err: 'Password is not blowfish password' };
  if (!/^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{22}/.test(pw)) return { ret: -1, err: 'crypt_blowfish_rn failed: Invalid argument' };
  if (!/^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/.test(pw)) return { ret: 0 };
  const cost = Number(pw.slice(4, 6));
  if (cost < 4 || cost > 31) return { ret: -1, err: 'crypt_blowfish_rn failed: Invalid argument' };
  if (cost > 20) return { ret: 0, note: `bcrypt cost ${cost} is above the harness' limit of 20; counted as a mismatch` };
  return result(await bcryptVerify({ password: plain, hash: '$2a$' + pw.slice(4) }));
}

async function cryptVerify(plain: Buffer, raw: Buffer): Promise<SchemeResult> {
  const pw = raw.toString('latin1');
  if (raw.length > 4 && pw[0] === '$' && pw[1] === '2' && pw[3] === '$') return blowfish(plain, raw);
  if (raw.length === 0) return { ret: 0 };
  const c = hostCrypt(plain, pw);
  return c.out !== undefined ? { ret: c.out === pw ? 1 : 0 } : { ret: 0, note: c.note };
}

function scram(alg: 'sha1' | 'sha256', name: string): Verify {
  const size = alg === 'sha1' ? 20 : 32;
  return (plain, raw) => {
    const f = raw.toString('latin1').split(',');
    if (f.length !== 4) return { ret: -1, err: `Invalid ${name} passdb entry format` };
    if (!/^\d+$/.test(f[0]) || Number(f[0]) < 4096 || Number(f[0]) > 2 ** 31 - 1) return { ret: -1, err: `Invalid ${name} iteration count in passdb` };
    const stored = base64(f[2]);
    if (!stored || stored.length !== size) return { ret: -1, err: `Invalid ${name} StoredKey in passdb` };
    const server = base64(f[3]);
    if (!server || server.length !== size) return { ret: -1, err: `Invalid ${name} ServerKey in passdb` };
    if (Number(f[0]) > MAX_ITERATIONS) return tooCostly(name, Number(f[0]));
    const salt = base64(f[1]) ?? Buffer.alloc(0);
    const salted = crypto.pbkdf2Sync(plain, salt, Number(f[0]), size, alg);
    const clientKey = crypto.createHmac(alg, salted).update('Client Key').digest();
    return result(eq(hash(alg, clientKey), stored));
  };
}

const pbkdf2: Verify = (plain, raw) => {
  const s = raw.toString('latin1');
  if (raw.length < 3 || !s.startsWith('$1$')) return { ret: -1, err: 'Invalid PBKDF2 passdb entry prefix' };
  const f = s.slice(3).split('$');
  if (f.length !== 3 || !/^\d+$/.test(f[1]) || Number(f[1]) > 0xffffffff) return { ret: -1, err: 'Invalid PBKDF2 passdb entry format' };
  if (f[2].length !== 40 || !/^[0-9a-fA-F]*$/.test(f[2])) return { ret: -1, err: 'PBKDF2 hash not 160bit hex-encoded' };
  const rounds = Number(f[1]);
  if (rounds > MAX_ITERATIONS) return tooCostly('PBKDF2', rounds);
  // pkcs5_pbkdf with 0 rounds gives zeroes
  const key = rounds === 0 ? Buffer.alloc(20) : crypto.pbkdf2Sync(plain, Buffer.from(f[0], 'latin1'), rounds, 20, 'sha1');
  return result(eq(key, Buffer.from(f[2], 'hex')));
};

/** RFC 2289 folding to 64 bits, as lib-otp does it (SHA-1 words byte-swapped). */
async function otpStep(alg: string, data: Buffer): Promise<Buffer> {
  const d = alg === 'md4' ? Buffer.from(await md4(data), 'hex') : hash(alg, data);
  const out = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) out[i] = d[i] ^ d[i + 8] ^ (alg === 'sha1' && i < 4 ? d[i + 16] : 0);
  if (alg === 'sha1') {
    out.subarray(0, 4).reverse();
    out.subarray(4, 8).reverse();
  }
  return out;
}

const otp: Verify = async (plain, raw) => {
  // otp_parse_dbentry: "<algo> <seq> <seed> <hash>"; the entry is generated again and compared case-insensitively
  const text = raw.toString('latin1');
  const m = /^(md4|md5|sha1)[ \t](-?\d+)[ \t]([0-9A-Za-z]{0,16}) ((?:[0-9a-fA-F][ \t]*){16})/.exec(text);
  if (!m) return { ret: -1, err: 'Invalid OTP data in passdb' };
  const seed = m[3].toLowerCase();
  if (Number(m[2]) > MAX_ITERATIONS) return tooCostly('OTP', Number(m[2]));
  let h = await otpStep(m[1], Buffer.concat([Buffer.from(seed), plain]));
  for (let i = 0; i < Number(m[2]); i++) h = await otpStep(m[1], h);
  return result(text.toLowerCase() === `${m[1]} ${Number(m[2])} ${seed} ${h.toString('hex')}`);
};

const plainTrunc: Verify = (plain, raw) => {
  const m = /^(\d*)-/.exec(raw.toString('latin1'));
  if (!m) return { ret: -1, err: 'PLAIN-TRUNC missing length: prefix' };
  const n = Number(m[1] || '0');
  const rest = raw.subarray(m[0].length);
  if (rest.length === n && plain.length >= n) return result(eq(rest, plain.subarray(0, n)));
  return result(eq(rest, plain));
};

const md5Verify: Verify = (plain, raw) => {
  const s = raw.toString('latin1');
  if (s.startsWith('$1$')) return result(md5CryptOf(plain, s) === s);
  const d = decodeDovecotPassword(s, 'PLAIN-MD5');
  if (d.ret <= 0) return { ret: -1, err: 'Not a valid MD5-CRYPT or PLAIN-MD5 password' };
  return result(eq(hash('md5', plain), d.raw!));
};

/** DIGEST-MD5 credentials: MD5("user:realm:password") with the login name as typed (user@realm). */
function digestMd5(plain: Buffer, user: string): Buffer {
  const at = user.lastIndexOf('@');
  const [u, realm] = at < 0 ? [user, ''] : [user.slice(0, at), user.slice(at + 1)];
  return hash('md5', Buffer.from(`${u}:${realm}:`), plain);
}

const argon2: Verify = async (plain, raw) => {
  try {
    return result(await argon2Verify({ password: plain, hash: raw.toString('latin1') }));
  } catch {
    return { ret: 0 };
  }
};

/** The schemes of Debian's Dovecot 2.3.19.1 (`doveadm pw -l`), with their default encoding and length. */
export const DOVECOT_SCHEMES: Record<string, Scheme> = {
  MD5: { enc: 'none', rawLen: 0, verify: md5Verify },
  'MD5-CRYPT': { enc: 'none', rawLen: 0, verify: (p, r) => result(md5CryptOf(p, r.toString('latin1')) === r.toString('latin1')) },
  SHA: { enc: 'b64', rawLen: 20, verify: generated((p) => hash('sha1', p)) },
  SHA1: { enc: 'b64', rawLen: 20, verify: generated((p) => hash('sha1', p)) },
  SHA256: { enc: 'b64', rawLen: 32, verify: generated((p) => hash('sha256', p)) },
  SHA512: { enc: 'b64', rawLen: 64, verify: generated((p) => hash('sha512', p)) },
  SMD5: { enc: 'b64', rawLen: 0, verify: salted('md5', 'SMD5', 16) },
  SSHA: { enc: 'b64', rawLen: 0, verify: salted('sha1', 'SSHA', 20) },
  SSHA256: { enc: 'b64', rawLen: 0, verify: salted('sha256', 'SSHA256', 32) },
  SSHA512: { enc: 'b64', rawLen: 0, verify: salted('sha512', 'SSHA512', 64) },
  PLAIN: { enc: 'none', rawLen: 0, verify: (p, r) => result(eq(p, r)) },
  CLEAR: { enc: 'none', rawLen: 0, verify: (p, r) => result(eq(p, r)) },
  CLEARTEXT: { enc: 'none', rawLen: 0, verify: (p, r) => result(eq(p, r)) },
  'PLAIN-TRUNC': { enc: 'none', rawLen: 0, verify: plainTrunc },
  'CRAM-MD5': { enc: 'hex', rawLen: 32, verify: generated((p) => cramMd5Context(p)) },
  'HMAC-MD5': { enc: 'hex', rawLen: 32, verify: generated((p) => cramMd5Context(p)) },
  'SCRAM-SHA-1': { enc: 'none', rawLen: 0, verify: scram('sha1', 'SCRAM-SHA-1') },
  'SCRAM-SHA-256': { enc: 'none', rawLen: 0, verify: scram('sha256', 'SCRAM-SHA-256') },
  'DIGEST-MD5': { enc: 'hex', rawLen: 16, verify: generated(digestMd5) },
  'PLAIN-MD4': { enc: 'hex', rawLen: 16, verify: generated(async (p) => Buffer.from(await md4(p), 'hex')) },
  'PLAIN-MD5': { enc: 'hex', rawLen: 16, verify: generated((p) => hash('md5', p)) },
  'LDAP-MD5': { enc: 'b64', rawLen: 16, verify: generated((p) => hash('md5', p)) },
  OTP: { enc: 'none', rawLen: 0, verify: otp },
  PBKDF2: { enc: 'none', rawLen: 0, verify: pbkdf2 },
  'DES-CRYPT': { enc: 'none', rawLen: 0, verify: cryptVerify },
  'SHA256-CRYPT': { enc: 'none', rawLen: 0, verify: cryptVerify },
  'SHA512-CRYPT': { enc: 'none', rawLen: 0, verify: cryptVerify },
  'BLF-CRYPT': { enc: 'none', rawLen: 0, verify: blowfish },
  CRYPT: { enc: 'none', rawLen: 0, verify: cryptVerify },
  ARGON2I: { enc: 'none', rawLen: 0, verify: argon2 },
  ARGON2ID: { enc: 'none', rawLen: 0, verify: argon2 },
};

/** password_scheme_lookup: `NAME[.b64|.base64|.hex]`, case-insensitive; an unknown suffix is an unknown scheme. */
function lookup(scheme: string): { s: Scheme; enc: Enc; explicit: boolean } | undefined {
  const dot = scheme.indexOf('.');
  const s = DOVECOT_SCHEMES[(dot < 0 ? scheme : scheme.slice(0, dot)).toUpperCase()];
  if (!s) return undefined;
  if (dot < 0) return { s, enc: s.enc, explicit: false };
  const e = scheme.slice(dot + 1).toLowerCase();
  if (e === 'b64' || e === 'base64') return { s, enc: 'b64', explicit: true };
  if (e === 'hex') return { s, enc: 'hex', explicit: true };
  return undefined;
}

/** Dovecot's base64 decoder: the alphabet with `=` padding to a multiple of 4 (no whitespace). */
function base64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/** password_get_scheme: `{SCHEME}data`; `$1$salt$hash[$...]` is MD5-CRYPT (cut after the hash); else no scheme. */
export function splitDovecotScheme(value: string): { scheme?: string; data: string } {
  if (value.startsWith('$1$')) {
    const a = value.indexOf('$', 3);
    if (a >= 0) {
      const b = value.indexOf('$', a + 1);
      return { scheme: 'MD5-CRYPT', data: b < 0 ? value : value.slice(0, b) };
    }
  }
  if (!value.startsWith('{')) return { data: value };
  const close = value.indexOf('}');
  if (close < 0) return { data: value };
  return { scheme: value.slice(1, close), data: value.slice(close + 1) };
}

/** password_decode: 1 with the raw bytes, 0 unknown scheme, -1 bad data (with Dovecot's error). */
export function decodeDovecotPassword(data: string, scheme: string): { ret: number; raw?: Buffer; err?: string } {
  const l = lookup(scheme);
  if (!l) return { ret: 0, err: 'Unknown scheme' };
  let enc = l.enc;
  const guessed = enc !== 'none' && l.s.rawLen !== 0 && !l.explicit;
  if (guessed) enc = data.length === l.s.rawLen * 2 ? 'hex' : 'b64';
  let raw: Buffer | undefined;
  if (enc === 'none') raw = Buffer.from(data, 'utf8');
  if (enc === 'hex') {
    if (data.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(data)) raw = Buffer.from(data, 'hex');
    else if (!guessed) return { ret: -1, err: "Input isn't valid HEX encoded data" };
    else enc = 'b64';
  }
  if (enc === 'b64') {
    raw = base64(data);
    if (!raw) return { ret: -1, err: "Input isn't valid base64 encoded data" };
  }
  if (l.s.rawLen !== 0 && raw!.length !== l.s.rawLen) return { ret: -1, err: `Input length isn't valid (${raw!.length} instead of ${l.s.rawLen})` };
  return { ret: 1, raw };
}

/** password_verify after a successful decode: 1, 0 (`Password mismatch`) or -1 with the scheme's error. */
export async function verifyDovecotPassword(plain: string, scheme: string, raw: Buffer, user: string): Promise<SchemeResult> {
  const l = lookup(scheme);
  if (!l) return { ret: -1, err: 'Unknown password scheme' };
  const r = await l.s.verify(Buffer.from(plain, 'utf8'), raw, user);
  return r.ret === 0 ? { ...r, err: MISMATCH } : r;
}

/** The names `doveadm pw -l` lists. */
export const DOVECOT_SCHEME_NAMES = Object.keys(DOVECOT_SCHEMES);
