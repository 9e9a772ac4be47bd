// nauthilus_psnet against real Lua: connection targets, their counts of established TCP connections (from the
// system's TCP table, as Nauthilus 1.10 counts them with gopsutil) and the generic_connections gauge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { runLua, testServices } from '../helpers/lua-harness';
import { connectionTargetsOf } from '../../engine/lua/modules/psnet';
import { MAX_TARGETS, parseTcpTable, splitHostPort } from '../../engine/lua/connection-targets';

function servicesWithLog() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, new Writable({
    write(chunk, _e, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  }));
  return { services: { ...testServices(), logger, dnsTimeoutMs: 1000 }, lines };
}

/** A TCP server on 127.0.0.1 with `n` clients connected to it. */
async function serverWithClients(n: number) {
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => accepted.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const clients = await Promise.all(Array.from({ length: n }, () => new Promise<net.Socket>((r) => {
    const c = net.connect(port, '127.0.0.1', () => r(c));
  })));
  while (accepted.length < n) await new Promise((r) => setImmediate(r));
  return {
    port,
    async close() {
      for (const s of [...clients, ...accepted]) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

const haveProc = fs.existsSync('/proc/net/tcp');

test('Nauthilus 1.10: get_connection_target of a target never registered is nil, "Target not registered"', async () => {
  const [v, err] = await runLua('dynamic_loader("nauthilus_psnet") return require("nauthilus_psnet").get_connection_target("127.0.0.1:1")');
  assert.equal(v, null);
  assert.equal(err, 'Target not registered');
});

test('Nauthilus 1.10: a registered target counts 0 until connections are counted, then the established connections to it', { skip: !haveProc && 'no /proc/net/tcp' }, async () => {
  const { services } = servicesWithLog();
  const srv = await serverWithClients(2);
  try {
    const [before] = await runLua(`
      local psnet = require("nauthilus_psnet")
      psnet.register_connection_target("127.0.0.1:${srv.port}", "remote", "test-backend")
      psnet.register_connection_target("0.0.0.0:${srv.port}", "remote", "any-address")
      psnet.register_connection_target("localhost:${srv.port}", "local", "listener")
      return { psnet.get_connection_target("127.0.0.1:${srv.port}"), psnet.get_connection_target("0.0.0.0:${srv.port}") }`, { services });
    assert.deepEqual(before, [0, 0]);
    connectionTargetsOf(services).updateCounts(); // what the 5 s ticker does
    const [after] = await runLua(`
      local psnet = require("nauthilus_psnet")
      return { psnet.get_connection_target("127.0.0.1:${srv.port}"), psnet.get_connection_target("0.0.0.0:${srv.port}"), psnet.get_connection_target("localhost:${srv.port}") }`, { services });
    assert.deepEqual(after, [2, 2, 2]);
    const text = await services.metrics.metrics();
    assert.match(text, new RegExp(`generic_connections\\{description="test-backend",target="127\\.0\\.0\\.1:${srv.port}",direction="remote"\\} 2`));
    assert.match(text, new RegExp(`generic_connections\\{description="listener",target="localhost:${srv.port}",direction="local"\\} 2`));
  } finally {
    await srv.close();
  }
  connectionTargetsOf(services).updateCounts();
  const [gone] = await runLua(`return require("nauthilus_psnet").get_connection_target("127.0.0.1:${srv.port}")`, { services });
  assert.equal(gone, 0);
});

test('Nauthilus 1.10: a target that is not host:port, or whose name does not resolve, is logged and not registered', async () => {
  const { services, lines } = servicesWithLog();
  const [out] = await runLua(`
    local psnet = require("nauthilus_psnet")
    local r = { psnet.register_connection_target("no-port-here", "remote", "x") }
    psnet.register_connection_target("does-not-exist.invalid:443", "remote", "y")
    local a, aerr = psnet.get_connection_target("no-port-here")
    local b, berr = psnet.get_connection_target("does-not-exist.invalid:443")
    return { #r, tostring(a), aerr, tostring(b), berr }`, { services });
  assert.deepEqual(out, [0, 'nil', 'Target not registered', 'nil', 'Target not registered']);
  const msgs = lines.map((l) => String(l.msg));
  assert.ok(msgs.some((m) => /"no-port-here": not host:port/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /unable to resolve DNS name "does-not-exist\.invalid"/.test(m)), msgs.join('\n'));
});

test('register_connection_target keeps the first registration of a target with the same direction', async () => {
  const { services } = servicesWithLog();
  await runLua(`
    local psnet = require("nauthilus_psnet")
    psnet.register_connection_target("127.0.0.1:3306", "remote", "first")
    psnet.register_connection_target("127.0.0.1:3306", "remote", "second")
    return 0`, { services });
  connectionTargetsOf(services).updateCounts([]);
  assert.match(await services.metrics.metrics(), /generic_connections\{description="first",target="127\.0\.0\.1:3306",direction="remote"\} 0/);
  assert.doesNotMatch(await services.metrics.metrics(), /description="second"/);
});

test('the TCP table is read as gopsutil reads it: established only, IPv4-mapped IPv6 as dotted IPv4', () => {
  const table = [
    '  sl  local_address                         remote_address                        st tx_queue rx_queue',
    '   0: 0100007F:0CEA 0100007F:D431 01 00000000:00000000',
    '   1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000',
    '   2: 0000000000000000FFFF00000100007F:01BB 0000000000000000FFFF00000200A8C0:C000 01 0',
    '   3: B80D0120000000000000000001000000:0050 00000000000000000000000001000000:1F90 01 0',
  ].join('\n');
  assert.deepEqual(parseTcpTable(table), [
    { localIp: '127.0.0.1', localPort: 3306, remoteIp: '127.0.0.1', remotePort: 54321 },
    { localIp: '127.0.0.1', localPort: 443, remoteIp: '192.168.0.2', remotePort: 49152 },
    { localIp: '2001:db8::1', localPort: 80, remoteIp: '::1', remotePort: 8080 },
  ]);
});

test('targets split as Go net.SplitHostPort splits them', () => {
  assert.deepEqual(splitHostPort('api.example.com:443'), { host: 'api.example.com', port: '443' });
  assert.deepEqual(splitHostPort('[2001:db8::1]:25'), { host: '2001:db8::1', port: '25' });
  assert.deepEqual(splitHostPort('host:'), { host: 'host', port: '' });
  assert.equal(splitHostPort('2001:db8::1:25'), undefined);
  assert.equal(splitHostPort('no-port'), undefined);
});

test(`at most ${MAX_TARGETS} targets: a script registering one per client cannot grow /metrics without bound (logged once)`, async () => {
  const { services, lines } = servicesWithLog();
  const [out] = await runLua(`
    local psnet = require("nauthilus_psnet")
    for i = 1, ${MAX_TARGETS + 50} do psnet.register_connection_target("10.0." .. (i // 256) .. "." .. (i % 256) .. ":443", "remote", "client") end
    local first = psnet.get_connection_target("10.0.0.1:443")
    local _, err = psnet.get_connection_target("10.0.1.${MAX_TARGETS + 50 - 256}:443")
    return { first, err }`, { services });
  assert.deepEqual(out, [0, 'Target not registered']);
  assert.equal(lines.filter((l) => /targets are registered already/.test(String(l.msg))).length, 1);
});
