// The `time` module: clocks, sleep, and Go reference-time layouts for format and parse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';

test('unix() and unix_nano() read the wall clock; sleep() waits without blocking other work', async () => {
  const before = Date.now() / 1000;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const [unix, nano, slept, isFloat] = await runLua(`
    local time = require("time")
    local u, n = time.unix(), time.unix_nano()
    local t0 = time.unix()
    time.sleep(0.1)
    return u, n, time.unix() - t0, math.type(u)`);
  clearInterval(timer);
  const after = Date.now() / 1000;
  assert.ok((unix as number) >= before - 0.01 && (unix as number) <= after + 0.01);
  assert.ok(Math.abs((nano as number) / 1e9 - (unix as number)) < 1);
  assert.equal(isFloat, 'float');
  assert.ok((slept as number) >= 0.09, `slept ${slept}`);
  assert.ok(ticks >= 5, 'the event loop kept running while the script slept');
});

test('a sleep longer than the script timeout ends with the timeout', async () => {
  const started = Date.now();
  await assert.rejects(runLua('require("time").sleep(30)\nreturn 1', { timeoutMs: 200 }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'AS_ERR_LUA_TIMEOUT');
    return true;
  });
  assert.ok(Date.now() - started < 2000);
});

test('format() with Go layouts and time zones', async () => {
  const r = await runLua(`
    local time = require("time")
    return time.format(1543721585, "Jan  2 15:04:05 2006", "Europe/Moscow"),
      time.format(1543721585.5, "2006-01-02T15:04:05.000Z07:00", "UTC"),
      time.format(1543721585, "2006-01-02T15:04:05Z07:00", "Asia/Kolkata"),
      time.format(1543721585, "Mon Jan 2 15:04:05 -0700 MST 2006", "America/New_York"),
      time.format(1690000000, "Monday, 02-Jan-06 03:04:05 PM MST", "Europe/Berlin"),
      time.format(1543721585.25, "15:04:05.999999 002 _2 __2", "UTC"),
      time.format(1543721585, "20060102150405", ""),
      select(2, time.format(0, "2006", "Mars/Base"))`);
  assert.deepEqual(r, [
    'Dec  2 06:33:05 2018',
    '2018-12-02T03:33:05.500Z',
    '2018-12-02T09:03:05+05:30',
    'Sat Dec 1 22:33:05 -0500 EST 2018',
    'Saturday, 22-Jul-23 06:26:40 AM CEST',
    '03:33:05.25 336  2 336',
    '20181202033305',
    'unknown time zone Mars/Base',
  ]);
});

test('parse() as Go time.Parse / ParseInLocation, with Go error messages', async () => {
  const r = await runLua(`
    local time = require("time")
    local out = {}
    local function p(...) local v, e = time.parse(...) out[#out + 1] = v or e end
    p("Dec  2 03:33:05 2018", "Jan  2 15:04:05 2006")
    p("Dec  2 03:33:05 2018", "Jan  2 15:04:05 2006", "Asia/Shanghai")
    p("2024-03-10T12:00:00+02:00", "2006-01-02T15:04:05Z07:00")
    p("2024-03-10T12:00:00Z", "2006-01-02T15:04:05Z07:00")
    p("2024-03-10 12:00:00.250", "2006-01-02 15:04:05.000")
    p("11:30PM", "3:04PM")
    p("Dec  32 03:33:05 2018", "Jan  2 15:04:05 2006")
    p("2024/03/10", "2006-01-02")
    p("2024-13-10", "2006-01-02")
    p("2024-03-10x", "2006-01-02")
    p("2024-03-10", "2006-01-02", "Mars/Base")
    return out`);
  assert.deepEqual(r[0], [
    1543721585,
    1543721585 - 8 * 3600,
    Date.UTC(2024, 2, 10, 10) / 1000,
    Date.UTC(2024, 2, 10, 12) / 1000,
    Date.UTC(2024, 2, 10, 12) / 1000 + 0.25,
    -62167219200 + 23.5 * 3600, // year 0, January 1 (Go's defaults), 23:30 UTC
    'parsing time "Dec  32 03:33:05 2018": day out of range',
    'parsing time "2024/03/10" as "2006-01-02": cannot parse "/03/10" as "-"',
    'parsing time "2024-13-10": month out of range',
    'parsing time "2024-03-10x": extra text: "x"',
    'unknown time zone Mars/Base',
  ]);
});

test('wrong argument types raise Lua errors', async () => {
  for (const [body, msg] of [
    ['time.sleep("1")', "bad argument #1 to 'sleep' (number expected, got string)"],
    ['time.format("now")', "bad argument #1 to 'format' (number expected, got string)"],
    ['time.parse("2024")', "bad argument #2 to 'parse' (string expected, got nil)"],
  ]) {
    await assert.rejects(runLua(`local time = require("time")\n${body}\nreturn 1`), (e: Error & { format(): string }) => {
      assert.match(e.format(), /^test\.lua:\d+: /);
      assert.ok(e.format().includes(msg), e.format());
      return true;
    });
  }
});
