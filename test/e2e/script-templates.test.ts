// The "New script" templates of the UI, end to end without a browser: each kind's template, registered in the
// sample config the way the dialog does it, compiles and runs in the real engine with the right entry point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInProcessClient } from '../../engine/api/in-process-client';
import { checkWorkspace } from '../../engine/check';
import { openStudio } from '../../engine/studio/open-studio';
import { addToConfig, configEntry, scriptTemplate } from '../../renderer/src/editor/templates';
import type { ScriptKind } from '../../renderer/src/file-kinds';

const ROOT = path.join(__dirname, '..', '..', '..');
const FOLDER: Record<ScriptKind, string> = { feature: 'features', filter: 'filters', action: 'actions', backend: 'backend', hook: 'hooks', init: 'init' };

/** A temp copy of the sample workspace with a new `kind` script named e2e_t, registered as the dialog would. */
function workspaceWith(kind: ScriptKind): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-tpl-'));
  fs.cpSync(path.join(ROOT, 'lua-plugins.d'), dir, { recursive: true });
  const rel = `${FOLDER[kind]}/e2e_t.lua`;
  fs.writeFileSync(path.join(dir, rel), scriptTemplate(kind, 'e2e_t'));
  const configFile = path.join(dir, 'authstudio.yml');
  const yml = fs.readFileSync(configFile, 'utf8');
  const entry = configEntry(kind, 'e2e_t', rel);
  let next = addToConfig(yml, entry);
  if (next === undefined) {
    assert.ok(entry.single, `${kind}: neither a list entry nor a single key`);
    const key = entry.single.split(':')[0].split('.').pop()!;
    next = yml.replace(new RegExp(`${key}: .*`), `${key}: ./${rel}`);
    assert.notEqual(next, yml, `${kind}: ${key} not found in the sample config`);
  }
  fs.writeFileSync(configFile, next);
  return dir;
}

async function withStudio<T>(dir: string, fn: (s: Awaited<ReturnType<typeof openStudio>>) => Promise<T>): Promise<T> {
  const studio = await openStudio({ workspace: dir, listen: '127.0.0.1:0', routes: false, watch: false });
  try {
    return await fn(studio);
  } finally {
    await studio.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const kind of Object.keys(FOLDER) as ScriptKind[]) {
  test(`the ${kind} template compiles in the sample workspace`, async () => {
    const dir = workspaceWith(kind);
    try {
      const problems = await checkWorkspace(path.join(dir, 'authstudio.yml'));
      assert.deepEqual(problems.map((p) => p.format()), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('the feature and filter templates run as stages and let a good login through', async () => {
  for (const kind of ['feature', 'filter'] as const) {
    await withStudio(workspaceWith(kind), async (studio) => {
      const r = await createInProcessClient(studio.service).simulate({ preset: 'dovecot-imap', username: 'alice', password: 'alice-secret' });
      assert.equal(r.decision, 'ok', kind);
      const stage = r.trace.find((s) => s.name === 'e2e_t');
      assert.ok(stage, `${kind}: no e2e_t stage in ${JSON.stringify(r.trace.map((s) => s.name))}`);
      assert.equal(stage.error, undefined);
    });
  }
});

test('the action template runs when a feature triggers, and logs the user', async () => {
  await withStudio(workspaceWith('action'), async (studio) => {
    const r = await createInProcessClient(studio.service).simulate({ preset: 'dovecot-imap', username: 'alice', password: 'x', fields: { client_ip: '203.0.113.9' } });
    assert.equal(r.decision, 'fail');
    const stage = r.trace.find((s) => s.stage === 'action' && s.name === 'e2e_t');
    assert.ok(stage, JSON.stringify(r.trace.map((s) => `${s.stage}/${s.name}`)));
    assert.equal(stage.result, 'ok');
    assert.equal(stage.logs.e2e_t, 'alice');
  });
});

test('the backend template answers "user not found" until users are added (a failure, not an error)', async () => {
  await withStudio(workspaceWith('backend'), async (studio) => {
    const r = await createInProcessClient(studio.service).simulate({ preset: 'dovecot-imap', username: 'alice', password: 'alice-secret' });
    assert.equal(r.decision, 'fail');
    assert.ok(r.trace.every((s) => s.error === undefined), JSON.stringify(r.trace));
  });
});

test('the hook template answers on /api/v1/custom/<name> with JSON', async () => {
  await withStudio(workspaceWith('hook'), async (studio) => {
    const res = await studio.app.inject({ method: 'GET', url: '/api/v1/custom/e2e_t?user=alice' });
    assert.equal(res.statusCode, 200, res.body);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    assert.equal(body.hook, 'e2e_t');
    assert.equal(body.user, 'alice');
  });
});
