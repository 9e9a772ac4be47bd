// package.path as Nauthilus 1.10 sets it (gopher-lua's default, Nauthilus's folders, lua.config.package_path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';
import { searchTemplates } from '../../engine/lua/package-path';
import { testServices } from '../helpers/lua-harness';

async function run(body: string, opts: { packagePath?: string; allowIo?: boolean } = {}): Promise<unknown[]> {
  const vm = await LuaVm.create({ poolName: 'pkg', services: testServices(), memoryLimitBytes: 16 << 20, allowIo: opts.allowIo ?? false, packagePath: opts.packagePath });
  try {
    const script = await vm.loadScript('pkg.lua', `function run()\n${body}\nend`, 2000);
    return await vm.evalEnv(script, 'run', new CallContext('pkg'), 2000);
  } finally {
    vm.close();
  }
}

const NAUTHILUS_DIRS = '/usr/local/share/nauthilus/lua/?.lua;/usr/share/nauthilus/lua/?.lua;/usr/app/lua-plugins.d/share/?.lua';

test('Nauthilus 1.10: package.path is gopher-lua\'s default, then Nauthilus\'s folders, then the default package_path', async () => {
  const [p] = await run('return package.path');
  assert.equal(p, `./?.lua;/usr/local/share/lua/5.1/?.lua;/usr/local/share/lua/5.1/?/init.lua;${NAUTHILUS_DIRS};/usr/local/share/nauthilus/lua/?.lua`);
});

test('Nauthilus 1.10: a configured package_path comes after Nauthilus\'s folders, and require reads modules from it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-pkg-'));
  try {
    fs.writeFileSync(path.join(dir, 'helper.lua'), 'return { answer = 42 }\n');
    const tpl = path.join(dir, '?.lua');
    const [p, answer] = await run('return package.path, require("helper").answer', { packagePath: tpl });
    assert.ok((p as string).endsWith(`;${NAUTHILUS_DIRS};${tpl}`));
    assert.equal(answer, 42);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Nauthilus\'s folders are host folders: require reads them only with lua_allow_io, before package_path', () => {
  assert.deepEqual(searchTemplates('/ws/lualib/?.lua', false), ['/ws/lualib/?.lua']);
  assert.deepEqual(searchTemplates(undefined, false), []);
  assert.deepEqual(searchTemplates('/ws/lualib/?.lua', true), [...NAUTHILUS_DIRS.split(';'), '/ws/lualib/?.lua']);
  assert.deepEqual(searchTemplates(undefined, true), [...NAUTHILUS_DIRS.split(';'), '/usr/local/share/nauthilus/lua/?.lua']);
});
