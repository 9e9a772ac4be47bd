// Attack: a script fills a store that lives on the JavaScript side — outside lua_memory_limit — in a loop:
// custom_log_add, nauthilus_context, a hook's response body and headers,
// nauthilus_cache. Each store is bounded: a per-request store ends the call with a Lua error (tempfail) that
// names the limit; the shared cache evicts its oldest entries (one value too large is refused); the process
// memory stays bounded and the engine keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { workspace, yml } from '../helpers/config-text';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';
import net from 'node:net';
import { MemoryCache } from '../../engine/lua/shared-cache';
import { runLua } from '../helpers/lua-harness';
import pino from 'pino';
import { AuthEngine } from '../../engine/engine';
import { loadConfigFile } from '../../engine/config/load';
import { buildAuthRequest } from '../../engine/pipeline/auth-request';

// each user name fills one store; 256-byte strings, so that a loop without a bound would need seconds to
// grow the process by gigabytes (the timeout ends it first on code without bounds)
const BACKEND = `
local context = require("nauthilus_context")
local cache = require("nauthilus_cache")
local S = string.rep("x", 256)
local FILL = {
  ["fill-log"] = function() for i = 1, 1e9 do nauthilus_builtin.custom_log_add("k" .. i, S) end end,
  ["fill-log-key"] = function() for i = 1, 1e9 do nauthilus_builtin.custom_log_add("k", S) end end,
  ["fill-context"] = function() for i = 1, 1e9 do context.context_set("k" .. i, { S, i }) end end,
  ["fill-cache-push"] = function() for i = 1, 1e9 do cache.cache_push("list", S .. i) end end,
  ["big-status"] = function() nauthilus_builtin.status_message_set(string.rep("s", 1e6)) end,
  ["big-error"] = function() error(string.rep("e", 4e6)) end,
  ["fill-cache"] = function()
    local big = string.rep("y", 64 * 1024)
    for i = 1, 1500 do cache.cache_set("attack:" .. i, big .. i) end
  end,
}
function nauthilus_backend_verify_password(request)
  local fill = FILL[request.username]
  if fill then fill() end
  -- a context value overwritten many times counts once
  for i = 1, 2000 do context.context_set("same", S .. i) end
  local b = nauthilus_backend_result.new()
  b:user_found(true)
  b:authenticated(request.password == "right")
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;

const HOOK = `
local resp = require("nauthilus_http_response")
local req = require("nauthilus_http_request")
local S = string.rep("z", 256)
function nauthilus_run_hook()
  local p = req.get_http_path()
  if p:match("fill%-body$") then for i = 1, 1e9 do resp.write_http_response_body(S) end end
  if p:match("fill%-headers$") then for i = 1, 1e9 do resp.add_http_response_header("x-a", S) end end
  return { ok = true }
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
      '  lua_script_timeout: 5s',
      '  lua_memory_limit: 8MiB',
      '  lua_cache_memory_limit: 4MiB',
      'lua:',
      '  custom_hooks:',
      '    - { http_location: fill-body, http_method: GET, script_path: ./hook.lua }',
      '    - { http_location: fill-headers, http_method: GET, script_path: ./hook.lua }',
      '  config:',
      '    backend_script_path: ./backend.lua',
      '    number_of_workers: 1',
    ),
    'backend.lua': BACKEND,
    'hook.lua': HOOK,
  });
  fx = await startFixture('', { configFile: path.join(dir, 'authstudio.yml') });
});
after(async () => {
  await fx?.close();
});

const MiB = 1024 * 1024;
const rss = () => process.memoryUsage().rss;

async function stillServes(): Promise<void> {
  const ok = await jsonLogin(fx.app, { username: 'alice', password: 'right', client_ip: '192.0.2.30' });
  assert.equal(ok.statusCode, 200, `a good login after the attack answered ${ok.statusCode}: ${ok.body}`);
}

