// `authstudio export` (the real CLI): the bundle loads in AuthStudio again and gives the same decisions on the same requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { InjectOptions } from 'fastify';
import { loadConfigFile } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';
import { ROOT, tempWorkspace } from './studio-fixture';

const CLI = path.join(ROOT, 'bin', 'authstudio');

function json(fields: Record<string, string>, query = ''): InjectOptions {
  return { method: 'POST', url: `/api/v1/auth/json${query}`, payload: fields };
}

/** Requests that exercise every stage: success, wrong password, filter, blocklist, unknown user, lookups, nginx, headers. */
const REQUESTS: Array<[string, InjectOptions]> = [
  ['alice ok', json({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7', protocol: 'imap' })],
  ['alice wrong password', json({ username: 'alice', password: 'nope', client_ip: '198.51.100.7', protocol: 'imap' })],
  ['bob on pop3', json({ username: 'bob', password: 'bob-secret', client_ip: '198.51.100.8', protocol: 'pop3' })],
  ['blocked network', json({ username: 'alice', password: 'alice-secret', client_ip: '203.0.113.9', protocol: 'imap' })],
  ['unknown user', json({ username: 'mallory', password: 'x', client_ip: '198.51.100.9', protocol: 'imap' })],
  ['userdb lookup', json({ username: 'bob', client_ip: '127.0.0.1', protocol: 'lmtp' }, '?mode=no-auth')],
  ['list accounts', { method: 'GET', url: '/api/v1/auth/json?mode=list-accounts', headers: { accept: 'application/json' } }],
  ['nginx smtp', { method: 'GET', url: '/api/v1/auth/nginx', headers: { 'auth-user': 'bob', 'auth-pass': 'bob-secret', 'auth-protocol': 'smtp', 'client-ip': '198.51.100.10', 'auth-method': 'plain' } }],
  ['header endpoint', { method: 'GET', url: '/api/v1/auth/header', headers: { 'auth-user': 'alice', 'auth-pass': 'alice-secret', 'auth-protocol': 'imap', 'client-ip': '198.51.100.11' } }],
];

async function decisions(configFile: string): Promise<string[]> {
  const engine = await AuthEngine.create(loadConfigFile(configFile, { redisOverride: 'mock' }), { logger: pino({ level: 'silent' }) });
  const app = await buildHttpApp(engine);
  try {
    const out: string[] = [];
    for (const [name, req] of REQUESTS) {
      const res = await app.inject(req);
      const parsed = res.statusCode === 200 && /json/.test(String(res.headers['content-type'])) ? (JSON.parse(res.body) as { attributes?: Record<string, unknown> }) : undefined;
      // Lua tables have no order: compare attributes by key
      const body = parsed ? JSON.stringify(parsed.attributes ? Object.fromEntries(Object.entries(parsed.attributes).sort(([a], [b]) => a.localeCompare(b))) : parsed) : '';
      out.push(`${name}: ${res.statusCode} ${String(res.headers['auth-status'] ?? '-')} ${body}`);
    }
    return out;
  } finally {
    await app.close();
    await engine.close();
  }
}

// ws-basic's config written the Nauthilus 3.0 way (our own text; key names from v3.0.1 server/config/schema_v2.go)
const WS_BASIC_3X = [
  'runtime:',
  '  servers: { http: { address: "127.0.0.1:0" } }',
  '  timeouts: { lua_script: 500ms }',
  'storage:',
  '  redis: mock',
  'auth:',
  '  pipeline: { max_concurrent_requests: 200 }',
  '  backends:',
  '    order: [lua]',
  '    lua:',
  '      backend:',
  '        default: { backend_script_path: ./backend/backend.lua, number_of_workers: 2 }',
  '  controls:',
  '    lua:',
  '      hooks: [{ http_location: status, http_method: GET, script_path: ./hooks/status.lua }]',
  '  policy:',
  '    attribute_sources:',
  '      lua:',
  '        environment:',
  '          - { name: blocklist, script_path: ./features/blocklist.lua }',
  '          - { name: faults, script_path: ./features/faults.lua }',
  '        subject:',
  '          - { name: no-pop3-for-bob, script_path: ./filters/no_pop3_for_bob.lua }',
  '    obligation_targets:',
  '      lua:',
  '        actions:',
  '          - { type: lua, name: note-block, script_path: ./actions/note_block.lua }',
  '          - { type: post, name: audit, script_path: ./actions/audit.lua }',
  '',
].join('\n');

for (const workspace of ['ws-basic', 'lua-plugins.d', 'ws-basic (Nauthilus 3.0 layout)']) {
  const v3 = workspace.includes('3.0');
  test(`export round-trips (${workspace}): same decisions on the same requests`, async () => {
    const dir = v3 ? tempWorkspace('ws-basic', (d) => fs.writeFileSync(path.join(d, 'authstudio.yml'), WS_BASIC_3X)) : tempWorkspace(workspace);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'as-bundle-'));
    try {
      const run = spawnSync(process.execPath, [CLI, 'export', '--config', path.join(dir, 'authstudio.yml'), '--out', out, '--prefix', out], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /exported \d+ scripts to /);
      const exported = fs.readFileSync(path.join(out, 'nauthilus.yml'), 'utf8');
      assert.match(exported, new RegExp(`script_path: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/features/blocklist\\.lua`));
      if (v3) {
        // the bundle keeps the 3.x layout: storage.redis.primary, no 1.x section added
        assert.match(exported, /primary:\n\s+address: 127\.0\.0\.1:6379/, 'storage.redis is in Nauthilus 3.x form');
        assert.doesNotMatch(exported, /^server:/m);
        assert.match(exported, new RegExp(`backend_script_path: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/backend/backend\\.lua`));
      } else assert.match(exported, /master:\n\s+address: 127\.0\.0\.1:6379/, 'server.redis is in Nauthilus form');
      assert.ok(fs.existsSync(path.join(out, 'README.md')));

      const check = spawnSync(process.execPath, [CLI, 'check', '--config', path.join(out, 'nauthilus.yml')], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr);

      const original = await decisions(path.join(dir, 'authstudio.yml'));
      const roundTrip = await decisions(path.join(out, 'nauthilus.yml'));
      assert.deepEqual(roundTrip, original);
      assert.ok(original.some((d) => d.startsWith('alice ok: 200 OK')) && original.some((d) => / 403 /.test(d)), original.join('\n'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
}

test('export refuses to overwrite a folder that is not an earlier export and reports a config error with its line', () => {
  const dir = tempWorkspace('ws-basic');
  const busy = fs.mkdtempSync(path.join(os.tmpdir(), 'as-busy-'));
  try {
    fs.writeFileSync(path.join(busy, 'important.txt'), 'keep me');
    const refused = spawnSync(process.execPath, [CLI, 'export', '--config', path.join(dir, 'authstudio.yml'), '--out', busy], { encoding: 'utf8' });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /not empty/);
    assert.deepEqual(fs.readdirSync(busy), ['important.txt']);
    fs.appendFileSync(path.join(dir, 'authstudio.yml'), 'bogus_section: 1\n');
    const broken = spawnSync(process.execPath, [CLI, 'export', '--config', path.join(dir, 'authstudio.yml'), '--out', path.join(busy, 'new')], { encoding: 'utf8' });
    assert.equal(broken.status, 1);
    assert.match(broken.stderr, /authstudio\.yml:\d+:1: .*bogus_section/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(busy, { recursive: true, force: true });
  }
});
