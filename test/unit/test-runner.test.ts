// The pieces of `authstudio test`: the shared Lua hook (timeout + line events), line scanning for coverage,
// and Nauthilus --test-lua fixtures (mocks, call order, expected_output) run on real VMs with Lua we wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LuaFactory } from 'wasmoon';
import { LuaHookDispatcher } from '../../engine/lua/line-hook';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';
import { loadConfigFile } from '../../engine/config/load';
import { codeLines, CoverageRecorder, toLcov } from '../../engine/testing/coverage';
import { CallExpectations, compareExpected, type FixtureResult } from '../../engine/testing/nauthilus-fixture';
import { runNauthilusFixture, type FixtureRun } from '../../engine/testing/nauthilus-runner';
import { testServices } from '../helpers/lua-harness';

test('hook dispatcher: without a line listener the hook is the count hook alone; with one, lines of file chunks are reported', async () => {
  const engine = await new LuaFactory().createEngine();
  const g = engine.global;
  let counts = 0;
  const hook = new LuaHookDispatcher(g.lua, g.address, () => void counts++);
  hook.install();
  assert.equal(g.lua.lua_gethookmask(g.address), 8, 'LUA_MASKCOUNT only: no per-line crossing into JS when coverage is off');
  const lines: string[] = [];
  const remove = hook.addLineListener((src, line) => lines.push(`${src}:${line}`));
  assert.equal(g.lua.lua_gethookmask(g.address), 12, 'LUA_MASKCOUNT | LUA_MASKLINE');
  g.loadString('local s = 0\nfor i = 1, 3000 do\n  s = s + i\nend\nreturn s', '@scripts/sum.lua');
  assert.equal(g.lua.lua_pcallk(g.address, 0, 1, 0, 0, null), 0);
  assert.equal(g.getValue(-1), 4501500);
  assert.deepEqual([...new Set(lines)], ['scripts/sum.lua:1', 'scripts/sum.lua:2', 'scripts/sum.lua:3', 'scripts/sum.lua:5']);
  assert.ok(counts > 0, 'count events still reach the timeout handler');
  lines.length = 0;
  g.loadString('return 1', '=[prelude]');
  g.lua.lua_pcallk(g.address, 0, 1, 0, 0, null);
  assert.deepEqual(lines, [], 'chunks not loaded from a file (prelude, modules) are not reported');
  // a second listener (the debugger, later) hears the same lines; removing both restores the count mask alone
  const second: number[] = [];
  const removeSecond = hook.addLineListener((_s, l) => second.push(l));
  g.loadString('local a = 1\nreturn a', '@b.lua');
  g.lua.lua_pcallk(g.address, 0, 1, 0, 0, null);
  assert.deepEqual([lines, second], [['b.lua:1', 'b.lua:2'], [1, 2]]);
  remove();
  removeSecond();
  assert.equal(g.lua.lua_gethookmask(g.address), 8);
  engine.global.close();
  hook.dispose();
});

test('coverage on: lua_script_timeout still stops a runaway script (one hook serves both)', async () => {
  const seen = new Set<number>();
  const vm = await LuaVm.create({ poolName: 't', services: testServices(), memoryLimitBytes: 64 << 20, allowIo: false, lineListener: (_s, l) => seen.add(l) });
  try {
    const script = await vm.loadScript('loop.lua', 'function nauthilus_call_action(r)\n  while true do\n  end\nend', 1000);
    await assert.rejects(vm.dispatch('action', script, '', [], new CallContext('s'), 200), (e: Error & { code?: string }) => e.code === 'AS_ERR_LUA_TIMEOUT');
    assert.ok(seen.has(2), 'the loop line was reported');
  } finally {
    vm.close();
  }
});

