// Dovecot's passdb verdict on a script's answer: passdb-lua.c's checks, the password / nopassword rules,
// and the log lines Dovecot 2.3.19.1 writes on the way (observed on a real Dovecot, see docs/dovecot.md).
import type { DovecotCall } from './call';
import { cleanTraceback } from './log';
import { lookupVerdict, isKnownPassdbCode, EMPTY_KEY_PANIC, type ScriptReturn } from './fields';
import { lookupPasswordCheck, splitScheme } from './password';
import { PLAINTEXT_MECHS } from './req';
import { PASSDB_RESULTS as P, type DovecotLogin } from './types';

export interface PassdbOutcome {
  code: number;
  fields: Record<string, string>;
  scriptStatus?: number;
}

interface PassdbCtx {
  entry: 'auth_password_verify' | 'auth_passdb_lookup';
  login: DovecotLogin;
  mech: string;
  user: string;
  /** The script path as Dovecot names it (in panic messages). */
  scriptPath: string;
  /** A master passdb lookup: the user to log in as on success. */
  loginUser?: string;
}

const INTERNAL = P.PASSDB_RESULT_INTERNAL_FAILURE;

/** Turn what the script returned into Dovecot's final passdb result, logging as Dovecot does. */
export async function finishPassdb(call: DovecotCall, ret: ScriptReturn, ctx: PassdbCtx): Promise<PassdbOutcome> {
  const verify = ctx.entry === 'auth_password_verify';
  const label = verify ? 'passdb-lua: ' : 'db-lua: ';
  if (ret.kind === 'error') {
    call.log.request('error', label + cleanTraceback(ret.text));
    return { code: INTERNAL, fields: {} };
  }
  if (ret.kind === 'panic' || ret.kind === 'assert') {
    call.log.crash(ret.kind === 'assert' ? ret.text : `Lua script '${ctx.scriptPath}': ${ret.text}`, ctx.user);
    return { code: INTERNAL, fields: {} };
  }
  const scriptStatus = ret.code;
  if (!isKnownPassdbCode(ret.code)) {
    call.log.crash('file passdb.c: line 298: unreached', ctx.user);
    return { code: INTERNAL, fields: {}, scriptStatus };
  }
  const v = lookupVerdict(ret, 'passdb', ctx.user);
  if (v.exported?.emptyKey) {
    call.log.crash(EMPTY_KEY_PANIC, ctx.user);
    return { code: INTERNAL, fields: {}, scriptStatus };
  }
  if (v.code === INTERNAL && v.error !== undefined) call.log.request('error', label + v.error);
  for (const err of v.exported?.errors ?? []) {
    call.log.request('error', err);
    // with blocking=yes the auth process sets the worker's fields again and logs the same error
    if (call.log.worker !== 'auth') call.log.request('error', err, 'auth');
  }
  const e = v.exported;
  const fields = e?.fields ?? {};
  let code = v.code;
  if (code === P.PASSDB_RESULT_OK && e) {
    if (!verify) code = await checkLookupPassword(call, e, ctx);
    // auth_request_verify_plain_callback, then auth_request_handle_passdb_callback
    if (code === P.PASSDB_RESULT_OK && e.noauthenticate) code = P.PASSDB_RESULT_NEXT;
    if (code === P.PASSDB_RESULT_OK && e.failed) code = P.PASSDB_RESULT_USER_UNKNOWN;
  } else if (verify && code === P.PASSDB_RESULT_PASSWORD_MISMATCH) {
    call.log.request('info', 'Password mismatch');
  }
  if (code === P.PASSDB_RESULT_NEXT) {
    // with this script as the only passdb there is nothing after it
    call.log.request('error', 'Last passdb had noauthenticate field, cannot authenticate user', 'auth');
    return { code: INTERNAL, fields, scriptStatus };
  }
  if (code !== P.PASSDB_RESULT_OK) return { code, fields: {}, scriptStatus };
  // fields the script set itself (`original_user`, `auth_user`) win over the ones Dovecot adds
  return { code, fields: { ...replyUserFields(call, { ...e!, loginUser: e!.loginUser ?? ctx.loginUser }, ctx), ...fields }, scriptStatus };
}

/**
 * The user fields of Dovecot's success reply: `user` when a field renamed the user, `original_user` when the
 * name differs from what the client typed, and for `login_user` a master login (`auth_user`).
 */
export function replyUserFields(call: DovecotCall, e: { user?: string; loginUser?: string }, ctx: { user: string; login: DovecotLogin; originalUser?: string }): Record<string, string> {
  const typed = ctx.originalUser ?? ctx.login.user;
  const user = e.user ?? ctx.user;
  if (e.loginUser !== undefined) {
    call.log.write('info', `Master user logging in as ${e.loginUser}`, 'auth');
    return { user: e.loginUser, original_user: typed, auth_user: user };
  }
  const out: Record<string, string> = {};
  if (e.user !== undefined) out.user = e.user;
  if (typed !== user) out.original_user = typed;
  return out;
}

/**
 * passdb_lua_lookup + verify_plain: OK needs a `password` (checked against the login's password) or
 * `nopassword` (then `password` must be empty). Other mechanisms (CRAM-MD5, ...) get the credentials; the
 * harness plays the client by checking the given password against them, which needs a plain-text one.
 */
async function checkLookupPassword(call: DovecotCall, e: { password?: string; nopassword: boolean }, ctx: PassdbCtx): Promise<number> {
  if (e.nopassword) {
    if (e.password) {
      call.log.request('info', 'nopassword given and password is not empty');
      return P.PASSDB_RESULT_PASSWORD_MISMATCH;
    }
    if (!PLAINTEXT_MECHS.has(ctx.mech)) {
      call.note(`${ctx.mech}: nopassword gives the mechanism empty credentials, so the client's answer cannot match`);
      return P.PASSDB_RESULT_PASSWORD_MISMATCH;
    }
    return P.PASSDB_RESULT_OK;
  }
  if (!e.password) {
    call.log.request('info', 'No password returned (and no nopassword)');
    return P.PASSDB_RESULT_PASSWORD_MISMATCH;
  }
  if (!PLAINTEXT_MECHS.has(ctx.mech)) {
    const { scheme } = splitScheme(e.password);
    if (scheme !== 'PLAIN' && scheme !== 'CLEARTEXT' && scheme !== ctx.mech) {
      call.log.request('info', `Requested ${ctx.mech} scheme, but we have only ${scheme}`);
      return P.PASSDB_RESULT_SCHEME_NOT_AVAILABLE;
    }
    call.note(`${ctx.mech}: the harness checks the given password against the returned credentials instead of running the mechanism`);
  }
  const check = await lookupPasswordCheck(e.password, ctx.login.password ?? '', ctx.login.user);
  if (check.note) call.note(check.note);
  if (check.ok) return P.PASSDB_RESULT_OK;
  call.log.request(check.level!, check.line!);
  // verify_plain: any failure of auth_request_password_verify is a mismatch
  return P.PASSDB_RESULT_PASSWORD_MISMATCH;
}
