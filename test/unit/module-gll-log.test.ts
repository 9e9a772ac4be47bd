// The `log` and `loglevel` modules: gopher-lua-libs v0.7.0's Go log.Logger (fmt.Sprint/Sprintln/Sprintf over
// gopher-lua 1.1.1 values) as Nauthilus 1.10 bundles it; STDOUT/STDERR go to the engine log and the trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLua } from '../helpers/lua-harness';
import { CallContext } from '../../engine/lua/call-context';

function logLines(call: CallContext): string[] {
  return call.events.filter((e) => e.kind === 'log').map((e) => String(e.detail.line));
}

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): log prints as Go fmt does with gopher-lua values', async () => {
  const call = new CallContext('s', { recordEvents: true });
  await runLua(`
    dynamic_loader("nauthilus_gll_log")
    local log = require("log")
    local l = log.new()
    l:set_prefix("[p] ")
    l:print("a", "b", 1, 2, true)
    l:println("a", 1, true, nil)
    l:printf("%d items, %s, %5.2f|%-4s|%q|%x|%v|%v", 3.7, 2, 1.5, "x", "hi", 255, 2.5, 10)
    l:printf("%d and %d", "abc", "12")
    l:printf("%d %d", 1)
    l:printf("x", 1, "y")
    return true`, { call });
  assert.deepEqual(logLines(call), [
    '[p] ab1 2 true',
    '[p] a 1 true nil',
    '[p] 3 items, 2,  1.50|x   |"hi"|ff|2.5|10',
    '[p] 0 and 12',
    '[p] 1 %!d(MISSING)',
    '[p] x%!(EXTRA lua.LNumber=1, lua.LString=y)',
  ]);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): log flags put Go\'s date and time after the prefix; flags must be bools', async () => {
  const call = new CallContext('s', { recordEvents: true });
  const r = await runLua(`
    local log = require("log")
    local l = log.new("STDERR", "app: ", { date = true })
    l:print("one")
    l:set_flags({ time = true, microseconds = true, utc = true })
    l:print("two")
    local ok, err = pcall(l.set_flags, l, { date = 1 })
    local ok2, err2 = pcall(l.print, {}, "x")
    return err, err2`, { call });
  const lines = logLines(call);
  assert.match(lines[0], /^app: \d{4}\/\d{2}\/\d{2} one$/);
  assert.match(lines[1], /^app: \d{2}:\d{2}:\d{2}\.\d{6} two$/);
  assert.match(String(r[0]), /bad argument #1 to 'set_flags' \(date: must be bool\)/);
  assert.match(String(r[1]), /bad argument #1 to 'print' \(logger_ud expected\)/);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): a file output appends with lua_allow_io; without it set_output is refused', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-log-'));
  try {
    await runLua(`
      local l = require("log").new("app.log", "x: ")
      l:println("hello")
      l:printf("n=%d", 5)
      l:close()
      return true`, { allowIo: true, baseDir: dir });
    assert.equal(fs.readFileSync(path.join(dir, 'app.log'), 'utf8'), 'x: hello\nx: n=5\n');

    const call = new CallContext('s', { recordEvents: true });
    const [err] = await runLua(`
      local l = require("log").new("other.log")
      local err = l:set_output("other.log")
      l:print("still logged")
      return err`, { baseDir: dir, call });
    assert.equal(err, 'open other.log: host file access is off (server.lua_allow_io: false)');
    assert.deepEqual(logLines(call), ['still logged']);
    assert.equal(fs.existsSync(path.join(dir, 'other.log')), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): longfile puts the caller\'s file:line first', async () => {
  const call = new CallContext('s', { recordEvents: true });
  await runLua(`
    local l = require("log").new("-", "", { longfile = true })
    l:print("here")
    return true`, { call });
  assert.match(logLines(call)[0], /^test\.lua:\d+: here$/);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): loglevel sends levels below the current one to /dev/null', async () => {
  const call = new CallContext('s', { recordEvents: true });
  const r = await runLua(`
    local ll = require("loglevel")
    local before = ll.get_level()
    ll.DEBUG:print("hidden")
    ll.INFO:print("shown")
    ll.set_level("debug")
    ll.DEBUG:print("now shown")
    ll.set_level("ERROR")
    ll.WARN:print("hidden again")
    local ok, err = pcall(ll.set_level, "verbose")
    return before, ll.get_level(), ll.default_output(), ok, type(ll.new)`, { call });
  assert.deepEqual(r, ['INFO', 'ERROR', 'STDERR', false, 'function']);
  const lines = logLines(call);
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^\[INFO\] \d{4}\/\d{2}\/\d{2} shown$/);
  assert.match(lines[1], /^\[DEBUG\] \d{4}\/\d{2}\/\d{2} now shown$/);
});
