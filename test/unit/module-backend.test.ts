// nauthilus_backend against real Lua: the functions Nauthilus 1.10 gives filters (lualib/filter/filter.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { runLua } from '../helpers/lua-harness';
import { CallContext } from '../../engine/lua/call-context';
import type { BackendServerConfig } from '../../engine/config/types';

function server(over: Partial<BackendServerConfig> = {}): BackendServerConfig {
  return {
    protocol: 'imap', host: '192.0.2.10', port: 993, deepCheck: true, requestUri: '/ping', testUsername: 'probe',
    testPassword: 'secret', tls: true, tlsSkipVerify: false, haproxyV2: true, ...over,
  };
}

function filterCall(servers: BackendServerConfig[] = [server()]): CallContext {
  const call = new CallContext('backend-test');
  call.backend = { servers, apply: {}, remove: [] };
  return call;
}

test('Nauthilus 1.10: get_backend_servers lists the servers with their 10 fields, read-only', async () => {
  const call = filterCall([server(), server({ protocol: 'pop3', host: 'mail2.example.org', port: 110, tls: false, haproxyV2: false })]);
  const [n, fields, second, unknown, setErr] = await runLua(`
    dynamic_loader("nauthilus_backend")
    local b = require("nauthilus_backend")
    local list = b.get_backend_servers()
    local s = list[1]
    local f = { s.protocol, s.host, s.port, s.request_uri, s.test_username, s.test_password,
      s.haproxy_v2, s.tls, s.tls_skip_verify, s.deep_check }
    local ok, err = pcall(function() s.host = "x" end)
    return #list, f, list[2].host .. ":" .. list[2].port, s.nonexistent == nil, err`, { call });
  assert.equal(n, 2);
  assert.deepEqual(fields, ['imap', '192.0.2.10', 993, '/ping', 'probe', 'secret', true, true, false, true]);
  assert.equal(second, 'mail2.example.org:110'); // the port is an integer: no ".0"
  assert.equal(unknown, true); // an unknown field is nil, as the userdata's __index gives
  assert.match(String(setErr), /read-only/);
});

test('Nauthilus 1.10: get_backend_servers is empty when monitoring lists no server', async () => {
  const [n] = await runLua('return #require("nauthilus_backend").get_backend_servers()', { call: filterCall([]) });
  assert.equal(n, 0);
});

test('Nauthilus 1.10: select_backend_server records host and port; anything but two arguments raises', async () => {
  const call = filterCall();
  const [one, bad] = await runLua(`
    local b = require("nauthilus_backend")
    local ok1, e1 = pcall(b.select_backend_server, "10.0.0.1")
    local ok2, e2 = pcall(b.select_backend_server, "10.0.0.1", "143")
    b.select_backend_server("10.0.0.7", 9931)
    return e1, e2`, { call });
  assert.match(String(one), /bad argument #2 to 'select_backend_server' \(expected server \(string\) and port \(number\)\)/);
  assert.match(String(bad), /number expected/);
  assert.deepEqual(call.backend?.selected, { host: '10.0.0.7', port: 9931 });
});

test('Nauthilus 1.10: apply_backend_result merges the attributes of a backend result, remove_from_backend_result names attributes to drop', async () => {
  const call = filterCall();
  const [notResult] = await runLua(`
    local b = require("nauthilus_backend")
    local r1 = nauthilus_backend_result.new()
    r1:attributes({ ["Proxy-Host"] = "10.0.0.7", groups = { "a", "b" }, n = 4 / 2 })
    b.apply_backend_result(r1)
    local r2 = nauthilus_backend_result.new()
    r2:attributes({ ["Proxy-Host"] = "10.0.0.8" })
    b.apply_backend_result(r2)
    b.remove_from_backend_result({ "mail", "quota" })
    local ok, err = pcall(b.apply_backend_result, { attributes = {} })
    return err`, { call });
  assert.match(String(notResult), /expected lua backend_result/);
  assert.deepEqual(call.backend?.apply, { 'Proxy-Host': '10.0.0.8', groups: ['a', 'b'], n: '2' });
  assert.deepEqual(call.backend?.remove, ['mail', 'quota']);
});

test('nauthilus_backend outside a filter raises a clear error (Nauthilus 1.10 gives the module to filters only)', async () => {
  const [err] = await runLua(`
    local ok, err = pcall(require("nauthilus_backend").get_backend_servers)
    return err`);
  assert.match(String(err), /only available while a filter runs/);
});

test('Nauthilus 1.10: check_backend_connection returns nil for a listening server and the error text otherwise', async () => {
  // a local IMAP stand-in: greets, then answers LOGOUT
  const srv = net.createServer((c) => {
    c.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
    c.on('data', () => c.end('* BYE\r\n'));
    c.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  // a port nobody listens on: a second server, closed before the check
  const gone = net.createServer();
  await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
  const deadPort = (gone.address() as net.AddressInfo).port;
  await new Promise<void>((r) => gone.close(() => r()));
  try {
    const [alive, deep, dead, noPort] = await runLua(`
      local b = require("nauthilus_backend")
      local e1 = b.check_backend_connection({ protocol = "imap", ip_address = "127.0.0.1", port = ${port} })
      local e2 = b.check_backend_connection({ protocol = "IMAP", ip_address = "127.0.0.1", port = ${port}, deep_check = true })
      local e3 = b.check_backend_connection({ protocol = "imap", ip_address = "127.0.0.1", port = ${deadPort} })
      local ok, e4 = pcall(b.check_backend_connection, { protocol = "imap", ip_address = "127.0.0.1" })
      return e1 == nil, e2 == nil, e3, e4`, { call: filterCall() });
    assert.equal(alive, true);
    assert.equal(deep, true);
    assert.match(String(dead), /TCP dial failed/);
    assert.match(String(noPort), /port must be a number/);
  } finally {
    await new Promise<void>((r) => srv.close(() => r()));
  }
});
