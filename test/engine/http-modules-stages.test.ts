// nauthilus_http_request / nauthilus_http_response in the stages of an auth request (Nauthilus 1.10: features,
// filters, actions and backends read the auth call's HTTP request; features and filters add headers to its answer),
// on the engine's thread and on pipeline worker threads, on every auth endpoint; and HEAD custom hooks.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { AuthEngine } from '../../engine/engine';
import { loadConfigFile } from '../../engine/config/load';
import { buildHttpApp } from '../../engine/http/app';
import { workspace, yml } from '../helpers/config-text';

// the backend answers with what it read of the HTTP request, as attributes
const BACKEND = `
local http = require("nauthilus_http_request")
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  b:user_found(true)
  b:account_field("account")
  b:attributes({
    account = request.username, tenant = http.get_http_request_header("X-Tenant")[1] or "none",
    method = http.get_http_method(), path = http.get_http_path(), body = http.get_http_request_body(),
    mode = http.get_http_query_param("mode"),
  })
  b:authenticated(request.password == "secret")
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;
// marks the answer when the caller asks for protection; tries to speak for the engine too (refused)
const PROTECT = `
dynamic_loader("nauthilus_http_request")
local req = require("nauthilus_http_request")
dynamic_loader("nauthilus_http_response")
local res = require("nauthilus_http_response")
function nauthilus_call_feature(request)
  local wanted = req.get_http_request_header("X-Protect")[1]
  if wanted then
    res.set_http_response_header("X-Nauthilus-Protection", wanted)
    res.set_http_response_header("Auth-Status", "OK")
    res.set_http_response_header("Auth-Server", "203.0.113.66")
    res.set_http_response_header("X-Nauthilus-Session", "forged")
  end
  return false, false, nauthilus_builtin.FEATURE_RESULT_OK
end
`;
const BLOCK = `
local req = require("nauthilus_http_request")
function nauthilus_call_feature(request)
  local block = #req.get_http_request_header("X-Block") > 0
  return block, block, nauthilus_builtin.FEATURE_RESULT_OK
end
`;
const FILTER = `
local res = require("nauthilus_http_response")
function nauthilus_call_filter(request)
  res.add_http_response_header("X-Filter", request.authenticated and "authenticated" or "not-authenticated")
  return nauthilus_builtin.FILTER_ACCEPT, nauthilus_builtin.FILTER_RESULT_OK
end
`;
// an action run for a feature that blocked (before the answer): Nauthilus 1.12 lets it add headers
const ACTION = `
local res = require("nauthilus_http_response")
local req = require("nauthilus_http_request")
function nauthilus_call_action(request)
  res.set_http_response_header("X-Blocked-By", request.feature .. " " .. req.get_http_method())
  return nauthilus_builtin.ACTION_RESULT_OK
end
`;
const HEAD_HOOK = `
local res = require("nauthilus_http_response")
local req = require("nauthilus_http_request")
function nauthilus_run_hook(logging, session)
  res.set_http_response_header("X-Method", req.get_http_method())
  res.string(200, "a HEAD answer never carries this")
  return nil
end
`;
const GET_HOOK = `
function nauthilus_run_hook(logging, session)
  return { status = "up" }
