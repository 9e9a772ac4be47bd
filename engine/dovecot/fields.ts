// What a script's `return status, fields` means to Dovecot 2.3.19: field parsing and the passdb/userdb verdict.
import { PASSDB_RESULTS as P, USERDB_RESULTS as U } from './types';

/** A script call as dispatch.lua reports it. */
export type ScriptReturn =
  | { kind: 'error'; text: string }
  | { kind: 'panic'; text: string }
  /** A Dovecot assertion the script tripped (the worker dies with exactly this panic text). */
  | { kind: 'assert'; text: string }
  | { kind: 'status'; code: number; fieldsKind: 'string'; text: string }
  /** 2.4: a status other than OK with its error string (or none). */
  | { kind: 'status'; code: number; fieldsKind: 'error'; text?: string }
  | { kind: 'status'; code: number; fieldsKind: 'table'; pairs: Array<[string, string]> | undefined };

/** Decode the flat list an entry of dispatch.lua returns. */
export function decodeReturn(values: unknown[]): ScriptReturn {
  const [tag, a, b, ...rest] = values;
  if (tag === 'status') {
    const code = Number(a);
    if (b === 'string') return { kind: 'status', code, fieldsKind: 'string', text: String(rest[0] ?? '') };
    if (b === 'error') return { kind: 'status', code, fieldsKind: 'error', ...(typeof rest[0] === 'string' ? { text: rest[0] } : {}) };
    if (rest.length === 0) return { kind: 'status', code, fieldsKind: 'table', pairs: undefined };
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i + 1 < rest.length; i += 2) pairs.push([String(rest[i]), String(rest[i + 1] ?? '')]);
    return { kind: 'status', code, fieldsKind: 'table', pairs };
  }
  if (tag === 'panic') return { kind: 'panic', text: String(a) };
  if (tag === 'assert') return { kind: 'assert', text: String(a) };
  return { kind: 'error', text: String(a ?? '(null)') };
}

/** t_strsplit_spaces(str, " ") then `key=value` at the first `=`; a bare word is a key with value "". */
export function splitFieldString(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const word of text.split(' ')) {
    if (!word) continue;
    const eq = word.indexOf('=');
    out.push(eq < 0 ? [word, ''] : [word.slice(0, eq), word.slice(eq + 1)]);
  }
  return out;
}

/** The exported fields of a lookup, with the fields Dovecot acts on taken apart (auth_request_set_field). */
export interface ExportedFields {
  fields: Record<string, string>;
  /** `password` field value (scheme prefix included), when the script returned one. */
  password?: string;
  nopassword: boolean;
  /** `noauthenticate`: the passdb only adds fields; an OK becomes NEXT. */
  noauthenticate: boolean;
  /** `fail`, or a rename to an empty name: an OK becomes USER_UNKNOWN. */
  failed: boolean;
  /** The user name after `user=`, `username=`, `domain=` (undefined: unchanged). */
  user?: string;
  /** `login_user=`: log in as this user, the looked-up one becoming the master user. */
  loginUser?: string;
  /** Error lines Dovecot logs while setting the fields (with the db prefix). */
  errors: string[];
  /** A key Dovecot asserts on (empty): the auth worker dies. */
  emptyKey: boolean;
}

/** get_updated_username: `user` replaces the name, `username` keeps the @domain, `domain` replaces or adds it. */
export function updatedUsername(old: string, key: string, value: string): string | undefined {
  if (key === 'user') return value;
  const at = old.indexOf('@');
  if (key === 'username') return value.includes('@') || at < 0 ? value : value + old.slice(at);
  if (key === 'domain') return at < 0 ? `${old}@${value}` : old.slice(0, at + 1) + value;
  return undefined;
}

/**
 * auth_lua_export_fields / export_table. For a passdb, `password`, `nopassword`, `noauthenticate`, `fail`,
 * `user`/`username`/`domain` and `login_user` act on the request and are kept out of the visible fields;
 * a userdb keeps every field.
 */
export function exportFields(pairs: Array<[string, string]>, db: 'passdb' | 'userdb' = 'passdb', user = ''): ExportedFields {
  const out: ExportedFields = { fields: {}, nopassword: false, noauthenticate: false, failed: false, errors: [], emptyKey: false };
  let current = user;
  for (const [k, v] of pairs) {
    if (k === '') {
      out.emptyKey = true;
      break;
    }
    if (db === 'userdb') {
      out.fields[k] = v;
      continue;
    }
    const renamed = updatedUsername(current, k, v);
    if (k === 'password') out.password = v;
    else if (renamed !== undefined) {
      if (renamed === '') {
        out.errors.push('username attempted to be changed to empty');
        out.failed = true;
      } else if (renamed !== current) {
        current = renamed;
        out.user = renamed;
      }
    } else if (k === 'login_user') out.loginUser = v;
    else if (k === 'fail') out.failed = true;
    else if (k === 'nopassword') out.nopassword = true;
    else if (k === 'noauthenticate') {
      out.noauthenticate = true;
      out.nopassword = true;
    } else out.fields[k] = v;
  }
  return out;
}

