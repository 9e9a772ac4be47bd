// nauthilus_misc against real Lua: country names and the bounded, non-blocking random wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua, testServices } from '../helpers/lua-harness';

test('get_country_name gives English names for ISO codes (and names), "Unknown" otherwise', async () => {
  const [out] = await runLua(`
    dynamic_loader("nauthilus_misc")
    local m = require("nauthilus_misc")
    local out = {}
    for _, c in ipairs({"US", "GB", "de", "Germany", "XYZ", "", "ZZ", "1"}) do
      local name, err = m.get_country_name(c)
      out[#out + 1] = name .. "|" .. tostring(err)
    end
    return out`);
  assert.deepEqual(out, ['United States|nil', 'United Kingdom|nil', 'Germany|nil', 'Germany|nil', 'Unknown|nil', 'Unknown|nil', 'Unknown|nil', 'Unknown|nil']);
});

test('wait_random sleeps a random time in [min, max) and returns it', async () => {
  const t0 = performance.now();
  const results = await runLua('return require("nauthilus_misc").wait_random(20, 60)');
  const elapsed = performance.now() - t0;
  const [waited] = results;
  assert.equal(results.length, 1); // the number alone, as in Nauthilus 1.10
  assert.ok(Number.isInteger(waited) && (waited as number) >= 20 && (waited as number) < 60, String(waited));
  assert.ok(elapsed >= (waited as number) - 1, `elapsed ${elapsed} ms < waited ${waited} ms`);
});

test('wait_random does not block the event loop: two calls run side by side', async () => {
  const t0 = performance.now();
  const [[a], [b]] = await Promise.all([
    runLua('return require("nauthilus_misc").wait_random(300, 301)'),
    runLua('return require("nauthilus_misc").wait_random(300, 301)'),
  ]);
  const took = performance.now() - t0;
  assert.deepEqual([a, b], [300, 300]);
  assert.ok(took < 550, `two 300 ms waits took ${took} ms`);
});

test('Nauthilus 1.10: wait_random answers a bad range with a single nil (no error value)', async () => {
  const [out] = await runLua(`
    local m = require("nauthilus_misc")
    local out = {}
    for _, r in ipairs({{-100, 500}, {100, -500}, {1000, 500}, {500, 500}, {1.2, 1.7}, {0, 120000}}) do
      out[#out + 1] = select("#", m.wait_random(r[1], r[2])) .. "|" .. tostring((m.wait_random(r[1], r[2])))
    end
    out[#out + 1] = select("#", m.wait_random(1, 3)) .. "|" .. type(m.wait_random("1", "3"))
    return out`);
  // 1.2 .. 1.7 is empty once truncated to whole milliseconds; above 60 s AuthStudio refuses (nil, logged)
  assert.deepEqual(out, ['1|nil', '1|nil', '1|nil', '1|nil', '1|nil', '1|nil', '1|number']);
});

test('a wait is cut short when the script call times out', async () => {
  const t0 = performance.now();
  await assert.rejects(runLua('require("nauthilus_misc").wait_random(5000, 5001) return 1', { timeoutMs: 200 }), /lua_script_timeout|longer than/);
  assert.ok(performance.now() - t0 < 2000);
});

test('wrong argument types raise errors naming the function', async () => {
  await assert.rejects(runLua('return require("nauthilus_misc").get_country_name(nil)'), /bad argument #1 to 'get_country_name' \(string or number expected, got nil\)/);
  await assert.rejects(runLua('return require("nauthilus_misc").wait_random("x", 2)'), /bad argument #1 to 'wait_random' \(number expected, got string\)/);
});

test('Nauthilus 1.10: get_country_name resolves 3-letter codes as well as 2-letter ones, and returns one value', async () => {
  const [out, count] = await runLua(`
    local m = require("nauthilus_misc")
    local out = {}
    for _, c in ipairs({"DEU", "deu", "USA", "GBR", "UK", "KOR", "kr", " d.e ", "Iran (Islamic Republic of)", "South Korea", "QQQ", "DEUX"}) do
      out[#out + 1] = m.get_country_name(c)
    end
    return out, select("#", m.get_country_name("DE"))`);
  assert.deepEqual(out, ['Germany', 'Germany', 'United States', 'United Kingdom', 'United Kingdom', 'Republic of Korea', 'Republic of Korea', 'Germany', 'Iran (Islamic Republic of)', 'Republic of Korea', 'Unknown', 'Unknown']);
  assert.equal(count, 1);
});

const scoping = { luaV4: 24, luaV6: 64, rwpV6: 56, tolerationsV6: 48 };

test('Nauthilus 1.10: scoped_ip(ctx, ip) gives the configured network per context; IPv4 is scoped only for lua_generic', async () => {
  const services = { ...testServices(), ipScoping: scoping };
  const [out] = await runLua(`
    local m = require("nauthilus_misc")
    return {
      m.scoped_ip("lua_generic", "203.0.113.77"),
      m.scoped_ip("203.0.113.77"),
      m.scoped_ip("metrics", "2001:db8:1:2:3:4:5:6"),
      m.scoped_ip("rwp", "2001:db8:1:2:3:4:5:6"),
      m.scoped_ip("repeating_wrong_password", "2001:db8:1:2ff:3:4:5:6"),
      m.scoped_ip("tolerations", "2001:db8:1:2ff:3:4:5:6"),
      m.scoped_ip("rwp", "203.0.113.77"),
      m.scoped_ip("no-such-context", "198.51.100.9"),
      m.scoped_ip(nil, "198.51.100.9"),
    }`, { services });
  assert.deepEqual(out, [
    '203.0.113.0/24', '203.0.113.0/24', '2001:db8:1:2::/64', '2001:db8:1::/56', '2001:db8:1:200::/56',
    '2001:db8:1::/48', '203.0.113.77', '198.51.100.0/24', '198.51.100.0/24',
  ]);
});

test('Nauthilus 1.10: scoped_ip returns the address unchanged without a CIDR, and any non-address text as given', async () => {
  const [out] = await runLua(`
    local m = require("nauthilus_misc")
    return { m.scoped_ip("lua_generic", "2001:db8::1"), m.scoped_ip("192.0.2.1"), m.scoped_ip("not an ip"), m.scoped_ip(""), m.scoped_ip("fe80::1%eth0") }`);
  assert.deepEqual(out, ['2001:db8::1', '192.0.2.1', 'not an ip', '', 'fe80::1%eth0']);
  const services = { ...testServices(), ipScoping: scoping };
  const [scoped] = await runLua('return { require("nauthilus_misc").scoped_ip("not an ip"), require("nauthilus_misc").scoped_ip("01.2.3.4") }', { services });
  assert.deepEqual(scoped, ['not an ip', '01.2.3.4']);
  await assert.rejects(runLua('return require("nauthilus_misc").scoped_ip()'), /bad argument #1 to 'scoped_ip' \(string or number expected, got nil\)/);
});