test('coverage: code lines leave out blanks, comments, long comments and strings, and block ends; lcov lists them', () => {
  const src = [
    '-- header', // 1
    'local x = [[', // 2
    'text', // 3
    ']]', // 4
    '--[==[ long', // 5
    'comment ]==]', // 6
    '', // 7
    'function f(a)', // 8
    '  if a then', // 9
    '    return 1 -- one', // 10
    '  else', // 11
    '    return 2', // 12
    '  end', // 13
    'end', // 14
  ].join('\n');
  assert.deepEqual(codeLines(src), [2, 8, 9, 10, 12]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-cov-'));
  try {
    fs.writeFileSync(path.join(dir, 'f.lua'), src);
    const rec = new CoverageRecorder(dir);
    rec.listener('f.lua', 8);
    rec.listener('f.lua', 9);
    rec.listener('f.lua', 9);
    rec.listener('f.lua', 14); // the implicit return at `end` is not a code line
    const [f] = rec.report(['f.lua']);
    assert.equal(f.covered, 2);
    assert.equal(f.total, 5);
    assert.equal(toLcov([f]), 'TN:\nSF:f.lua\nDA:2,0\nDA:8,1\nDA:9,2\nDA:10,0\nDA:12,0\nLF:5\nLH:2\nend_of_record\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Nauthilus 3.0 --test-lua: expected_calls match method names case-insensitively in order, arg_contains as a substring; the first mismatch sticks', () => {
  const e = new CallExpectations('redis', [{ method: 'REDIS_GET', arg_contains: 'Key' }, { method: 'redis_set' }]);
  assert.equal(e.record('redis_get', 'default,my:key:1'), undefined);
  assert.equal(e.record('redis_hget', 'x'), 'redis call #2 method mismatch: expected=redis_set got=redis_hget');
  assert.equal(e.record('redis_set', 'x'), 'redis call #2 method mismatch: expected=redis_set got=redis_hget');
  const missing = new CallExpectations('dns', [{ method: 'lookup', arg_contains: 'example' }]);
  assert.equal(missing.finish(), 'missing expected dns call #1: method=lookup arg_contains="example"');
  const extra = new CallExpectations('dns', [{ method: 'lookup' }]);
  extra.record('lookup', 'a');
  assert.equal(extra.record('lookup', 'b'), 'unexpected dns call #2: method=lookup args="b"');
  // no expectations listed: calls are not checked
  assert.equal(new CallExpectations('misc', []).record('anything', ''), undefined);
});

test('Nauthilus 3.0 --test-lua: expected_output compares only values the callback produced, except the backend fields; error_expected needs an error', () => {
  const base = (): FixtureResult => ({ success: true, environment_triggered: true, environment_abort: false, environment_result: 0, status_messages: [], logs: ['[CUSTOM] k: v'], errors: [] });
  const r1 = base();
  compareExpected({ subject_result: 1, environment_triggered: true, logs_contain: ['k: v'] }, r1);
  assert.deepEqual([r1.success, r1.errors], [true, []]);
  const r2 = base();
  compareExpected({ backend_authenticated: true, environment_abort: true }, r2);
  assert.deepEqual(r2.errors, ['environment abort mismatch: expected true, got false', 'backend authenticated mismatch: expected true, got <nil>']);
  const r3 = base();
  compareExpected({ error_expected: true }, r3);
  assert.deepEqual([r3.success, r3.errors], [false, ['expected error but none occurred']]);
  const r4 = base();
  compareExpected({ used_backend_port: 993 }, r4);
  assert.deepEqual(r4.errors, ["expected_output.used_backend_port is not checked by AuthStudio (it comes from Nauthilus's nauthilus_backend test mock)"]);
});

/** A temp workspace (ws-basic's config) holding `files`; returns the fixture-run base. */
function workspaceWith(files: Record<string, string>): { base: Omit<FixtureRun, 'script' | 'callback' | 'fixture'>; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-fx-'));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  const config = { ...loadConfigFile(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'ws-basic', 'authstudio.yml')), baseDir: dir };
  return { base: { config }, dir };
}

const HTTP_SCRIPT = `
local http = require("glua_http")
local dns = require("nauthilus_dns")
local ctx = require("nauthilus_context")
function nauthilus_call_subject(request)
  local res, err = http.post("https://reputation.example/check", { body = "user=" .. request.username })
  if err then
    nauthilus_builtin.custom_log_add("reputation_error", err)
    return false, 2
  end
  local addrs = dns.lookup("mx.example")
  nauthilus_builtin.custom_log_add("tenant", tostring(ctx.context_get("tenant")))
  nauthilus_builtin.custom_log_add("mx", tostring(addrs[1]))
  if res.status_code == 200 and res.body == "bad" then
    nauthilus_builtin.status_message_set("bad reputation")
    return true, 0
  end
  return false, 0
end
`;

test('Nauthilus 3.0 --test-lua: http_client responses, dns lookup_result and context attributes are what a subject script sees; calls are checked', async () => {
  const fixture = {
    context: { username: 'alice', client_ip: '198.51.100.7', attributes: { tenant: 'acme' } },
    http_client: { responses: [{ status_code: 200, body: 'bad' }], expected_calls: [{ method: 'post', arg_contains: 'reputation.example' }] },
    dns: { lookup_result: { 'mx.example': ['192.0.2.25'] }, expected_calls: [{ method: 'lookup', arg_contains: 'mx.example' }] },
    expected_output: { subject_rejected: true, subject_result: 0, status_message_contain: ['bad reputation'], logs_contain: ['[CUSTOM] tenant: acme', '[CUSTOM] mx: 192.0.2.25'], error_expected: false },
  };
  const { base, dir } = workspaceWith({ 'subject/reputation.lua': HTTP_SCRIPT, 'tests/rep.json': JSON.stringify(fixture) });
  try {
    const r = await runNauthilusFixture({ ...base, script: 'subject/reputation.lua', callback: 'subject', fixture: path.join(dir, 'tests/rep.json') });
    assert.deepEqual(r.errors, []);
    assert.equal(r.success, true);
    assert.equal(r.subject_rejected, true);
    // an HTTP error from the fixture reaches the script as the second return value
    fixture.http_client.responses = [{ status_code: 0, body: '', error: 'connection refused' } as never];
    fixture.expected_output = { subject_rejected: false, subject_result: 2, logs_contain: ['[CUSTOM] reputation_error: connection refused'] } as never;
    (fixture as Record<string, unknown>).dns = undefined;
    fs.writeFileSync(path.join(dir, 'tests/rep.json'), JSON.stringify(fixture));
    const r2 = await runNauthilusFixture({ ...base, script: 'subject/reputation.lua', callback: 'subject', fixture: path.join(dir, 'tests/rep.json') });
    assert.deepEqual([r2.success, r2.errors, r2.subject_result], [true, [], 2]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Nauthilus 3.0 --test-lua: a missing entry function, wrong return types and a malformed fixture are errors naming what is wrong', async () => {
  const { base, dir } = workspaceWith({
    'env.lua': 'function nauthilus_call_environment(request) return "yes", false, 0 end',
    'ok.json': '{ "expected_output": { "error_expected": false } }',
    'bad.json': '{ "expected_output": { "subject_result": "1" } }',
    'typo.json': '{ "expected_ouput": { "error_expected": true } }',
  });
  try {
    const run = (callback: FixtureRun['callback'], fixture: string) => runNauthilusFixture({ ...base, script: 'env.lua', callback, fixture: path.join(dir, fixture) });
    assert.deepEqual((await run('subject', 'ok.json')).errors, ['nauthilus_call_subject function not found in script']);
    assert.deepEqual((await run('environment', 'ok.json')).errors, ['environment source returned unexpected types: trigger=string abort=boolean result=number']);
    const bad = await run('environment', 'bad.json');
    assert.equal(bad.success, false);
    assert.match(bad.errors[0], /bad\.json.*expected_output\.subject_result: a whole number expected, got "1"/);
    // Nauthilus ignores unknown keys: so does the run, but it says so (a typo checks nothing)
    assert.deepEqual((await run('environment', 'typo.json')).notes, ['fixture keys Nauthilus does not know (ignored): expected_ouput']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const DB_BACKEND = `
local db = require("db")
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  local conn, err = db.open("mysql", "user:password@tcp(127.0.0.1)/mail", {})
  if err then error(err) end
  local res, qerr = conn:query("SELECT account, display FROM users WHERE login = ?", request.username)
  if qerr then error(qerr) end
  conn:close()
  local row = res.rows[1]
  if row == nil then return nauthilus_builtin.BACKEND_RESULT_OK, b end
  b:user_found(true)
  b:authenticated(request.password == "pw")
  b:account_field("account")
  b:display_name_field(row[2])
  b:attributes({ account = row[1] })
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;

test('Nauthilus 3.0 --test-lua: a db fixture answers the rows of the expected call a query matched; order and query_contains are checked', async () => {
  const fixture = (queryContains: string) => JSON.stringify({
    context: { username: 'alice', password: 'pw' },
    db: {
      declarative_mode: true,
      expected_calls: [
        { method: 'open' },
        { method: 'query', query_contains: queryContains, columns: ['account', 'display'], rows: [['alice@example.com', 'Alice']] },
        { method: 'close' },
      ],
    },
    expected_output: { backend_authenticated: true, backend_user_found: true, backend_account_field: 'account', backend_display_name: 'Alice' },
  });
  const { base, dir } = workspaceWith({ 'backend.lua': DB_BACKEND, 'good.json': fixture('from users'), 'bad.json': fixture('FROM accounts') });
  try {
    const good = await runNauthilusFixture({ ...base, script: 'backend.lua', callback: 'backend', fixture: path.join(dir, 'good.json') });
    assert.deepEqual([good.success, good.errors], [true, []]);
    const wrong = await runNauthilusFixture({ ...base, script: 'backend.lua', callback: 'backend', fixture: path.join(dir, 'bad.json') });
    assert.equal(wrong.success, false);
    assert.match(wrong.errors[0], /db call #2 query mismatch: expected to contain "FROM accounts", got "SELECT account, display FROM users WHERE login = \?"/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Nauthilus 3.0 --test-lua: action, hook and cache_flush results are read as Nauthilus reads them', async () => {
  const { base, dir } = workspaceWith({
    'a.lua': 'function nauthilus_call_action(request) if request.username == "x" then return false end return nauthilus_builtin.ACTION_RESULT_FAIL end',
    'h.lua': 'function nauthilus_run_hook(request) return { seen = request.username } end',
    'c.lua': 'function nauthilus_cache_flush(request) return { "ucp:" .. request.username, "pw:" .. request.username }, request.username .. "@example.org" end',
    'x.json': '{ "context": { "username": "x" }, "expected_output": { "action_result": false } }',
    'y.json': '{ "context": { "username": "y" }, "expected_output": { "action_result": false, "cache_flush_additional_keys": ["ucp:y", "pw:y"], "cache_flush_account_name": "y@example.org" } }',
  });
  try {
    const run = (script: string, callback: FixtureRun['callback'], fixture: string) => runNauthilusFixture({ ...base, script, callback, fixture: path.join(dir, fixture) });
    const x = await run('a.lua', 'action', 'x.json');
    assert.deepEqual([x.success, x.action_result], [true, false]);
    // ACTION_RESULT_FAIL (1) is a failed action
    const y = await run('a.lua', 'action', 'y.json');
    assert.equal(y.action_result, false);
    const h = await run('h.lua', 'hook', 'x.json');
    assert.deepEqual([h.success, h.action_result, h.errors], [false, true, ['action result mismatch: expected false, got true']]);
    const c = await run('c.lua', 'cache_flush', 'y.json');
    assert.deepEqual([c.success, c.cache_flush_additional_keys, c.cache_flush_account_name, c.errors], [true, ['ucp:y', 'pw:y'], 'y@example.org', []]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Nauthilus 3.0 --test-lua: a password section with compare_result answers compare_passwords; without answers the real module checks', async () => {
  const script = `local pw = require("nauthilus_password")
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  local ok, err = pw.compare_passwords("{SSHA256}38E2T3LKaZ1P0r2JpZJno0LDEhbxVUeE4zdWOmXxN/lzYWx0MTIzNA==", request.password)
  if err then error(err) end
  b:user_found(true)
  b:authenticated(ok)
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end`;
  const { base, dir } = workspaceWith({
    'b.lua': script,
    'mocked.json': '{ "context": { "password": "wrong" }, "password": { "compare_result": true, "expected_calls": [{ "method": "compare_passwords", "arg_contains": ":wrong" }] }, "expected_output": { "backend_authenticated": true } }',
    'real.json': '{ "context": { "password": "wrong" }, "password": { "expected_calls": [{ "method": "compare_passwords" }] }, "expected_output": { "backend_authenticated": false } }',
  });
  try {
    const run = (fixture: string) => runNauthilusFixture({ ...base, script: 'b.lua', callback: 'backend', fixture: path.join(dir, fixture) });
    const mocked = await run('mocked.json');
    assert.deepEqual([mocked.success, mocked.errors, mocked.backend_authenticated], [true, [], true]);
    const real = await run('real.json');
    assert.deepEqual([real.success, real.errors, real.backend_authenticated], [true, [], false]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Nauthilus 3.0 --test-lua: http_request gives a hook the method, path, query, headers and body it reads', async () => {
  const { base, dir } = workspaceWith({
    'hook.lua': `local req = require("nauthilus_http_request")
function nauthilus_run_hook(request)
  nauthilus_builtin.custom_log_add("seen", req.get_http_method() .. " " .. req.get_http_path() .. " " .. tostring(req.get_http_query_param("user")) .. " " .. tostring(req.get_http_request_header("X-Token")[1]) .. " " .. req.get_http_request_body())
  return { ok = true }
end`,
    'f.json': JSON.stringify({
      http_request: { method: 'post', path: '/api/v1/custom/flush?user=alice', headers: { 'X-Token': 't0k' }, body: '{"a":1}', expected_calls: [
        { method: 'get_http_method' }, { method: 'get_http_path' }, { method: 'get_http_query_param', arg_contains: 'user' },
        { method: 'get_http_request_header', arg_contains: 'x-token' }, { method: 'get_http_request_body' },
      ] },
      expected_output: { action_result: true, logs_contain: ['[CUSTOM] seen: POST /api/v1/custom/flush alice t0k {"a":1}'] },
    }),
  });
  try {
    const r = await runNauthilusFixture({ ...base, script: 'hook.lua', callback: 'hook', fixture: path.join(dir, 'f.json') });
    assert.deepEqual([r.success, r.errors], [true, []], r.logs.join('\n'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
