// `authstudio export --format 1.x|3.x` (the real CLI): the bundle is written in the layout asked for, with secrets as
// ${NAUTHILUS_...} references, loads again, and decides the same requests as the workspace.
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
const API = { authorization: `Basic ${Buffer.from('dovecot:api-secret').toString('base64')}` };
const json = (fields: Record<string, string>, query = ''): InjectOptions => ({ method: 'POST', url: `/api/v1/auth/json${query}`, payload: fields, headers: API });

const REQUESTS: Array<[string, InjectOptions]> = [
  ['alice ok', json({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7', protocol: 'imap' })],
  ['alice wrong password', json({ username: 'alice', password: 'nope', client_ip: '198.51.101.7', protocol: 'imap' })],
  ['bob on pop3', json({ username: 'bob', password: 'bob-secret', client_ip: '198.51.102.8', protocol: 'pop3' })],
  ['blocked network', json({ username: 'alice', password: 'alice-secret', client_ip: '203.0.113.9', protocol: 'imap' })],
  ['unknown user', json({ username: 'mallory', password: 'x', client_ip: '198.51.103.9', protocol: 'imap' })],
  ['userdb lookup', json({ username: 'bob', client_ip: '127.0.0.1', protocol: 'lmtp' }, '?mode=no-auth')],
  ['no credentials', { method: 'POST', url: '/api/v1/auth/json', payload: { username: 'alice', password: 'alice-secret' } }],
];

async function decisions(configFile: string, env: Record<string, string>): Promise<string[]> {
  const engine = await AuthEngine.create(loadConfigFile(configFile, { redisOverride: 'mock', env: { ...process.env, ...env } }), { logger: pino({ level: 'silent' }) });
  const app = await buildHttpApp(engine);
  try {
    const out: string[] = [];
    for (const [name, req] of REQUESTS) {
      const res = await app.inject(req);
      out.push(`${name}: ${res.statusCode} ${String(res.headers['auth-status'] ?? '-')} ${String(res.headers['auth-user'] ?? '-')}`);
    }
    return out;
  } finally {
    await app.close();
    await engine.close();
  }
}

function exportAs(dir: string, format: string): { out: string; stdout: string; text: string } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'as-bundle-'));
  const run = spawnSync(process.execPath, [CLI, 'export', '--config', path.join(dir, 'authstudio.yml'), '--out', out, '--prefix', out, '--format', format], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const check = spawnSync(process.execPath, [CLI, 'check', '--config', path.join(out, 'nauthilus.yml')], { encoding: 'utf8', env: { ...process.env, ...SECRETS } });
  assert.equal(check.status, 0, check.stderr + check.stdout);
  return { out, stdout: run.stdout, text: fs.readFileSync(path.join(out, 'nauthilus.yml'), 'utf8') };
}

/** The environment the exported bundles refer to for their secrets. */
const SECRETS = { NAUTHILUS_AUTH_BACKCHANNEL_BASIC_AUTH_PASSWORD: 'api-secret', NAUTHILUS_SERVER_BASIC_AUTH_PASSWORD: 'api-secret' };

const withBasicAuth = (dir: string) => {
  const file = path.join(dir, 'authstudio.yml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^server:\n/m, 'server:\n  basic_auth: { enabled: true, username: dovecot, password: api-secret }\n'));
};

test('export --format 3.x writes a 1.x workspace in the Nauthilus 3.0 layout: secrets as references, same decisions', async () => {
  const dir = tempWorkspace('ws-basic', withBasicAuth);
  let out = '';
  try {
    const r = exportAs(dir, '3.x');
    out = r.out;
    assert.match(r.text, /^runtime:/m);
    assert.doesNotMatch(r.text, /^server:/m);
    assert.match(r.text, /password: "?\$\{NAUTHILUS_AUTH_BACKCHANNEL_BASIC_AUTH_PASSWORD\}/);
    assert.match(r.text, /name: standard_auth_success/);
    assert.match(r.stdout, /written in the Nauthilus 3\.x layout \(the workspace uses 1\.x\)/);
    assert.match(r.stdout, /warning: changed: lua\.actions\[0\] \(line \d+\): .*auth\.obligation\.lua_action\.dispatch/);
    assert.deepEqual(await decisions(path.join(out, 'nauthilus.yml'), SECRETS), await decisions(path.join(dir, 'authstudio.yml'), {}));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    if (out) fs.rmSync(out, { recursive: true, force: true });
  }
});

test('export --format 1.x writes a 3.x workspace in the 1.x layout and says that its own policies cannot come along', async () => {
  const dir = tempWorkspace('ws-basic', withBasicAuth);
  let out = '';
  try {
    // the workspace itself in 3.x first (authstudio convert), plus a policy of its own that 1.x cannot express
    const conv = spawnSync(process.execPath, [CLI, 'convert', path.join(dir, 'authstudio.yml'), '-o', path.join(dir, 'v3.yml')], { encoding: 'utf8' });
    assert.equal(conv.status, 0, conv.stderr);
    const v3 = fs.readFileSync(path.join(dir, 'v3.yml'), 'utf8').replace(/\n {4}policies:\n/, '\n    policies:\n      - { name: deny_night_owls, stage: pre_auth, if: { attribute: request.client.ip, cidr_contains: 192.0.2.0/24 }, then: { decision: deny } }\n');
    fs.writeFileSync(path.join(dir, 'authstudio.yml'), v3);
    const r = exportAs(dir, '1.x');
    out = r.out;
    assert.match(r.text, /^server:/m);
    assert.doesNotMatch(r.text, /^(auth|runtime|storage):/m);
    assert.match(r.text, /password: "?\$\{NAUTHILUS_SERVER_BASIC_AUTH_PASSWORD\}/);
    assert.match(r.stdout, /warning: not carried over: auth\.policy \(.*\): Nauthilus 1\.x has no policy layer: policies deny_night_owls left out/);
    // everything but the left-out policy decides as before (no request comes from 192.0.2.0/24)
    assert.deepEqual(await decisions(path.join(out, 'nauthilus.yml'), SECRETS), await decisions(path.join(dir, 'authstudio.yml'), {}));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    if (out) fs.rmSync(out, { recursive: true, force: true });
  }
});
