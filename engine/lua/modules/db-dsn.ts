// Connection strings as Go's database drivers read them: go-sql-driver/mysql, lib/pq and go-sqlite3.
import path from 'node:path';
import { parseDuration } from '../../config/durations';

/** What a Go MySQL DSN `[user[:password]@][net[(addr)]]/dbname[?param=value&...]` says. */
export interface MysqlDsn {
  user: string;
  password: string;
  host?: string;
  port?: number;
  socketPath?: string;
  database: string;
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
  /** parseTime=true: DATETIME columns become unix seconds (numbers) instead of text. */
  parseTime: boolean;
  /** loc=Local: times are read in the process time zone (Go's default is UTC). */
  localTime: boolean;
  charset?: string;
  multiStatements: boolean;
  tls?: 'verify' | 'skip-verify';
}

/** A lib/pq connection string, URL or key=value form, reduced to what node-postgres takes. */
export interface PostgresDsn {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  ssl: false | { rejectUnauthorized: boolean };
  connectTimeoutMs?: number;
  applicationName?: string;
  /** statement_timeout given in the DSN replaces the default query timeout. */
  statementTimeoutMs?: number;
  /** Other keys (search_path, timezone, ...) become run-time parameters as lib/pq sends them. */
  runtimeParams: Record<string, string>;
}

/** A go-sqlite3 DSN: a file path (relative to the config directory) or an in-memory database. */
export interface SqliteDsn {
  file: string;
  memory: boolean;
  readonly: boolean;
  mustExist: boolean;
  busyTimeoutMs?: number;
}

function goDurationMs(v: string): number | undefined {
  try {
    return parseDuration(v.trim());
  } catch {
    return undefined;
  }
}

function safeUnescape(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(1|t|true|yes|on)$/i.test(v);
}

/**
 * Parse a go-sql-driver/mysql DSN. Port 3306 and host 127.0.0.1 are the defaults, as in Go.
 * @throws Error with Go's message ("invalid DSN: ...") when the DSN cannot be read.
 */
export function parseMysqlDsn(dsn: string): MysqlDsn {
  const slash = dsn.lastIndexOf('/');
  if (slash < 0) throw new Error('invalid DSN: missing the slash separating the database name');
  const left = dsn.slice(0, slash);
  let right = dsn.slice(slash + 1);
  let params = '';
  const q = right.indexOf('?');
  if (q >= 0) {
    params = right.slice(q + 1);
    right = right.slice(0, q);
  }
  let user = '';
  let password = '';
  let netPart = left;
  const at = left.lastIndexOf('@');
  if (at >= 0) {
    const cred = left.slice(0, at);
    const colon = cred.indexOf(':');
    user = colon >= 0 ? cred.slice(0, colon) : cred;
    password = colon >= 0 ? cred.slice(colon + 1) : '';
    netPart = left.slice(at + 1);
  }
  let net = netPart;
  let addr = '';
  const paren = netPart.indexOf('(');
  if (paren >= 0) {
    if (!netPart.endsWith(')')) throw new Error('invalid DSN: network address not terminated (missing closing brace)');
    net = netPart.slice(0, paren);
    addr = netPart.slice(paren + 1, -1);
  }
  const out: MysqlDsn = {
    user, password, database: safeUnescape(right), parseTime: false, localTime: false, multiStatements: false,
  };
  net ||= 'tcp';
  if (net === 'unix') {
    out.socketPath = addr || '/tmp/mysql.sock';
  } else if (net === 'tcp' || net === 'tcp4' || net === 'tcp6') {
    const hp = splitHostPort(addr || '127.0.0.1:3306', 3306);
    out.host = hp.host;
    out.port = hp.port;
  } else {
    throw new Error(`invalid DSN: unknown network ${net}`);
  }
  for (const [k, v] of new URLSearchParams(params)) {
    if (k === 'timeout') out.connectTimeoutMs = goDurationMs(v);
    else if (k === 'readTimeout') out.queryTimeoutMs = goDurationMs(v);
    else if (k === 'parseTime') out.parseTime = truthy(v);
    else if (k === 'loc') out.localTime = v === 'Local';
    else if (k === 'charset') out.charset = v.split(',')[0];
    else if (k === 'multiStatements') out.multiStatements = truthy(v);
    else if (k === 'tls') {
      if (v === 'skip-verify') out.tls = 'skip-verify';
      else if (truthy(v)) out.tls = 'verify';
    }
    // other Go parameters (allowNativePasswords, collation, interpolateParams, ...) do not change results
  }
  return out;
}

