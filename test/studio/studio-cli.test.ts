// `authstudio studio` as a process: import a Nauthilus config, serve auth + studio API on one listener, token rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createHttpClient } from '../../engine/api/http-client';
import { ROOT, tempWorkspace } from './studio-fixture';

const CLI = path.join(ROOT, 'bin', 'authstudio');
const TOKEN = 'cli-test-token-0123456789';

test('studio --import --workspace: imports, then serves the auth endpoints and the studio API on one listener', async () => {
  const source = tempWorkspace('ws-basic');
  const into = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'as-cli-')), 'imported');
  const child = spawn(process.execPath, [CLI, 'studio', '--import', path.join(source, 'authstudio.yml'), '--workspace', into, '--listen', '127.0.0.1:0', '--token', TOKEN], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const address = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`studio exited with ${code}: ${stderr}`)));
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        try {
          const j = JSON.parse(line) as { msg?: string; address?: string };
          if (j.msg === 'authstudio studio ready' && j.address) resolve(j.address);
        } catch {
          // the import summary line
        }
      });
    });
    const client = createHttpClient(address, { token: TOKEN });
    const status = await client.getStatus();
    assert.equal(status.workspace, fs.realpathSync(into));
    assert.equal(status.healthy, true);
    assert.ok((await client.listFiles()).some((f) => f.path === 'features/blocklist.lua'));
    const login = await fetch(`${address}/api/v1/auth/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-secret' }) });
    assert.equal(login.status, 200);
    await client.close();
  } finally {
    child.kill('SIGTERM');
    const code = await exited;
    fs.rmSync(source, { recursive: true, force: true });
    fs.rmSync(path.dirname(into), { recursive: true, force: true });
    assert.equal(code, 0, `SIGTERM ends the studio cleanly: ${stderr}`);
  }
});

test('studio refuses to listen off loopback without a token', () => {
  const run = spawnSync(process.execPath, [CLI, 'studio', '--listen', '0.0.0.0:0'], { encoding: 'utf8', env: { ...process.env, AUTHSTUDIO_TOKEN: '' } });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--token/);
});
