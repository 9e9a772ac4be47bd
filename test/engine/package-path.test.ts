// lua.config.package_path: user modules load with require; lua_allow_io turns the io library on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startFixture, jsonLogin, FIXTURES } from '../helpers/engine-fixture';

test('require finds modules on package_path; io is there only when allowed', async () => {
  const fx = await startFixture('ws-libs');
  try {
    // a client address: Nauthilus 1.10 runs no features for an empty one
    const res = await jsonLogin(fx.app, { username: 'dana', password: 'x', client_ip: '198.51.100.7' });
    const out = fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))!;
    const feature = out.trace.find((r) => r.stage === 'feature')!;
    assert.equal(feature.logs.greeting, 'hello dana');
    assert.equal(feature.logs.io, 'table');
    assert.equal(feature.logs.missing, 'missing');
  } finally {
    await fx.close();
  }
});

test('Nauthilus 3.0: scripts always have io there; a 3.x workspace opens it with runtime.lua_allow_io', async () => {
  const ioOf = async (file: string) => {
    const fx = await startFixture('ws-libs', { configFile: path.join(FIXTURES, 'ws-libs', file) });
    try {
      const res = await jsonLogin(fx.app, { username: 'dana', password: 'x', client_ip: '198.51.100.7' });
      const out = fx.engine.lastTrace(String(res.headers['x-nauthilus-session']))!;
      const source = out.trace.find((r) => r.stage === 'feature' && r.name === 'io-probe');
      assert.ok(source, `the environment source ran (${out.trace.map((r) => r.name).join(', ')})`);
      return source.logs.io;
    } finally {
      await fx.close();
    }
  };
  assert.equal(await ioOf('authstudio-v3.yml'), 'table');
  assert.equal(await ioOf('authstudio-v3-closed.yml'), 'nil');
});
