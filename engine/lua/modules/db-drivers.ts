// The SQL drivers behind the `db` module: mysql (mysql2), postgres (pg) and sqlite3 (better-sqlite3).
import mysql from 'mysql2/promise';
import pg from 'pg';
import Database from 'better-sqlite3';
import { parseMysqlDsn, parsePostgresDsn, parseSqliteDsn } from './db-dsn';

/** Rows come back as arrays of values in column order, as gopher-lua-libs' db returns them. */
export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

/** What db:exec returns; a field the driver cannot tell is left out (lib/pq has no last insert id). */
export interface ExecResult {
  rows_affected?: number;
  last_insert_id?: number;
}

/** One connection pool of one driver. */
export interface DriverPool {
  query(sql: string, params: unknown[] | undefined): Promise<QueryResult>;
  exec(sql: string, params: unknown[] | undefined): Promise<ExecResult>;
  end(): Promise<void>;
}

export interface DriverOptions {
  maxConnections: number;
  readOnly: boolean;
  baseDir: string;
  connectTimeoutMs: number;
  /** A query running longer fails with the server's (or the driver's) timeout error. */
  queryTimeoutMs: number;
}

/** Builds pools for one (driver, dsn); the DSN is checked at once so db.open can report it. */
export interface DriverFactory {
  create(): DriverPool;
  /** sqlite pools hold no sockets and in-memory databases must not be dropped when idle. */
  keepWhenIdle: boolean;
  /** The query timeout in effect (the DSN may set its own, e.g. mysql readTimeout). */
  queryTimeoutMs: number;
}

/**
 * Check the DSN of `driver` and return a factory for its pools.
 * @throws Error with the driver's message for an unknown driver or an unreadable DSN.
 */
export function driverFactory(driver: string, dsn: string, opts: DriverOptions): DriverFactory {
  if (driver === 'mysql') {
    const cfg = parseMysqlDsn(dsn);
    const o = { ...opts, queryTimeoutMs: cfg.queryTimeoutMs ?? opts.queryTimeoutMs };
    return { create: () => mysqlPool(cfg, o), keepWhenIdle: false, queryTimeoutMs: o.queryTimeoutMs };
  }
  if (driver === 'postgres') {
    const cfg = parsePostgresDsn(dsn);
    const o = { ...opts, queryTimeoutMs: cfg.statementTimeoutMs ?? opts.queryTimeoutMs };
    return { create: () => postgresPool(cfg, o), keepWhenIdle: false, queryTimeoutMs: o.queryTimeoutMs };
  }
  if (driver === 'sqlite3') {
    const cfg = parseSqliteDsn(dsn, opts.baseDir);
    return { create: () => sqlitePool(cfg, opts), keepWhenIdle: true, queryTimeoutMs: opts.queryTimeoutMs };
  }
  throw new Error(`unknown driver: ${driver}`);
}

function bufferText(v: unknown): unknown {
  // Lua strings cross as UTF-8 text: decoding keeps every byte of valid UTF-8 (hashes, names) intact
  return Buffer.isBuffer(v) ? v.toString('utf8') : v;
}

function bigToLua(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

function mysqlPool(cfg: ReturnType<typeof parseMysqlDsn>, opts: DriverOptions): DriverPool {
  const pool = mysql.createPool({
    host: cfg.host,
    port: cfg.port,
    socketPath: cfg.socketPath,
    user: cfg.user,
    password: cfg.password,
    database: cfg.database || undefined,
    charset: cfg.charset,
    connectionLimit: opts.maxConnections,
    maxIdle: opts.maxConnections,
    connectTimeout: cfg.connectTimeoutMs ?? opts.connectTimeoutMs,
    multipleStatements: cfg.multiStatements,
    ssl: cfg.tls ? { rejectUnauthorized: cfg.tls === 'verify' } : undefined,
    dateStrings: !cfg.parseTime,
    timezone: cfg.localTime ? 'local' : 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    // Go's driver hands JSON columns over as text
    typeCast: (field, next) => (field.type === 'JSON' ? field.string('utf8') : next()),
  });
  if (opts.readOnly) {
    // the promise pool re-emits the core (callback style) connection
    pool.on('connection', (conn) => {
      (conn as unknown as { query(sql: string, cb: () => void): void }).query('SET SESSION TRANSACTION READ ONLY', () => undefined);
    });
  }
  const convert = (v: unknown): unknown => (v instanceof Date ? v.getTime() / 1000 : bufferText(v));
  const run = async <T>(q: { sql: string; values?: unknown[]; rowsAsArray?: boolean }): Promise<T> => {
    const conn = await pool.getConnection();
    try {
      const res = await conn.query({ ...q, values: q.values as never, timeout: opts.queryTimeoutMs });
      conn.release();
      return res as unknown as T;
    } catch (e) {
      // a timed-out query still runs on that connection: drop it rather than hand it to the next caller
      const err = e as { fatal?: boolean; code?: string };
      if (err.fatal || err.code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
        conn.destroy();
        // destroy() only half-closes; the server would keep the socket until its query ends
        (conn as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      } else conn.release();
      throw e;
    }
  };
  return {
    async query(sql, params) {
      const [rows, fields] = await run<[unknown, unknown]>({ sql, values: params, rowsAsArray: true });
      let r: unknown = rows;
      let f: unknown = fields;
      if (Array.isArray(fields) && Array.isArray(fields[0])) {
        // several statements: report the last one that returned rows
        const all = rows as unknown[];
        const idx = (fields as unknown[]).map((x, i) => (Array.isArray(x) ? i : -1)).filter((i) => i >= 0).pop() ?? -1;
        r = idx >= 0 ? all[idx] : [];
        f = idx >= 0 ? (fields as unknown[])[idx] : [];
      }
      if (!Array.isArray(r) || !Array.isArray(f)) return { columns: [], rows: [] };
      return {
        columns: (f as Array<{ name: string }>).map((x) => x.name),
        rows: (r as unknown[][]).map((row) => row.map(convert)),
      };
    },
    async exec(sql, params) {
      const [res] = await run<[unknown]>({ sql, values: params });
      const last = Array.isArray(res) ? res[res.length - 1] : res;
      const h = (last ?? {}) as { affectedRows?: number; insertId?: number | string };
      return { rows_affected: h.affectedRows ?? 0, last_insert_id: Number(h.insertId ?? 0) };
    },
    end: () => pool.end(),
  };
}

const TS = /^(\d{4,})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d):(\d\d)(\.\d+)?)?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/;

