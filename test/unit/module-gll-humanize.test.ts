// The `humanize` module (gopher-lua-libs v0.7.0 over go-humanize v1.0.1, as Nauthilus 1.10 builds it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';
import { relativeTime, goFixed } from '../../engine/lua/modules/gll-humanize';

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): humanize.ibytes uses powers of 1024 and rounds as Go prints', async () => {
  const r = await runLua(`
    dynamic_loader("nauthilus_gll_humanize")
    local h = require("humanize")
    return h.ibytes(0), h.ibytes(9), h.ibytes(1023), h.ibytes(1024), h.ibytes(1536), h.ibytes(10752), h.ibytes(11776), h.ibytes(5 * 1024 ^ 3)`);
  // 10.5 KiB prints "10 KiB" and 11.5 KiB "12 KiB": Go's %.0f rounds a tie to the even digit
  assert.deepEqual(r, ['0 B', '9 B', '1023 B', '1.0 KiB', '1.5 KiB', '10 KiB', '12 KiB', '5.0 GiB']);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): humanize.ibytes of a negative size is an argument error', async () => {
  await assert.rejects(runLua('return require("humanize").ibytes(-1)'), /bad argument #1 to 'ibytes' \(must be positive\)/);
});

test("gopher-lua-libs v0.7.0 (Nauthilus 1.10): humanize.parse_bytes reads SI and IEC sizes; errors are nil plus Go's text", async () => {
  const r = await runLua(`
    local h = require("humanize")
    local out = { h.parse_bytes("42 MB"), h.parse_bytes("42mib"), h.parse_bytes("1,000 kB"), h.parse_bytes("1.5 GiB"), h.parse_bytes("7") }
    for _, s in ipairs({ "12 parsecs", "MB", "1.2.3 kB", "20 EiB" }) do
      local v, err = h.parse_bytes(s)
      out[#out + 1] = tostring(v) .. "|" .. err
    end
    return table.unpack(out)`);
  assert.deepEqual(r, [
    42000000, 44040192, 1000000, 1610612736, 7,
    'nil|unhandled size name: parsecs',
    'nil|strconv.ParseFloat: parsing "": invalid syntax',
    'nil|strconv.ParseFloat: parsing "1.2.3": invalid syntax',
    'nil|too large: 20 EiB',
  ]);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): humanize.si scales to an SI prefix and drops trailing zeros', async () => {
  const r = await runLua(`
    local h = require("humanize")
    return h.si(0, "B"), h.si(1000, "B"), h.si(2.2345e-12, "F"), h.si(-1500000, "W"), h.si(999, "g"), h.si("0.0078125", "m"), h.si(1e-3, "s")`);
  assert.deepEqual(r, ['0 B', '1 kB', '2.2345 pF', '-1.5 MW', '999 g', '7.8125 mm', '1 ms']);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): humanize.time says how long ago or from now, in go-humanize steps', async () => {
  const now = Date.parse('2026-06-01T12:00:00.250Z');
  const s = now / 1000;
  const at = (sec: number) => relativeTime(Math.trunc(s - sec), now);
  assert.deepEqual(
    [at(0), at(1), at(45), at(90), at(3000), at(5400), at(30 * 3600), at(3 * 86400), at(10 * 86400), at(20 * 86400),
      at(45 * 86400), at(100 * 86400), at(400 * 86400), at(500 * 86400), at(800 * 86400), at(40 * 360 * 86400), at(-7200)],
    ['now', '1 second ago', '45 seconds ago', '1 minute ago', '50 minutes ago', '1 hour ago', '1 day ago', '3 days ago',
      '1 week ago', '2 weeks ago', '1 month ago', '3 months ago', '1 year ago', '1 year ago', '2 years ago', 'a long while ago',
      '1 hour from now'],
  );
  const [t] = await runLua('return require("humanize").time(os.time() - 3 * 3600 - 5)');
  assert.equal(t, '3 hours ago');
});

test("gopher-lua-libs v0.7.0 (Nauthilus 1.10): Go's FormatFloat rounds exact ties to even", () => {
  assert.deepEqual([goFixed(0.0078125, 6), goFixed(0.0234375, 6), goFixed(2.5, 0), goFixed(3.5, 0), goFixed(1.25, 1)], ['0.007812', '0.023438', '2', '4', '1.2']);
});
