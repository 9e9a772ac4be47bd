// The Lua sandbox from a hostile script's side: process, C, debug, bytecode and file escapes, and reaching into the host through module functions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';
import { MODULES } from '../../engine/lua/modules/index';
import { testServices } from '../helpers/lua-harness';
import type { NauthilusProfile } from '../../engine/config/types';

let dir: string;
let echo: net.Server;
before(async () => {
  // a host directory with a readable "secret" next to the allowed package_path
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-sandbox-'));
  fs.mkdirSync(path.join(dir, 'lualib'));
  fs.writeFileSync(path.join(dir, 'lualib', 'ok.lua'), 'return { hello = "from lualib" }\n');
  fs.writeFileSync(path.join(dir, 'secret.lua'), 'return "HOST SECRET"\n');
  fs.writeFileSync(path.join(dir, 'lualib', 'bytecode.lua'), '\x1bLuaT\x00\x19\x93\r\n\x1a\n');
  fs.writeFileSync(path.join(dir, 'lualib', 'waits.lua'), 'require("time").sleep(0.01)\nreturn {}\n');
  echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
});
after(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  await new Promise((r) => echo.close(r));
});

/**
 * Run `body` as the function run() of a script in a VM like the engine's (memory sealed at `memoryMiB`
 * above what loading used, a timeout). Returns the results, or { error } with the Lua error message.
 */
async function sandboxed(body: string, opts: { allowIo?: boolean; packagePath?: string; memoryMiB?: number; timeoutMs?: number; profile?: NauthilusProfile } = {}): Promise<unknown[] | { error: string }> {
  const vm = await LuaVm.create({ poolName: 'sandbox', services: { ...testServices({ baseDir: dir }), profile: opts.profile }, memoryLimitBytes: (opts.memoryMiB ?? 16) << 20, allowIo: opts.allowIo ?? false, packagePath: opts.packagePath });
  try {
    const script = await vm.loadScript('hostile.lua', `function run()\n${body}\nend`, 2000);
    vm.sealMemory();
    return await vm.evalEnv(script, 'run', new CallContext('sandbox'), opts.timeoutMs ?? 2000);
  } catch (e) {
    return { error: (e as Error).message };
  } finally {
    vm.close();
  }
}
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('process and C escapes are gone: os.execute, io.popen, package.loadlib, C searchers, dofile, loadfile', async () => {
  const r = await sandboxed(`
    local gone = {}
    for _, n in ipairs({ "execute", "exit", "remove", "rename", "tmpname", "setlocale" }) do gone[#gone + 1] = tostring(os[n]) end
    local keys = {}
    for k in pairs(os) do keys[#keys + 1] = k end
    table.sort(keys)
    local okio, errio = pcall(require, "io")
    return table.concat(gone, ","), table.concat(keys, ","), tostring(io), tostring(package.loadlib), package.cpath, #package.searchers,
      tostring(dofile), tostring(loadfile), okio, tostring(require("os").execute), type(errio)`);
  assert.deepEqual(r, ['nil,nil,nil,nil,nil,nil', 'clock,date,difftime,getenv,time', 'nil', 'nil', '', 2, 'nil', 'nil', false, 'nil', 'string']);
});

test('with lua_allow_io, io reaches the real file system as in Nauthilus 1.10 (gopher-lua io); processes stay out of reach', async () => {
  // before issue 14 io saw only wasmoon's in-memory file system; Nauthilus scripts (the CSV backend) read host files
  const marker = path.join(dir, 'written-by-lua.txt');
  const r = await sandboxed(`
    local a = io.open(${JSON.stringify(path.join(dir, 'secret.lua'))}, "r")
    local secret = a and a:read("*a")
    if a then a:close() end
    local okp, errp = pcall(io.popen, "id")
    local oke, erre = pcall(os.execute, "id")
    local okx = pcall(os.exit, 0)
    local w = io.open(${JSON.stringify(marker)}, "w")
    if w then w:write("x") w:close() end
    return secret, okp, tostring(errp):match("io.popen is not available") ~= nil, oke, okx`, { allowIo: true });
  assert.deepEqual(r, ['return "HOST SECRET"\n', false, true, false, false]);
  assert.equal(fs.readFileSync(marker, 'utf8'), 'x', 'the write reached the host file system');
});