/** lib/pq returns date and timestamp columns as time.Time, which gopher-lua-libs turns into unix seconds. */
function pgTime(v: string): number | string {
  const m = TS.exec(v);
  if (!m) return v; // infinity, BC dates
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  const offset = m[8] ? (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0)) : 0;
  return ms / 1000 - offset + (m[7] ? Number(m[7]) : 0);
}

function pgInt(v: string): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

const PG_TEXT_PARSERS: Record<number, (v: string) => unknown> = {
  16: (v) => v === 't',
  20: pgInt, 21: pgInt, 23: pgInt, 26: pgInt,
  700: parseFloat, 701: parseFloat,
  1082: pgTime, 1114: pgTime, 1184: pgTime,
};

function postgresPool(cfg: ReturnType<typeof parsePostgresDsn>, opts: DriverOptions): DriverPool {
  const options = Object.entries(cfg.runtimeParams).map(([k, v]) => `-c ${k}=${v.replace(/ /g, '\\ ')}`);
  if (opts.readOnly) options.push('-c default_transaction_read_only=on');
  const pool = new pg.Pool({
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password ?? '',
    database: cfg.database,
    ssl: cfg.ssl,
    max: opts.maxConnections,
    connectionTimeoutMillis: cfg.connectTimeoutMs ?? opts.connectTimeoutMs,
    application_name: cfg.applicationName,
    // the server cancels a long statement; the client gives up a little later if the server hangs
    statement_timeout: opts.queryTimeoutMs,
    query_timeout: opts.queryTimeoutMs + 1000,
    options: options.length ? options.join(' ') : undefined,
    types: {
      getTypeParser: ((oid: number, format?: string) => {
        if (format === 'binary') return pg.types.getTypeParser(oid, 'binary');
        if (oid === 17) return (v: string) => bufferText(pg.types.getTypeParser(17, 'text')(v));
        return PG_TEXT_PARSERS[oid] ?? ((v: string) => v);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // an idle connection dropped by the server must not take the process down
  pool.on('error', () => undefined);
  const run = async (sql: string, params: unknown[] | undefined) => {
    const res = (await pool.query({ text: sql, values: params, rowMode: 'array' })) as pg.QueryResult | pg.QueryResult[];
    return Array.isArray(res) ? res[res.length - 1] : res;
  };
  return {
    async query(sql, params) {
      const res = await run(sql, params);
      return { columns: (res.fields ?? []).map((f) => f.name), rows: (res.rows ?? []) as unknown[][] };
    },
    async exec(sql, params) {
      const res = await run(sql, params);
      return { rows_affected: res.rowCount ?? 0 };
    },
    end: () => pool.end(),
  };
}

function sqliteParam(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v === undefined ? null : v;
}

function sqliteValue(v: unknown): unknown {
  return typeof v === 'bigint' ? bigToLua(v) : bufferText(v);
}

// better-sqlite3 is synchronous: a query blocks the event loop while it runs (fine for a local file)
function sqlitePool(cfg: ReturnType<typeof parseSqliteDsn>, opts: DriverOptions): DriverPool {
  const db = new Database(cfg.file, { readonly: cfg.readonly, fileMustExist: cfg.mustExist, timeout: cfg.busyTimeoutMs ?? 5000 });
  if (opts.readOnly) db.pragma('query_only = 1');
  const args = (params: unknown[] | undefined) => (params ?? []).map(sqliteParam);
  return {
    async query(sql, params) {
      const stmt = db.prepare(sql);
      if (!stmt.reader) {
        stmt.run(...args(params));
        return { columns: [], rows: [] };
      }
      stmt.raw(true).safeIntegers(true);
      const rows = stmt.all(...args(params)) as unknown[][];
      return { columns: stmt.columns().map((c) => c.name), rows: rows.map((r) => r.map(sqliteValue)) };
    },
    async exec(sql, params) {
      let stmt: Database.Statement;
      try {
        stmt = db.prepare(sql);
      } catch (e) {
        if (params?.length || !/more than one statement/.test((e as Error).message)) throw e;
        db.exec(sql);
        const [changes, lastId] = db.prepare('SELECT changes(), last_insert_rowid()').raw(true).get() as number[];
        return { rows_affected: changes, last_insert_id: lastId };
      }
      if (stmt.reader) {
        stmt.all(...args(params));
        return { rows_affected: 0, last_insert_id: 0 };
      }
      const info = stmt.run(...args(params));
      return { rows_affected: info.changes, last_insert_id: Number(info.lastInsertRowid) };
    },
    async end() {
      db.close();
    },
  };
}
