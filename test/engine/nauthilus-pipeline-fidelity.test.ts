// The pipeline decides as Nauthilus 1.10 does: features (all run, trigger, abort, FEATURE_RESULT_FAIL, no-auth and
// local addresses), filters (`when_*`, FILTER_RESULT_FAIL), missing entry functions, the request table's fields in
// every stage, and what a custom hook answers. Our own scripts, in a temp workspace; via inject().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';
import { workspace, yml } from '../helpers/config-text';
import type { StageRecord } from '../../engine/pipeline/trace';

/** The fields Nauthilus 1.10's SetupRequest sets in every stage, with their Lua type. */
const SETUP_REQUEST_TYPES: Record<string, string> = {
  debug: 'boolean', repeating: 'boolean', user_found: 'boolean', authenticated: 'boolean', no_auth: 'boolean',
  brute_force_counter: 'number',
  service: 'string', session: 'string', client_ip: 'string', client_port: 'string', client_net: 'string',
  client_hostname: 'string', client_id: 'string', user_agent: 'string', local_ip: 'string', local_port: 'string',
  username: 'string', account: 'string', account_field: 'string', unique_user_id: 'string', display_name: 'string',
  password: 'string', protocol: 'string', oidc_cid: 'string', brute_force_bucket: 'string', feature: 'string',
  status_message: 'string', ssl: 'string', ssl_session_id: 'string', ssl_client_verify: 'string', ssl_client_dn: 'string',
  ssl_client_cn: 'string', ssl_issuer: 'string', ssl_client_not_before: 'string', ssl_client_not_after: 'string',
  ssl_subject_dn: 'string', ssl_issuer_dn: 'string', ssl_client_subject_dn: 'string', ssl_client_issuer_dn: 'string',
  ssl_protocol: 'string', ssl_cipher: 'string', ssl_serial: 'string', ssl_fingerprint: 'string',
  log_format: 'string', log_level: 'string',
};
/** Fields SetupRequest does not set: nil in Nauthilus, so nil here. */
const ABSENT = ['totp_secret', 'method', 'auth_login_attempt'];

// Each stage logs the Lua type of every field ("types") and a few values.
const RECORD = `
local function record(request)
  local parts = {}
  for _, n in ipairs({${[...Object.keys(SETUP_REQUEST_TYPES), ...ABSENT].map((n) => `"${n}"`).join(', ')}}) do
    parts[#parts + 1] = n .. "=" .. type(request[n])
  end
  nauthilus_builtin.custom_log_add("types", table.concat(parts, ","))
  nauthilus_builtin.custom_log_add("feature", request.feature)
  nauthilus_builtin.custom_log_add("status_message", request.status_message)
  nauthilus_builtin.custom_log_add("account", request.account)
  nauthilus_builtin.custom_log_add("authenticated", request.authenticated)
end
`;

