// The "New script" templates of the UI, end to end without a browser: every template of every kind, registered in the
// sample config the way the dialog does it, passes check and runs in the real engine (Dovecot ones in the Dovecot
// harness, 2.3 and 2.4) with the right entry point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInProcessClient } from '../../engine/api/in-process-client';
import type { StudioClient } from '../../engine/api/contract';
import { checkWorkspace } from '../../engine/check';
import { openStudio, type Studio } from '../../engine/studio/open-studio';
import { addToConfig, configEntry, nameProblem, scriptTemplate, TEMPLATES, templatesFor, type ScriptTemplate, type TemplateKind } from '../../renderer/src/editor/templates';

const ROOT = path.join(__dirname, '..', '..', '..');
const FOLDER: Record<TemplateKind, string> = { feature: 'features', filter: 'filters', action: 'actions', backend: 'backend', hook: 'hooks', init: 'init', dovecot: 'dovecot' };

/** A temp copy of the sample workspace with a new script named e2e_t from `t`, registered as the dialog would. */
function workspaceWith(t: ScriptTemplate): { dir: string; rel: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-tpl-'));
  fs.cpSync(path.join(ROOT, 'lua-plugins.d'), dir, { recursive: true });
  const rel = `${FOLDER[t.kind]}/e2e_t.lua`;
  fs.writeFileSync(path.join(dir, rel), scriptTemplate(t.kind, 'e2e_t', t.id));
  if (t.kind === 'dovecot') return { dir, rel };
  const configFile = path.join(dir, 'authstudio.yml');
  const yml = fs.readFileSync(configFile, 'utf8');
  const entry = configEntry(t.kind, 'e2e_t', rel);
  let next = addToConfig(yml, entry);
  if (next === undefined) {
    assert.ok(entry.single, `${t.kind}: neither a list entry nor a single key`);
    const key = entry.single.split(':')[0].split('.').pop()!;
    next = yml.replace(new RegExp(`${key}: .*`), `${key}: ./${rel}`);
    assert.notEqual(next, yml, `${t.kind}: ${key} not found in the sample config`);
  }
  fs.writeFileSync(configFile, next);
  return { dir, rel };
}

async function withStudio<T>(dir: string, fn: (s: Studio, c: StudioClient) => Promise<T>): Promise<T> {
  const studio = await openStudio({ workspace: dir, listen: '127.0.0.1:0', routes: false, watch: false });
  try {
    const status = await studio.service.getStatus();
    assert.equal(status.healthy, true, JSON.stringify(status.diagnostics));
    return await fn(studio, createInProcessClient(studio.service));
  } finally {
    await studio.close();
  }
}

const alice = (c: StudioClient, password = 'alice-secret', client_ip = '198.51.100.7') => c.simulate({ preset: 'dovecot-imap', username: 'alice', password, fields: { client_ip } });

