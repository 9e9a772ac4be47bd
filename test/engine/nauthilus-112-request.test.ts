// The request table Nauthilus 1.12 gives scripts beside 1.10's (lualib/request.go, core/auth.go FillCommonRequest):
// `method`, `latency`, `http_status` and `redis_prefix`; post actions see the decision's latency in whole
// milliseconds and its status code (200 when authenticated, else the endpoint's failure code: 403, nginx 200).
// Under the 1.10 profile `method`, `latency` and `http_status` stay nil, as in 1.10. The built-in nauthilus_util
// follows the profile: 1.12 has log functions and if_error_raise ignoring "OK", as 3.0.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';
import { workspace, yml } from '../helpers/config-text';

const files = (profile: string): Record<string, string> => ({
  'authstudio.yml': yml(
    `nauthilus: "${profile}"`,
    'server:', '  backends: [lua]', '  redis: mock',
    'lua:',
    '  features:', '    - { name: seen, script_path: ./seen.lua }',
    '  actions:', '    - { type: post, name: post, script_path: ./post.lua }',
    '  config:', '    backend_script_path: ./backend.lua',
  ),
  'seen.lua': `
function nauthilus_call_feature(request)
  nauthilus_builtin.custom_log_add("method", tostring(request.method))
  nauthilus_builtin.custom_log_add("http_status", tostring(request.http_status))
  local util = require("nauthilus_util")
  nauthilus_builtin.custom_log_add("log_info", type(util.log_info))
  nauthilus_builtin.custom_log_add("ok_raises", tostring(not pcall(util.if_error_raise, "OK")))
  return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK
end`,
  'post.lua': `
function nauthilus_call_action(request)
  nauthilus_builtin.custom_log_add("http_status", tostring(request.http_status))
  nauthilus_builtin.custom_log_add("latency_type", math.type and math.type(request.latency) or type(request.latency))
  nauthilus_builtin.custom_log_add("latency_whole", tostring(request.latency ~= nil and request.latency == math.floor(request.latency)))
  nauthilus_builtin.custom_log_add("method", tostring(request.method))
  return nauthilus_builtin.ACTION_RESULT_OK
end`,
  'backend.lua': `
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  b:user_found(request.username == "alice")
  b:authenticated(request.username == "alice" and request.password == "alice-secret")
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end`,
});

const fixtures: EngineFixture[] = [];
after(async () => {
  for (const f of fixtures) await f.close();
});
async function engine(profile: string): Promise<EngineFixture> {
  const dir = workspace(files(profile));
  const fx = await startFixture('', { configFile: path.join(dir, 'authstudio.yml') });
  fixtures.push(fx);
  return fx;
}

async function run(fx: EngineFixture, endpoint: 'json' | 'nginx', password: string) {
  const res = endpoint === 'json'
    ? await jsonLogin(fx.app, { username: 'alice', password, client_ip: '198.51.100.7', method: 'plain' })
    : await fx.app.inject({ method: 'GET', url: '/api/v1/auth/nginx', headers: { 'Auth-User': 'alice', 'Auth-Pass': password, 'Auth-Protocol': 'imap', 'Auth-Method': 'plain', 'Client-IP': '198.51.100.8' } });
  const out = fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))!;
  const post = await out.postActions;
  return { feature: out.trace.find((r) => r.stage === 'feature')!.logs, post: post[0].logs };
}

test('Nauthilus 1.12 request table: method, and in post actions the decision\'s http_status and whole-millisecond latency', async () => {
  const fx = await engine('1.12');
  const ok = await run(fx, 'json', 'alice-secret');
  assert.equal(ok.feature.method, 'plain');
  assert.equal(ok.feature.http_status, '0', 'before the decision: 0');
  // 1.12's nauthilus_util: log functions, and if_error_raise lets "OK" pass
  assert.equal(ok.feature.log_info, 'function');
  assert.equal(ok.feature.ok_raises, 'false');
  assert.equal(ok.post.http_status, '200');
  assert.equal(ok.post.latency_whole, 'true');
  assert.equal(ok.post.method, 'plain');
  assert.equal((await run(fx, 'json', 'wrong')).post.http_status, '403');
  assert.equal((await run(fx, 'nginx', 'wrong')).post.http_status, '200', 'nginx answers a refusal with 200');
});

test('Nauthilus 1.10 request table: no method, latency or http_status', async () => {
  const fx = await engine('1.10');
  const ok = await run(fx, 'json', 'alice-secret');
  assert.equal(ok.feature.method, 'nil');
  assert.equal(ok.feature.log_info, 'nil', '1.10\'s nauthilus_util has no log functions');
  assert.equal(ok.feature.ok_raises, 'true', '1.10\'s if_error_raise raises "OK"');
  assert.equal(ok.post.http_status, 'nil');
  assert.equal(ok.post.method, 'nil');
});

test('Nauthilus 3.0 post actions see http_status and latency too', async () => {
  const fx = await engine('3.0');
  assert.equal((await run(fx, 'json', 'alice-secret')).post.http_status, '200');
  assert.equal((await run(fx, 'json', 'wrong')).post.http_status, '403');
});
