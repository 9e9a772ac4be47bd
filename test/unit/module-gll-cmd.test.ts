// The `cmd` module: gopher-lua-libs v0.7.0's exec, which AuthStudio never lets start a process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLua } from '../helpers/lua-harness';
import { CMD_DISABLED } from '../../engine/lua/modules/gll-cmd';

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): cmd.exec answers nil + error and runs nothing, even with lua_allow_io', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-cmd-'));
  const marker = path.join(dir, 'ran');
  try {
    const r = await runLua(`
      dynamic_loader("nauthilus_gll_cmd")
      local cmd = require("cmd")
      local res, err = cmd.exec("touch '${marker}'", 5)
      local res2, err2 = cmd.exec("echo hi")
      return res, err, res2, err2`, { allowIo: true, baseDir: dir });
    assert.deepEqual(r, [null, CMD_DISABLED, null, CMD_DISABLED]);
    assert.equal(fs.existsSync(marker), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): cmd.exec checks its arguments as gopher-lua does', async () => {
  const r = await runLua(`
    local cmd = require("cmd")
    local ok, err = pcall(cmd.exec)
    local ok2, err2 = pcall(cmd.exec, "ls", "soon")
    return ok, err, ok2, err2`);
  assert.equal(r[0], false);
  assert.match(String(r[1]), /bad argument #1 to 'exec' \(string expected, got nil\)/);
  assert.equal(r[2], false);
  assert.match(String(r[3]), /bad argument #2 to 'exec' \(number expected, got string\)/);
});
