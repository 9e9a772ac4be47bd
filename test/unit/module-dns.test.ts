// nauthilus_dns against a real local DNS server (UDP on 127.0.0.1): record types, NXDOMAIN, timeouts, trace.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { runLua, testServices } from '../helpers/lua-harness';
import { startDnsServer, type DnsServer } from '../helpers/dns-server';
import { CallContext } from '../../engine/lua/call-context';

let dns: DnsServer;

before(async () => {
  dns = await startDnsServer({
    'mail.example.test': { A: ['192.0.2.10', '192.0.2.11'], AAAA: ['2001:db8::10'] },
    'example.test': {
      MX: [{ priority: 10, exchange: 'mail.example.test' }, { priority: 20, exchange: 'backup.example.test' }],
      NS: ['ns1.example.test'],
      TXT: ['v=spf1 -all', 'x'.repeat(300)],
    },
    'www.example.test': { CNAME: 'mail.example.test' },
    'empty.example.test': {},
    '192.0.2.10': { PTR: ['mail.example.test'] },
    '2.0.0.127.zen.example.test': { A: ['127.0.0.2'], TXT: ['listed'] },
  });
});

after(() => dns.stop());

test('A, AAAA, MX, NS, TXT, CNAME and PTR answers', async () => {
  const [a, aaaa, mx, ns, txt, cname, ptr, cnameA] = await runLua(`
    local d = require("nauthilus_dns")
    local function must(v, err) require("nauthilus_util").if_error_raise(err) return v end
    return must(d.resolve("mail.example.test", "A")), must(d.resolve("mail.example.test", "AAAA")),
      must(d.resolve("example.test", "MX")), must(d.resolve("example.test", "NS")), must(d.resolve("example.test", "txt")),
      must(d.resolve("www.example.test", "CNAME")), must(d.resolve("192.0.2.10", "PTR")), must(d.resolve("www.example.test", "A"))`,
  { dnsResolver: dns.address });
  assert.deepEqual(a, ['192.0.2.10', '192.0.2.11']);
  assert.deepEqual(aaaa, ['2001:db8::10']);
  assert.deepEqual(mx, [{ host: 'mail.example.test.', pref: 10 }, { host: 'backup.example.test.', pref: 20 }]);
  assert.deepEqual(ns, ['ns1.example.test.']);
  assert.deepEqual(txt, ['v=spf1 -all', 'x'.repeat(300)]);
  assert.equal(cname, 'mail.example.test.');
  assert.deepEqual(ptr, ['mail.example.test.']);
  assert.deepEqual(cnameA, ['192.0.2.10', '192.0.2.11']);
});

test('an RBL-style lookup: listed gives the answer, unlisted is NXDOMAIN (nil and an error)', async () => {
  const [listed, e1, unlisted, e2] = await runLua(`
    local d = require("nauthilus_dns")
    local listed, e1 = d.resolve("2.0.0.127.zen.example.test")
    local unlisted, e2 = d.resolve("3.0.0.127.zen.example.test", "A")
    return listed, e1, unlisted, e2`, { dnsResolver: dns.address });
  assert.deepEqual(listed, ['127.0.0.2']);
  assert.equal(e1, null);
  assert.equal(unlisted, null);
  assert.equal(e2, 'lookup 3.0.0.127.zen.example.test (A): no such host');
});

test('an existing name without records of the type gives an empty table and no error', async () => {
  const [t, err, n] = await runLua(`
    local d = require("nauthilus_dns")
    local t, err = d.resolve("empty.example.test", "TXT")
    return t, err, #t`, { dnsResolver: dns.address });
  assert.equal(err, null);
  assert.equal(n, 0);
  assert.ok(t !== null);
});

test('a server that never answers is an error return within the timeout', async () => {
  const silent = await startDnsServer({}, { silent: true });
  try {
    const t0 = performance.now();
    const [r, err] = await runLua(`return require("nauthilus_dns").resolve("example.test", "A", { timeout = "300ms" })`, { dnsResolver: silent.address });
    const took = performance.now() - t0;
    assert.equal(r, null);
    assert.equal(err, 'lookup example.test (A): i/o timeout');
    assert.ok(took < 300 + 1500, `took ${took} ms`);
    assert.equal(silent.queries.length, 1); // one try, no retries
  } finally {
    await silent.stop();
  }
});

test('without a timeout option the configured dns timeout applies', async () => {
  const silent = await startDnsServer({}, { silent: true });
  try {
    const services = { ...testServices({ dnsResolver: silent.address }), dnsTimeoutMs: 250 };
    const t0 = performance.now();
    const [r, err] = await runLua('return require("nauthilus_dns").resolve("example.test")', { services });
    assert.equal(r, null);
    assert.equal(err, 'lookup example.test (A): i/o timeout');
    assert.ok(performance.now() - t0 < 250 + 1500);
  } finally {
    await silent.stop();
  }
});

test('a closed resolver port is an error return, not a hang', async () => {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  await new Promise<void>((r) => sock.close(() => r()));
  const t0 = performance.now();
  const [r, err] = await runLua(`return require("nauthilus_dns").resolve("example.test", "MX", { timeout = 1 })`, { dnsResolver: `127.0.0.1:${port}` });
  assert.equal(r, null);
  assert.match(err as string, /^lookup example\.test \(MX\): (connection refused|i\/o timeout)$/);
  assert.ok(performance.now() - t0 < 1000 + 1500);
});

test('unsupported types and bad options are error returns; wrong argument types raise', async () => {
  const [r, err, r2, err2] = await runLua(`
    local d = require("nauthilus_dns")
    local r, err = d.resolve("example.test", "SRV")
    local r2, err2 = d.resolve("example.test", "A", { timeout = "later" })
    return r, err, r2, err2`, { dnsResolver: dns.address });
  assert.equal(r, null);
  assert.equal(err, 'unsupported record type: SRV');
  assert.equal(r2, null);
  assert.match(err2 as string, /invalid timeout/);
  await assert.rejects(runLua('return require("nauthilus_dns").resolve(nil, "A")'), /bad argument #1 to 'resolve' \(string expected, got nil\)/);
  await assert.rejects(runLua('return require("nauthilus_dns").resolve("x", 1)'), /bad argument #2 to 'resolve' \(string or nil expected, got number\)/);
});

test('lookups are recorded on the trace with name, type, answers and their count, or the error', async () => {
  const call = new CallContext('dns-trace', { recordEvents: true });
  await runLua(`
    local d = require("nauthilus_dns")
    d.resolve("mail.example.test", "A")
    d.resolve("nope.example.test", "TXT")
    return 1`, { dnsResolver: dns.address, call });
  const ev = call.events.filter((e) => e.kind === 'dns').map((e) => e.detail);
  assert.equal(ev.length, 2);
  assert.deepEqual([ev[0].name, ev[0].type, ev[0].answers], ['mail.example.test', 'A', 2]);
  // a studio trace (and the debugger's Host calls) keeps the answers themselves
  assert.equal((ev[0].values as string[]).length, 2);
  assert.ok((ev[0].values as string[]).every((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)), JSON.stringify(ev[0].values));
  assert.deepEqual([ev[1].name, ev[1].type, ev[1].error], ['nope.example.test', 'TXT', 'lookup nope.example.test (TXT): no such host']);
});
