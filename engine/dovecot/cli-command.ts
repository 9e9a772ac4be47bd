// `authstudio dovecot`: run a Dovecot Lua passdb/userdb script in the harness and print what Dovecot would do.
import { AuthStudioError } from '../errors/registry';
import type { OptionSpec } from '../cli-args';
import { runDovecotScript } from './index';
import type { DovecotAction, DovecotResult } from './types';

export const DOVECOT_OPTIONS: Record<string, OptionSpec> = {
  script: { type: 'string', required: true, description: 'the Dovecot Lua script (passdb/userdb driver = lua)' },
  user: { type: 'string', description: 'login name as the client sends it (Dovecot lower-cases req.user)' },
  password: { type: 'string', description: 'plaintext password' },
  service: { type: 'string', description: 'imap (default), pop3, submission, ...' },
  'remote-ip': { type: 'string', description: 'client IP (req.remote_ip; nil when omitted, as in doveadm auth test)' },
  'remote-port': { type: 'string', description: 'client port (req.remote_port, "0" when omitted)' },
  'local-ip': { type: 'string', description: 'server IP (req.local_ip)' },
  'local-port': { type: 'string', description: 'server port (req.local_port)' },
  mech: { type: 'string', description: 'SASL mechanism (default PLAIN; an IMAP LOGIN is PLAIN)' },
  session: { type: 'string', description: 'session id (req.session; nil when omitted)' },
  mode: { type: 'string', description: 'passdb (default), userdb or iterate' },
  map: { type: 'string', description: 'FROM=TO[,FROM=TO]: read script paths under FROM from TO (e.g. /etc/dovecot/lua=.)' },
  'master-script': { type: 'string', description: 'a second Lua passdb with master = yes: logins USER*MASTER check MASTER there, then log in as USER' },
  'master-separator': { type: 'string', description: 'auth_master_user_separator (default * with --master-script)' },
  'auth-debug': { type: 'boolean', description: 'auth_debug=yes: log req:log_debug lines' },
  dovecot: { type: 'string', description: 'the Dovecot to imitate: 2.3 (default) or 2.4' },
  'passdb-name': { type: 'string', description: 'Dovecot 2.4: the passdb name of `passdb NAME { }`, shown in its log lines (default lua)' },
  'lua-setting': { type: 'string', description: 'Dovecot 2.4: KEY=VALUE[,KEY=VALUE] of lua_settings { } (script_init\'s argument)' },
  json: { type: 'boolean', description: 'print one JSON object' },
};

/** Exit codes: 0 the login/lookup succeeded, 1 it failed, 75 (EX_TEMPFAIL) a temporary failure. */
export async function dovecotCommand(args: Record<string, string | boolean | undefined>): Promise<number> {
  const mode = (args.mode as string | undefined) ?? 'passdb';
  if (!['passdb', 'userdb', 'iterate'].includes(mode)) throw new AuthStudioError('AS_ERR_CLI_USAGE', 'dovecot: --mode must be passdb, userdb or iterate');
  if (mode !== 'iterate' && typeof args.user !== 'string') throw new AuthStudioError('AS_ERR_CLI_USAGE', 'dovecot: --user is required (except with --mode iterate)');
  const pathMap: Record<string, string> = {};
  for (const pair of String(args.map ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new AuthStudioError('AS_ERR_CLI_USAGE', `dovecot: --map needs FROM=TO, got "${pair}"`);
    pathMap[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const version = (args.dovecot as string | undefined) ?? '2.3';
  if (version !== '2.3' && version !== '2.4') throw new AuthStudioError('AS_ERR_CLI_USAGE', `dovecot: --dovecot must be 2.3 or 2.4, got "${version}"`);
  const luaSettings: Record<string, string> = {};
  for (const pair of String(args['lua-setting'] ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new AuthStudioError('AS_ERR_CLI_USAGE', `dovecot: --lua-setting needs KEY=VALUE, got "${pair}"`);
    luaSettings[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (version === '2.3' && Object.keys(luaSettings).length) throw new AuthStudioError('AS_ERR_CLI_USAGE', 'dovecot: --lua-setting is Dovecot 2.4 only (2.3 calls script_init() without arguments); add --dovecot 2.4');
  const port = (name: string): number | undefined => {
    const v = args[name];
    if (v === undefined) return undefined;
    if (!/^\d{1,5}$/.test(String(v))) throw new AuthStudioError('AS_ERR_CLI_USAGE', `dovecot: --${name} must be a port number`);
    return Number(v);
  };
  const r = await runDovecotScript({
    file: String(args.script),
    action: mode as DovecotAction,
    pathMap,
    dovecot: version,
    luaSettings,
    ...(typeof args['passdb-name'] === 'string' ? { passdbName: args['passdb-name'] } : {}),
    authDebug: args['auth-debug'] === true,
    ...(typeof args['master-script'] === 'string' ? { masterScript: { file: args['master-script'] } } : {}),
    ...(typeof args['master-separator'] === 'string' ? { masterSeparator: args['master-separator'] } : {}),
    login: {
      user: String(args.user ?? ''),
      password: args.password as string | undefined,
      service: args.service as string | undefined,
      remoteIp: args['remote-ip'] as string | undefined,
      remotePort: port('remote-port'),
      localIp: args['local-ip'] as string | undefined,
      localPort: port('local-port'),
      mech: args.mech as string | undefined,
      session: args.session as string | undefined,
    },
  });
  process.stdout.write(args.json ? JSON.stringify(r, null, 2) + '\n' : formatResult(r));
  return r.outcome === 'ok' ? 0 : r.outcome === 'fail' ? 1 : 75;
}

/** The human-readable report: status, fields, HTTP calls, log lines, harness notes. */
export function formatResult(r: DovecotResult): string {
  const out: string[] = [];
  const returned = r.scriptStatus !== undefined && r.scriptStatus !== r.code ? ` (the script returned ${r.scriptStatus})` : '';
  out.push(`status: ${r.status}${returned}`);
  out.push(`entry:  ${r.entry}()`);
  if (r.imap) out.push(`client: ${r.imap}${r.failCode ? `  (doveadm: code=${r.failCode})` : ''}`);
  else out.push(`client: ${r.outcome}`);
  if (r.users) out.push('users:', ...r.users.map((u) => `  ${u}`));
  const fields = Object.entries(r.fields);
  out.push(fields.length ? 'fields:' : 'fields: (none)', ...fields.map(([k, v]) => `  ${v === '' ? k : `${k}=${v}`}`));
  out.push(r.http.length ? 'http:' : 'http:   (none)');
  for (const h of r.http) out.push(`  ${h.method} ${h.url} -> ${h.status} ${h.reason} (${h.durationMs} ms)`);
  out.push(r.logs.length ? 'log:' : 'log:    (none)', ...r.logs.map((l) => `  ${l.text}`));
  if (r.stdout.length) out.push('print():', ...r.stdout.map((l) => `  ${l}`));
  if (r.notes.length) out.push('harness notes:', ...r.notes.map((n) => `  ${n}`));
  return out.join('\n') + '\n';
}
