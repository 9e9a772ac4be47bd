// The `tcp` module against real loopback servers, including the seed's HAProxy brute-force action.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { runLua, testServices } from '../helpers/lua-harness';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';
import { encodeLuaRequest } from '../../engine/pipeline/lua-request';

/** A server that hands every connection to `onConn`; closed by the returned function. */
async function serve(onConn: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    onConn(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const SEED_ACTION = `
local nauthilus_util = require("nauthilus_util")
dynamic_loader("nauthilus_context")
local nauthilus_context = require("nauthilus_context")
dynamic_loader("nauthilus_gll_tcp")
local tcp = require("tcp")
function nauthilus_call_action(request)
  local conn, err = tcp.open(os.getenv('HAPROXY_STATS'))
  if request.protocol == "smtps" or request.protocol == "submission" then
    err = conn:write("add map " .. os.getenv('HAPROXY_SMTP_MAP') .. " " .. request.client_net .. " block_smtp\\n")
  else
    err = conn:write("add map " .. os.getenv('HAPROXY_GENERIC_MAP') .. " " .. request.client_net .. " block_" .. request.protocol .. "\\n")
  end
  nauthilus_util.if_error_raise(err)
  local rt = nauthilus_context.context_get("rt")
  if rt == nil then
    rt = {}
  end
  if nauthilus_util.is_table(rt) then
    rt.brute_force_haproxy = true
    nauthilus_context.context_set("rt", rt)
  end
  return nauthilus_builtin.ACTION_RESULT_OK
end`;

test('the seed brute-force action writes the exact HAProxy map line, and the unclosed connection is closed with the VM', async () => {
  const received: string[] = [];
  let lineSeen: () => void = () => undefined;
  let closedByClient: () => void = () => undefined;
  const gotLines = new Promise<void>((r) => (lineSeen = r));
  const gotClose = new Promise<void>((r) => (closedByClient = r));
  const srv = await serve((s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.endsWith('\n')) {
        received.push(buf);
        buf = '';
        if (received.length === 2) lineSeen();
      }
    });
    s.on('end', () => closedByClient());
  });
  const services = testServices({
    env: { HAPROXY_STATS: `127.0.0.1:${srv.port}`, HAPROXY_GENERIC_MAP: '/etc/haproxy/generic.map', HAPROXY_SMTP_MAP: '/etc/haproxy/smtp.map' },
  });
  const vm = await LuaVm.create({ poolName: 'actions', services, memoryLimitBytes: 64 << 20, allowIo: false });
  try {
    const script = await vm.loadScript('haproxy.lua', SEED_ACTION, 5000);
    const call = new CallContext('s1', { recordEvents: true });
    const [r1] = await vm.dispatch('action', script, encodeLuaRequest({ protocol: 'imap', client_net: '203.0.113.0/24' }), [], call, 5000);
    const [r2] = await vm.dispatch('action', script, encodeLuaRequest({ protocol: 'submission', client_net: '198.51.100.0/24' }), [], new CallContext('s2'), 5000);
    assert.deepEqual([r1, r2], [0, 0]);
    await gotLines;
    assert.deepEqual(received.sort(), [
      'add map /etc/haproxy/generic.map 203.0.113.0/24 block_imap\n',
      'add map /etc/haproxy/smtp.map 198.51.100.0/24 block_smtp\n',
    ]);
    assert.deepEqual(call.context.get('rt'), { brute_force_haproxy: true });
    assert.deepEqual(call.events.map((e) => [e.kind, e.detail.op, e.detail.bytes ?? null]), [['tcp', 'open', null], ['tcp', 'write', 'add map /etc/haproxy/generic.map 203.0.113.0/24 block_imap\n'.length]]);
  } finally {
    vm.close();
  }
  await gotClose; // the script never closed its connections: closing the VM does
  await srv.close();
});

