// A broken script or an invalid config saved while serving: the reload fails with a diagnostic and the running version keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../../engine/config/load';
import { FIXTURES, startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';

let dir: string;
let fx: EngineFixture;
const file = (rel: string) => path.join(dir, rel);
const configFile = () => file('authstudio.yml');
const originals = new Map<string, string>();

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-reload-faults-'));
  fs.cpSync(path.join(FIXTURES, 'ws-basic'), dir, { recursive: true });
  fx = await startFixture('ws-basic', { configFile: configFile() });
});
after(async () => {
  await fx?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Save `text` over a workspace file (remembering the original), or delete it when text is null. */
function save(rel: string, text: string | null): void {
  if (!originals.has(rel)) originals.set(rel, fs.existsSync(file(rel)) ? fs.readFileSync(file(rel), 'utf8') : '');
  if (text === null) fs.rmSync(file(rel));
  else fs.writeFileSync(file(rel), text);
}
function restore(): void {
  for (const [rel, text] of originals) fs.writeFileSync(file(rel), text);
  originals.clear();
}

// Each broken version would block every login if it were applied (the feature triggers for everyone).
const BLOCK_ALL = 'function nauthilus_call_feature(r)\n  nauthilus_builtin.status_message_set("blocked by the broken version")\n  return true, true, 0\nend\n';
interface Case {
  name: string;
  files: Record<string, string | null>;
  /** The diagnostic the failed reload gives (format(): file:line: message). */
  error: RegExp;
  /** Config problems are found when the file is loaded, before engine.reload is called. */
  configError?: boolean;
}
const CASES: Case[] = [
  { name: 'syntax error in the backend', files: { 'backend/backend.lua': 'function nauthilus_backend_verify_password(r)\n  return 0,, nil\nend\n' }, error: /backend\/backend\.lua:2: unexpected symbol/ },
  { name: 'error raised while the script loads', files: { 'features/blocklist.lua': BLOCK_ALL + 'error("cannot start: missing setting")\n' }, error: /blocklist\.lua:5: cannot start: missing setting/ },
  { name: 'endless loop while the script loads', files: { 'features/blocklist.lua': BLOCK_ALL + 'while true do end\n' }, error: /blocklist\.lua.*lua_script_timeout/ },
  { name: 'unbounded allocation while the script loads', files: { 'features/blocklist.lua': BLOCK_ALL + 'local t = {} for i = 1, 1e9 do t[i] = string.rep("x", 1024) .. i end\n' }, error: /not enough memory|lua_script_timeout/ },
  { name: 'require of a module that does not exist', files: { 'filters/no_pop3_for_bob.lua': 'local x = require("no_such_module")\n' + BLOCK_ALL }, error: /no_pop3_for_bob\.lua:1: .*no_such_module/ },
  { name: 'script file deleted after the config was read', files: { 'actions/audit.lua': null }, error: /cannot read script/ },
  { name: 'YAML syntax error', files: { 'authstudio.yml': 'server:\n  redis: mock\n lua: [\n' }, error: /authstudio\.yml:\d+:\d+/, configError: true },
  { name: 'unknown key in the config', files: { 'authstudio.yml': 'server:\n  redis: mock\nlua:\n  features:\n    - name: demo\n      scirpt_path: ./features/blocklist.lua\n' }, error: /authstudio\.yml:6:\d+: unknown key/, configError: true },
  { name: 'config naming a script that does not exist', files: { 'authstudio.yml': 'server:\n  redis: mock\nlua:\n  features:\n    - name: demo\n      script_path: ./features/nope.lua\n' }, error: /nope\.lua/, configError: true },
];

const alice = () => jsonLogin(fx.app, { username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' });

for (const c of CASES) {
  test(`${c.name}: the reload fails and the running version keeps serving`, async () => {
    const generation = fx.engine.generation;
    const pools = fx.engine.poolStats();
    // read the config now: a script deleted afterwards is only noticed by the reload itself
    const config = c.configError ? undefined : loadConfigFile(configFile());
    for (const [rel, text] of Object.entries(c.files)) save(rel, text);
    try {
      const inflight = Array.from({ length: 40 }, () => alice());
      let err: (Error & { format?: () => string }) | undefined;
      try {
        await fx.engine.reload(config ?? loadConfigFile(configFile()));
      } catch (e) {
        err = e as Error;
      }
      const more = Array.from({ length: 40 }, () => alice());
      assert.ok(err, 'the reload must fail');
      assert.match(err.format?.() ?? err.message, c.error);
      const answers = await Promise.all([...inflight, ...more]);
      assert.deepEqual([...new Set(answers.map((r) => `${r.statusCode} ${r.headers['auth-status']}`))], ['200 OK']);
      assert.equal(fx.engine.generation, generation, 'no new generation');
      assert.deepEqual(Object.keys(fx.engine.poolStats()), Object.keys(pools));
    } finally {
      restore();
    }
    // the saved fix reloads fine
    await fx.engine.reload(loadConfigFile(configFile()));
    assert.equal((await alice()).statusCode, 200);
  });
}
