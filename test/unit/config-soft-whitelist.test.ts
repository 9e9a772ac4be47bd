// The soft_whitelist keys of Nauthilus 1.10 (brute_force, relay_domains, realtime_blackhole_lists): username -> networks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../engine/config/load';
import { softWhitelistSeedsOf } from '../../engine/protection/soft-whitelist';
import { FILE, linesOf, yml } from '../helpers/config-text';

test('Nauthilus 1.10: brute_force, relay_domains and realtime_blackhole_lists accept soft_whitelist (username -> IP addresses and CIDR networks)', () => {
  const text = yml(
    'brute_force:',
    '  soft_whitelist: {alice: [192.0.2.0/24, "2001:db8::/32"], "bob@example.test": [198.51.100.7]}',
    '  buckets: [{name: b, period: 1h, cidr: 24, ipv4: true, failed_requests: 3}]',
    'relay_domains:',
    '  static: [example.test]',
    '  soft_whitelist: {carol: [203.0.113.0/24]}',
    'realtime_blackhole_lists:',
    '  soft_whitelist: {dave: [10.0.0.0/8]}',
  );
  const cfg = parseConfigText(text, FILE, { checkFiles: false, env: {} });
  assert.deepEqual(softWhitelistSeedsOf(cfg), {
    brute_force: { alice: ['192.0.2.0/24', '2001:db8::/32'], 'bob@example.test': ['198.51.100.7'] },
    relay_domains: { carol: ['203.0.113.0/24'] },
    rbl: { dave: ['10.0.0.0/8'] },
  });
});

test('a soft_whitelist entry that is not an IP address or network names its key path', () => {
  const lines = linesOf(yml(
    'brute_force:',
    '  soft_whitelist: {alice: [192.0.2.0/33], bob: 10.0.0.1}',
    'relay_domains:',
    '  soft_whitelist: {carol: [not-a-network]}',
  ));
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.match(lines[0], /brute_force\.soft_whitelist\.alice\[0\]/);
  assert.match(lines[1], /brute_force\.soft_whitelist\.bob/);
  assert.match(lines[2], /relay_domains\.soft_whitelist\.carol\[0\]/);
});