test('debug is only traceback and getinfo; nothing reaches upvalues, the registry, hooks or metatables of other values', async () => {
  const r = await sandboxed(`
    local keys = {}
    for k in pairs(debug) do keys[#keys + 1] = k end
    table.sort(keys)
    local same = require("debug") == debug
    local info = debug.getinfo(require("json").encode, "Su")
    return table.concat(keys, ","), same, info.what, tostring(debug.getregistry), tostring(debug.sethook), tostring(debug.getupvalue),
      tostring(debug.setupvalue), tostring(debug.getlocal), tostring(debug.setmetatable), tostring(debug.upvaluejoin)`);
  assert.deepEqual(r, ['getinfo,traceback', true, 'Lua', 'nil', 'nil', 'nil', 'nil', 'nil', 'nil', 'nil']);
});

test('bytecode never loads: string.dump is gone, load/loadstring refuse binary chunks from strings and readers, and so does require', async () => {
  const r = await sandboxed(`
    local out = { tostring(string.dump), tostring(("").dump) }
    local f1, e1 = load("\\27LuaT\\0")
    local f2, e2 = load("\\27LuaT\\0", "x", "b")
    local parts, i = { "\\27", "LuaT\\0" }, 0
    local f3, e3 = load(function() i = i + 1 return parts[i] end)
    local f4, e4 = loadstring("\\27LuaT")
    local ok5, e5 = pcall(require, "bytecode")
    local f6 = load("return 1 + 1", "text", "b")
    return table.concat(out, ","), tostring(f1) .. tostring(f2) .. tostring(f3) .. tostring(f4), e1, e2, e3, e4, ok5, tostring(e5):match("binary chunk") ~= nil, f6()`,
  { packagePath: path.join(dir, 'lualib', '?.lua') });
  const [gone, fns, e1, e2, e3, e4, ok5, binary5, two] = r as unknown[];
  assert.equal(gone, 'nil,nil');
  assert.equal(fns, 'nilnilnilnil');
  for (const e of [e1, e2, e3, e4]) assert.match(String(e), /binary chunk/);
  assert.equal(ok5, false);
  assert.equal(binary5, true);
  assert.equal(two, 2, 'load of text with mode "b" runs as text (mode is forced to "t")');
});

test('require reads only package_path: no host paths, no escapes with dots or slashes, package.path changes read nothing from the host', async () => {
  const lualib = path.join(dir, 'lualib', '?.lua');
  const r = await sandboxed(`
    local out = { require("ok").hello }
    for _, name in ipairs({ "secret", "..secret", "../secret", ${JSON.stringify(path.join(dir, 'secret'))}, "/etc/passwd", "lualib.ok.." }) do
      local ok, v = pcall(require, name)
      out[#out + 1] = ok and ("READ " .. tostring(v)) or "refused"
    end
    package.path = ${JSON.stringify(path.join(dir, '?.lua'))}
    local ok, v = pcall(require, "secret")
    out[#out + 1] = ok and ("READ " .. tostring(v)) or "refused"
    out[#out + 1] = tostring(package.searchpath("secret", ${JSON.stringify(path.join(dir, '?.lua'))}))
    return table.concat(out, ",")`, { packagePath: lualib });
  assert.deepEqual(r, ['from lualib,refused,refused,refused,refused,refused,refused,refused,nil']);
});

test('collectgarbage cannot stop or retune the collector', async () => {
  const r = await sandboxed(`
    local out = {}
    for _, opt in ipairs({ "stop", "restart", "incremental", "generational", "setpause", "setstepmul", "isrunning" }) do out[#out + 1] = tostring(collectgarbage(opt, 1)) end
    return table.concat(out, ","), collectgarbage("count") > 0`);
  assert.deepEqual(r, ['0,0,0,0,0,0,0', true]);
});

