// The `goos` module: gopher-lua-libs v0.7.0's stat/hostname/get_pagesize/mkdir_all; files only with lua_allow_io.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLua } from '../helpers/lua-harness';
import { goFileMode } from '../../engine/lua/modules/gll-goos';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'as-goos-'));
}

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): goos.stat gives is_dir, size, mod_time and Go\'s mode string', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'a.txt');
    fs.writeFileSync(file, 'hello');
    fs.chmodSync(file, 0o640);
    fs.utimesSync(file, 1700000000, 1700000000);
    const r = await runLua(`
      local goos = require("goos")
      local s = goos.stat("a.txt")
      local d = goos.stat(".")
      local m, err = goos.stat("missing")
      return s.is_dir, s.size, s.mod_time, s.mode, d.is_dir, string.sub(d.mode, 1, 1), m, err`, { allowIo: true, baseDir: dir });
    assert.deepEqual(r, [false, 5, 1700000000, '-rw-r-----', true, 'd', null, 'stat missing: no such file or directory']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): goos.mkdir_all creates parents and returns nothing; an error is one string', async () => {
  const dir = tempDir();
  try {
    fs.writeFileSync(path.join(dir, 'plain'), '');
    const r = await runLua(`
      local goos = require("goos")
      local n = select("#", goos.mkdir_all("x/y/z"))
      return n, goos.mkdir_all("plain/sub")`, { allowIo: true, baseDir: dir });
    assert.equal(r[0], 0);
    assert.equal(r[1], 'mkdir plain/sub: not a directory');
    assert.ok(fs.statSync(path.join(dir, 'x', 'y', 'z')).isDirectory());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): without lua_allow_io goos touches no file and answers the error shape', async () => {
  const dir = tempDir();
  try {
    fs.writeFileSync(path.join(dir, 'a.txt'), 'x');
    const r = await runLua(`
      dynamic_loader("nauthilus_gll_goos")
      local goos = require("goos")
      local s, err = goos.stat("a.txt")
      return s, err, goos.mkdir_all("new"), type(goos.hostname()), goos.get_pagesize() > 0`, { baseDir: dir });
    assert.deepEqual(r, [null, 'stat a.txt: host file access is off (server.lua_allow_io: false)',
      'mkdir new: host file access is off (server.lua_allow_io: false)', 'string', true]);
    assert.equal(fs.existsSync(path.join(dir, 'new')), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): goos.hostname is the host name; stat wants a string', async () => {
  const r = await runLua('local goos = require("goos"); return goos.hostname(), pcall(goos.stat)');
  assert.equal(r[0], os.hostname());
  assert.equal(r[1], false);
  assert.match(String(r[2]), /bad argument #1 to 'stat' \(string expected, got nil\)/);
});

test("Go's FileMode.String letters for special files", () => {
  assert.equal(goFileMode(0o40755), 'drwxr-xr-x');
  assert.equal(goFileMode(0o104755), 'urwxr-xr-x');
  assert.equal(goFileMode(0o41777), 'dtrwxrwxrwx');
  assert.equal(goFileMode(0o20666), 'Dcrw-rw-rw-');
  assert.equal(goFileMode(0o10644), 'prw-r--r--');
});
