// The `runtime` module: gopher-lua-libs v0.7.0's goos()/goarch() with Go's names for node's platform.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';
import { goArch, goOs } from '../../engine/lua/modules/gll-runtime';

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): runtime.goos() and runtime.goarch() are Go\'s GOOS/GOARCH strings', async () => {
  const [os, arch] = await runLua('dynamic_loader("nauthilus_gll_runtime"); local r = require("runtime"); return r.goos(), r.goarch()');
  assert.equal(os, goOs());
  assert.equal(arch, goArch());
  if (process.platform === 'linux') assert.equal(os, 'linux');
  if (process.arch === 'x64') assert.equal(arch, 'amd64');
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): node platform names map to Go\'s', () => {
  assert.deepEqual([goOs('win32'), goOs('darwin'), goOs('linux')], ['windows', 'darwin', 'linux']);
  assert.deepEqual([goArch('x64'), goArch('ia32'), goArch('arm64'), goArch('ppc64')], ['amd64', '386', 'arm64', 'ppc64le']);
});
