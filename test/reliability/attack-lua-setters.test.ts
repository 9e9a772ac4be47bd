// Attack: a backend script hands the engine a value of the wrong type (a string "false", 0, "") where a boolean
// decides the login. Nauthilus 1.10 checks every nauthilus_backend_result setter with gopher-lua's CheckBool /
// CheckString / CheckTable (server/lualib/backendresult.go): a wrong type is a Lua error, never a success.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { workspace, yml } from '../helpers/config-text';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';
import { testServices } from '../helpers/lua-harness';
import { AuthStudioError } from '../../engine/errors/registry';

// The user name picks the Lua expression the backend passes to b:authenticated(...), with a wrong password.
const VALUES: Record<string, string> = {
  'str-false': '"false"',
  zero: '0',
  'str-zero': '"0"',
  empty: '""',
  table: '{}',
  'str-true': '"true"',
};

const BACKEND = `
local VALUES = { ${Object.entries(VALUES).map(([k, v]) => `["${k}"] = function() return ${v} end`).join(', ')} }
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  b:user_found(true)
  if request.username == "plain-table" then
    -- not a backend result at all: a table whose fields merely look like one
    return nauthilus_builtin.BACKEND_RESULT_OK, { authenticated = "false", user_found = "yes" }
  end
  if request.username == "poke-fields" then
    -- reaching past the setters into the object's storage
    b:authenticated(false)
    if type(b.__fields) == "table" then b.__fields.authenticated = "no" end
    rawset(b, "authenticated", "no")
    return nauthilus_builtin.BACKEND_RESULT_OK, b
  end
  local v = VALUES[request.username]
  b:authenticated(v and v() or (request.password == "right"))
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;

let fx: EngineFixture;
before(async () => {
  const dir = workspace({
    'authstudio.yml': yml(
      'server:',
      '  address: 127.0.0.1:0',
      '  backends: [lua]',
      '  redis: mock',
      '  lua_script_timeout: 2s',
      'lua:',
      '  config:',
      '    backend_script_path: ./backend.lua',
      '    number_of_workers: 1',
    ),
    'backend.lua': BACKEND,
  });
  fx = await startFixture('', { configFile: path.join(dir, 'authstudio.yml') });
});
after(async () => {
  await fx?.close();
});

for (const [user, expr] of Object.entries(VALUES)) {
  test(`Nauthilus 1.10 CheckBool: b:authenticated(${expr}) with a wrong password is a Lua error (tempfail), never 200`, async () => {
    const r = await jsonLogin(fx.app, { username: user, password: 'wrong', client_ip: '192.0.2.10' });
    assert.notEqual(r.statusCode, 200, `b:authenticated(${expr}) logged in: ${r.body}`);
    assert.equal(r.statusCode, 500, 'a script fault is a temporary failure');
    const out = fx.engine.lastTrace(String(r.headers['x-nauthilus-session']));
    assert.equal(out?.decision, 'tempfail');
    const got = expr === '{}' ? 'table' : expr === '0' ? 'number' : 'string';
    assert.match(out!.error ?? '', new RegExp(`bad argument #2 to 'authenticated' \\(boolean expected, got ${got}\\)`));
    assert.match(out!.error ?? '', /backend\.lua:\d+/, 'the error names the script line');
  });
}

test('Nauthilus 1.10 ErrBackendLuaWrongUserData: a plain table returned as the backend result is a tempfail, never 200', async () => {
  const r = await jsonLogin(fx.app, { username: 'plain-table', password: 'wrong', client_ip: '192.0.2.10' });
  assert.equal(r.statusCode, 500, r.body);
  const out = fx.engine.lastTrace(String(r.headers['x-nauthilus-session']));
  assert.match(out?.error ?? '', /nauthilus_backend_result expected, got table/);
});

test('writing into a backend result past its setters does not authenticate', async () => {
  const r = await jsonLogin(fx.app, { username: 'poke-fields', password: 'wrong', client_ip: '192.0.2.10' });
  assert.notEqual(r.statusCode, 200, r.body);
});

test('the right password with b:authenticated(true) still logs in', async () => {
  const r = await jsonLogin(fx.app, { username: 'someone', password: 'right', client_ip: '192.0.2.10' });
  assert.equal(r.statusCode, 200, r.body);
});