const FILES: Record<string, string> = {
  'authstudio.yml': yml(
    'server:',
    '  address: 127.0.0.1:0',
    '  backends: [lua]',
    '  redis: mock',
    '  lua_script_timeout: 2s',
    'cleartext_networks: [192.0.2.0/24]',
    'lua:',
    '  features:',
    '    - { name: decide, script_path: ./features/decide.lua }',
    '    - { name: later, script_path: ./features/later.lua }',
    '    - { name: no-entry, script_path: ./features/no_entry.lua }',
    '  filters:',
    '    - { name: default, script_path: ./filters/default.lua }',
    '    - { name: only-unauthenticated, script_path: ./filters/seen.lua, when_unauthenticated: true }',
    '    - { name: authenticated-and-no-auth, script_path: ./filters/seen.lua, when_authenticated: true, when_no_auth: true }',
    '    - { name: only-no-auth, script_path: ./filters/seen.lua, when_no_auth: true }',
    '    - { name: no-entry, script_path: ./filters/no_entry.lua }',
    '  actions:',
    '    - { type: lua, name: on-feature, script_path: ./actions/record.lua }',
    '    - { type: lua, name: no-entry, script_path: ./actions/no_entry.lua }',
    '    - { type: tls_encryption, name: on-tls, script_path: ./actions/record.lua }',
    '    - { type: post, name: post, script_path: ./actions/record.lua }',
    '  custom_hooks:',
    ...['nil', 'string', 'empty', 'array', 'map', 'mixed'].flatMap((h) => [`    - { http_location: ${h}, http_method: GET, script_path: ./hooks/${h}.lua }`]),
    '  config:',
    '    script_path: ./backend.lua',
  ),
  'features/decide.lua': `${RECORD}
function nauthilus_call_feature(request)
  record(request)
  local u = request.username
  if u == "trigger" then
    nauthilus_builtin.status_message_set("the feature says no")
    return nauthilus_builtin.FEATURE_TRIGGER_YES, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK
  end
  if u == "trigger-abort" then return true, true, 0 end
  if u == "abort-only" then return false, true, 0 end
  if u == "feature-fail" then return false, false, nauthilus_builtin.FEATURE_RESULT_FAIL end
  if u == "filter-status" then nauthilus_builtin.status_message_set("the feature's message") end
  return false, false, 0
end
`,
  'features/later.lua': `function nauthilus_call_feature(request)
  nauthilus_builtin.custom_log_add("ran", true)
  if request.username == "trigger" then nauthilus_builtin.status_message_set("a later feature's message") end
  return false, false, 0
end
`,
  'features/no_entry.lua': '-- defines no nauthilus_call_feature\nlocal loaded = true\n',
  'filters/default.lua': `${RECORD}
function nauthilus_call_filter(request)
  record(request)
  if request.username == "filter-fail" then return nauthilus_builtin.FILTER_ACCEPT, nauthilus_builtin.FILTER_RESULT_FAIL end
  if request.username == "filter-status" then
    nauthilus_builtin.status_message_set("draft")
    nauthilus_builtin.status_message_set("the first filter's message")
    return nauthilus_builtin.FILTER_REJECT, nauthilus_builtin.FILTER_RESULT_OK
  end
  return nauthilus_builtin.FILTER_ACCEPT, nauthilus_builtin.FILTER_RESULT_OK
end
`,
  'filters/seen.lua': `function nauthilus_call_filter(request)
  if request.username == "filter-status" then nauthilus_builtin.status_message_set("a later filter's message") end
  return false, 0
end
`,
  'filters/no_entry.lua': 'local nothing = nil\n',
  'actions/record.lua': `${RECORD}
function nauthilus_call_action(request)
  record(request)
  return nauthilus_builtin.ACTION_RESULT_OK
end
`,
  'actions/no_entry.lua': '-- no nauthilus_call_action here\n',
  'backend.lua': `${RECORD}
function nauthilus_backend_verify_password(request)
  record(request)
  local b = nauthilus_backend_result.new()
  if request.username == "nobody" then return 0, b end
  b:user_found(true)
  b:account_field("mail")
  b:attributes({ mail = request.username .. "@example.test" })
  b:authenticated(request.no_auth or request.password == "secret")
  return 0, b
end

function nauthilus_backend_list_accounts(request)
  local keys = {}
  for k in pairs(request) do keys[#keys + 1] = k end
  table.sort(keys)
  nauthilus_builtin.custom_log_add("keys", table.concat(keys, ","))
  return 0, { "a" }
end
`,
  'hooks/nil.lua': 'function nauthilus_run_hook(logging, session)\n  return nil\nend\n',
  'hooks/string.lua': 'function nauthilus_run_hook(logging, session)\n  return "text"\nend\n',
  'hooks/empty.lua': 'function nauthilus_run_hook(logging, session)\n  return {}\nend\n',
  'hooks/array.lua': 'function nauthilus_run_hook(logging, session)\n  return { "a", "b" }\nend\n',
  'hooks/map.lua': 'function nauthilus_run_hook(logging, session)\n  return { status = "up" }\nend\n',
  'hooks/mixed.lua': 'function nauthilus_run_hook(logging, session)\n  return { "a", kind = "mixed", n = { 1.5, {} }, [2.5] = true }\nend\n',
};

let fx: EngineFixture;
before(async () => {
  const dir = workspace(FILES);
  fx = await startFixture('', { configFile: path.join(dir, 'authstudio.yml') });
});
after(async () => {
  await fx.close();
});

const TLS = { ssl: 'on' };
const FROM = { client_ip: '198.51.100.7' };

async function login(fields: Record<string, string>, query = '') {
  const res = await jsonLogin(fx.app, { password: 'secret', ...FROM, ...TLS, ...fields }, query);
  const out = fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))!;
  return { res, out, trace: out.trace, post: await out.postActions };
}

const steps = (trace: StageRecord[]) => trace.map((r) => `${r.stage}:${r.name}:${r.result}`);
const find = (trace: StageRecord[], stage: string, name: string) => trace.find((r) => r.stage === stage && r.name === name);

