// A failing feature's trace through the whole engine, on the main thread and on a pipeline worker thread:
// the stage keeps its Lua traceback and the print() lines it wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfigFile } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';
import type { AuthOutcome } from '../../engine/pipeline/pipeline';
import { FIXTURES, jsonLogin } from '../helpers/engine-fixture';

function workspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-runtime-trace-'));
  fs.cpSync(path.join(FIXTURES, 'ws-basic'), dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'features', 'faults.lua'), [
    'local function pick(t)',
    '  return t.field .. "!"',
    'end',
    'function nauthilus_call_feature(request)',
    '  print("checking", request.username)',
    '  if request.username == "feature-error" then',
    '    local v = pick({})',
    '    return false, false, v',
    '  end',
    '  return false, false, 0',
    'end',
  ].join('\n'));
  return dir;
}

for (const workers of [0, 1]) {
  test(`the stage of a runtime error keeps its traceback and print() lines (${workers ? 'pipeline worker thread' : 'main thread'})`, async () => {
    const dir = workspace();
    const config = loadConfigFile(path.join(dir, 'authstudio.yml'));
    const engine = await AuthEngine.create(config, { logger: pino({ level: 'silent' }), workers, recordEvents: true });
    const app = await buildHttpApp(engine);
    try {
      const seen: AuthOutcome[] = [];
      engine.events.on('auth', (_req: unknown, out: AuthOutcome) => seen.push(out));
      const res = await jsonLogin(app, { username: 'feature-error', password: 'x', client_ip: '192.0.2.7', protocol: 'imap' });
      assert.equal(res.statusCode, 500);
      const stage = seen[0]?.trace.find((s) => s.name === 'faults');
      assert.equal(stage?.result, 'error');
      assert.match(stage?.error ?? '', /faults\.lua:2: attempt to concatenate a nil value \(field 'field'\)/);
      assert.deepEqual(stage?.traceback?.map((f) => `${path.basename(f.file)}:${f.line}`), ['faults.lua:2', 'faults.lua:7']);
      assert.deepEqual(stage?.events?.filter((e) => e.kind === 'print').map((e) => e.detail.line), ['checking\tfeature-error']);
    } finally {
      await app.close();
      await engine.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
