// The `db` module against real MariaDB, PostgreSQL and sqlite3, including the seed's Lua backend flow.
import { test, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { runLua, testServices } from '../helpers/lua-harness';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';
import { encodeLuaRequest } from '../../engine/pipeline/lua-request';
import { closeDbPools, PooledDb } from '../../engine/lua/modules/db-pools';
import { parseMysqlDsn, parsePostgresDsn, parseSqliteDsn } from '../../engine/lua/modules/db-dsn';

const RUN = `as_db_${process.pid}_${Date.now().toString(36)}`;
const MY = `root:@tcp(127.0.0.1:3306)/${RUN}`;
const PG = `postgres://postgres@127.0.0.1:5432/${RUN}?sslmode=disable`;
let tmp = '';

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'as-db-'));
  const my = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
  await my.query(`CREATE DATABASE \`${RUN}\``);
  await my.query(`CREATE TABLE \`${RUN}\`.users (id INT AUTO_INCREMENT PRIMARY KEY, username VARCHAR(64), account VARCHAR(64),
    password VARCHAR(128), totp_secret VARCHAR(64) NULL, balance DECIMAL(10,2), created DATETIME, big BIGINT)`);
  await my.query(`INSERT INTO \`${RUN}\`.users (username, account, password, balance, created, big) VALUES
    ('alice', 'alice@example.test', 'secret', 12.50, '2024-01-02 03:04:05', 9007199254740993),
    ('bob', 'bob@example.test', 'hunter2', NULL, NULL, 7)`);
  await my.end();
  const c = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
  await c.connect();
  await c.query(`CREATE DATABASE ${RUN}`);
  await c.end();
});

