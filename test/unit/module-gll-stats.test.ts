// The `stats` module as gopher-lua-libs v0.7.0 (montanaflynn/stats v0.6.3) answers in Nauthilus 1.10.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): stats counts #t leading zeros, as its make+append slice does', async () => {
  const r = await runLua(`
    local stats = require("stats")
    return stats.median({1, 2, 3}), stats.median({5}), stats.percentile({1, 2, 3, 4}, 50),
      stats.percentile({1, 2, 3, 4}, 100), stats.percentile({10, 20}, 90), stats.standard_deviation({2, 2}),
      tostring(stats.median({4, 6}))`);
  // data {0,0,0,1,2,3} -> 0.5; {0,5} -> 2.5; {0,0,0,0,1,2,3,4} p50 -> index 4 -> 0; p100 -> 4;
  // {0,0,10,20} p90 -> index 3.6 -> mean(10, 20); {0,0,2,2} -> population deviation 1; {0,0,4,6} -> 2 printed as gopher-lua does
  assert.deepEqual(r, [0.5, 2.5, 0, 4, 15, 1, '2']);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): stats error returns and argument errors', async () => {
  const r = await runLua(`
    local stats = require("stats")
    local a, ae = stats.median({})
    local b, be = stats.median({1, "x"})
    local c, ce = stats.percentile({1, 2}, 0)
    local d, de = stats.percentile({1, 2}, 101)
    local e, ee = stats.standard_deviation({})
    local ok, err = pcall(stats.median, "nope")
    local ok2, err2 = pcall(stats.percentile, {1, 2})
    return a, ae, b, be, c, ce, d, de, e, ee, ok, err, ok2, err2`);
  assert.deepEqual(r.slice(0, 12), [
    null, 'Input must not be empty.', null, 'only table of numbers is supported',
    null, 'Input is outside of range.', null, 'Input is outside of range.',
    null, 'Input must not be empty.', false, "bad argument #1 to 'median' (table expected, got string)",
  ]);
  assert.equal(r[12], false);
  assert.match(String(r[13]), /bad argument #2 to 'percentile' \(number expected/);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): dynamic_loader("nauthilus_gll_stats") then require("stats")', async () => {
  const [t] = await runLua('dynamic_loader("nauthilus_gll_stats"); return type(require("stats").percentile)');
  assert.equal(t, 'function');
});
