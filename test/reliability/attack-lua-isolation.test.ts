// Attack: one script of a pool changes what every other script of that pool (or the engine) runs — the
// dispatcher through _G, the string library, the string metatable, module tables, package.loaded.
// Nauthilus 1.10 (lualib/vmpool, luapool.ResetLuaState) shares one LState per pool VM between scripts and does
// not reset library tables; AuthStudio gives each script its own globals and library copies instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';
import { testServices } from '../helpers/lua-harness';
import { workspace, yml } from '../helpers/config-text';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-isolation-'));
  fs.writeFileSync(path.join(dir, 'shared.lua'), 'local M = { n = 0 }\nfunction M.bump() M.n = M.n + 1 return M.n end\nstring.lower = function() return "MODULE" end\nreturn M\n');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const EVIL = `
function run()
  local out = {}
  local function try(what, f) local ok, e = pcall(f) out[#out + 1] = what .. "=" .. (ok and "ok" or "err") end
  try("_G dispatch", function() _G.__as_dispatch = function() return 0, true end end)
  try("rawset _G", function() rawset(_G, "__as_compile", print) end)
  try("getfenv", function() getfenv().__as_dispatch = print end)
  try("load env", function() load("__as_dispatch = print; string.upper = function() return 'LOAD' end")() end)
  try("string.lower", function() string.lower = function() return "HIJACKED" end end)
  try("string mt __index", function() getmetatable("").__index = { lower = function() return "MT" end } end)
  try("string mt field", function() getmetatable("").__index.lower = function() return "MTFIELD" end end)
  try("string mt replace", function() getmetatable("").__index.rep = nil end)
  try("table.concat", function() table.concat = function() return "T" end end)
  try("math.floor", function() math.floor = function() return 42 end end)
  try("os.time", function() os.time = function() return 0 end end)
  try("coroutine.wrap", function() coroutine.wrap = nil end)
  try("package.loaded.json", function() package.loaded.json = { encode = function() return "EVIL" end } end)
  try("package.loaded._G", function() package.loaded._G.print = nil end)
  try("module table", function() require("nauthilus_util").exists_in_table = function() return "EVIL" end end)
  try("builtin", function() nauthilus_builtin.BACKEND_RESULT_OK = 1 end)
  try("backend_result.new", function() nauthilus_backend_result.new = function() return {} end end)
  try("backend_result methods", function() getmetatable(nauthilus_backend_result.new()).__index.authenticated = function() end end)
  try("base64 object", function() require("base64").StdEncoding.encode_to_string = function() return "EVIL" end end)
  -- the script still sees its own changes
  return table.concat(out, ","), ("ABC"):lower(), string.lower("ABC")
end
`;

const VICTIM = `
function run()
  local b = nauthilus_backend_result.new()
  b:authenticated(true)
  return ("ABC"):lower(), string.lower("ABC"), string.upper("x"), table.concat({ "a", "b" }), math.floor(1.5), type(os.time()),
    type(coroutine.wrap), require("json").encode({ 1 }), tostring(print ~= nil), tostring(require("nauthilus_util").exists_in_table({ 1 }, 1)),
    nauthilus_builtin.BACKEND_RESULT_OK, b:authenticated(), require("base64").StdEncoding:encode_to_string("hi"), ("x"):rep(3),
    type(rawget(_G, "__as_dispatch")), type(rawget(_G, "__as_compile")), type(rawget(_G, "__as_decode_request")), type(__as_host),
    -- the script's own metatables come back as they are (classes work as usual)
    (function() local C = {} C.__index = C local o = setmetatable({}, C) return getmetatable(o) == C and rawequal(_G, _ENV) end)()
end
`;
const CLEAN = ['abc', 'abc', 'X', 'ab', 1, 'number', 'function', '[1]', 'true', 'true', 0, true, 'aGk=', 'xxx', 'nil', 'nil', 'nil', 'nil', true];

test('a script cannot reach the dispatcher or change libraries, metatables or modules another script of its VM uses', async () => {
  const vm = await LuaVm.create({ poolName: 'isolation', services: testServices({ baseDir: dir }), memoryLimitBytes: 16 << 20, allowIo: false });
  try {
    const victimBefore = await vm.loadScript('victim-before.lua', VICTIM, 2000);
    const evil = await vm.loadScript('evil.lua', EVIL, 2000);
    const victimAfter = await vm.loadScript('victim-after.lua', VICTIM, 2000);
    const call = () => new CallContext('isolation');
    assert.deepEqual(await vm.evalEnv(victimBefore, 'run', call(), 2000), CLEAN);
    const [tries, ownMethod, ownLower] = await vm.evalEnv(evil, 'run', call(), 2000);
    assert.equal(ownLower, 'HIJACKED', "the script's own change stays visible to itself");
    assert.equal(ownMethod, 'abc', 'the string metatable __index stays the pristine string library');
    assert.ok(String(tries).length > 0);
    // both the script loaded before and the one loaded after are untouched, and the dispatcher still works
    assert.deepEqual(await vm.evalEnv(victimBefore, 'run', call(), 2000), CLEAN);
    assert.deepEqual(await vm.evalEnv(victimAfter, 'run', call(), 2000), CLEAN);
  } finally {
    vm.close();
  }
});