test('read: "*l" lines, up to n bytes, nil at end of stream, and an i/o timeout error', async () => {
  const srv = await serve((s) => {
    s.on('data', (d) => {
      const cmd = d.toString('utf8');
      if (cmd === 'ping') s.write('pong\r\nline two\nrest');
      if (cmd === 'bye') s.end('ciao');
    });
  });
  try {
    const [pong, two, part, rest, timeoutErr, fields, ciao, eof] = await runLua(`
      local tcp = require("tcp")
      local conn = assert(tcp.open("127.0.0.1:${srv.port}"))
      local fields = { conn.dialTimeout, conn.writeTimeout, conn.readTimeout, conn.closeTimeout }
      assert(conn:write("ping") == nil)
      local pong = conn:read("*l")
      local two = conn:read("*l")
      local part = conn:read(2)
      local rest = conn:read(100)
      conn.readTimeout = 0.2
      local none, terr = conn:read(10)
      conn:write("bye")
      local ciao = conn:read("*a")
      local eof = conn:read(10)
      conn:close()
      return pong, two, part, rest, terr, fields, ciao, tostring(eof)`);
    assert.deepEqual([pong, two, part, rest], ['pong', 'line two', 're', 'st']);
    assert.match(timeoutErr as string, /^read tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: i\/o timeout$/);
    assert.deepEqual(fields, [5, 1, 1, 1]);
    assert.equal(ciao, 'ciao');
    assert.equal(eof, 'nil');
  } finally {
    await srv.close();
  }
});

test('read does not split a multi-byte character, and writes send the exact bytes of several arguments', async () => {
  const got: Buffer[] = [];
  let done: () => void = () => undefined;
  const all = new Promise<void>((r) => (done = r));
  const srv = await serve((s) => {
    s.write(Buffer.from('aé', 'utf8'));
    s.on('data', (d) => {
      got.push(d);
      if (Buffer.concat(got).length >= Buffer.byteLength('x=42\nü')) done();
    });
  });
  try {
    const [first, second] = await runLua(`
      local tcp = require("tcp")
      local conn = assert(tcp.open("127.0.0.1:${srv.port}"))
      local a = conn:read(2)
      local b = conn:read(2)
      assert(conn:write("x=", 42, "\\nü") == nil)
      return a, b`);
    assert.deepEqual([first, second], ['a', 'é']);
    await all;
    assert.equal(Buffer.concat(got).toString('utf8'), 'x=42\nü');
  } finally {
    await srv.close();
  }
});

test('open errors are returned: refused port, missing port; use after close is an error', async () => {
  const port = await deadPort();
  const [refused, noPort] = await runLua(`
    local tcp = require("tcp")
    local c1, e1 = tcp.open("127.0.0.1:${port}")
    local c2, e2 = tcp.open("localhost")
    assert(c1 == nil and c2 == nil)
    return e1, e2`);
  assert.equal(refused, `dial tcp 127.0.0.1:${port}: connect: connection refused`);
  assert.equal(noPort, 'dial tcp: address localhost: missing port in address');
  const srv = await serve(() => undefined);
  try {
    const [w, r, again] = await runLua(`
      local tcp = require("tcp")
      local conn = assert(tcp.open("127.0.0.1:${srv.port}", 2))
      conn:close()
      local w = conn:write("x")
      local _, r = conn:read(1)
      return w, r, conn:close()`);
    assert.equal(w, 'write tcp: use of closed network connection');
    assert.equal(r, 'read tcp: use of closed network connection');
    assert.equal(again, null);
  } finally {
    await srv.close();
  }
});

test('wrong argument types raise Lua errors naming the function at the script line', async () => {
  const srv = await serve(() => undefined);
  try {
    for (const [body, msg] of [
      ['tcp.open(42)', "bad argument #1 to 'open' (string expected, got number)"],
      [`local c = assert(tcp.open("127.0.0.1:${srv.port}"))\nc.write("x")`, "bad argument #1 to 'write' (tcp connection expected)"],
      [`local c = assert(tcp.open("127.0.0.1:${srv.port}"))\nc:write({})`, "bad argument #2 to 'write' (string expected, got table)"],
      [`local c = assert(tcp.open("127.0.0.1:${srv.port}"))\nc:read({})`, "bad argument #2 to 'read' (number or string expected, got table)"],
      [`local c = assert(tcp.open("127.0.0.1:${srv.port}"))\nc:read("*x")`, "bad argument #2 to 'read' (unknown fmt string)"],
    ]) {
      await assert.rejects(runLua(`local tcp = require("tcp")\n${body}\nreturn 1`), (e: Error & { format(): string }) => {
        assert.match(e.format(), /^test\.lua:\d+: /);
        assert.ok(e.format().includes(msg), e.format());
        return true;
      });
    }
  } finally {
    await srv.close();
  }
});