// every module is walked under the profile that has it (nauthilus_i18n, for one, exists only for Nauthilus 3.x)
for (const profile of ['1.10', '3.1'] as const) test(`no host object reaches a script: every module function is a Lua wrapper, no userdata in modules or in what host calls return (profile ${profile})`, async () => {
  const names = MODULES.map((m) => JSON.stringify(m.name)).join(',');
  const port = (echo.address() as net.AddressInfo).port;
  const r = await sandboxed(`
    local found, seen = {}, {}
    local function walk(where, v, depth)
      local t = type(v)
      if t == "userdata" or t == "thread" then found[#found + 1] = where .. " is " .. t end
      if t == "function" and debug.getinfo(v, "S").what ~= "Lua" then found[#found + 1] = where .. " is a raw host function" end
      if t == "table" and not seen[v] and depth < 5 then
        seen[v] = true
        for k, x in pairs(v) do walk(where .. "." .. tostring(k), x, depth + 1) end
        if getmetatable(v) then walk(where .. "<mt>", getmetatable(v), depth + 1) end
      end
    end
    local missing = {}
    for _, n in ipairs({ ${names} }) do
      local ok, m = pcall(require, n)
      if ok then walk(n, m, 0) else missing[#missing + 1] = n end
    end
    walk("nauthilus_builtin", nauthilus_builtin, 0)
    walk("backend_result", nauthilus_backend_result.new(), 0)
    -- objects host calls hand out
    local conn = require("tcp").open("127.0.0.1:${port}")
    walk("tcp conn", conn, 0)
    conn:close()
    local db = require("db").open("sqlite3", ":memory:")
    walk("db", db, 0)
    walk("db rows", db:query("select 1 as one"), 0)
    db:close()
    walk("timer", require("nauthilus_prometheus").start_histogram_timer("nope", {}), 0)
    walk("json", require("json").decode('{"a":[1,{"b":null}]}'), 0)
    walk("redis", require("nauthilus_redis").get_redis_connection("default"), 0)
    return #found, table.concat(found, "\\n"), table.concat(missing, ",")`, { profile, timeoutMs: 10_000 });
  // a walk of every module (and a tcp connection, a database) needs more than the default 2 s on a busy machine
  assert.ok(Array.isArray(r), `the walk did not finish: ${JSON.stringify(r)}`);
  assert.deepEqual(r.slice(0, 2), [0, '']);
  // the 3.x profile has every module; 1.x all but the 3.x-only one
  assert.equal(r[2], profile === '3.1' ? '' : 'nauthilus_i18n');
});

test('host calls inside a script\'s own coroutines work and never hand the script the host\'s pending call', async () => {
  const r = await sandboxed(`
    local time, json = require("time"), require("json")
    local co = coroutine.create(function(x)
      time.sleep(0.001)
      local v = json.decode('{"n":' .. x .. '}')
      coroutine.yield(v.n)
      time.sleep(0.001)
      return "done"
    end)
    local a, b = coroutine.resume(co, 41)
    local c, d = coroutine.resume(co)
    local gen = coroutine.wrap(function() for i = 1, 3 do time.sleep(0) coroutine.yield(i) end end)
    return a, b, c, d, gen() + gen() + gen(), coroutine.status(co)`);
  assert.deepEqual(r, [true, 41, true, 'done', 6, 'dead']);
});

test('host calls where the script cannot wait (sort comparator, gsub callback, metamethod, finalizer, require) are refused before the host starts work', async () => {
  const before = timers();
  const r = await sandboxed(`
    local time = require("time")
    local out = {}
    local function try(what, f) local ok, e = pcall(f) out[#out + 1] = what .. ":" .. (ok and "ran" or tostring(e):match("cannot wait here") and "refused" or tostring(e)) end
    for i = 1, 50 do
      try("sort", function() table.sort({ 3, 1, 2 }, function(a, b) time.sleep(3600) return a < b end) end)
    end
    try("gsub", function() return ("abc"):gsub(".", function(c) time.sleep(3600) return c end) end)
    -- Lua 5.4 can yield across an __index called from Lua code: there the call waits as usual
    try("__index", function() return setmetatable({}, { __index = function() time.sleep(0.001) end }).x end)
    try("__tostring", function() return tostring(setmetatable({}, { __tostring = function() time.sleep(3600) return "" end })) end)
    try("require", function() return require("waits") end)
    try("resume inside sort", function()
      table.sort({ 2, 1 }, function(a, b)
        local co = coroutine.create(function() time.sleep(3600) end)
        local ok, e = coroutine.resume(co)
        if not ok then error(e, 0) end
        return a < b
      end)
    end)
    setmetatable({}, { __gc = function() time.sleep(3600) end })
    collectgarbage("collect")
    -- the VM still waits where it can
    time.sleep(0.001)
    local counts = {}
    for _, v in ipairs(out) do counts[v] = (counts[v] or 0) + 1 end
    local keys = {}
    for k, n in pairs(counts) do keys[#keys + 1] = k .. "=" .. n end
    table.sort(keys)
    return table.concat(keys, ",")`, { packagePath: path.join(dir, 'lualib', '?.lua') });
  assert.deepEqual(r, ['__index:ran=1,__tostring:refused=1,gsub:refused=1,require:refused=1,resume inside sort:refused=1,sort:refused=50']);
  assert.equal(timers(), before, 'a refused host call left a timer running');
});