after(async () => {
  const my = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
  await my.query(`DROP DATABASE IF EXISTS \`${RUN}\``);
  await my.end();
  const c = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${RUN} WITH (FORCE)`);
  await c.end();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Run Lua with services the test can close afterwards (shared pools live per engine). */
async function lua(body: string, opts: { baseDir?: string } = {}): Promise<unknown[]> {
  const services = testServices({ baseDir: opts.baseDir });
  try {
    return await runLua(body, { services, timeoutMs: 20000 });
  } finally {
    await closeDbPools(services);
  }
}

test('Go DSN forms are read as go-sql-driver/mysql and lib/pq read them', () => {
  assert.deepEqual(
    (({ user, password, host, port, database }) => ({ user, password, host, port, database }))(parseMysqlDsn('user:password@tcp(127.0.0.1)/database')),
    { user: 'user', password: 'password', host: '127.0.0.1', port: 3306, database: 'database' },
  );
  const m = parseMysqlDsn('u:p@ss:w@rd@tcp([::1]:3307)/db?parseTime=true&timeout=5s&readTimeout=2s&charset=utf8mb4,utf8');
  assert.deepEqual([m.user, m.password, m.host, m.port, m.parseTime, m.connectTimeoutMs, m.queryTimeoutMs, m.charset], ['u', 'p@ss:w@rd', '::1', 3307, true, 5000, 2000, 'utf8mb4']);
  assert.equal(parseMysqlDsn('root@unix(/run/mysqld/mysqld.sock)/db').socketPath, '/run/mysqld/mysqld.sock');
  assert.throws(() => parseMysqlDsn('root@tcp(127.0.0.1)'), /missing the slash/);
  const p = parsePostgresDsn("host=db.local port=5433 user=app password='it\\'s x' dbname=auth sslmode=disable search_path=s1");
  assert.deepEqual([p.host, p.port, p.user, p.password, p.database, p.ssl, p.runtimeParams.search_path], ['db.local', 5433, 'app', "it's x", 'auth', false, 's1']);
  const u = parsePostgresDsn('postgresql://app:p%40ss@10.0.0.1/auth');
  assert.deepEqual([u.user, u.password, u.host, u.port, u.database, u.ssl], ['app', 'p@ss', '10.0.0.1', 5432, 'auth', { rejectUnauthorized: false }]);
  assert.equal(parseSqliteDsn('file:users.db?cache=shared&mode=ro', '/etc/as').file, '/etc/as/users.db');
  assert.equal(parseSqliteDsn('file::memory:?cache=shared', '/x').memory, true);
});

test('the seed Lua backend verifies a user, lists accounts and stores a TOTP secret against MariaDB', async () => {
  // the seed's backend.lua with the real DSN; compare_passwords replaced by a plain comparison
  const dsn = `root:@tcp(127.0.0.1)/${RUN}`;
  const src = `
local nauthilus_util = require("nauthilus_util")
dynamic_loader("nauthilus_gll_db")
local db = require("db")
local config = { shared = true, max_connections = 100, read_only = false }
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  local mysql, err_open = db.open("mysql", "${dsn}", config)
  nauthilus_util.if_error_raise(err_open)
  local result, err_query = mysql:query(
    "SELECT account, password FROM users WHERE username = \\"" .. request.username .. "\\";"
  )
  nauthilus_util.if_error_raise(err_query)
  local attributes = {}
  for _, row in pairs(result.rows) do
    for id, name in pairs(result.columns) do
      if name == "password" then
        if not request.no_auth then
          b:authenticated(row[id] == request.password)
        end
      else
        if name == "account" then
          b:account_field("account")
          b:user_found(true)
        end
        attributes[name] = row[id]
      end
    end
  end
  b:attributes(attributes)
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
function nauthilus_backend_list_accounts()
  local mysql, err_open = db.open("mysql", "${dsn}", config)
  nauthilus_util.if_error_raise(err_open)
  local result, err_query = mysql:query("SELECT account FROM users LIMIT 100;")
  nauthilus_util.if_error_raise(err_query)
  local accounts = {}
  for _, row in pairs(result.rows) do
    for id, _ in pairs(result.columns) do
      table.insert(accounts, row[id])
    end
  end
  return nauthilus_builtin.BACKEND_RESULT_OK, accounts
end
function nauthilus_backend_add_totp(request)
  local mysql, err_open = db.open("mysql", "${dsn}", config)
  nauthilus_util.if_error_raise(err_open)
  local _, err_exec = mysql:exec("UPDATE users SET totp_secret=\\"" .. request.totp_secret .. "\\" WHERE username=\\"" .. request.username .. "\\";")
  nauthilus_util.if_error_raise(err_exec)
  return nauthilus_builtin.BACKEND_RESULT_OK
end`;
  const services = testServices();
  const vm = await LuaVm.create({ poolName: 'backend', services, memoryLimitBytes: 64 << 20, allowIo: false });
  try {
    const script = await vm.loadScript('backend.lua', src, 10000);
    const call = new CallContext('s1', { recordEvents: true });
    const [res, b] = await vm.dispatch('verify', script, encodeLuaRequest({ username: 'alice', password: 'secret' }), [], call, 10000);
    assert.equal(res, 0);
    assert.deepEqual(b, {
      authenticated: true, user_found: true, account_field: 'account', attributes: { account: 'alice@example.test' },
    });
    assert.deepEqual(call.events.map((e) => [e.kind, e.detail.driver, e.detail.sql, e.detail.rows]), [
      ['db', 'mysql', 'SELECT account, password FROM users WHERE username = "alice";', 1],
    ]);
    const [, wrong] = await vm.dispatch('verify', script, encodeLuaRequest({ username: 'alice', password: 'nope' }), [], new CallContext('s2'), 10000);
    assert.equal((wrong as { authenticated: boolean }).authenticated, false);
    const [, unknown] = await vm.dispatch('verify', script, encodeLuaRequest({ username: 'mallory', password: 'x' }), [], new CallContext('s3'), 10000);
    assert.equal((unknown as { user_found: boolean }).user_found, false);
    const [lr, accounts] = await vm.dispatch('list_accounts', script, '', [], new CallContext('s4'), 10000);
    assert.deepEqual([lr, accounts], [0, ['alice@example.test', 'bob@example.test']]);
    const [tr] = await vm.dispatch('add_totp', script, encodeLuaRequest({ username: 'bob', totp_secret: 'JBSWY3DPEHPK3PXP' }), [], new CallContext('s5'), 10000);
    assert.equal(tr, 0);
    const my = await mysql.createConnection({ host: '127.0.0.1', user: 'root', database: RUN });
    const [rows] = await my.query('SELECT totp_secret FROM users WHERE username = "bob"');
    await my.end();
    assert.equal((rows as Array<{ totp_secret: string }>)[0].totp_secret, 'JBSWY3DPEHPK3PXP');
  } finally {
    vm.close();
    await closeDbPools(services);
  }
});

test('mysql: value types, exec results, prepared statements, Go-style errors', async () => {
  const [types, timeParsed, ins, stmtRows, sqlErr, denied] = await lua(`
    local db = require("db")
    local c = assert(db.open("mysql", "${MY}"))
    local r = assert(c:query("SELECT username, balance, created, big, totp_secret FROM users ORDER BY id"))
    local a, b = r.rows[1], r.rows[2]
    local types = { table.concat(r.columns, ","), a[1], a[2], a[3], a[4], tostring(b[2]), b[4], math.type(b[4]), tostring(a[5]) }
    local p = assert(db.open("mysql", "${MY}?parseTime=true&charset=utf8mb4"))
    local tp = assert(p:query("SELECT created FROM users WHERE username = 'alice'")).rows[1][1]
    local ins = assert(c:exec("INSERT INTO users (username, account, password) VALUES ('carol', 'carol@x', 'pw')"))
    local st = assert(c:stmt("SELECT username, totp_secret FROM users WHERE username = ? OR account = ?"))
    local sr = assert(st:query("carol", nil))
    local _, e1 = c:query("SELECT * FROM nonexistent")
    local bad = assert(db.open("mysql", "nobody:wrong@tcp(127.0.0.1:3306)/${RUN}"))
    local _, e2 = bad:query("SELECT 1")
    c:close()
    return types, tp, ins, { #sr.rows, sr.rows[1][1], sr.rows[1][2] == nil }, e1, e2`);
  assert.deepEqual(types, ['username,balance,created,big,totp_secret', 'alice', '12.50', '2024-01-02 03:04:05', '9007199254740993', 'nil', 7, 'integer', 'nil']);
  assert.equal(timeParsed, Date.UTC(2024, 0, 2, 3, 4, 5) / 1000);
  assert.equal((ins as { rows_affected: number }).rows_affected, 1);
  assert.ok((ins as { last_insert_id: number }).last_insert_id >= 3);
  assert.deepEqual(stmtRows, [1, 'carol', true]);
  assert.equal(sqlErr, `Error 1146 (42S02): Table '${RUN}.nonexistent' doesn't exist`);
  assert.match(denied as string, /^Error \d+ \(28000\): Access denied for user 'nobody'/);
});

test('mysql: read_only refuses exec and makes the session read-only; unix socket DSN works', async () => {
  const [execErr, writeErr, n, sock] = await lua(`
    local db = require("db")
    local ro = assert(db.open("mysql", "${MY}", { read_only = true }))
    local _, e1 = ro:exec("DELETE FROM users")
    local _, e2 = ro:query("DELETE FROM users")
    local n = assert(ro:query("SELECT COUNT(*) FROM users")).rows[1][1]
    local s = assert(db.open("mysql", "root@unix(/run/mysqld/mysqld.sock)/${RUN}"))
    local r, e3 = s:query("SELECT 42")
    return e1, e2, n, r and r.rows[1][1] or e3`);
  assert.match(execErr as string, /read_only/);
  assert.match(writeErr as string, /READ ONLY/);
  assert.ok((n as number) >= 2);
  assert.equal(sock, 42);
});

test('mysql: shared pools are one pool per engine; connection refused and a silent server are error returns', async () => {
  const services = testServices();
  const silent = net.createServer(() => undefined); // accepts and never greets
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const refusedPort = (closed.address() as net.AddressInfo).port;
  await new Promise((r) => closed.close(r));
  try {
    const body = `
      local db = require("db")
      local c = assert(db.open("mysql", "${MY}", { shared = true, max_connections = 1 }))
      return assert(c:query("SELECT CONNECTION_ID()")).rows[1][1]`;
    const [id1] = await runLua(body, { services });
    const [id2] = await runLua(body, { services });
    assert.equal(id1, id2, 'a second VM reuses the shared pool (one connection)');
    const started = Date.now();
    const [refused, hung] = await runLua(`
      local db = require("db")
      local a = assert(db.open("mysql", "root@tcp(127.0.0.1:${refusedPort})/x"))
      local _, e1 = a:query("SELECT 1")
      local b = assert(db.open("mysql", "root@tcp(127.0.0.1:${(silent.address() as net.AddressInfo).port})/x?timeout=500ms"))
      local _, e2 = b:query("SELECT 1")
      return e1, e2`, { services, timeoutMs: 20000 });
    assert.match(refused as string, /ECONNREFUSED/);
    assert.match(hung as string, /timeout|ETIMEDOUT/i);
    assert.ok(Date.now() - started < 8000);
  } finally {
    silent.close();
    await closeDbPools(services);
  }
});

test('mysql: a query running past readTimeout is an error return', async () => {
  const started = Date.now();
  const [r, err] = await lua(`
    local db = require("db")
    local c = assert(db.open("mysql", "${MY}?readTimeout=500ms"))
    return c:query("SELECT SLEEP(5)")`);
  assert.equal(r, null);
  assert.match(err as string, /timeout/i);
  assert.ok(Date.now() - started < 4000);
});

test('postgres: URL and key=value DSNs, types, exec, statements, errors and sslmode default', async () => {
  const kv = `host=127.0.0.1 port=5432 user=postgres dbname=${RUN} sslmode=disable`;
  const [created, ins, rows, cols, stmt, err, sslErr, roErr] = await lua(`
    local db = require("db")
    local c = assert(db.open("postgres", "${PG}"))
    local ok = assert(c:exec("CREATE TABLE users (id SERIAL PRIMARY KEY, username TEXT, active BOOLEAN, seen TIMESTAMP, n BIGINT)"))
    local ins = assert(c:exec("INSERT INTO users (username, active, seen, n) VALUES ('alice', true, '2024-01-02 03:04:05.5', 5), ('bob', false, NULL, NULL)"))
    local k = assert(db.open("postgres", "${kv}"))
    local r = assert(k:query("SELECT username, active, seen, n, (SELECT count(*) FROM users) AS total FROM users ORDER BY id"))
    local st = assert(k:stmt("SELECT username FROM users WHERE active = $1"))
    local sr = assert(st:query(false))
    local _, e = k:query("SELECT * FROM missing")
    local nossl = assert(db.open("postgres", "host=127.0.0.1 user=postgres dbname=${RUN}"))
    local _, e2 = nossl:query("SELECT 1")
    local ro = assert(db.open("postgres", "${PG}", { read_only = true }))
    local _, e3 = ro:query("DELETE FROM users")
    return ok, ins, r.rows, r.columns, sr.rows[1][1], e, e2, e3`);
  assert.deepEqual(created, { rows_affected: 0 });
  assert.deepEqual(ins, { rows_affected: 2 });
  assert.deepEqual(cols, ['username', 'active', 'seen', 'n', 'total']);
  assert.deepEqual(rows, [
    ['alice', true, Date.UTC(2024, 0, 2, 3, 4, 5) / 1000 + 0.5, 5, 2],
    { 1: 'bob', 2: false, 5: 2 }, // a row with NULLs in the middle has holes

  ]);
  assert.equal(stmt, 'bob');
  assert.equal(err, 'pq: relation "missing" does not exist');
  assert.equal(sslErr, 'pq: SSL is not enabled on the server');
  assert.match(roErr as string, /read-only transaction/);
});

test('postgres: statement_timeout in the DSN bounds a slow query', async () => {
  const [r, err] = await lua(`
    local db = require("db")
    local c = assert(db.open("postgres", "${PG}&statement_timeout=300"))
    return c:query("SELECT pg_sleep(5)")`);
  assert.equal(r, null);
  assert.equal(err, 'pq: canceling statement due to statement timeout');
});

test('sqlite3: a file relative to the config directory, exec/query/stmt, read_only, close', async () => {
  const [ins, multi, res, stmtRes, roErr, afterClose, syntax] = await lua(`
    local db = require("db")
    local s = assert(db.open("sqlite3", "file:users.db?cache=shared"))
    assert(s:exec("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, account TEXT, score REAL, pic BLOB)"))
    local ins = assert(s:exec("INSERT INTO users (username, account, score) VALUES ('alice', 'alice@x', 1.5)"))
    local multi = assert(s:exec("INSERT INTO users (username) VALUES ('bob'); INSERT INTO users (username) VALUES ('carol');"))
    local res = assert(s:query("SELECT id, username, account, score FROM users ORDER BY id"))
    local st = assert(s:stmt("SELECT username FROM users WHERE account IS ? OR username = ?"))
    local sr = assert(st:query(nil, "alice"))
    st:close()
    local ro = assert(db.open("sqlite3", "users.db", { read_only = true }))
    local _, e1 = ro:exec("DELETE FROM users")
    s:close()
    local _, e2 = s:query("SELECT 1")
    local m = assert(db.open("sqlite3", ":memory:"))
    local _, e3 = m:query("SELEC 1")
    return ins, multi, res, #sr.rows, e1, e2, e3`, { baseDir: tmp });
  assert.deepEqual(ins, { rows_affected: 1, last_insert_id: 1 });
  assert.deepEqual(multi, { rows_affected: 1, last_insert_id: 3 });
  assert.deepEqual((res as { columns: string[] }).columns, ['id', 'username', 'account', 'score']);
  assert.deepEqual((res as { rows: unknown[] }).rows, [[1, 'alice', 'alice@x', 1.5], [2, 'bob'], [3, 'carol']]);
  assert.equal(stmtRes, 3);
  assert.match(roErr as string, /read_only/);
  assert.equal(afterClose, 'sql: database is closed');
  assert.match(syntax as string, /syntax error/);
  assert.ok(fs.existsSync(path.join(tmp, 'users.db')), 'relative sqlite paths resolve against the config directory');
});

test('open reports unknown drivers and bad DSNs; wrong argument types raise at the script line', async () => {
  const [e1, e2] = await lua(`
    local db = require("db")
    local _, e1 = db.open("oracle", "x")
    local _, e2 = db.open("mysql", "no-slash")
    return e1, e2`);
  assert.equal(e1, 'unknown driver: oracle');
  assert.equal(e2, 'invalid DSN: missing the slash separating the database name');
  for (const [body, msg] of [
    ['db.open(nil, "x")', "bad argument #1 to 'open' (string expected, got nil)"],
    ['db.open("sqlite3", ":memory:", { shared = "yes" })', "bad argument #3 to 'open' (shared must be bool)"],
    ['local c = db.open("sqlite3", ":memory:")\nc.query("SELECT 1")', "bad argument #1 to 'query' (database expected)"],
    ['local c = db.open("sqlite3", ":memory:")\nc:exec({})', "bad argument #2 to 'exec' (string expected, got table)"],
  ]) {
    await assert.rejects(lua(`local db = require("db")\n${body}\nreturn 1`), (e: Error & { format(): string }) => {
      assert.match(e.format(), /^test\.lua:\d+: /);
      assert.ok(e.format().includes(msg), e.format());
      return true;
    });
  }
});

test('an idle pool drops its connections and reconnects on the next query; a closed pool refuses', async (t) => {
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  let created = 0;
  let ended = 0;
  const factory = {
    keepWhenIdle: false,
    queryTimeoutMs: 1000,
    create: () => {
      created++;
      return { query: async () => ({ columns: ['n'], rows: [[created]] }), exec: async () => ({}), end: async () => { ended++; } };
    },
  };
  const db = new PooledDb(factory, 30_000);
  assert.deepEqual(await db.use((p) => p.query('SELECT 1', undefined)), { columns: ['n'], rows: [[1]] });
  mock.timers.tick(29_999);
  assert.equal(ended, 0);
  mock.timers.tick(1);
  assert.equal(ended, 1, 'idle for 30 s: connections closed');
  assert.deepEqual(await db.use((p) => p.query('SELECT 1', undefined)), { columns: ['n'], rows: [[2]] });
  await db.close();
  assert.deepEqual([created, ended], [2, 2]);
  await assert.rejects(db.use((p) => p.query('SELECT 1', undefined)), /sql: database is closed/);
});

test('a handle the script never closes releases its connection when the VM goes away', async () => {
  const services = testServices();
  const vm = await LuaVm.create({ poolName: 'backend', services, memoryLimitBytes: 64 << 20, allowIo: false });
  const script = await vm.loadScript('leak.lua', `
    local db = require("db")
    function probe()
      local c = assert(db.open("mysql", "${MY}"))
      return assert(c:query("SELECT CONNECTION_ID()")).rows[1][1]
    end`, 5000);
  const [connId] = await vm.evalEnv(script, 'probe', new CallContext('s'), 10000);
  const admin = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
  const alive = async () => ((await admin.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?', [connId]))[0] as Array<{ n: number }>)[0].n;
  try {
    assert.equal(await alive(), 1);
    vm.close();
    // the server drops the session once the client hung up: poll its process list for a bounded time
    let n = 1;
    for (let i = 0; i < 100 && n > 0; i++) {
      n = await alive();
      if (n > 0) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(n, 0, 'the connection of the unclosed handle was closed');
  } finally {
    await admin.end();
    await closeDbPools(services);
  }
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): db:command runs any statement and returns {rows, columns} on mysql, postgres and sqlite3', async () => {
  const out = await lua(`
    local db = require("db")
    local out = {}
    for _, spec in ipairs({ { "mysql", "${MY}" }, { "postgres", "${PG}" }, { "sqlite3", ":memory:" } }) do
      local c = assert(db.open(spec[1], spec[2]))
      local ddl, e1 = c:command("CREATE TABLE cmd_t (name VARCHAR(20), n INT)")
      local ins = assert(c:command("INSERT INTO cmd_t (name, n) VALUES ('a', 1), ('b', 2)"))
      local sel = assert(c:command("SELECT name, n FROM cmd_t ORDER BY n"))
      local none, e2 = c:command("SELECT * FROM cmd_missing")
      c:command("DROP TABLE cmd_t")
      c:close()
      local closed, e3 = c:command("SELECT 1")
      out[#out + 1] = table.concat({ spec[1], #ddl.rows, #ddl.columns, tostring(e1), #ins.rows, table.concat(sel.columns, ","),
        sel.rows[2][1], sel.rows[2][2], tostring(none), type(e2), tostring(closed), e3 }, "|")
    end
    return out`);
  assert.deepEqual(out[0], [
    'mysql|0|0|nil|0|name,n|b|2|nil|string|nil|sql: database is closed',
    'postgres|0|0|nil|0|name,n|b|2|nil|string|nil|sql: database is closed',
    'sqlite3|0|0|nil|0|name,n|b|2|nil|string|nil|sql: database is closed',
  ]);
});