const PER_REQUEST: Array<[string, RegExp]> = [
  ['fill-log', /custom_log_add: this request's log fields reached 262144 bytes/],
  ['fill-log-key', /custom_log_add: this request's log fields reached 262144 bytes/],
  ['fill-context', /context_set: (the data this request's scripts keep in the host reached lua_memory_limit \(8388608 bytes\)|more than 10000 entries in one request)/],
  ['fill-cache-push', /cache_push: the value for "list" takes about \d+ bytes, more than the cache allows for one entry \(524288\)/],
  ['big-status', /status_message_set: the message is longer than 65536 bytes/],
];

for (const [user, want] of PER_REQUEST) {
  test(`${user}: a script filling a host store in a loop gets a Lua error naming the limit (tempfail), memory stays bounded`, async () => {
    const before = rss();
    const t0 = performance.now();
    const r = await jsonLogin(fx.app, { username: user, password: 'right', client_ip: '192.0.2.31' });
    const ms = performance.now() - t0;
    const grew = (rss() - before) / MiB;
    assert.equal(r.statusCode, 500, `answered ${r.statusCode}: ${r.body}`);
    const out = fx.engine.lastTrace(String(r.headers['x-nauthilus-session']));
    assert.equal(out?.decision, 'tempfail');
    assert.match(out!.error ?? '', want);
    assert.match(out!.error ?? '', /backend\.lua:\d+/, 'the error names the script line');
    assert.ok(ms < 2500, `ended by the bound, not by the timeout (${Math.round(ms)} ms)`);
    assert.ok(grew < 200, `the process grew by ${Math.round(grew)} MiB`);
    await stillServes();
  });
}

for (const hook of ['fill-body', 'fill-headers']) {
  test(`custom hook ${hook}: the response a hook builds is bounded by lua_memory_limit (Lua error, 500), memory stays bounded`, async () => {
    const before = rss();
    const t0 = performance.now();
    const r = await fx.app.inject({ method: 'GET', url: `/api/v1/custom/${hook}` });
    const ms = performance.now() - t0;
    assert.equal(r.statusCode, 500, r.body.slice(0, 200));
    assert.ok(r.body.length < 4096, 'the half-built response is not sent');
    assert.ok(ms < 2500, `ended by the bound, not by the timeout (${Math.round(ms)} ms)`);
    assert.ok((rss() - before) / MiB < 200, 'the process stayed bounded');
    await stillServes();
  });
}

test('nauthilus_cache filled with 1500 × 64 KiB (94 MiB) keeps at most lua_cache_memory_limit (4 MiB): the oldest entries go, newest stay', async () => {
  const cache = fx.engine.services.cache as MemoryCache;
  const before = rss();
  const r = await jsonLogin(fx.app, { username: 'fill-cache', password: 'right', client_ip: '192.0.2.32' });
  assert.equal(r.statusCode, 200, r.body);
  assert.equal(cache.has('attack:1500'), true, 'the newest entry stays');
  assert.equal(cache.has('attack:1'), false, 'the oldest entry was evicted');
  assert.ok(cache.bytes() <= 4 * MiB, `the cache holds ${cache.bytes()} bytes`);
  assert.ok((rss() - before) / MiB < 200, 'the process stayed bounded');
  await stillServes();
});

test('the cache counts bytes and entries: replacing, deleting, expiring and popping give the room back', () => {
  const c = new MemoryCache({ maxEntries: 3, maxBytes: 64 * 1024 });
  c.set('a', 'x'.repeat(1000));
  const one = c.bytes();
  c.set('a', 'x'.repeat(1000));
  assert.equal(c.bytes(), one, 'replacing a value does not count it twice');
  c.set('b', 1);
  c.set('c', 2);
  c.set('d', 3);
  assert.deepEqual(c.keys(), ['b', 'c', 'd'], 'maxEntries evicts the oldest');
  c.delete('b');
  c.push('l', 'v1');
  c.push('l', 'v2');
  assert.deepEqual(c.popAll('l'), ['v1', 'v2']);
  c.flush();
  assert.equal(c.bytes(), 0);
  assert.throws(() => c.set('huge', 'x'.repeat(64 * 1024)), /more than the cache allows for one entry/);
});

test('tcp: a peer that streams without end fills at most 8 MiB per connection; read("*a") and read("*l") are errors, not the process', async () => {
  // writes 64 KiB chunks while the socket accepts them: without a bound the client buffers all of it
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => undefined);
    // 24 MiB, never the end of the stream (a bound that the machine survives even without the fix)
    let sent = 0;
    const pump = () => { while (!sock.destroyed && sent < 24 * MiB) { sent += chunk.length; if (!sock.write(chunk)) break; } };
    sock.on('drain', pump);
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const before = rss();
    const t0 = performance.now();
    const [all, line] = await runLua(`
      local tcp = require("tcp")
      local a = tcp.open("127.0.0.1:${port}")
      local _, err_all = a:read("*a", 3)
      a:close()
      local l = tcp.open("127.0.0.1:${port}")
      local _, err_line = l:read("*l", 3)
      l:close()
      return tostring(err_all), tostring(err_line)`, { timeoutMs: 15000 });
    const ms = performance.now() - t0;
    assert.match(String(all), /more than 8388608 bytes without the end of the stream/);
    assert.match(String(line), /more than 8388608 bytes without a line end/);
    assert.ok(ms < 5000, `the reads ended at the bound, not at their 3 s timeouts (${Math.round(ms)} ms)`);
    assert.ok((rss() - before) / MiB < 200, 'the process stayed bounded');
  } finally {
    for (const sock of sockets) sock.destroy();
    await new Promise((r) => server.close(r));
  }
});

test('what the engine keeps of a request (recent outcomes, log line) stays small: a 4 MB Lua error message is cut', async () => {
  const r = await jsonLogin(fx.app, { username: 'big-error', password: 'right', client_ip: '192.0.2.33' });
  assert.equal(r.statusCode, 500);
  const out = fx.engine.lastTrace(String(r.headers['x-nauthilus-session']));
  assert.equal(out?.decision, 'tempfail');
  assert.match(out!.error ?? '', /backend\.lua:\d+: eeee/);
  assert.ok((out!.error ?? '').length < 10_000, `the kept error has ${(out!.error ?? '').length} characters`);
  await stillServes();
});

test('db: a loop of open() without close() stops at 256 open databases per VM, shared pools at 64 per VM (nil, err)', async () => {
  const [own, shared] = await runLua(`
    local db = require("db")
    local keep, own_err = {}, nil
    for i = 1, 300 do
      local h, err = db.open("sqlite3", ":memory:")
      if not h then own_err = err break end
      keep[#keep + 1] = h
    end
    local shared_err
    for i = 1, 100 do
      local h, err = db.open("sqlite3", "file:attack" .. i .. "?mode=memory", { shared = true })
      if not h then shared_err = err break end
      keep[#keep + 1] = h
    end
    local n = #keep
    for _, h in ipairs(keep) do h:close() end
    -- closing gives the room back
    assert(db.open("sqlite3", ":memory:")):close()
    return tostring(own_err) .. " after " .. n, tostring(shared_err)`, { timeoutMs: 15000 });
  assert.match(String(own), /256 databases are open in this VM/);
  assert.match(String(shared), /already uses 64 shared databases/);
});

test('tcp: a loop of open() without close() stops at 256 connections per VM (nil, err), and close gives the room back', async () => {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => { sockets.add(sock); sock.on('error', () => undefined); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const [msg, n, again] = await runLua(`
      local tcp = require("tcp")
      local keep, err = {}, nil
      for i = 1, 400 do
        local c, e = tcp.open("127.0.0.1:${port}")
        if not c then err = e break end
        keep[#keep + 1] = c
      end
      local n = #keep
      for _, c in ipairs(keep) do c:close() end
      local c = tcp.open("127.0.0.1:${port}")
      return tostring(err), n, c ~= nil`, { timeoutMs: 15000 });
    assert.match(String(msg), /256 connections are open in this VM/);
    assert.equal(n, 256);
    assert.equal(again, true);
  } finally {
    for (const sock of sockets) sock.destroy();
    await new Promise((r) => server.close(r));
  }
});

test('with worker threads: the shared cache (in the main thread) and each request\'s stores are bounded the same way', async () => {
  const dir = workspace({
    'authstudio.yml': yml(
      'server:', '  address: 127.0.0.1:0', '  backends: [lua]', '  redis: mock', '  lua_script_timeout: 5s',
      '  lua_memory_limit: 8MiB', '  lua_cache_memory_limit: 2MiB',
      'lua:', '  config:', '    backend_script_path: ./backend.lua', '    number_of_workers: 1',
    ),
    'backend.lua': BACKEND,
  });
  const engine = await AuthEngine.create(loadConfigFile(path.join(dir, 'authstudio.yml')), { logger: pino({ level: 'silent' }), workers: 2 });
  try {
    assert.equal(engine.workerCount, 2);
    const login = (username: string) => engine.authenticate(buildAuthRequest({ username, password: 'right', client_ip: '192.0.2.40' }, 'auth', 'json'));
    const [push, log, fill] = await Promise.all([login('fill-cache-push'), login('fill-log'), login('fill-cache')]);
    assert.equal(push.decision, 'tempfail');
    assert.match(push.error ?? '', /cache_push: the value for "list" takes about \d+ bytes, more than the cache allows for one entry \(262144\)/);
    assert.equal(log.decision, 'tempfail');
    assert.match(log.error ?? '', /custom_log_add: this request's log fields reached 262144 bytes/);
    assert.equal(fill.decision, 'ok', String(fill.error));
    const cache = engine.services.cache as MemoryCache;
    assert.ok(cache.bytes() <= 2 * MiB, `the cache holds ${cache.bytes()} bytes`);
    assert.equal(cache.has('attack:1500'), true);
    assert.equal((await login('alice')).decision, 'ok');
  } finally {
    await engine.close();
  }
});
