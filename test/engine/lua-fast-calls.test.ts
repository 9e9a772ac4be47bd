// The Lua calls of issue 20: the C API without ccall (engine/lua/fast-api.ts), request tables built by a per-shape
// constructor (lua-request.ts shapeLuaRequest), calls that never wait run without timers. Same values, same errors
// as the encoded form and wasmoon's own bindings gave.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';
import { DERIVED_FIELD_DEFAULTS, encodeLuaRequest, shapeLuaRequest, type LuaRequestFields } from '../../engine/pipeline/lua-request';
import { testServices } from '../helpers/lua-harness';
import type { AuthStudioError } from '../../engine/errors/registry';

async function vmWith(src: string): Promise<{ vm: LuaVm; script: Awaited<ReturnType<LuaVm['loadScript']>> }> {
  const vm = await LuaVm.create({ poolName: 'test', services: testServices(), memoryLimitBytes: 64 << 20, allowIo: false });
  const script = await vm.loadScript('t.lua', src, 5000);
  return { vm, script };
}

// the feature returns its request as text: every field, sorted, with its Lua type
const DUMP = `
function nauthilus_call_feature(request)
  local keys = {}
  for k in pairs(request) do keys[#keys + 1] = k end
  table.sort(keys)
  local out = {}
  for _, k in ipairs(keys) do
    local v = request[k]
    if type(v) == "table" then v = "{" .. table.concat(v, ",") .. "}" end
    out[#out + 1] = k .. ":" .. type(request[k]) .. "=" .. tostring(v)
  end
  __as_dump = table.concat(out, "\\n")
  request.username = "changed by the script"
  return false, false, 0
end
function dump() return __as_dump end`;

async function dumpOf(vm: LuaVm, script: Parameters<LuaVm['dispatch']>[1], req: ReturnType<typeof shapeLuaRequest>): Promise<string> {
  const call = new CallContext('s');
  await vm.dispatch('feature', script, req, [], call, 5000);
  return String((await vm.evalEnv(script, 'dump', call, 5000))[0]);
}

const FIELDS: LuaRequestFields = {
  ...DERIVED_FIELD_DEFAULTS,
  username: 'jürgen@example.test', password: 'pässwörd 🔑 with a long tail '.repeat(3), client_ip: '192.0.2.7',
  protocol: 'imap', brute_force_counter: 3, latency: 1.5, debug: true, session: 's\u0001x\u0002y',
  user_agent: 'a\u0000b', requested_scopes: ['openid', 'e\u0003mail', ''],
};

test('a shaped request table has the same fields, values and types as the encoded one (UTF-8, \\0 replaced, separators, lists, floats)', async () => {
  const { vm, script } = await vmWith(DUMP);
  try {
    const shaped = shapeLuaRequest(FIELDS);
    assert.equal(typeof shaped, 'object', 'plain Lua names take the shaped form');
    const viaShape = await dumpOf(vm, script, shaped);
    const viaString = await dumpOf(vm, script, encodeLuaRequest(FIELDS));
    assert.equal(viaShape, viaString);
    assert.match(viaShape, /^username:string=jürgen@example\.test$/m);
    assert.match(viaShape, /^user_agent:string=a\uFFFDb$/m);
    assert.match(viaShape, /^requested_scopes:table=\{openid,e\u0003mail,\}$/m);
    assert.match(viaShape, /^latency:number=1\.5$/m);
    assert.match(viaShape, /^brute_force_counter:number=3$/m);
    assert.match(viaShape, /^debug:boolean=true$/m);
  } finally {
    vm.close();
  }
});

test('each stage gets a fresh request table: what one script changes is not seen by the next call (Nauthilus builds one per stage)', async () => {
  const { vm, script } = await vmWith(DUMP);
  try {
    const first = await dumpOf(vm, script, shapeLuaRequest(FIELDS));
    const second = await dumpOf(vm, script, shapeLuaRequest(FIELDS));
    assert.equal(second, first);
    assert.doesNotMatch(second, /changed by the script/);
  } finally {
    vm.close();
  }
});

