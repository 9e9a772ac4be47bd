// Dovecot's password checks on top of schemes.ts: `req:password_verify` and the check after a passdb lookup.
import { decodeDovecotPassword, splitDovecotScheme, verifyDovecotPassword } from './schemes';

/** What `req:password_verify` returns: 1 match, 0 mismatch or unknown scheme, -1 bad data; and the error text. */
export interface PasswordCheck {
  ret: number;
  err?: string;
  /** A harness remark (a crypt(3) format it cannot compute). */
  note?: string;
}

/** Split `{SCHEME}data`; no prefix means PLAIN (the Lua passdb's default scheme). */
export function splitScheme(crypted: string): { scheme: string; data: string } {
  const { scheme, data } = splitDovecotScheme(crypted);
  return { scheme: scheme ?? 'PLAIN', data };
}

/**
 * auth_request_lua_password_verify: the stored `crypted` (with or without a scheme) against `plain`.
 * `user` is the login name as the client typed it (DIGEST-MD5 credentials contain it).
 */
export async function dovecotPasswordVerify(crypted: string | undefined, plain: string | undefined, user = ''): Promise<PasswordCheck> {
  const { scheme, data } = splitScheme(crypted ?? '');
  const d = decodeDovecotPassword(data, scheme);
  if (d.ret < 0) return { ret: -1, err: `Password data is not valid for scheme ${scheme}: ${d.err}` };
  if (d.ret === 0) return { ret: 0, err: `Unknown scheme ${scheme}` };
  const v = await verifyDovecotPassword(plain ?? '', scheme, d.raw!, user);
  return { ret: v.ret, ...(v.ret === 1 ? {} : { err: v.err }), ...(v.note ? { note: v.note } : {}) };
}

/** auth_request_password_verify after a lookup: the line Dovecot logs and whether the password matched. */
export async function lookupPasswordCheck(crypted: string, plain: string, user: string): Promise<{ ok: boolean; level?: 'info' | 'error'; line?: string; note?: string }> {
  const { scheme, data } = splitScheme(crypted);
  const d = decodeDovecotPassword(data, scheme);
  if (d.ret < 0) return { ok: false, level: 'error', line: `Password data is not valid for scheme ${scheme}: ${d.err}` };
  if (d.ret === 0) return { ok: false, level: 'error', line: `Unknown scheme ${scheme}` };
  const v = await verifyDovecotPassword(plain, scheme, d.raw!, user);
  if (v.ret === 1) return { ok: true };
  if (v.ret < 0) return { ok: false, level: 'error', line: `Invalid password in passdb: ${v.err}`, note: v.note };
  return { ok: false, level: 'info', line: 'Password mismatch', note: v.note };
}
