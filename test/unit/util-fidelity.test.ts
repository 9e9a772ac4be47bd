// nauthilus_util return shapes as Nauthilus 1.10's share/nauthilus_util.lua gives them (our own scripts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';
import { CallContext } from '../../engine/lua/call-context';

test('Nauthilus 1.10: toboolean is false only for "false", "0" and "" (any case); numbers by their text', async () => {
  const [out] = await runLua(`
    local u = require("nauthilus_util")
    local out = {}
    for _, v in ipairs({"false", "FALSE", "0", "", "no", "off", "yes", "true", "1", "anything", 0, 1, 6/2 - 3, 2.5}) do
      out[#out + 1] = u.toboolean(v)
    end
    return out`);
  assert.deepEqual(out, [false, false, false, false, true, true, true, true, true, true, false, true, false, true]);
});

test('Nauthilus 1.10: toboolean raises for a boolean or nil, as string.lower does there', async () => {
  await assert.rejects(runLua('return require("nauthilus_util").toboolean(true)'), /string expected, got boolean/);
  await assert.rejects(runLua('return require("nauthilus_util").toboolean(nil)'), /string expected, got nil/);
});

test('Nauthilus 1.10: is_routable_ip follows its fixed range list (IPv4 octets not range-checked, IPv6 by prefix)', async () => {
  const cases: Array<[string, boolean]> = [
    ['8.8.8.8', true], ['10.1.2.3', false], ['172.16.0.1', false], ['172.32.0.1', true], ['192.168.0.1', false],
    ['169.254.1.1', false], ['127.0.0.1', false], ['0.1.2.3', false], ['100.64.0.1', false], ['100.128.0.1', true],
    ['192.0.0.5', false], ['192.0.2.1', false], ['198.51.100.7', false], ['203.0.113.9', false], ['192.88.99.1', false],
    ['198.18.0.1', true], // benchmarking range: not in Nauthilus' list
    ['224.0.0.1', false], ['250.1.1.1', false], ['999.1.1.1', true], // not range-checked there
    ['fc00::1', false], ['fd12::1', false], ['fe80::1', false], ['feb0::1', false], ['::1', false], ['::', false],
    ['2001:db8::1', true], ['ff02::1', true], ['::ffff:10.0.0.1', true], ['2a00:1450::1', true],
    ['', false], ['localhost', false], [' 8.8.8.8', false],
  ];
  const [out] = await runLua(`
    local u = require("nauthilus_util")
    local out = {}
    for _, ip in ipairs({${cases.map(([ip]) => JSON.stringify(ip)).join(', ')}}) do out[#out + 1] = u.is_routable_ip(ip) end
    return out`);
  assert.deepEqual((out as boolean[]).map((v, i) => `${cases[i][0]}=${v}`), cases.map(([ip, want]) => `${ip}=${want}`));
});

test('Nauthilus 1.10: get_current_timestamp is "YYYY-MM-DDTHH:MM:SS -07:00" in $TZ (UTC when unset or unknown)', async () => {
  const before = Math.floor(Date.now() / 1000);
  const [utc] = await runLua('return require("nauthilus_util").get_current_timestamp()');
  const [kolkata] = await runLua('return require("nauthilus_util").get_current_timestamp()', { env: { TZ: 'Asia/Kolkata' } });
  const [bogus] = await runLua('return require("nauthilus_util").get_current_timestamp()', { env: { TZ: 'Not/AZone' } });
  assert.match(utc as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d \+00:00$/);
  assert.match(kolkata as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d \+05:30$/);
  assert.match(bogus as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d \+00:00$/);
  const parsed = Date.parse((utc as string).replace(' ', '').replace('+00:00', 'Z')) / 1000;
  assert.ok(parsed >= before && parsed <= before + 5, `${utc} is not now`);
});

test('Nauthilus 1.10: print_result stamps the line with ts (get_current_timestamp)', async () => {
  const call = new CallContext('s', { recordEvents: true });
  await runLua('require("nauthilus_util").print_result({ log_format = "json" }, { caller = "x.lua" }) return 1', { call });
  const log = call.events.find((e) => e.kind === 'log');
  const line = JSON.parse(String(log?.detail.line));
  assert.equal(line.caller, 'x.lua');
  assert.match(line.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d \+00:00$/);
});
