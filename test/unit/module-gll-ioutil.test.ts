// The `ioutil` module: gopher-lua-libs v0.7.0's read_file/write_file (only with lua_allow_io), copy, copyn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLua } from '../helpers/lua-harness';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'as-ioutil-'));
}

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): ioutil.write_file then read_file round-trips; errors as Go words them', async () => {
  const dir = tempDir();
  try {
    const r = await runLua(`
      dynamic_loader("nauthilus_gll_ioutil")
      local ioutil = require("ioutil")
      local n = select("#", ioutil.write_file("out.txt", "line 1\\nline 2\\n"))
      local data = ioutil.read_file("out.txt")
      local m, err = ioutil.read_file("missing.txt")
      return n, data, m, err, ioutil.write_file("nodir/x.txt", "x")`, { allowIo: true, baseDir: dir });
    assert.deepEqual(r, [0, 'line 1\nline 2\n', null, 'open missing.txt: no such file or directory', 'open nodir/x.txt: no such file or directory']);
    assert.equal(fs.readFileSync(path.join(dir, 'out.txt'), 'utf8'), 'line 1\nline 2\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): without lua_allow_io ioutil reads and writes nothing', async () => {
  const dir = tempDir();
  try {
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'top secret');
    const r = await runLua(`
      local ioutil = require("ioutil")
      local d, err = ioutil.read_file("secret.txt")
      return d, err, ioutil.write_file("new.txt", "x")`, { baseDir: dir });
    assert.deepEqual(r, [null, 'open secret.txt: host file access is off (server.lua_allow_io: false)',
      'open new.txt: host file access is off (server.lua_allow_io: false)']);
    assert.equal(fs.existsSync(path.join(dir, 'new.txt')), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): ioutil.copy and copyn move data between reader and writer objects', async () => {
  const r = await runLua(`
    local ioutil, strings = require("ioutil"), require("strings")
    local w = strings.new_builder()
    local c1 = select("#", ioutil.copy(w, strings.new_reader("hello world")))
    local w2 = strings.new_builder()
    local c2 = select("#", ioutil.copyn(w2, strings.new_reader("hello world"), 5))
    local w3 = strings.new_builder()
    local short = ioutil.copyn(w3, strings.new_reader("abc"), 10)
    local ok, err = pcall(ioutil.copy, {}, strings.new_reader("x"))
    local failing = ioutil.copy(w, { read = function() error("boom", 0) end })
    return w:string(), c1, w2:string(), c2, w3:string(), short, ok, err, failing`);
  assert.deepEqual(r.slice(0, 7), ['hello world', 0, 'hello', 0, 'abc', 'EOF', false]);
  assert.match(String(r[7]), /bad argument #1 to 'copy' \(expected writer\)/);
  assert.equal(r[8], 'boom');
});