test('shapes: the same names with another kind, or another set of names, compile their own constructor; Lua keywords are field names too; names that are not Lua names fall back to the encoded form', async () => {
  const { vm, script } = await vmWith(DUMP);
  try {
    const a = shapeLuaRequest({ username: 'u', port: '143' });
    const b = shapeLuaRequest({ username: 'u', port: 143 });
    const c = shapeLuaRequest({ username: 'u' });
    assert.ok(typeof a === 'object' && typeof b === 'object' && typeof c === 'object');
    assert.notEqual(a.shape.id, b.shape.id);
    assert.notEqual(a.shape.id, c.shape.id);
    assert.equal((shapeLuaRequest({ username: 'u', port: '143' }) as { shape: { id: number } }).shape.id, a.shape.id, 'a shape seen before is reused');
    assert.match(await dumpOf(vm, script, b), /^port:number=143$/m);
    assert.match(await dumpOf(vm, script, a), /^port:string=143$/m);
    assert.equal(await dumpOf(vm, script, c), 'username:string=u');
    const keywords = shapeLuaRequest({ end: 'e', function: 'f', username: 'u' });
    assert.equal(typeof keywords, 'object');
    assert.equal(await dumpOf(vm, script, keywords), 'end:string=e\nfunction:string=f\nusername:string=u');
    const odd = shapeLuaRequest({ 'x-header': 'v', username: 'u' });
    assert.equal(typeof odd, 'string');
    assert.equal(await dumpOf(vm, script, odd), 'username:string=u\nx-header:string=v');
    // more fields than a Lua function takes parameters (200): the encoded form
    const many: LuaRequestFields = {};
    for (let i = 0; i < 250; i++) many[`f${i}`] = String(i);
    const big = shapeLuaRequest(many);
    assert.equal(typeof big, 'string');
    assert.match(await dumpOf(vm, script, big), /^f249:string=249$/m);
  } finally {
    vm.close();
  }
});

test('strings cross the C API whole: long ones (past the 64 KiB scratch arena), non-ASCII ones, and strings passed while a host call is inside another', async () => {
  const { vm, script } = await vmWith(`
function nauthilus_call_feature(request)
  __as_seen = { #request.password, string.sub(request.password, -8) }
  return false, false, 0
end
function seen() return __as_seen[1], __as_seen[2] end
function echo(s) return s, #s end`);
  try {
    const long = 'ä'.repeat(70_000) + 'the end!';
    const call = new CallContext('s');
    await vm.dispatch('feature', script, shapeLuaRequest({ password: long, username: 'u' }), [], call, 5000);
    assert.deepEqual(await vm.evalEnv(script, 'seen', call, 5000), [Buffer.byteLength(long), 'the end!']);
    const [back, bytes] = await vm.evalEnv(script, 'echo', call, 5000, long);
    assert.equal(back, long);
    assert.equal(bytes, Buffer.byteLength(long));
    // a string argument written while another one is still in use: lua_getfield's key, whose __index calls back
    // into JavaScript, which hands Lua more strings (each gets its own part of the scratch arena)
    const g = (vm as unknown as { global: import('wasmoon').LuaGlobal }).global;
    g.set('host_index', (k: string) => `value of ${k} ${'é'.repeat(40)}`);
    (vm as unknown as { runSyncChunk(src: string, name: string): void }).runSyncChunk('NESTED = setmetatable({}, { __index = function(_, k) return host_index(k) end })', '=nested');
    for (const key of ['plain', 'schlüssel', 'k'.repeat(5000)]) {
      const top = g.getTop();
      g.lua.lua_getglobal(g.address, 'NESTED');
      g.lua.lua_getfield(g.address, -1, key);
      assert.equal(g.lua.lua_tolstring(g.address, -1, null), `value of ${key} ${'é'.repeat(40)}`);
      g.setTop(top);
    }
    for (const s of ['', 'a', 'ÿ', '日本語', '🔑🔑', 'x'.repeat(47), 'x'.repeat(48), 'é'.repeat(17)]) {
      const [back, bytes] = await vm.evalEnv(script, 'echo', call, 5000, s);
      assert.equal(back, s);
      assert.equal(bytes, Buffer.byteLength(s));
    }
  } finally {
    vm.close();
  }
});