end
`;

function ws(): string {
  return workspace({
    'authstudio.yml': yml(
      'server:', '  address: 127.0.0.1:0', '  backends: [lua]', '  redis: mock', '  log: {level: error}',
      'lua:',
      '  features:', '    - {name: protect, script_path: ./protect.lua}', '    - {name: block, script_path: ./block.lua}',
      '  filters:', '    - {name: mark, script_path: ./filter.lua}',
      '  actions:', '    - {type: lua, name: blocked, script_path: ./action.lua}',
      '  custom_hooks:',
      '    - {http_location: status, http_method: HEAD, script_path: ./head.lua}',
      '    - {http_location: status, http_method: GET, script_path: ./get.lua}',
      '    - {http_location: only-get, http_method: GET, script_path: ./get.lua}',
      '  config:', '    backend_script_path: ./backend.lua',
    ),
    'backend.lua': BACKEND, 'protect.lua': PROTECT, 'block.lua': BLOCK, 'filter.lua': FILTER, 'action.lua': ACTION,
    'head.lua': HEAD_HOOK, 'get.lua': GET_HOOK,
  });
}

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers) await c();
});

async function serve(workers: number): Promise<FastifyInstance> {
  const config = loadConfigFile(path.join(ws(), 'authstudio.yml'));
  const engine = await AuthEngine.create(config, { logger: pino({ level: 'silent' }), workers });
  const app = await buildHttpApp(engine);
  closers.push(async () => { await app.close(); await engine.close(); });
  if (workers > 0) assert.equal(engine.workerCount, workers);
  return app;
}

// a routable client address: features do not run for local or empty client IPs
const CLIENT = '198.51.100.7';

for (const workers of [0, 2]) {
  const where = workers ? 'on pipeline worker threads' : 'on the engine thread';

  test(`Nauthilus 1.10: a feature setting X-Nauthilus-Protection is seen on the /json, /header and nginx answers (${where})`, async () => {
    const app = await serve(workers);
    const json = await app.inject({ method: 'POST', url: '/api/v1/auth/json', headers: { 'x-protect': 'stepup' }, payload: { username: 'alice', password: 'secret', client_ip: CLIENT, protocol: 'imap' } });
    const header = await app.inject({
      method: 'GET', url: '/api/v1/auth/header',
      headers: { 'auth-user': 'alice', 'auth-pass': 'secret', 'auth-protocol': 'imap', 'client-ip': CLIENT, 'x-protect': 'stepup' },
    });
    const nginx = await app.inject({
      method: 'GET', url: '/api/v1/auth/nginx',
      headers: { 'auth-user': 'alice', 'auth-pass': 'secret', 'auth-protocol': 'imap', 'client-ip': CLIENT, 'x-protect': 'stepup' },
    });
    for (const [name, res] of [['json', json], ['header', header], ['nginx', nginx]] as const) {
      assert.equal(res.headers['auth-status'], 'OK', name);
      assert.equal(res.headers['x-nauthilus-protection'], 'stepup', name);
      // the filter saw the backend's verdict and added its own header
      assert.equal(res.headers['x-filter'], 'authenticated', name);
      // a script cannot speak for the engine: its Auth-Server and session are dropped
      assert.notEqual(res.headers['x-nauthilus-session'], 'forged', name);
      assert.notEqual(res.headers['auth-server'], '203.0.113.66', name);
    }
    // a wrong password: the engine's verdict stands, the script's Auth-Status: OK never reaches the client
    const failed = await app.inject({ method: 'POST', url: '/api/v1/auth/json', headers: { 'x-protect': 'stepup' }, payload: { username: 'alice', password: 'wrong', client_ip: CLIENT } });
    assert.equal(failed.statusCode, 403);
    assert.notEqual(failed.headers['auth-status'], 'OK');
    assert.equal(failed.headers['x-nauthilus-protection'], 'stepup');
    // no X-Protect: no header
    const plain = await app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: { username: 'alice', password: 'secret', client_ip: CLIENT } });
    assert.equal(plain.headers['x-nauthilus-protection'], undefined);
  });

  test(`Nauthilus 1.10: a backend reads the auth call's headers, method, path and query; /json's body was consumed by binding ("") (${where})`, async () => {
    const app = await serve(workers);
    const json = await app.inject({ method: 'POST', url: '/api/v1/auth/json?mode=no-auth', headers: { 'x-tenant': 'blue' }, payload: { username: 'alice', password: 'x', client_ip: CLIENT } });
    assert.equal(json.statusCode, 200, json.body);
    assert.deepEqual(
      { ...json.json().attributes, account: undefined },
      { account: undefined, tenant: 'blue', method: 'POST', path: '/api/v1/auth/json', body: '', mode: 'no-auth' },
    );
    const header = await app.inject({
      method: 'GET', url: '/api/v1/auth/header',
      headers: { 'auth-user': 'alice', 'auth-pass': 'secret', 'client-ip': CLIENT, 'x-tenant': 'green' },
    });
    assert.equal(header.headers['x-nauthilus-tenant'], 'green');
    assert.equal(header.headers['x-nauthilus-path'], '/api/v1/auth/header');
    assert.equal(header.headers['x-nauthilus-method'], 'GET');
    // a header's UTF-8 bytes reach the script as the text the client meant (Go hands Lua the bytes as they are)
    const utf8 = await app.inject({ method: 'POST', url: '/api/v1/auth/json', headers: { 'x-tenant': Buffer.from('grün', 'utf8').toString('latin1') }, payload: { username: 'alice', password: 'secret', client_ip: CLIENT } });
    assert.equal(utf8.json().attributes.tenant, 'grün');
  });

  test(`Nauthilus 1.12: an action run before the answer (a feature blocked) adds a header to the failed answer (${where})`, async () => {
    const app = await serve(workers);
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/json', headers: { 'x-block': '1' }, payload: { username: 'alice', password: 'secret', client_ip: CLIENT } });
    assert.equal(res.statusCode, 403);
    // Nauthilus 1.10 hands `lua` actions request.feature = "lua" (core/features.go), not the feature's own name
    assert.equal(res.headers['x-blocked-by'], 'lua POST');
  });

  test(`Nauthilus 1.10: a HEAD custom hook answers with its headers and no body; HEAD without a HEAD hook is 404 (${where})`, async () => {
    const app = await serve(workers);
    const head = await app.inject({ method: 'HEAD', url: '/api/v1/custom/status' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['x-method'], 'HEAD');
    assert.equal(head.body, '');
    const get = await app.inject({ method: 'GET', url: '/api/v1/custom/status' });
    assert.deepEqual([get.statusCode, get.json()], [200, { status: 'up' }]);
    assert.equal(get.headers['x-method'], undefined);
    const none = await app.inject({ method: 'HEAD', url: '/api/v1/custom/only-get' });
    assert.equal(none.statusCode, 404);
    assert.equal(none.body, '');
  });
}
