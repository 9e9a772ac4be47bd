// Dovecot's password check ({SCHEME} prefix, PLAIN by default) on top of the engine's scheme code.
import { verifyPassword } from '../lua/modules/password-schemes';

/** Schemes a Dovecot 2.3 build knows; the ones the harness cannot check are reported, not guessed. */
const DOVECOT_SCHEMES = new Set([
  'PLAIN', 'CLEARTEXT', 'PLAIN-TRUNC', 'SHA', 'SHA1', 'SHA256', 'SHA512', 'SSHA', 'SSHA256', 'SSHA512', 'SMD5',
  'MD5', 'PLAIN-MD5', 'LDAP-MD5', 'MD5-CRYPT', 'CRYPT', 'DES-CRYPT', 'SHA256-CRYPT', 'SHA512-CRYPT', 'BLF-CRYPT',
  'ARGON2I', 'ARGON2ID', 'PBKDF2', 'CRAM-MD5', 'DIGEST-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'NTLM', 'LANMAN',
  'OTP', 'RPA', 'PLAIN-MD4', 'LDAP-MD4',
]);
const HARNESS_SCHEMES = new Set([
  'PLAIN', 'CLEARTEXT', 'SHA', 'SHA1', 'SHA256', 'SHA512', 'SSHA', 'SSHA256', 'SSHA512', 'SMD5', 'MD5', 'PLAIN-MD5',
  'LDAP-MD5', 'MD5-CRYPT', 'CRYPT', 'SHA256-CRYPT', 'SHA512-CRYPT', 'BLF-CRYPT', 'ARGON2I', 'ARGON2ID',
]);

/** What `req:password_verify` returns: 1 match, 0 mismatch or unknown scheme, -1 bad data; and the error text. */
export interface PasswordCheck {
  ret: number;
  err?: string;
  /** The scheme was one Dovecot knows but the harness cannot check. */
  unsupported?: boolean;
}

/** Split `{SCHEME}data`; no prefix means PLAIN (password_get_scheme). */
export function splitScheme(crypted: string): { scheme: string; data: string } {
  const m = /^\{([^}]*)\}([\s\S]*)$/.exec(crypted);
  return m ? { scheme: m[1].toUpperCase(), data: m[2] } : { scheme: 'PLAIN', data: crypted };
}

/** auth_request_lua_password_verify: the stored `crypted` (with or without a scheme) against `plain`. */
export async function dovecotPasswordVerify(crypted: string | undefined, plain: string | undefined): Promise<PasswordCheck> {
  const { scheme, data } = splitScheme(crypted ?? '');
  if (!DOVECOT_SCHEMES.has(scheme.replace(/\.(HEX|B64)$/, ''))) return { ret: 0, err: `Unknown scheme ${scheme}` };
  if (!HARNESS_SCHEMES.has(scheme.replace(/\.(HEX|B64)$/, ''))) {
    return { ret: -1, err: `Scheme ${scheme} is not supported by the AuthStudio harness`, unsupported: true };
  }
  // the engine reads {MD5}/{CRYPT} bodies as crypt(3) strings, as Dovecot does
  const stored = scheme === 'PLAIN' || scheme === 'CLEARTEXT' ? `{PLAIN}${data}` : `{${scheme}}${data}`;
  try {
    return (await verifyPassword(stored, plain ?? '')) ? { ret: 1 } : { ret: 0, err: 'Password mismatch' };
  } catch (e) {
    return { ret: -1, err: `Password data is not valid for scheme ${scheme}: ${(e as Error).message}` };
  }
}