function splitHostPort(addr: string, defPort: number): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(addr);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : defPort };
  const colon = addr.lastIndexOf(':');
  if (colon >= 0 && addr.indexOf(':') === colon) {
    return { host: addr.slice(0, colon) || '127.0.0.1', port: Number(addr.slice(colon + 1)) || defPort };
  }
  return { host: addr || '127.0.0.1', port: defPort };
}

/** Split lib/pq's `key=value key2='quoted \' value'` form. */
function parsePqKeyValues(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:'((?:\\.|[^'\\])*)'|(\S*))/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(s)) !== null) {
    out[m[1]] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    last = re.lastIndex;
  }
  if (s.slice(last).trim() !== '') throw new Error(`pq: invalid connection string near "${s.slice(last).trim().slice(0, 40)}"`);
  return out;
}

function parsePqUrl(dsn: string): Record<string, string> {
  let u: URL;
  try {
    u = new URL(dsn);
  } catch {
    throw new Error('pq: invalid connection URL');
  }
  const out: Record<string, string> = {};
  if (u.username) out.user = decodeURIComponent(u.username);
  if (u.password) out.password = decodeURIComponent(u.password);
  if (u.hostname) out.host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (u.port) out.port = u.port;
  const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (db) out.dbname = db;
  for (const [k, v] of u.searchParams) out[k] = v;
  return out;
}

/**
 * Parse a lib/pq connection string: `postgres://user:pass@host:port/db?sslmode=disable` or
 * `host=... user=... dbname=... sslmode=disable`. sslmode defaults to `require`, as in lib/pq.
 */
export function parsePostgresDsn(dsn: string): PostgresDsn {
  const kv = /^postgres(ql)?:\/\//i.test(dsn) ? parsePqUrl(dsn) : parsePqKeyValues(dsn);
  const sslmode = kv.sslmode ?? 'require';
  let ssl: PostgresDsn['ssl'];
  if (sslmode === 'disable' || sslmode === 'allow' || sslmode === 'prefer') ssl = false;
  else if (sslmode === 'require') ssl = { rejectUnauthorized: false };
  else if (sslmode === 'verify-ca' || sslmode === 'verify-full') ssl = { rejectUnauthorized: true };
  else throw new Error(`pq: unsupported sslmode "${sslmode}"; only "require" (default), "verify-full", "verify-ca", and "disable" supported`);
  const user = kv.user ?? 'postgres';
  const known = new Set(['host', 'port', 'user', 'password', 'dbname', 'sslmode', 'connect_timeout', 'application_name',
    'fallback_application_name', 'sslcert', 'sslkey', 'sslrootcert', 'sslinline', 'sslsni', 'krbsrvname', 'krbspn', 'binary_parameters', 'disable_prepared_binary_result']);
  const runtimeParams: Record<string, string> = {};
  for (const [k, v] of Object.entries(kv)) if (!known.has(k)) runtimeParams[k] = v;
  let statementTimeoutMs: number | undefined;
  if (runtimeParams.statement_timeout !== undefined) {
    const st = runtimeParams.statement_timeout;
    statementTimeoutMs = /^\d+$/.test(st) ? Number(st) : goDurationMs(st.replace(/\s+/g, ''));
    delete runtimeParams.statement_timeout;
  }
  return {
    host: kv.host || 'localhost',
    port: Number(kv.port) || 5432,
    user,
    password: kv.password,
    database: kv.dbname || user,
    ssl,
    connectTimeoutMs: kv.connect_timeout ? Number(kv.connect_timeout) * 1000 || undefined : undefined,
    applicationName: kv.application_name ?? kv.fallback_application_name,
    statementTimeoutMs,
    runtimeParams,
  };
}

/** Parse a go-sqlite3 DSN (`file:x.db?mode=ro`, `x.db`, `:memory:`); relative paths resolve against baseDir. */
export function parseSqliteDsn(dsn: string, baseDir: string): SqliteDsn {
  let p = dsn;
  let params = '';
  const q = p.indexOf('?');
  if (q >= 0) {
    params = p.slice(q + 1);
    p = p.slice(0, q);
  }
  if (p.startsWith('file:')) p = p.slice(5);
  const sp = new URLSearchParams(params);
  const mode = sp.get('mode');
  const memory = p === ':memory:' || p === '' || mode === 'memory';
  const busy = sp.get('_busy_timeout') ?? sp.get('_timeout');
  return {
    file: memory ? ':memory:' : path.resolve(baseDir, p),
    memory,
    readonly: mode === 'ro',
    mustExist: mode === 'ro' || mode === 'rw',
    busyTimeoutMs: busy ? Number(busy) || undefined : undefined,
  };
}
