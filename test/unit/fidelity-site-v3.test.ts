// scripts/nauthilus-bundle/site-v3.ts: the fidelity tool's 3.x site is a config AuthStudio reads in the 3.x layout,
// with every environment/, subject/ and actions/ script where a Nauthilus 3 site puts it (file names only; the
// scripts here are empty stand-ins of ours).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../engine/config/load';
import { writeSiteConfig3, OBSERVED_POLICY } from '../../scripts/nauthilus-bundle/site-v3';

const SCRIPTS = ['actions/bruteforce.lua', 'actions/analytics.lua', 'backend/backend.lua', 'backend/proxy_backend.lua', 'backend/testing_csv_backend.lua',
  'environment/blocklist.lua', 'environment/test_context_chain.lua', 'hooks/dovecot-session-cleaner.lua', 'init/init.lua', 'init/proxy-init.lua',
  'init/testing_csv_loader.lua', 'policy/registry.lua', 'subject/geoip.lua', 'subject/test_context_chain.lua'];

test('Nauthilus 3.x bundle: the fidelity site is a 3.x-layout config with sources, obligation targets, hooks, registry and the profile of the tag', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-site3-'));
  try {
    const bundle = path.join(dir, 'lua-plugins.d');
    const file = writeSiteConfig3({ bundle, scripts: SCRIPTS, backend: 'mysql', redisAddress: '127.0.0.1:6390', imapPort: 1143, profile: '3.1' });
    const c = parseConfigText(fs.readFileSync(file, 'utf8'), file, { checkFiles: false, env: {} });
    assert.equal(c.layout, '3.x');
    assert.equal(c.profile, '3.1');
    assert.equal(c.server.luaAllowIo, true);
    assert.deepEqual(c.lua.features.map((f) => f.name), ['blocklist', 'test_context_chain']);
    assert.deepEqual(c.lua.filters.map((f) => f.name), ['geoip', 'test_context_chain']);
    assert.deepEqual(c.lua.actions.map((a) => `${a.type}:${a.name}`), ['brute_force:bruteforce', 'post:analytics', 'post:geoip']);
    assert.deepEqual(c.lua.customHooks.map((h) => `${h.method} ${h.location}`), ['POST dovecot-session-cleaner']);
    assert.match(c.lua.config.backendScript?.written ?? '', /backend\/backend\.lua$/);
    assert.deepEqual(c.lua.config.initScripts.map((s) => path.basename(s.written)), ['init.lua']);
    assert.equal(c.policy?.mode, 'observe');
    assert.deepEqual(c.policy?.registryScripts.map((r) => path.basename(r.path)), ['registry.lua']);
    assert.deepEqual(c.policy?.policies.map((p) => p.name), [OBSERVED_POLICY]);
    // Nauthilus 3 runs only the environment sources that have a check once one has: each has one
    assert.deepEqual(c.policy?.checks.map((k) => `${k.type}:${k.name}`), ['lua.environment:blocklist', 'lua.environment:test_context_chain']);

    const proxy = writeSiteConfig3({ bundle, scripts: SCRIPTS, backend: 'proxy', redisAddress: '127.0.0.1:6390', imapPort: 1143 });
    const p = parseConfigText(fs.readFileSync(proxy, 'utf8'), proxy, { checkFiles: false, env: {} });
    assert.equal(p.profile, '3.0');
    assert.match(p.lua.config.backendScript?.written ?? '', /proxy_backend\.lua$/);
    assert.deepEqual(p.lua.config.initScripts.map((s) => path.basename(s.written)), ['proxy-init.lua']);
    assert.deepEqual([p.lua.features.length, p.lua.filters.length, p.lua.actions.length], [0, 0, 0]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