/** What running each template shows; every template has an entry (a template without one fails the last test). */
const RUNS: Record<string, (c: StudioClient, s: Studio, rel: string) => Promise<void>> = {
  'feature/blank': async (c) => {
    const r = await alice(c);
    assert.equal(r.decision, 'ok');
    assert.equal(r.trace.find((s) => s.name === 'e2e_t')?.error, undefined);
  },
  'feature/address-blocklist': async (c) => {
    assert.equal((await alice(c)).decision, 'ok');
    const r = await alice(c, 'alice-secret', '192.0.2.44');
    assert.equal(r.decision, 'fail');
    assert.equal(r.trace.find((s) => s.name === 'e2e_t')?.logs.e2e_t_prefix, '192.0.2.');
  },
  'feature/redis-login-limit': async (c) => {
    await alice(c);
    const r = await alice(c);
    assert.equal(r.decision, 'ok');
    assert.equal(r.trace.find((s) => s.name === 'e2e_t')?.logs.e2e_t_count, '2', 'the second login is counted in Redis');
  },
  'filter/blank': async (c) => {
    const r = await alice(c);
    assert.equal(r.decision, 'ok');
    assert.ok(r.trace.some((s) => s.stage === 'filter' && s.name === 'e2e_t' && s.error === undefined));
  },
  'filter/protocol-per-account': async (c) => {
    const r = await alice(c);
    assert.equal(r.decision, 'ok', 'alice is not in the list');
    assert.ok(r.trace.some((s) => s.stage === 'filter' && s.name === 'e2e_t' && s.error === undefined));
  },
  'action/blank': async (c) => {
    const r = await alice(c, 'x', '203.0.113.9');
    assert.equal(r.decision, 'fail');
    assert.equal(r.trace.find((s) => s.stage === 'action' && s.name === 'e2e_t')?.logs.e2e_t, 'alice');
  },
  'action/remember-in-redis': async (c) => {
    const r = await alice(c, 'x', '203.0.113.9');
    assert.equal(r.trace.find((s) => s.stage === 'action' && s.name === 'e2e_t')?.result, 'ok');
    assert.ok((await c.scanKeys({ pattern: 'e2e_t:*' })).keys.some((k) => k.key === 'e2e_t:refused'));
  },
  'backend/hashed-users': async (c) => {
    const r = await alice(c);
    assert.equal(r.decision, 'fail', 'no users until some are added');
    assert.ok(r.trace.every((s) => s.error === undefined), JSON.stringify(r.trace));
  },
  'backend/test-accounts': async (c) => {
    assert.equal((await alice(c)).decision, 'ok');
    assert.equal((await alice(c, 'wrong')).decision, 'fail');
  },
  'hook/json-status': async (_c, s) => {
    const res = await s.app.inject({ method: 'GET', url: '/api/v1/custom/e2e_t?user=alice' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual({ ...JSON.parse(res.body), session: undefined }, { hook: 'e2e_t', user: 'alice', session: undefined });
  },
  'hook/redis-counter': async (_c, s) => {
    const res = await s.app.inject({ method: 'GET', url: '/api/v1/custom/e2e_t?user=Alice' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(JSON.parse(res.body), { user: 'alice', count: 0 });
    await s.engine.services.redis.client.set('e2e_t:alice', '7');
    assert.deepEqual(JSON.parse((await s.app.inject({ method: 'GET', url: '/api/v1/custom/e2e_t?user=alice' })).body), { user: 'alice', count: 7 });
  },
  'init/blank': async (c) => {
    assert.equal((await alice(c)).decision, 'ok');
  },
  'init/metrics': async (_c, s) => {
    const res = await s.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(res.body, /# HELP e2e_t_events_total Events counted by the scripts/);
  },
  'dovecot/passdb-verify': async (c, _s, rel) => {
    for (const profile of ['2.3', '2.4'] as const) {
      const ok = await c.runDovecot({ path: rel, profile, user: 'alice', password: 'alice-secret' });
      assert.equal(ok.status, 'PASSDB_RESULT_OK', `${profile}: ${JSON.stringify(ok.logs)}`);
      assert.equal(ok.entry, 'auth_password_verify');
      assert.equal((await c.runDovecot({ path: rel, profile, user: 'alice', password: 'guess' })).status, 'PASSDB_RESULT_PASSWORD_MISMATCH');
    }
  },
  'dovecot/passdb-lookup': async (c, _s, rel) => {
    for (const profile of ['2.3', '2.4'] as const) {
      const ok = await c.runDovecot({ path: rel, profile, user: 'bob', password: 'bob-secret' });
      assert.equal(ok.decision, 'ok', `${profile}: ${JSON.stringify(ok.logs)}`);
      assert.equal(ok.entry, 'auth_passdb_lookup');
      assert.equal((await c.runDovecot({ path: rel, profile, user: 'bob', password: 'guess' })).decision, 'fail');
      assert.equal((await c.runDovecot({ path: rel, profile, lookup: 'passdb_lookup', user: 'bob', password: 'bob-secret' })).status, 'PASSDB_RESULT_OK', 'a CRAM-MD5 login: Dovecot checks the returned password');
    }
  },
  'dovecot/userdb': async (c, _s, rel) => {
    for (const profile of ['2.3', '2.4'] as const) {
      const r = await c.runDovecot({ path: rel, profile, lookup: 'userdb_lookup', user: 'alice' });
      assert.equal(r.status, 'USERDB_RESULT_OK', `${profile}: ${JSON.stringify(r.logs)}`);
      assert.equal(r.fields.home, '/var/vmail/alice');
      assert.equal((await c.runDovecot({ path: rel, profile, lookup: 'userdb_lookup', user: 'nobody' })).status, 'USERDB_RESULT_USER_UNKNOWN');
    }
  },
};

test('several templates for every kind the dialog offers, Dovecot passdb/userdb included', () => {
  for (const kind of Object.keys(FOLDER) as TemplateKind[]) assert.ok(templatesFor(kind).length >= 2, kind);
  assert.deepEqual(TEMPLATES.map((t) => `${t.kind}/${t.id}`).sort(), Object.keys(RUNS).sort(), 'each template has a run below');
});

for (const t of TEMPLATES) {
  test(`the ${t.kind} template "${t.label}" passes check and runs`, async () => {
    const { dir, rel } = workspaceWith(t);
    try {
      const problems = await checkWorkspace(path.join(dir, 'authstudio.yml'));
      assert.deepEqual(problems.map((p) => p.format()), []);
      await withStudio(dir, (s, c) => RUNS[`${t.kind}/${t.id}`](c, s, rel));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('script names: the dialog says what is wrong with a name instead of failing later', () => {
  assert.equal(nameProblem('geoip_policy'), undefined);
  assert.equal(nameProblem('rate-limit2'), undefined);
  assert.match(nameProblem('')!, /Enter a name/);
  assert.match(nameProblem('my script')!, /"space" cannot be part of a script name/);
  assert.match(nameProblem('../evil')!, /"\." cannot be part of a script name/);
  assert.match(nameProblem('x'.repeat(65))!, /65 characters; use at most 64/);
});
