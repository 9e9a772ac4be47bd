// lua.config.package_path: user modules load with require; lua_allow_io turns the io library on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, jsonLogin } from '../helpers/engine-fixture';

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
