// Engine reload: new scripts serve after a good reload, a broken one keeps the old version, requests in flight all finish.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../../engine/config/load';
import { FIXTURES, startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';

let dir: string;
let fx: EngineFixture;
const blocklist = () => path.join(dir, 'features', 'blocklist.lua');

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-reload-'));
  fs.cpSync(path.join(FIXTURES, 'ws-basic'), dir, { recursive: true });
  fx = await startFixture('ws-basic', { configFile: path.join(dir, 'authstudio.yml') });
});
after(async () => {
  await fx.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const alice = () => jsonLogin(fx.app, { username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' });

test('a changed feature serves after reload; a syntax error keeps the old version', async () => {
  assert.equal((await alice()).statusCode, 200);
  fs.writeFileSync(blocklist(), 'function nauthilus_call_feature(r)\n  nauthilus_builtin.status_message_set("closed for maintenance")\n  return true, true, 0\nend\n');
  const report = await fx.engine.reload(loadConfigFile(path.join(dir, 'authstudio.yml')));
  assert.ok(report.duration_ms < 2000);
  const blocked = await alice();
  assert.equal(blocked.statusCode, 403);
  assert.equal(blocked.headers['auth-status'], 'closed for maintenance');

  fs.writeFileSync(blocklist(), 'function nauthilus_call_feature(r)\n  return true,, 0\nend\n');
  await assert.rejects(fx.engine.reload(loadConfigFile(path.join(dir, 'authstudio.yml'))), (e: Error & { format(): string }) => {
    assert.match(e.format(), /blocklist\.lua:2: unexpected symbol near ','/);
    return true;
  });
  assert.equal((await alice()).headers['auth-status'], 'closed for maintenance', 'the previous version keeps serving');
});

test('requests in flight during a reload all get correct answers', async () => {
  fs.writeFileSync(blocklist(), 'function nauthilus_call_feature(r) return false, false, 0 end\n');
  await fx.engine.reload(loadConfigFile(path.join(dir, 'authstudio.yml')));
  const inflight = Array.from({ length: 150 }, () => alice());
  const reloads = [fx.engine.reload(), fx.engine.reload()];
  const more = Array.from({ length: 50 }, () => alice());
  const results = await Promise.all([...inflight, ...more]);
  await Promise.all(reloads);
  const failed = results.filter((r) => r.statusCode !== 200).map((r) => `${r.statusCode} ${fx.engine.lastTrace(String(r.headers['x-nauthilus-session']))?.error ?? r.body}`);
  assert.deepEqual(failed, []);
});