test('a script error and a timeout in a call that never waits are reported as before (a runtime error with file:line; a timeout)', async () => {
  const { vm, script } = await vmWith(`
function nauthilus_call_feature(request)
  if request.username == "loop" then while true do end end
  error("no such user: " .. request.username)
end`);
  try {
    await assert.rejects(vm.dispatch('feature', script, shapeLuaRequest({ username: 'bob' }), [], new CallContext('s'), 5000), (e: AuthStudioError) => {
      assert.equal(e.code, 'AS_ERR_LUA_RUNTIME');
      assert.equal(e.message, 'no such user: bob');
      assert.deepEqual([e.location?.file, e.location?.line], ['t.lua', 4]);
      return true;
    });
    assert.equal(vm.broken, true, 'a VM whose call failed is replaced');
  } finally {
    vm.close();
  }
  const again = await vmWith(`function nauthilus_call_feature(request) while true do end end`);
  try {
    const t0 = Date.now();
    await assert.rejects(again.vm.dispatch('feature', again.script, shapeLuaRequest({ username: 'loop' }), [], new CallContext('s'), 200), /ran longer than lua_script_timeout/);
    assert.ok(Date.now() - t0 < 3000);
  } finally {
    again.vm.close();
  }
});

test('constants: empty strings, true, false and empty lists are written into the constructor, only what varies is pushed; the table is the encoded one, and an empty list is a fresh table per stage', async () => {
  const { vm, script } = await vmWith(DUMP);
  const scopes = await vmWith(`
function nauthilus_call_feature(request)
  __as_seen = #request.requested_scopes
  table.insert(request.requested_scopes, "x")
  return false, false, 0
end
function seen() return __as_seen end`);
  try {
    const fields: LuaRequestFields = { ...DERIVED_FIELD_DEFAULTS, username: 'u', password: 'p', client_ip: '192.0.2.7', ssl: '', authenticated: true, requested_scopes: [] };
    const shaped = shapeLuaRequest(fields);
    assert.ok(typeof shaped === 'object');
    assert.deepEqual(shaped.values, [0, 'u', 'p', '192.0.2.7'], 'the number (brute_force_counter) and the three strings that are not empty are pushed, nothing else');
    assert.equal(await dumpOf(vm, script, shaped), await dumpOf(vm, script, encodeLuaRequest(fields)));
    for (let i = 0; i < 2; i++) {
      const call = new CallContext('s');
      await scopes.vm.dispatch('feature', scopes.script, shapeLuaRequest(fields), [], call, 5000);
      assert.equal((await scopes.vm.evalEnv(scopes.script, 'seen', call, 5000))[0], 0, `call ${i + 1} sees an empty list`);
    }
    // the same names with another value that is a constant: a shape of its own
    const other = shapeLuaRequest({ ...fields, authenticated: false });
    assert.ok(typeof other === 'object' && other.shape.id !== shaped.shape.id);
    assert.match(await dumpOf(vm, script, other), /^authenticated:boolean=false$/m);
  } finally {
    vm.close();
    scopes.vm.close();
  }
});

// last in this file: it turns constants off for the rest of the process
test('a client cannot make constructors without end: past 64 shapes with constants, constants are off and every value is pushed (one shape per list of names again); tables are unchanged', async () => {
  const { vm, script } = await vmWith(DUMP);
  try {
    const names = Array.from({ length: 8 }, (_, i) => `f${i}`);
    const ids = new Set<number>();
    // every combination of empty fields is a new shape with constants (2^8 = 256 of them)
    for (let mask = 0; mask < 256; mask++) {
      const fields: LuaRequestFields = { username: 'u' };
      names.forEach((n, i) => (fields[n] = mask & (1 << i) ? 'v' : ''));
      const shaped = shapeLuaRequest(fields);
      assert.ok(typeof shaped === 'object');
      ids.add(shaped.shape.id);
      if (mask % 37 === 0) assert.equal(await dumpOf(vm, script, shaped), await dumpOf(vm, script, encodeLuaRequest(fields)), `mask ${mask}`);
    }
    assert.ok(ids.size <= 64 + 1, `${ids.size} shapes for 256 combinations of empty fields`);
    const later = shapeLuaRequest({ username: 'u', f0: '', f1: 'v' });
    assert.ok(typeof later === 'object');
    assert.deepEqual(later.values, ['u', '', 'v'], 'constants are off: the empty string is pushed');
  } finally {
    vm.close();
  }
});
