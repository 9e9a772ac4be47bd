// The ip-scoping keys of Nauthilus 1.10 (lua.config.ip_scoping_v*_cidr, brute_force.ip_scoping.*) reach scoped_ip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../engine/config/load';
import { ipScopingOf } from '../../engine/lua/modules/ip-scoper';
import { FILE, linesOf, yml } from '../helpers/config-text';

test('Nauthilus 1.10: lua.config.ip_scoping_v4_cidr/v6_cidr and brute_force.ip_scoping are accepted and set the scoped_ip networks', () => {
  const text = yml(
    'lua:',
    '  config: {ip_scoping_v4_cidr: 24, ip_scoping_v6_cidr: 64}',
    'brute_force:',
    '  ip_scoping: {rwp_ipv6_cidr: 56, tolerations_ipv6_cidr: 48}',
  );
  const cfg = parseConfigText(text, FILE, { checkFiles: false, env: {} });
  assert.deepEqual(ipScopingOf(cfg), { luaV4: 24, luaV6: 64, rwpV6: 56, tolerationsV6: 48 });
  assert.deepEqual(ipScopingOf(parseConfigText(yml('lua:', '  config: {}'), FILE, { checkFiles: false, env: {} })), {
    luaV4: undefined, luaV6: undefined, rwpV6: undefined, tolerationsV6: undefined,
  });
});

test('an ip_scoping CIDR out of range names the key', () => {
  const lines = linesOf(yml('lua:', '  config: {ip_scoping_v4_cidr: 33}', 'brute_force:', '  ip_scoping: {rwp_ipv6_cidr: 0}'));
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0], /lua\.config\.ip_scoping_v4_cidr/);
  assert.match(lines[1], /brute_force\.ip_scoping\.rwp_ipv6_cidr/);
});
