// runDovecot: a workspace's Dovecot Lua passdb/userdb script run once in the Dovecot harness (2.3 or 2.4 profile),
// with the script folder's stand-in answering its HTTP calls, and the result shaped like a simulation's trace.
import type { LineDebugger } from '../lua/debug-port';
import type http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { DovecotLookup, DovecotProfile, DovecotRunInput, DovecotRunResult, TraceEvent, TraceStage } from '../api/contract';
import { runDovecotScript, type DovecotResult } from '../dovecot';
import { PLAINTEXT_MECHS } from '../dovecot/req';
import { AuthStudioError } from '../errors/registry';
import type { DovecotStandIns } from './dovecot-stand-ins';
import type { Workspace } from './workspace';
import type { LineListener } from '../lua/line-hook';

const LOOKUPS: DovecotLookup[] = ['passdb_verify', 'passdb_lookup', 'userdb_lookup'];
const PROFILES: DovecotProfile[] = ['2.3', '2.4'];

function bad(field: string, message: string): AuthStudioError {
  return new AuthStudioError('AS_ERR_BAD_REQUEST', `runDovecot: ${field} ${message}`, { path: field });
}

function optString(a: Record<string, unknown>, field: string): string | undefined {
  const v = a[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw bad(field, 'must be a string');
  return v;
}

function optIp(a: Record<string, unknown>, field: string): string | undefined {
  const v = optString(a, field);
  if (v !== undefined && net.isIP(v) === 0) throw bad(field, `must be an IPv4 or IPv6 address, got "${v.slice(0, 60)}"`);
  return v;
}

/** A workspace Lua file that exists: its absolute path (errors name `field`). */
function scriptFile(ws: Workspace, field: string, value: unknown): { rel: string; abs: string } {
  if (typeof value !== 'string' || value === '') throw bad(field, 'must name a workspace file (e.g. "dovecot/nextcloud/auth-httpbasic.lua")');
  if (!/\.lua$/i.test(value)) throw bad(field, `must be a .lua script, got "${value.slice(0, 80)}"`);
  let r;
  try {
    r = ws.paths.resolve(value);
  } catch (e) {
    throw bad(field, (e as Error).message);
  }
  try {
    ws.read(r.rel);
  } catch {
    throw bad(field, `"${r.rel}" is not a file of the workspace`);
  }
  return r;
}

/** Check a runDovecot argument; every error names the field. */
export function checkDovecotInput(ws: Workspace, a: Record<string, unknown>) {
  const script = scriptFile(ws, 'path', a.path);
  if (a.source !== undefined && typeof a.source !== 'string') throw bad('source', 'must be the script text (a string)');
  const profile = (a.profile ?? '2.3') as DovecotProfile;
  if (!PROFILES.includes(profile)) throw bad('profile', `must be 2.3 or 2.4, got "${String(a.profile).slice(0, 20)}"`);
  const lookup = (a.lookup ?? 'passdb_verify') as DovecotLookup;
  if (!LOOKUPS.includes(lookup)) throw bad('lookup', `must be one of ${LOOKUPS.join(', ')}, got "${String(a.lookup).slice(0, 30)}"`);
  if (typeof a.user !== 'string' || a.user.trim() === '') throw bad('user', 'is required (the login name as the client sends it)');
  if (/[\s\x00-\x1f]/.test(a.user)) throw bad('user', 'must not contain spaces or control characters (Dovecot refuses such a login)');
  const password = a.password === undefined || a.password === null ? undefined : a.password;
  if (password !== undefined && typeof password !== 'string') throw bad('password', 'must be a string');
  const protocol = optString(a, 'protocol') ?? (lookup === 'userdb_lookup' ? 'lmtp' : 'imap');
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(protocol)) throw bad('protocol', `must be a Dovecot service name (imap, pop3, submission, lmtp, ...), got "${protocol.slice(0, 40)}"`);
  const mechanism = (optString(a, 'mechanism') ?? (lookup === 'passdb_lookup' ? 'CRAM-MD5' : lookup === 'passdb_verify' ? 'PLAIN' : '')).toUpperCase();
  if (mechanism && !/^[A-Z0-9-]{1,32}$/.test(mechanism)) throw bad('mechanism', `must be a SASL mechanism name (PLAIN, LOGIN, CRAM-MD5, ...), got "${mechanism.slice(0, 40)}"`);
  if (lookup === 'passdb_lookup' && PLAINTEXT_MECHS.has(mechanism)) throw bad('mechanism', `${mechanism} sends the plaintext password, so Dovecot verifies it (lookup passdb_verify); a credentials lookup needs CRAM-MD5, DIGEST-MD5, SCRAM-SHA-1, ...`);
  if (lookup !== 'userdb_lookup' && password === undefined) throw bad('password', `is required for ${lookup} (the password the client sends; for a master login the master user's)`);
  const localPort = a.local_port;
  if (localPort !== undefined && (typeof localPort !== 'number' || !Number.isInteger(localPort) || localPort < 0 || localPort > 65535)) throw bad('local_port', 'must be a port number (0-65535)');
  const masterUser = optString(a, 'master_user');
  if (masterUser !== undefined && lookup === 'userdb_lookup') throw bad('master_user', 'applies to logins (passdb_verify, passdb_lookup), not to a userdb lookup');
  if (masterUser !== undefined && /[\s*]/.test(masterUser)) throw bad('master_user', 'must not contain spaces or the separator "*"');
  const masterScript = a.master_script === undefined || a.master_script === '' ? undefined : scriptFile(ws, 'master_script', a.master_script);
  if (masterScript && masterUser === undefined) throw bad('master_script', 'needs master_user (the master passdb is only asked for `user*master` logins)');
  let luaSettings: Record<string, string> | undefined;
  if (a.lua_settings !== undefined) {
    if (profile !== '2.4') throw bad('lua_settings', 'is Dovecot 2.4 only (2.3 calls script_init() without arguments)');
    if (!a.lua_settings || typeof a.lua_settings !== 'object' || Array.isArray(a.lua_settings)) throw bad('lua_settings', 'must be an object of name -> string');
    for (const [k, v] of Object.entries(a.lua_settings)) if (typeof v !== 'string') throw bad(`lua_settings.${k}`, 'must be a string');
    luaSettings = a.lua_settings as Record<string, string>;
  }
  return {
    script, source: a.source as string | undefined, profile, lookup, user: a.user, password: password as string | undefined, protocol, mechanism,
    remoteIp: optIp(a, 'remote_ip'), localIp: optIp(a, 'local_ip'), localPort: localPort as number | undefined, masterUser, masterScript, luaSettings,
  };
}