test('Nauthilus 1.10: a feature that triggers without abort fails the login, runs the lua actions and sends its status message', async () => {
  const { res, trace, post } = await login({ username: 'trigger' });
  assert.equal(res.statusCode, 403);
  assert.equal(res.headers['auth-status'], 'the feature says no');
  assert.deepEqual(steps(trace), [
    'feature:decide:triggered', 'feature:later:ok', 'feature:no-entry:skipped (no nauthilus_call_feature)',
    'action:on-feature:ok', 'action:no-entry:skipped (no nauthilus_call_action)',
  ]);
  // the lua actions see request.feature "lua" and the feature's status message; so does the post action
  const action = find(trace, 'action', 'on-feature')!;
  assert.equal(action.logs.feature, 'lua');
  assert.equal(action.logs.status_message, 'the feature says no');
  assert.equal(post[0].logs.feature, 'lua');
  assert.equal(post[0].logs.authenticated, 'false');
});

test("Nauthilus 1.10 MergeStatusAndLogs: the first feature that set a status message keeps it; a filter's replaces a feature's; within a script the last call counts", async () => {
  const features = await login({ username: 'trigger' });
  assert.equal(features.res.headers['auth-status'], 'the feature says no');
  assert.equal(find(features.trace, 'feature', 'later')?.status_message, "a later feature's message", 'the trace still shows what each script set');
  const filters = await login({ username: 'filter-status' });
  assert.equal(filters.res.statusCode, 403);
  assert.equal(filters.res.headers['auth-status'], "the first filter's message");
  assert.equal(find(filters.trace, 'filter', 'authenticated-and-no-auth')?.status_message, "a later filter's message");
});

test('Nauthilus 1.10: every feature runs even after one triggered; trigger with abort fails too, and the post action sees no feature', async () => {
  const { res, trace, post } = await login({ username: 'trigger-abort' });
  assert.equal(res.statusCode, 403);
  assert.equal(res.headers['auth-status'], 'Invalid login or password');
  assert.equal(find(trace, 'feature', 'later')?.logs.ran, 'true');
  assert.equal(find(trace, 'action', 'on-feature')?.logs.feature, 'lua');
  assert.equal(post[0].logs.feature, '');
});

test('Nauthilus 1.10: FEATURE_RESULT_FAIL is logged, not a temporary failure', async () => {
  const { res, trace } = await login({ username: 'feature-fail' });
  assert.equal(res.statusCode, 200);
  assert.equal(find(trace, 'feature', 'decide')?.result, 'fail');
  assert.ok(find(trace, 'backend', 'lua'), 'the backend ran');
});

test('Nauthilus 1.10: a feature that aborts without a trigger skips the built-in features (tls_encryption)', async () => {
  const plain = await login({ username: 'somebody', ssl: '' });
  assert.equal(plain.res.statusCode, 500, 'cleartext from a network not in cleartext_networks is a temporary failure');
  assert.equal(find(plain.trace, 'action', 'on-tls')?.logs.feature, 'tls_encryption');
  const aborted = await login({ username: 'abort-only', ssl: '' });
  assert.equal(aborted.res.statusCode, 200);
  assert.deepEqual(aborted.trace.filter((r) => r.stage === 'tls_encryption'), []);
});

test('Nauthilus 1.10: features (Lua and built-in) are skipped for no-auth requests', async () => {
  const { res, trace } = await login({ username: 'trigger', password: '', ssl: '' }, '?mode=no-auth');
  assert.equal(res.statusCode, 200);
  assert.deepEqual(trace.filter((r) => r.stage === 'feature' || r.stage === 'tls_encryption'), []);
});

test('Nauthilus 1.10: features are skipped for an empty client address, 127.0.0.1 and ::1 (isLocalOrEmptyIP), not for 127.0.0.2', async () => {
  for (const client_ip of ['', '127.0.0.1', '::1', '[::1]']) {
    const { res, out, trace } = await login({ username: 'trigger', client_ip, ssl: '' });
    assert.equal(res.statusCode, 200, `client_ip "${client_ip}"`);
    assert.deepEqual(trace.filter((r) => r.stage === 'feature' || r.stage === 'tls_encryption'), []);
    // as Nauthilus logs it (logAddLocalhost)
    assert.deepEqual(out.customLogs.filter(([k]) => k.startsWith('feature_')), [['feature_lua', 'localhost'], ['feature_tls_encryption', 'localhost']]);
  }
  const other = await login({ username: 'trigger', client_ip: '127.0.0.2' });
  assert.equal(other.res.statusCode, 403);
});