/** The Dovecot assertion an empty field name trips (the worker dies; the login is a temporary failure). */
export const EMPTY_KEY_PANIC = "file auth-request.c: line 1780 (auth_request_set_field): assertion failed: (*name != '\\0')";

/** What a lookup's return means before any password check: status, fields, and the error Dovecot logs. */
export interface LookupVerdict {
  code: number;
  exported?: ExportedFields;
  /** Logged as an error with the db prefix (only for INTERNAL_FAILURE, as Dovecot does). */
  error?: string;
}

/**
 * auth_lua_call_lookup_finish: a table is exported only with OK (otherwise the error is "passb failed" /
 * "userdb failed"), a string with OK or, for a passdb, NEXT (otherwise the string is the error). Dovecot
 * logs the error only for INTERNAL_FAILURE.
 */
export function lookupVerdict(ret: Extract<ScriptReturn, { kind: 'status' }>, db: 'passdb' | 'userdb', user = ''): LookupVerdict {
  const ok = db === 'passdb' ? P.PASSDB_RESULT_OK : U.USERDB_RESULT_OK;
  const next = db === 'passdb' ? P.PASSDB_RESULT_NEXT : undefined;
  const internal = db === 'passdb' ? P.PASSDB_RESULT_INTERNAL_FAILURE : U.USERDB_RESULT_INTERNAL_FAILURE;
  if (ret.fieldsKind === 'error') {
    // 2.4: the string is the error; without one it reads "passdb failed" / "userdb failed" (the 2.3 typo is fixed)
    return { code: ret.code, error: ret.code === internal ? ret.text ?? `${db} failed` : undefined };
  }
  if (ret.fieldsKind === 'table') {
    if (ret.code !== ok) return { code: ret.code, error: ret.code === internal ? `${db === 'passdb' ? 'passb' : 'userdb'} failed` : undefined };
    return { code: ret.code, exported: exportFields(ret.pairs ?? [], db, user) };
  }
  if (ret.code !== ok && ret.code !== next) return { code: ret.code, error: ret.code === internal ? ret.text : undefined };
  return { code: ret.code, exported: exportFields(splitFieldString(ret.text), db, user) };
}

/** How a passdb result looks to the client (IMAP answer, doveadm's code= field). */
export interface ClientView {
  outcome: 'ok' | 'fail' | 'tempfail';
  imap: string;
  failCode?: string;
}

const TEMPFAIL: ClientView = { outcome: 'tempfail', imap: 'NO [UNAVAILABLE] Temporary authentication failure.', failCode: 'temp_fail' };
const AUTHFAIL = 'NO [AUTHENTICATIONFAILED] Authentication failed.';

/** Observed on 2.3.19.1 with one passdb: NEXT ends as a temporary failure, SCHEME_NOT_AVAILABLE as a failure. */
export function passdbClientView(code: number): ClientView {
  switch (code) {
    case P.PASSDB_RESULT_OK:
      return { outcome: 'ok', imap: 'OK Logged in' };
    case P.PASSDB_RESULT_PASSWORD_MISMATCH:
    case P.PASSDB_RESULT_USER_UNKNOWN:
    case P.PASSDB_RESULT_SCHEME_NOT_AVAILABLE:
      return { outcome: 'fail', imap: AUTHFAIL };
    case P.PASSDB_RESULT_USER_DISABLED:
      return { outcome: 'fail', imap: AUTHFAIL, failCode: 'user_disabled' };
    case P.PASSDB_RESULT_PASS_EXPIRED:
      return { outcome: 'fail', imap: 'NO [EXPIRED] Password expired', failCode: 'pass_expired' };
    default:
      return TEMPFAIL;
  }
}

/** userdb: OK, user unknown (a failure), anything else a temporary failure. */
export function userdbClientView(code: number): ClientView {
  if (code === U.USERDB_RESULT_OK) return { outcome: 'ok', imap: 'OK Logged in' };
  if (code === U.USERDB_RESULT_USER_UNKNOWN) return { outcome: 'fail', imap: AUTHFAIL };
  return TEMPFAIL;
}

/** Values a passdb may return without crashing the 2.3.19 worker (anything else hits i_unreached()). */
export function isKnownPassdbCode(code: number): boolean {
  return Object.values(P).includes(code as never);
}
