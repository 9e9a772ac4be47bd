// `db` (nauthilus_gll_db): SQL from Lua as gopher-lua-libs' db module offers it (mysql, postgres, sqlite3).
import type { LuaModule } from '../module';
import { ret, fail } from '../values';
import { driverFactory } from './db-drivers';
import { PooledDb, sharedPool } from './db-pools';

/** How long a query may run before it is an error return. */
export const DB_QUERY_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 10_000;

interface Handle {
  db: PooledDb;
  driver: string;
  readOnly: boolean;
  shared: boolean;
}

/** Go's drivers format server errors as "Error 1146 (42S02): ..." (mysql) and "pq: ..." (postgres). */
function driverError(driver: string, e: unknown): string {
  const err = e as { message?: string; errno?: number; sqlState?: string; code?: string };
  const msg = err?.message ?? String(e);
  if (driver === 'mysql' && err.errno && err.sqlState) return `Error ${err.errno} (${err.sqlState}): ${msg}`;
  if (driver === 'postgres' && err.code && /^[0-9A-Z]{5}$/.test(err.code)) return `pq: ${msg}`;
  if (driver === 'postgres' && msg === 'The server does not support SSL connections') return 'pq: SSL is not enabled on the server';
  return msg;
}

/** Lua passes statement arguments as table.pack(...): keep nils in their places. */
function unpackArgs(args: unknown): unknown[] | undefined {
  if (args === undefined || args === null) return undefined;
  if (Array.isArray(args)) return args.map((v) => v ?? null);
  const t = args as Record<string, unknown>;
  const n = Number(t.n ?? 0);
  const out: unknown[] = [];
  for (let i = 1; i <= n; i++) out.push(t[i] ?? null);
  return out;
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** Open handles a VM may hold at once (a loop of open() without close() is an error, not a leak). */
const MAX_OWN_DBS = 256;
/** Distinct shared pools (driver + DSN) one VM may use: each stays open for the engine's life. */
const MAX_SHARED_DBS = 64;

export const dbModule: LuaModule = {
  name: 'db',
  legacyLoaderName: 'nauthilus_gll_db',
  summary: 'SQL databases (mysql, postgres, sqlite3): open, query, exec, command, prepared statements, shared pools.',
  install(host) {
    const handles = new Map<number, Handle>();
    const sharedIds = new Map<string, number>();
    let nextId = 0;

    const run = async (op: 'query' | 'exec' | 'command', id: number, sql: string, rawArgs: unknown) => {
      const h = handles.get(id);
      if (!h || h.db.isClosed) return fail('sql: database is closed');
      if (op === 'exec' && h.readOnly) return fail('db: exec refused: the database was opened with read_only = true');
      const started = performance.now();
      const detail: Record<string, unknown> = { driver: h.driver, op, sql: sql.slice(0, 200) };
      try {
        const params = unpackArgs(rawArgs);
        const work = h.db.use<unknown>((pool) => (op === 'exec' ? pool.exec(sql, params) : pool.query(sql, params)));
        const res = await withDeadline(work, h.db.queryTimeoutMs + 2000, `${h.driver}: ${op}`);
        if (op !== 'exec') detail.rows = (res as { rows: unknown[] }).rows.length;
        else detail.rows_affected = (res as { rows_affected?: number }).rows_affected;
        return ret(res);
      } catch (e) {
        const msg = driverError(h.driver, e);
        detail.error = msg;
        return fail(msg);
      } finally {
        detail.ms = Math.round(performance.now() - started);
        host.call?.record('db', detail);
      }
    };

    return {
      functions: {
        open_raw: (driver: string, dsn: string, shared: boolean, maxConnections: number, readOnly: boolean) => {
          const max = maxConnections > 0 ? Math.min(Math.floor(maxConnections), 1000) : 100;
          const opts = {
            maxConnections: max, readOnly, baseDir: host.services.baseDir,
            connectTimeoutMs: CONNECT_TIMEOUT_MS, queryTimeoutMs: DB_QUERY_TIMEOUT_MS,
          };
          try {
            if (shared) {
              const key = `${driver}\0${dsn}\0${readOnly}`;
              if (!sharedIds.has(key) && sharedIds.size >= MAX_SHARED_DBS) {
                return fail(`open: this VM already uses ${MAX_SHARED_DBS} shared databases (one per driver and DSN)`);
              }
              const db = sharedPool(host.services, key, () => driverFactory(driver, dsn, opts));
              let id = sharedIds.get(key);
              if (id === undefined) {
                id = ++nextId;
                sharedIds.set(key, id);
              }
              handles.set(id, { db, driver, readOnly, shared: true });
              return ret(id);
            }
            if (handles.size - sharedIds.size >= MAX_OWN_DBS) {
              return fail(`open: ${MAX_OWN_DBS} databases are open in this VM: close the ones no longer used (db:close())`);
            }
            const db = new PooledDb(driverFactory(driver, dsn, opts));
            const id = ++nextId;
            handles.set(id, { db, driver, readOnly, shared: false });
            return ret(id);
          } catch (e) {
            return fail((e as Error).message);
          }
        },
        query_raw: (id: number, sql: string, args: unknown) => run('query', id, sql, args),
        exec_raw: (id: number, sql: string, args: unknown) => run('exec', id, sql, args),
        // gopher-lua-libs: command runs the statement on the pool outside a transaction and returns rows and columns
        command_raw: (id: number, sql: string) => run('command', id, sql, undefined),
        // close() of an own handle, or Lua collected it: a shared pool lives on for the engine
        release_raw: (id: number) => {
          const h = handles.get(id);
          if (!h || h.shared) return;
          handles.delete(id);
          h.db.close().catch(() => undefined);
        },
      },
      async: ['query_raw', 'exec_raw', 'command_raw'],
      lua: DB_LUA,
    };
  },
};

const DB_LUA = `
local api = ...
local M = {}
local methods = {}
local DB = { __index = methods, __name = "db_ud" }
local DB_OWN = { __index = methods, __name = "db_ud" }
-- a handle the script never closes releases its pool when Lua collects it
DB_OWN.__gc = function(self)
  if not rawget(self, "__closed") then api.release_raw(rawget(self, "__id")) end
end
local STMT = { __name = "stmt_ud" }
STMT.__index = STMT

-- level 3: the script calling the module function; checkers called from it pass 4
local function argerr(fn, n, msg, level) error(string.format("bad argument #%d to '%s' (%s)", n, fn, msg), level or 3) end
local function checkstr(fn, n, v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return tostring(v) end
  argerr(fn, n, "string expected, got " .. t, 4)
end
local function checkdb(fn, self)
  local mt = getmetatable(self)
  if mt ~= DB and mt ~= DB_OWN then argerr(fn, 1, "database expected", 4) end
end

function M.open(driver, dsn, config)
  driver = checkstr("open", 1, driver)
  dsn = checkstr("open", 2, dsn)
  local shared, maxc, ro = false, 1, false
  if config ~= nil then
    if type(config) ~= "table" then argerr("open", 3, "table expected, got " .. type(config)) end
    if config.shared ~= nil then
      if type(config.shared) ~= "boolean" then argerr("open", 3, "shared must be bool") end
      shared = config.shared
    end
    if config.max_connections ~= nil then
      if type(config.max_connections) ~= "number" then argerr("open", 3, "max_connections must be number") end
      maxc = config.max_connections
    end
    if config.read_only ~= nil then
      if type(config.read_only) ~= "boolean" then argerr("open", 3, "read_only must be bool") end
      ro = config.read_only
    end
  end
  local id, err = api.open_raw(driver, dsn, shared, maxc, ro)
  if id == nil then return nil, err end
  return setmetatable({ __id = id }, shared and DB or DB_OWN)
end

local function run(fn, db, sql, args)
  if rawget(db, "__closed") then return nil, "sql: database is closed" end
  return api[fn](rawget(db, "__id"), sql, args)
end

function methods.query(self, sql)
  checkdb("query", self)
  return run("query_raw", self, checkstr("query", 2, sql))
end

function methods.exec(self, sql)
  checkdb("exec", self)
  return run("exec_raw", self, checkstr("exec", 2, sql))
end

-- any statement (DDL, SET, INSERT, SELECT): {rows = {...}, columns = {...}}, empty for one that returns no rows
function methods.command(self, sql)
  checkdb("command", self)
  return run("command_raw", self, checkstr("command", 2, sql))
end

function methods.stmt(self, sql)
  checkdb("stmt", self)
  sql = checkstr("stmt", 2, sql)
  if rawget(self, "__closed") then return nil, "sql: database is closed" end
  return setmetatable({ __db = self, __sql = sql }, STMT)
end

function methods.close(self)
  checkdb("close", self)
  if not rawget(self, "__closed") then
    rawset(self, "__closed", true)
    if getmetatable(self) == DB_OWN then api.release_raw(rawget(self, "__id")) end
  end
  return nil
end

local function checkstmt(fn, self)
  if getmetatable(self) ~= STMT then argerr(fn, 1, "stmt expected", 4) end
  if rawget(self, "__closed") then return "sql: statement is closed" end
end

function STMT.query(self, ...)
  local closed = checkstmt("query", self)
  if closed then return nil, closed end
  return run("query_raw", self.__db, self.__sql, table.pack(...))
end

function STMT.exec(self, ...)
  local closed = checkstmt("exec", self)
  if closed then return nil, closed end
  return run("exec_raw", self.__db, self.__sql, table.pack(...))
end

function STMT.close(self)
  checkstmt("close", self)
  rawset(self, "__closed", true)
  return nil
end

return M
`;
