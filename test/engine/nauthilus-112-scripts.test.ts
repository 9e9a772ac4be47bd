// What scripts written for Nauthilus 1.12 rely on, next to 1.10 scripts in one workspace: the one-table hook and init
// signature, request.redis_prefix, require("glua_crypto"), nauthilus_opentelemetry with tracing off, and a
// nauthilus_util.lua of the workspace's own on package.path. Our own scripts; driven with inject().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import pino from 'pino';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';
import { workspace, yml } from '../helpers/config-text';

const FILES: Record<string, string> = {
  'authstudio.yml': yml(
    'server:', '  address: 127.0.0.1:0', '  backends: [lua]', '  redis: mock', '  log: {level: info}',
    'lua:',
    '  features:', '    - { name: v12, script_path: ./features/v12.lua }',
    '  custom_hooks:',
    '    - { http_location: one-table, http_method: GET, script_path: ./hooks/one_table.lua }',
    '    - { http_location: two-args, http_method: GET, script_path: ./hooks/two_args.lua }',
    '  config:',
    '    backend_script_path: ./backend.lua',
    '    init_script_paths: [./init/one_table.lua]',
    '    package_path: "./share/?.lua"',
  ),
  // the workspace's own helper library under the name of the built-in one
  'share/nauthilus_util.lua': 'local M = {}\nfunction M.origin() return "workspace file" end\nreturn M\n',
  'features/v12.lua': `
local util = require("nauthilus_util")
local gc = require("glua_crypto")
local otel = require("nauthilus_opentelemetry")
function nauthilus_call_feature(request)
  nauthilus_builtin.custom_log_add("util", util.origin())
  nauthilus_builtin.custom_log_add("md5", gc.md5("alice"))
  nauthilus_builtin.custom_log_add("prefix", request.redis_prefix)
  nauthilus_builtin.custom_log_add("otel", tostring(otel.is_enabled()))
  local tr = otel.tracer("test/scope")
  local a, b = tr:with_span("work", function(span) return type(span), 7 end)
  nauthilus_builtin.custom_log_add("with_span", a .. "," .. b)
  local span = tr:start_span("manual")
  span:set_attributes(otel.semconv.http_client_attrs({ method = "GET", url = "http://x" }))
  span:finish()
  nauthilus_builtin.custom_log_add("peer", otel.semconv.peer_service("http")["peer.service"])
  return false, false, 0
end
`,
  'backend.lua': `
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  b:user_found(true)
  b:account_field("mail")
  b:attributes({ mail = request.username })
  b:authenticated(request.password == "secret")
  return 0, b
end
`,
  'hooks/one_table.lua': `
function nauthilus_run_hook(request)
  return { level = request.logging.log_level, session = request.session, prefix = request.redis_prefix }
end
`,
  'hooks/two_args.lua': `
function nauthilus_run_hook(logging, session)
  return { level = logging.log_level, format = logging.log_format, session = session }
end
`,
  'init/one_table.lua': `
function nauthilus_run_hook(request)
  local saw = tostring(request.logging and request.logging.log_level) .. "/" .. tostring(request.redis_prefix)
  if saw ~= "info/nt:" then error("init saw " .. saw) end
end
`,
};

let fx: EngineFixture;
const logLines: string[] = [];
before(async () => {
  const logger = pino({ level: 'info' }, { write: (l: string) => void logLines.push(l) });
  fx = await startFixture('', { configFile: path.join(workspace(FILES), 'authstudio.yml'), logger });
});
after(async () => {
  await fx.close();
});

test('Nauthilus 1.12: scripts get request.redis_prefix ("nt:" without server.redis.prefix), glua_crypto, and a workspace nauthilus_util.lua before the built-in', async () => {
  const res = await jsonLogin(fx.app, { username: 'alice', password: 'secret', client_ip: '198.51.100.9', protocol: 'imap' });
  assert.equal(res.headers['auth-status'], 'OK');
  const logs = fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))!.trace.find((r) => r.name === 'v12')!.logs;
  assert.equal(logs.util, 'workspace file');
  assert.equal(logs.md5, crypto.createHash('md5').update('alice').digest('hex'));
  assert.equal(logs.prefix, 'nt:');
});

test('Nauthilus 1.12: nauthilus_opentelemetry with tracing off: is_enabled() false, with_span runs its function without a span, spans and semconv helpers work', async () => {
  const res = await jsonLogin(fx.app, { username: 'alice', password: 'secret', client_ip: '198.51.100.9', protocol: 'imap' });
  const logs = fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))!.trace.find((r) => r.name === 'v12')!.logs;
  assert.deepEqual([logs.otel, logs.with_span, logs.peer], ['false', 'nil,7', 'http']);
});

test('Nauthilus 1.12: a hook written as nauthilus_run_hook(request) reads request.logging, request.session and request.redis_prefix', async () => {
  const res = await fx.app.inject({ method: 'GET', url: '/api/v1/custom/one-table' });
  assert.equal(res.statusCode, 200);
  const body = res.json() as Record<string, string>;
  assert.equal(body.level, 'info');
  assert.equal(body.prefix, 'nt:');
  assert.ok(body.session && body.session.length > 0);
});

test('Nauthilus 1.10: a hook written as nauthilus_run_hook(logging, session) still gets the logging table and the session', async () => {
  const res = await fx.app.inject({ method: 'GET', url: '/api/v1/custom/two-args' });
  const body = res.json() as Record<string, string>;
  assert.deepEqual([body.level, body.format], ['info', 'json']);
  assert.ok(body.session && body.session.length > 0);
});

test('Nauthilus 1.12: an init script written as nauthilus_run_hook(request) reads request.logging and request.redis_prefix', () => {
  assert.deepEqual(logLines.filter((l) => /init script/.test(l)), []);
});
