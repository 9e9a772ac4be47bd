// The Dovecot harness' public API: run a Dovecot 2.3 Lua passdb/userdb script once, or keep one loaded.
import { DovecotScript, type DovecotScriptOptions } from './harness';
import type { DovecotAction, DovecotLogin, DovecotLogLine, DovecotResult } from './types';

export { DovecotScript, type DovecotScriptOptions } from './harness';
export * from './types';

/** Options of {@link runDovecotScript}: the script, the login, which lookup to run. */
export interface RunDovecotOptions extends DovecotScriptOptions {
  /** passdb (a login, default), userdb, or iterate. */
  action?: DovecotAction;
  /** The simulated client; `user` is required for passdb and userdb. */
  login?: DovecotLogin;
}

/**
 * Load a Dovecot-style Lua script, run one lookup as Dovecot 2.3.19 would, run script_deinit, and report
 * the status, the fields, the HTTP calls and every log line (loading and deinit included).
 *
 * @example
 * const r = await runDovecotScript({
 *   file: 'auth-httpbasic.lua',
 *   pathMap: { '/etc/dovecot/lua': '.' },
 *   login: { user: 'alice', password: 'app-password', remoteIp: '192.0.2.10', service: 'imap' },
 * });
 * r.status;  // 'PASSDB_RESULT_OK'
 * r.imap;    // 'OK Logged in'
 * r.http[0]; // { method: 'PROPFIND', url: 'https://nextcloud.example.com/remote.php/dav/', status: 207, ... }
 */
export async function runDovecotScript(opts: RunDovecotOptions): Promise<DovecotResult> {
  const action = opts.action ?? 'passdb';
  const login = opts.login ?? { user: '' };
  if (action !== 'iterate' && !login.user) throw new TypeError('runDovecotScript: login.user is required for passdb and userdb lookups');
  const script = await DovecotScript.load(opts);
  let result: DovecotResult;
  let deinitLogs: DovecotLogLine[] = [];
  try {
    result = action === 'passdb' ? await script.passdb(login) : action === 'userdb' ? await script.userdb(login) : await script.iterate();
  } finally {
    deinitLogs = await script.close();
  }
  return {
    ...result,
    logs: [...script.loadLogs, ...result.logs, ...deinitLogs],
    notes: [...new Set([...script.loadNotes, ...result.notes])],
  };
}