test('hostile arguments to host functions are errors, never crashes: metamethods, functions, threads, wrong self, huge strings', async () => {
  const port = (echo.address() as net.AddressInfo).port;
  const r = await sandboxed(`
    local json, redis, b64, tcp, http = require("json"), require("nauthilus_redis"), require("base64"), require("tcp"), require("glua_http")
    local out = {}
    -- raised: a Lua error; err: (nil, message) or a message where the API returns one; ok: a value
    local function try(what, f, ...)
      local ok, v, e = pcall(f, ...)
      out[#out + 1] = what .. "=" .. (not ok and "raised" or (e ~= nil or (what:match("^tcp") and v ~= nil)) and "err" or "ok")
    end
    local evil = setmetatable({}, { __index = function() error("evil index") end, __len = function() error("evil len") end, __tostring = function() error("evil tostring") end })
    try("json evil", json.encode, evil)
    try("json function", json.encode, { f = print })
    try("json thread", json.encode, { c = coroutine.create(print) })
    try("json cycle", json.encode, (function() local t = {} t.t = t return t end)())
    try("redis table key", redis.redis_get, "default", evil)
    try("redis function value", redis.redis_set, "default", "k", print)
    try("redis pool table", redis.redis_get, { "default" }, "k")
    try("log table", nauthilus_builtin.custom_log_add, evil, "v")
    try("status number", nauthilus_builtin.status_message_set, 42)
    try("http options evil", http.get, "http://127.0.0.1:${port}/", evil)
    try("http url table", http.get, evil)
    local conn = tcp.open("127.0.0.1:${port}")
    try("tcp wrong self", conn.write, "not a conn", "x")
    try("tcp no self", conn.write)
    conn:close()
    try("tcp closed", conn.write, conn, "x")
    local big = string.rep("x", 4 * 1024 * 1024)
    try("base64 4 MiB", b64.StdEncoding.encode_to_string, b64.StdEncoding, big)
    try("json 4 MiB", json.encode, { big })
    try("huge rep", string.rep, "x", 2^40)
    return table.concat(out, ",")`, { memoryMiB: 24, timeoutMs: 5000 });
  const got = Object.fromEntries(String((r as unknown[])[0]).split(',').map((kv) => kv.split('=')));
  // each call either raised a Lua error or returned (value, err); what matters: nothing crashed and the VM answered
  assert.deepEqual(got, {
    'json evil': 'ok', // json.encode walks raw fields: the metamethods never run
    'json function': 'err', 'json thread': 'err', 'json cycle': 'err',
    'redis table key': 'raised', 'redis pool table': 'raised',
    'redis function value': 'err', // Nauthilus 1.10: nil, "unable to convert Lua value of type function"
    'log table': 'raised', 'status number': 'ok', // Nauthilus 1.10: CheckString takes numbers
    'http options evil': 'err', 'http url table': 'raised',
    'tcp wrong self': 'raised', 'tcp no self': 'raised', 'tcp closed': 'err',
    'base64 4 MiB': 'raised', // the encoder (Lua code) needs more than the VM's 24 MiB: a clean "not enough memory"
    'json 4 MiB': 'ok', 'huge rep': 'raised',
  });
});

test('a script that fills its memory limit gets an error, and the host memory stays bounded', async () => {
  const r = await sandboxed(`
    local t = {}
    local ok, e = pcall(function() for i = 1, 1e9 do t[i] = string.rep("y", 1024) .. i end end)
    t = nil
    collectgarbage()
    return ok, tostring(e)`, { memoryMiB: 8 });
  assert.deepEqual(r, [false, 'not enough memory']);
});