test('Nauthilus 1.10: FILTER_RESULT_FAIL is logged, not a temporary failure', async () => {
  const { res, trace } = await login({ username: 'filter-fail' });
  assert.equal(res.statusCode, 200);
  assert.equal(find(trace, 'filter', 'default')?.result, 'fail');
});

test('Nauthilus 1.10: filters run by when_authenticated / when_unauthenticated / when_no_auth (none set: authenticated and unauthenticated)', async () => {
  const filters = (trace: StageRecord[]) => trace.filter((r) => r.stage === 'filter').map((r) => r.name);
  const ok = await login({ username: 'alice' });
  assert.equal(ok.res.statusCode, 200);
  assert.deepEqual(filters(ok.trace), ['default', 'authenticated-and-no-auth', 'no-entry']);
  assert.equal(find(ok.trace, 'filter', 'no-entry')?.result, 'skipped (no nauthilus_call_filter)');
  const wrong = await login({ username: 'alice', password: 'wrong' });
  assert.equal(wrong.res.statusCode, 403);
  assert.deepEqual(filters(wrong.trace), ['default', 'only-unauthenticated', 'no-entry']);
  const noAuth = await login({ username: 'alice', password: '' }, '?mode=no-auth');
  assert.equal(noAuth.res.statusCode, 200);
  assert.deepEqual(filters(noAuth.trace), ['authenticated-and-no-auth', 'only-no-auth']);
  // a found user counts as authenticated in no-auth mode (core/auth.go verifyPassword)
  assert.equal(noAuth.post[0].logs.authenticated, 'true');
});

test('Nauthilus 1.10: every field SetupRequest sets is in every stage with its type, "" while unknown; fields it does not set are nil', async () => {
  const typesOf = (r: StageRecord | undefined) => Object.fromEntries(String(r?.logs.types).split(',').map((p) => p.split('=')));
  const expected = { ...SETUP_REQUEST_TYPES, ...Object.fromEntries(ABSENT.map((n) => [n, 'nil'])) };
  const { trace, post } = await login({ username: 'alice' });
  for (const r of [find(trace, 'feature', 'decide'), find(trace, 'backend', 'lua'), find(trace, 'filter', 'default'), post[0]]) {
    assert.deepEqual(typesOf(r), expected, `${r?.stage}:${r?.name}`);
  }
  const feature = find(trace, 'feature', 'decide')!;
  assert.deepEqual([feature.logs.account, feature.logs.feature, feature.logs.status_message], ['', '', '']);
  assert.equal(post[0].logs.account, 'alice@example.test');
  const triggered = await login({ username: 'trigger' });
  assert.deepEqual(typesOf(find(triggered.trace, 'action', 'on-feature')), expected);
});

test('Nauthilus 1.10: the list-accounts request holds only debug and session', async () => {
  const res = await fx.app.inject({ method: 'GET', url: '/api/v1/auth/json?mode=list-accounts', headers: { accept: 'application/json' } });
  assert.equal(res.statusCode, 200);
  const out = fx.engine.lastTrace(String(res.headers['x-nauthilus-session']));
  assert.ok(out, 'the list-accounts call has a trace');
  assert.equal(find(out.trace, 'backend', 'lua')?.logs.keys, 'debug,session');
  assert.deepEqual(res.json(), ['a']);
});

test('Nauthilus 1.10: a hook returning nil, a string or an empty table answers 200 with an empty body; an array 500; a table with keys is JSON', async () => {
  for (const h of ['nil', 'string', 'empty']) {
    const res = await fx.app.inject({ method: 'GET', url: `/api/v1/custom/${h}` });
    assert.equal(res.statusCode, 200, h);
    assert.equal(res.body, '', h);
  }
  assert.equal((await fx.app.inject({ method: 'GET', url: '/api/v1/custom/array' })).statusCode, 500);
  const map = await fx.app.inject({ method: 'GET', url: '/api/v1/custom/map' });
  assert.equal(map.statusCode, 200);
  assert.deepEqual(map.json(), { status: 'up' });
  // convert.LuaValueToGo + ToGinH + encoding/json: keys as Go's %v, sorted; an empty nested table is []
  const mixed = await fx.app.inject({ method: 'GET', url: '/api/v1/custom/mixed' });
  assert.equal(mixed.statusCode, 200);
  assert.equal(mixed.body, '{"1":"a","2.5":true,"kind":"mixed","n":[1.5,[]]}');
});