/**
 * What `os.getenv` sees: like Dovecot, which passes only `import_environment` (TZ by default), a script gets TZ and the
 * AuthStudio bridge's variables, never the rest of the studio's environment (its token, Redis passwords, ...).
 */
export const DOVECOT_ENV = ['TZ', 'AUTHSTUDIO_URL', 'AUTHSTUDIO_AUTH', 'AUTHSTUDIO_TIMEOUT_MS', 'AUTHSTUDIO_HTTP_STANDINS'];

/**
 * The environment with AUTHSTUDIO_URL set to the studio's own listener when it is not set, so the AuthStudio bridge
 * script (dovecot/authstudio.lua) asks this studio's engine.
 */
export function withStudioUrl(env: Record<string, string | undefined>, server: http.Server): Record<string, string | undefined> {
  const address = server.listening ? server.address() : null;
  if (env.AUTHSTUDIO_URL !== undefined || !address || typeof address !== 'object') return env;
  // a wildcard listener is reached on loopback
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return { ...env, AUTHSTUDIO_URL: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}` };
}

/** Run one request (see checkDovecotInput for the fields). */
export async function runDovecot(ws: Workspace, standIns: DovecotStandIns, arg: DovecotRunInput, env: Record<string, string | undefined> = process.env, lineListener?: LineListener, debug?: LineDebugger): Promise<DovecotRunResult> {
  const i = checkDovecotInput(ws, arg as unknown as Record<string, unknown>);
  const relDir = path.posix.dirname(i.script.rel);
  const urlMap = await standIns.urlMapFor(path.dirname(i.script.abs), relDir === '.' ? '' : relDir);
  const started = Date.now();
  const r = await runDovecotScript({
    file: i.script.abs,
    displayPath: i.script.rel,
    ...(i.source !== undefined ? { source: i.source } : {}),
    dovecot: i.profile,
    ...(i.luaSettings ? { luaSettings: i.luaSettings } : {}),
    urlMap,
    env: Object.fromEntries(DOVECOT_ENV.filter((k) => env[k] !== undefined).map((k) => [k, env[k]])),
    ...(i.masterUser !== undefined ? { masterScript: { file: (i.masterScript ?? i.script).abs, displayPath: (i.masterScript ?? i.script).rel, ...(i.masterScript === undefined && i.source !== undefined ? { source: i.source } : {}) } } : {}),
    action: i.lookup === 'userdb_lookup' ? 'userdb' : 'passdb',
    ...(lineListener ? { lineListener } : {}),
    ...(debug ? { debugger: debug } : {}),
    login: {
      user: i.masterUser !== undefined ? `${i.user}*${i.masterUser}` : i.user,
      password: i.password,
      service: i.protocol,
      mech: i.mechanism || undefined,
      remoteIp: i.remoteIp,
      localIp: i.localIp,
      localPort: i.localPort,
      remotePort: i.remoteIp ? 52814 : undefined,
    },
  });
  return shapeResult(r, i.profile, i.lookup, Date.now() - started);
}

/** The harness result in the studio's shape: a loading stage and a lookup stage, HTTP calls and log lines as events. */
export function shapeResult(r: DovecotResult, profile: DovecotProfile, lookup: DovecotLookup, latencyMs: number): DovecotRunResult {
  const broken = r.status === 'AUTH_PROCESS_BROKEN';
  const initError = broken ? errorOf(r.logs) : undefined;
  const trace: TraceStage[] = [
    { stage: 'dovecot_init', name: `Dovecot ${profile}: load + script_init()`, duration_ms: 0, result: broken ? 'error' : 'ok', logs: {}, ...(initError ? { error: initError } : {}) },
  ];
  if (!broken) {
    const error = r.outcome === 'tempfail' ? errorOf(r.logs) : undefined;
    trace.push({
      stage: lookup === 'userdb_lookup' ? 'userdb' : 'passdb', name: r.entry || '(no entry function)', duration_ms: r.durationMs, result: r.status,
      logs: r.fields, ...(error ? { error } : {}),
    });
  }
  const stageName = trace[trace.length - 1].name;
  const stage = trace[trace.length - 1].stage;
  const events: TraceEvent[] = [
    ...r.http.map((h) => ({ stage, name: stageName, kind: 'http', at_ms: 0, detail: { method: h.method, url: h.url, status: h.status, reason: h.reason, ms: h.durationMs, request_headers: h.requestHeaders } })),
    ...r.logs.map((l) => ({ stage, name: stageName, kind: 'log', at_ms: 0, detail: { level: l.level, text: l.text } })),
  ];
  return {
    profile, lookup, entry: r.entry, status: r.status, code: r.code, decision: r.outcome,
    ...(r.imap ? { client: r.imap } : {}), ...(r.failCode ? { fail_code: r.failCode } : {}),
    fields: r.fields, logs: r.logs.map((l) => ({ level: l.level, text: l.text })), stdout: r.stdout, notes: r.notes,
    trace, events, latency_ms: latencyMs,
  };
}

const PLACE = /[\w./-]+\.lua:\d+:/;

/** The first error Dovecot logged, with the script line of its traceback when the message itself names none. */
function errorOf(lines: DovecotResult['logs']): string | undefined {
  const bad = lines.filter((l) => l.level === 'error' || l.level === 'fatal' || l.level === 'panic');
  if (!bad.length) return undefined;
  const first = bad[0].text;
  if (PLACE.test(first)) return first;
  const at = bad.map((l) => PLACE.exec(l.text)).find((m) => m !== null);
  return at ? `${first} (${at.input.slice(at.index)})` : first;
}