/** Run `body` in a backend-like VM; returns its results or { error }. */
async function inVm(body: string): Promise<unknown[] | { error: string }> {
  const vm = await LuaVm.create({ poolName: 'setters', services: testServices(), memoryLimitBytes: 8 << 20, allowIo: false });
  try {
    const script = await vm.loadScript('setters.lua', `function run()\n${body}\nend`, 2000);
    return await vm.evalEnv(script, 'run', new CallContext('setters'), 2000);
  } catch (e) {
    // format() carries file:line
    return { error: e instanceof AuthStudioError ? e.format() : (e as Error).message };
  } finally {
    vm.close();
  }
}

test('Nauthilus 1.10 backend_result: every setter checks its type as gopher-lua does (CheckBool, CheckString takes numbers, CheckTable)', async () => {
  const cases: Array<[string, string, RegExp | null]> = [
    ['user_found', '"true"', /bad argument #2 to 'user_found' \(boolean expected, got string\)/],
    ['user_found', '1', /bad argument #2 to 'user_found' \(boolean expected, got number\)/],
    ['user_found', 'nil', /bad argument #2 to 'user_found' \(boolean expected, got nil\)/],
    ['authenticated', 'nil', /bad argument #2 to 'authenticated' \(boolean expected, got nil\)/],
    ['account_field', '{}', /bad argument #2 to 'account_field' \(string expected, got table\)/],
    ['account_field', 'true', /bad argument #2 to 'account_field' \(string expected, got boolean\)/],
    ['totp_secret_field', 'false', /bad argument #2 to 'totp_secret_field' \(string expected, got boolean\)/],
    ['totp_recovery_field', '{}', /bad argument #2 to 'totp_recovery_field' \(string expected, got table\)/],
    ['unique_user_id_field', 'print', /bad argument #2 to 'unique_user_id_field' \(string expected, got function\)/],
    ['display_name_field', 'nil', /bad argument #2 to 'display_name_field' \(string expected, got nil\)/],
    ['attributes', '"uid=1"', /bad argument #2 to 'attributes' \(table expected, got string\)/],
    ['attributes', 'nil', /bad argument #2 to 'attributes' \(table expected, got nil\)/],
  ];
  for (const [setter, value, want] of cases) {
    const r = await inVm(`local b = nauthilus_backend_result.new(); b:${setter}(${value}); return "set"`);
    assert.ok(!Array.isArray(r), `b:${setter}(${value}) was accepted`);
    assert.match(r.error, want!, `b:${setter}(${value})`);
    assert.match(r.error, /setters\.lua:\d+/, 'the error points at the script line');
  }
  // CheckString accepts numbers (as strings); getters return what was set, "" for an unset string field
  const ok = await inVm(`local b = nauthilus_backend_result.new(); b:account_field(42); b:display_name_field("cn")
    return b:account_field(), b:display_name_field(), b:totp_secret_field(), b:authenticated(), b:user_found()`);
  assert.deepEqual(ok, ['42', 'cn', '', false, false]);
  // called with a dot instead of a colon
  const dot = await inVm('local b = nauthilus_backend_result.new(); b.authenticated(true); return 1');
  assert.match((dot as { error: string }).error, /bad argument #1 to 'authenticated' \(nauthilus_backend_result expected, got boolean\)/);
});

test('Nauthilus 1.10 custom_log_add / status_message_set: CheckString on the key and the message, other values log UNSUPPORTED', async () => {
  const r = await inVm('nauthilus_builtin.status_message_set(false); return 1');
  assert.match((r as { error: string }).error, /bad argument #1 to 'status_message_set' \(string expected, got boolean\)/);
  const k = await inVm('nauthilus_builtin.custom_log_add({}, "v"); return 1');
  assert.match((k as { error: string }).error, /bad argument #1 to 'custom_log_add' \(string expected, got table\)/);
  const vm = await LuaVm.create({ poolName: 'setters', services: testServices(), memoryLimitBytes: 8 << 20, allowIo: false });
  try {
    const script = await vm.loadScript('logs.lua', `function run()
      nauthilus_builtin.custom_log_add("t", {}) nauthilus_builtin.custom_log_add("n", nil) nauthilus_builtin.custom_log_add(7, 2.5)
      nauthilus_builtin.custom_log_add("b", false) nauthilus_builtin.custom_log_add("i", 3.0) nauthilus_builtin.status_message_set(42)
    end`, 2000);
    const call = new CallContext('logs');
    await vm.evalEnv(script, 'run', call, 2000);
    assert.deepEqual(call.customLogs, [['t', 'UNSUPPORTED'], ['n', 'UNSUPPORTED'], ['7', '2.5'], ['b', 'false'], ['i', '3']]);
    assert.equal(call.statusMessage, '42');
  } finally {
    vm.close();
  }
});
