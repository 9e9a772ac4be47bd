// IpList (allowlists, cleartext_networks) matches as node's net.BlockList does, which it replaced for speed — except that,
// as in Go's net.IPNet (Nauthilus), an IPv4 address never matches an IPv6 network (BlockList maps it into ::ffff:0:0/96).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import { IpList } from '../../engine/protection/ip-list';

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const v6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((w) => w.map((x) => x.toString(16)).join(':'));

function reference(entries: string[]): net.BlockList {
  const b = new net.BlockList();
  for (const e of entries) {
    const [addr, bits] = e.split('/');
    const family = net.isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) b.addAddress(addr, family);
    else b.addSubnet(addr, Number(bits), family);
  }
  return b;
}

test('membership agrees with net.BlockList for random networks and addresses (IPv4 and IPv6)', () => {
  const entry = fc.oneof(
    fc.tuple(v4, fc.nat(32)).map(([a, b]) => `${a}/${b}`), v4,
    fc.tuple(v6, fc.nat(128)).map(([a, b]) => `${a}/${b}`), v6,
  );
  fc.assert(fc.property(fc.array(entry, { maxLength: 6 }), fc.array(fc.oneof(v4, v6), { minLength: 1, maxLength: 10 }), (entries, ips) => {
    const list = new IpList(entries);
    for (const ip of ips) {
      const family = net.isIP(ip);
      const sameFamily = reference(entries.filter((e) => net.isIP(e.split('/')[0]) === family));
      assert.equal(list.has(ip), sameFamily.check(ip, family === 6 ? 'ipv6' : 'ipv4'), `${ip} in [${entries.join(', ')}]`);
    }
    // an address of a listed network is always in
    for (const e of entries) assert.ok(list.has(e.split('/')[0]), e);
  }), { numRuns: 2000 });
});

test('compressed IPv6, a single address, and text that is not an address', () => {
  const list = new IpList(['2001:db8::/32', '192.0.2.7', '10.0.0.0/8', '::1']);
  assert.ok(list.has('2001:db8:1::5'));
  assert.ok(!list.has('2001:db9::5'));
  assert.ok(list.has('::1'));
  assert.ok(list.has('192.0.2.7'));
  assert.ok(!list.has('192.0.2.8'));
  assert.ok(list.has('10.200.3.4'));
  assert.ok(!list.has('not-an-ip'));
  assert.ok(!list.has('10.1.2'));
  assert.ok(!new IpList([]).has('10.1.2.3'));
  assert.ok(!new IpList(['::/0']).has('10.1.2.3'), 'an IPv4 client is not in an IPv6 network');
});
