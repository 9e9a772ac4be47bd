// The `filepath` module (gopher-lua-libs v0.7.0 over Go's path/filepath on Linux, as Nauthilus 1.10 bundles it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLua } from '../helpers/lua-harness';
import { match, rel } from '../../engine/lua/modules/go-filepath';

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): filepath path functions work lexically as Go does on Linux', async () => {
  const r = await runLua(`
    dynamic_loader("nauthilus_gll_filepath")
    local fp = require("filepath")
    local d, f = fp.split("/etc/nauthilus/nauthilus.yml")
    return fp.join("a", "b/../c", "", "d/"), fp.join("", ""), fp.join("x", 1, true),
      fp.clean("/../a//b/./c/.."), fp.clean(""), fp.clean("../../x/.."),
      fp.basename("/a/b.tar.gz/"), fp.basename(""), fp.basename("///"),
      fp.dir("/a/b/c"), fp.dir("file"), fp.ext("x/archive.tar.gz"), fp.ext("a.b/c"),
      d, f, fp.is_abs("/x"), fp.is_abs("x"), fp.separator(), fp.list_separator(),
      table.concat(fp.split_list("/bin:/usr/bin::x"), ","), #fp.split_list(""), fp.from_slash("a/b"), fp.volume_name("/a")`);
  assert.deepEqual(r, [
    'a/c/d', '', 'x/1/true',
    '/a/b', '.', '../..',
    'b.tar.gz', '.', '/',
    '/a/b', '.', '.gz', '',
    '/etc/nauthilus/', 'nauthilus.yml', true, false, '/', ':',
    '/bin,/usr/bin,,x', 0, 'a/b', '',
  ]);
});

test("gopher-lua-libs v0.7.0 (Nauthilus 1.10): filepath.rel and filepath.match return Go's results and error texts", async () => {
  const r = await runLua(`
    local fp = require("filepath")
    local a = fp.rel("/a/b", "/a/c/d")
    local b = fp.rel("/", "/x")
    local c, e1 = fp.rel("/a", "b")
    local m1 = fp.match("*.lua", "init.lua")
    local m2 = fp.match("*", "dir/x.lua")
    local m3 = fp.match("[a-c]?\\\\*", "bz*")
    local m4, e2 = fp.match("[", "x")
    return a, b, c, e1, m1, m2, m3, m4, e2`);
  assert.deepEqual(r, ['../c/d', 'x', '', "Rel: can't make b relative to /a", true, false, true, false, 'syntax error in pattern']);
});

test("gopher-lua-libs v0.7.0 (Nauthilus 1.10): Go's filepath.Match rules: classes, escapes, a star never crosses '/'", () => {
  assert.equal(match('a*/b', 'abc/b'), true);
  assert.equal(match('a*b', 'a/b'), false);
  assert.equal(match('[^a-c]x', 'dx'), true);
  assert.equal(match('[^a-c]x', 'bx'), false);
  assert.equal(match('ä?', 'äö'), true);
  // a miss still checks the rest of the pattern
  assert.throws(() => match('x*[', 'y'), /syntax error in pattern/);
  assert.throws(() => match('a\\', 'a'), /syntax error in pattern/);
  assert.deepEqual(rel('a/b', 'a/b'), ['.', undefined]);
  assert.deepEqual(rel('..', 'a'), ['', "Rel: can't make a relative to .."]);
  assert.deepEqual(rel('/a', '/'), ['..', undefined]);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): filepath.glob, abs and eval_symlinks touch host files only with lua_allow_io', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-filepath-'));
  try {
    fs.mkdirSync(path.join(dir, 'conf.d'));
    for (const f of ['b.lua', 'a.lua', '.hidden.lua', 'c.txt']) fs.writeFileSync(path.join(dir, 'conf.d', f), '');
    fs.symlinkSync(path.join(dir, 'conf.d', 'a.lua'), path.join(dir, 'link.lua'));
    const body = `
      local fp = require("filepath")
      local g, ge = fp.glob("conf.d/*.lua")
      local _, be = fp.glob("conf.d/[")
      local abs, ae = fp.abs("conf.d/../x")
      local real, re = fp.eval_symlinks("link.lua")
      local _, me = fp.eval_symlinks("missing")
      return g and table.concat(g, ",") or "nil", tostring(ge), tostring(be), abs, tostring(ae), real, tostring(re), tostring(me), fp.abs("/a/../b")`;
    const on = await runLua(body, { allowIo: true, baseDir: dir });
    assert.deepEqual(on, [
      'conf.d/.hidden.lua,conf.d/a.lua,conf.d/b.lua', 'nil', 'syntax error in pattern', path.join(dir, 'x'), 'nil',
      'conf.d/a.lua', 'nil', 'lstat missing: no such file or directory', '/b',
    ]);
    const off = await runLua(body, { allowIo: false, baseDir: dir });
    const IO_OFF = 'the host file system is off (server.lua_allow_io: false)';
    assert.deepEqual(off, [
      'nil', `filepath.glob: ${IO_OFF}`, `filepath.glob: ${IO_OFF}`, '', `filepath.abs: ${IO_OFF}`,
      '', `filepath.eval_symlinks: ${IO_OFF}`, `filepath.eval_symlinks: ${IO_OFF}`, '/b',
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