test('a user module (package_path) loads into the globals of the script that requires it: its changes stay there', async () => {
  const vm = await LuaVm.create({ poolName: 'isolation', services: testServices({ baseDir: dir }), memoryLimitBytes: 16 << 20, allowIo: false, packagePath: path.join(dir, '?.lua') });
  try {
    const src = 'function run() local m = require("shared") return m.bump(), ("ABC"):lower(), string.lower("ABC") end';
    const a = await vm.loadScript('a.lua', src, 2000);
    const b = await vm.loadScript('b.lua', src, 2000);
    const c = await vm.loadScript('c.lua', 'function run() return ("ABC"):lower(), string.lower("ABC") end', 2000);
    // the module replaced string.lower in the globals of the script that required it, never the string methods
    assert.deepEqual(await vm.evalEnv(a, 'run', new CallContext('x'), 2000), [1, 'abc', 'MODULE']);
    assert.deepEqual(await vm.evalEnv(a, 'run', new CallContext('x'), 2000), [2, 'abc', 'MODULE']);
    assert.deepEqual(await vm.evalEnv(b, 'run', new CallContext('x'), 2000), [1, 'abc', 'MODULE'], 'each script has its own module instance');
    assert.deepEqual(await vm.evalEnv(c, 'run', new CallContext('x'), 2000), ['abc', 'abc']);
  } finally {
    vm.close();
  }
});

test('through the engine: a filter that hijacks _G.__as_dispatch and string.lower does not turn a wrong password into 200', async () => {
  const ws = workspace({
    'authstudio.yml': yml(
      'server:',
      '  address: 127.0.0.1:0',
      '  backends: [lua]',
      '  redis: mock',
      'lua:',
      '  filters:',
      '    - { name: evil, script_path: ./evil.lua }',
      '    - { name: check, script_path: ./check.lua }',
      '  config:',
      '    backend_script_path: ./backend.lua',
      '    number_of_workers: 1',
    ),
    'backend.lua': `function nauthilus_backend_verify_password(r)
      local b = nauthilus_backend_result.new()
      b:user_found(true)
      b:authenticated(r.password == "right")
      return nauthilus_builtin.BACKEND_RESULT_OK, b
    end`,
    'evil.lua': `function nauthilus_call_filter(r)
      pcall(function() _G.__as_dispatch = function() return false, 0 end end)
      pcall(function() string.lower = function() return "alice" end end)
      pcall(function() getmetatable("").__index.lower = function() return "alice" end end)
      return nauthilus_builtin.FILTER_ACCEPT, nauthilus_builtin.FILTER_RESULT_OK
    end`,
    'check.lua': `function nauthilus_call_filter(r)
      -- rejects anyone but alice (by the lower-cased name): a hijacked lower would let everyone through
      if ("X" .. r.username):lower() ~= "xalice" and string.lower(r.username) ~= "alice" then
        return nauthilus_builtin.FILTER_REJECT, nauthilus_builtin.FILTER_RESULT_OK
      end
      return nauthilus_builtin.FILTER_ACCEPT, nauthilus_builtin.FILTER_RESULT_OK
    end`,
  });
  const fx: EngineFixture = await startFixture('', { configFile: path.join(ws, 'authstudio.yml') });
  try {
    for (let i = 0; i < 4; i++) {
      const wrong = await jsonLogin(fx.app, { username: 'alice', password: 'wrong', client_ip: '192.0.2.20' });
      assert.equal(wrong.statusCode, 403, `round ${i}: wrong password answered ${wrong.statusCode}`);
      const mallory = await jsonLogin(fx.app, { username: 'mallory', password: 'right', client_ip: '192.0.2.21' });
      assert.equal(mallory.statusCode, 403, `round ${i}: the check filter was bypassed (${mallory.statusCode})`);
      const ok = await jsonLogin(fx.app, { username: 'alice', password: 'right', client_ip: '192.0.2.22' });
      assert.equal(ok.statusCode, 200, `round ${i}: the right password answered ${ok.statusCode}`);
    }
  } finally {
    await fx.close();
  }
});
