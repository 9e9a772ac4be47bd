// engine/config: the lua: section — the seed's example, script path resolution and checks, uniqueness, backends and search.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigValidationError, loadConfigFile, parseConfigText } from '../../engine/config/load';
import { FILE, errorsOf, linesOf, workspace, yml } from '../helpers/config-text';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/config');

const SEED_SCRIPTS = [
  'server/lua-plugins.d/features/demo.lua',
  'server/lua-plugins.d/features/comm.lua',
  'server/lua-plugins.d/actions/bruteforce.lua',
  'server/lua-plugins.d/actions/demo.lua',
  'server/lua-plugins.d/actions/haveibeenpwnd.lua',
  'server/lua-plugins.d/actions/telegram.lua',
  'server/lua-plugins.d/backend/backend.lua',
  'server/lua-plugins.d/init/init.lua',
  'server/lua-plugins.d/init/init_neural.lua',
];

function seedWorkspace(): string {
  const files: Record<string, string> = { 'authstudio.yml': readFileSync(path.join(FIXTURES, 'seed-lua.yml'), 'utf8') };
  for (const f of SEED_SCRIPTS) files[f] = '-- placeholder\n';
  return workspace(files);
}

test('the seed example lua: section loads, with every relative script resolved against the config dir', () => {
  const dir = seedWorkspace();
  const cfg = loadConfigFile(path.join(dir, 'authstudio.yml'), { checkFiles: false });
  assert.equal(cfg.baseDir, dir);
  assert.deepEqual(cfg.lua.features.map((f) => f.name), ['demo', 'comm']);
  assert.deepEqual(cfg.lua.features[0].script, {
    path: path.join(dir, 'server/lua-plugins.d/features/demo.lua'),
    displayPath: 'server/lua-plugins.d/features/demo.lua',
    written: './server/lua-plugins.d/features/demo.lua',
  });
  assert.deepEqual(cfg.lua.filters[0].script, { path: '/some/path/to/lua/script.lua', displayPath: '/some/path/to/lua/script.lua', written: '/some/path/to/lua/script.lua' });
  assert.deepEqual(cfg.lua.actions.map((a) => `${a.type}/${a.name}`), ['brute_force/brute_force', 'post/demoe', 'post/haveibeenpwnd', 'post/telegram']);
  assert.equal(cfg.lua.config.backendScript?.displayPath, 'server/lua-plugins.d/backend/backend.lua');
  // init_script_path + init_script_paths, in order, de-duplicated
  assert.deepEqual(cfg.lua.config.initScripts.map((s) => s.displayPath), ['server/lua-plugins.d/init/init.lua', 'server/lua-plugins.d/init/init_neural.lua']);
  assert.equal(cfg.lua.config.numberOfWorkers, 2);
  assert.deepEqual(cfg.lua.search, [
    { protocols: ['imap', 'pop3', 'lmtp', 'sieve', 'doveadm', 'indexer-worker', 'default'], cacheName: 'dovecot', backendName: undefined },
    { protocols: ['smtp', 'submission'], cacheName: 'submission', backendName: undefined },
    { protocols: ['ory-hydra'], cacheName: 'oidc', backendName: undefined },
  ]);
  assert.deepEqual(cfg.lua.customHooks, []);
  assert.equal(cfg.server.redis.mode, 'mock');
  assert.deepEqual((cfg.raw as { lua: { search: unknown[] } }).lua.search.length, 3);
});

test('with checkFiles the seed example reports only its absolute example path, at that key', () => {
  const dir = seedWorkspace();
  const file = path.join(dir, 'authstudio.yml');
  assert.throws(
    () => loadConfigFile(file),
    (e: unknown) => {
      assert.ok(e instanceof ConfigValidationError);
      assert.equal(e.errors.length, 1);
      const [err] = e.errors;
      assert.equal(err.code, 'AS_ERR_CONFIG_FILE');
      assert.equal(err.path, 'lua.filters[0].script_path');
      assert.deepEqual(err.location, { file, line: 10, column: 20 });
      assert.match(err.format(), /authstudio\.yml:10:20: script file "\/some\/path\/to\/lua\/script\.lua" does not exist at lua\.filters\[0\]\.script_path/);
      return true;
    },
  );
});

test('script paths: relative to the config dir, displayPath relative when inside, absolute outside', () => {
  const root = workspace({ 'ws/features/a.lua': '', 'outside/b.lua': '', 'abs/c.lua': '', 'ws/init/i.lua': '' });
  const ws = path.join(root, 'ws');
  const text = yml(
    'lua:',
    '  features:',
    '    - name: a',
    '      script_path: features/a.lua',
    '    - name: b',
    '      script_path: ../outside/b.lua',
    `    - name: c`,
    `      script_path: ${path.join(root, 'abs/c.lua')}`,
    '  config:',
    '    init_script_paths: [./init/i.lua, init/i.lua]',
    '    package_path: "./lualib/?.lua;/usr/share/lua/?.lua;;"',
  );
  writeFileSync(path.join(ws, 'authstudio.yml'), text);
  const cfg = loadConfigFile(path.join(ws, 'authstudio.yml'));
  const [a, b, c] = cfg.lua.features.map((f) => f.script);
  assert.deepEqual(a, { path: path.join(ws, 'features/a.lua'), displayPath: 'features/a.lua', written: 'features/a.lua' });
  assert.deepEqual(b, { path: path.join(root, 'outside/b.lua'), displayPath: path.join(root, 'outside/b.lua'), written: '../outside/b.lua' });
  assert.equal(c.path, path.join(root, 'abs/c.lua'));
  assert.equal(cfg.lua.config.backendScript, undefined);
  assert.deepEqual(cfg.lua.config.initScripts.map((s) => s.displayPath), ['init/i.lua']);
  assert.equal(cfg.lua.config.packagePath, `${path.join(ws, 'lualib/?.lua')};/usr/share/lua/?.lua;;`);
  assert.equal(cfg.file, path.join(ws, 'authstudio.yml'));
});

test('a missing script file is AS_ERR_CONFIG_FILE at its key; a directory is not a file', () => {
  const dir = workspace({ 'features/here.lua': '', 'adir/keep.txt': '' });
  const text = yml('lua:', '  features:', '    - name: here', '      script_path: features/here.lua', '    - name: gone', '      script_path: features/gone.lua', '  filters:', '    - name: d', '      script_path: adir');
  const file = path.join(dir, 'authstudio.yml');
  writeFileSync(file, text);
  try {
    loadConfigFile(file);
    assert.fail('should not load');
  } catch (e) {
    assert.ok(e instanceof ConfigValidationError);
    assert.deepEqual(e.errors.map((x) => [x.code, x.path, x.location?.line, x.location?.column]), [
      ['AS_ERR_CONFIG_FILE', 'lua.features[1].script_path', 6, 20],
      ['AS_ERR_CONFIG_FILE', 'lua.filters[0].script_path', 9, 20],
    ]);
    assert.match(e.errors[0].message, /^script file "features\/gone\.lua" does not exist at lua\.features\[1\]\.script_path/);
    assert.match(e.errors[1].message, /^script file "adir" is not a file/);
  }
  // checkFiles: false accepts it
  assert.equal(loadConfigFile(file, { checkFiles: false }).lua.features.length, 2);
});

test('script_path and backend_script_path together are a conflict at the second key', () => {
  const errs = errorsOf(yml('lua:', '  config:', '    backend_script_path: a.lua', '    script_path: b.lua'));
  assert.equal(errs.length, 1);
  assert.equal(errs[0].code, 'AS_ERR_CONFIG_CONFLICT');
  assert.equal(errs[0].format(), `${FILE}:4:5: "script_path" and "backend_script_path" at lua.config both name the backend script: keep one`);
  const cfg = parseConfigText(yml('lua:', '  config:', '    backend_script_path: backend.lua'), '/w/authstudio.yml', { checkFiles: false });
  assert.equal(cfg.lua.config.backendScript?.path, '/w/backend.lua');
});

test('names are unique: features, actions per type+name, hooks per method+location', () => {
  const text = yml(
    'lua:',
    '  features:',
    '    - {name: a, script_path: a.lua}',
    '    - {name: a, script_path: b.lua}',
    '  actions:',
    '    - {type: post, name: log, script_path: a.lua}',
    '    - {type: brute_force, name: log, script_path: a.lua}',
    '    - {type: post, name: log, script_path: c.lua}',
    '  custom_hooks:',
    '    - {http_location: status, http_method: get, script_path: s.lua}',
    '    - {http_location: /status, http_method: GET, script_path: s.lua}',
    '    - {http_location: status, http_method: post, script_path: s.lua, roles: [admin]}',
  );
  assert.deepEqual(linesOf(text), [
    `${FILE}:4:14: duplicate feature name "a" at lua.features[1] (first at lua.features[0], line 3)`,
    `${FILE}:8:26: duplicate action (type/name) "post/log" at lua.actions[2] (first at lua.actions[0], line 6)`,
    `${FILE}:11:23: duplicate hook (method location) "GET status" at lua.custom_hooks[1] (first at lua.custom_hooks[0], line 10)`,
  ]);
  const ok = parseConfigText(text.replace('name: a, script_path: b', 'name: b, script_path: b').replace('name: log, script_path: c', 'name: log2, script_path: c').replace('/status, http_method: GET', 'info, http_method: GET'), FILE, { checkFiles: false });
  assert.deepEqual(ok.lua.customHooks.map((h) => [h.method, h.location, h.roles]), [['GET', 'status', []], ['GET', 'info', []], ['POST', 'status', ['admin']]]);
});

test('bad action type, hook method and feature name are type errors with suggestions', () => {
  const text = yml(
    'lua:',
    '  features:',
    '    - {name: "my feature", script_path: a.lua}',
    '  actions:',
    '    - {type: brute-force, name: x, script_path: a.lua}',
    '  custom_hooks:',
    '    - {http_location: s, http_method: GETT, script_path: s.lua}',
  );
  assert.deepEqual(linesOf(text), [
    `${FILE}:3:14: expected a name of letters, digits, "-", "_" and "." at lua.features[0].name, got the string "my feature"`,
    `${FILE}:5:14: expected one of "brute_force", "rbl", "tls_encryption", "relay_domains", "lua", "post" at lua.actions[0].type, got the string "brute-force" (did you mean "brute_force"?)`,
    `${FILE}:7:39: expected one of "HEAD", "GET", "POST", "PUT", "DELETE", "PATCH" at lua.custom_hooks[0].http_method, got the string "GETT" (did you mean "GET"?)`,
  ]);
});

test('Nauthilus 1.10: custom hooks accept http_method HEAD GET POST PUT DELETE PATCH (config/lua.go), HEAD and GET side by side', () => {
  const methods = ['HEAD', 'get', 'POST', 'put', 'DELETE', 'patch'];
  const text = yml('lua:', '  custom_hooks:', ...methods.map((m) => `    - {http_location: status, http_method: ${m}, script_path: s.lua}`));
  const cfg = parseConfigText(text, FILE, { checkFiles: false });
  assert.deepEqual(cfg.lua.customHooks.map((h) => h.method), ['HEAD', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH']);
  assert.deepEqual(linesOf(yml('lua:', '  custom_hooks:', '    - {http_location: s, http_method: OPTIONS, script_path: s.lua}')).length, 1);
});

test('optional_lua_backends and search.backend_name', () => {
  const text = yml(
    'lua:',
    '  config: {number_of_workers: 6}',
    '  optional_lua_backends:',
    '    backend1:',
    '      number_of_workers: 5',
    '    backend2:',
    '  search:',
    '    - {protocol: imap, backend_name: backend1}',
    '    - {protocol: [smtp], backend_name: default}',
  );
  const cfg = parseConfigText(text, FILE, { checkFiles: false });
  assert.deepEqual(cfg.lua.optionalBackends, { backend1: { numberOfWorkers: 5 }, backend2: { numberOfWorkers: 6 } });
  assert.deepEqual(cfg.lua.search.map((s) => s.backendName), ['backend1', 'default']);
  assert.deepEqual(linesOf(text.replace('backend_name: backend1', 'backend_name: backend3')), [
    `${FILE}:8:38: backend_name "backend3" at lua.search[0].backend_name names no optional Lua backend: expected one of "backend1", "backend2" or "default" (did you mean "backend1"?)`,
  ]);
  assert.deepEqual(linesOf(yml('lua:', '  search:', '    - {cache_name: x}')), [`${FILE}:3:7: missing required key "protocol" at lua.search[0]`]);
});

test('Nauthilus 1.10: filters take when_authenticated / when_unauthenticated / when_no_auth; none set means authenticated and unauthenticated', () => {
  const text = yml(
    'lua:',
    '  filters:',
    '    - { name: plain, script_path: a.lua }',
    '    - { name: no-auth-only, script_path: a.lua, when_no_auth: true }',
    '    - { name: auth-off, script_path: a.lua, when_authenticated: false, when_unauthenticated: true }',
    '    - { name: all-false, script_path: a.lua, when_authenticated: false }',
  );
  const cfg = parseConfigText(text, FILE, { checkFiles: false, env: {} });
  assert.deepEqual(cfg.lua.filters.map((f) => [f.name, f.whenAuthenticated, f.whenUnauthenticated, f.whenNoAuth]), [
    ['plain', true, true, false],
    ['no-auth-only', false, false, true],
    ['auth-off', false, true, false],
    // as in filter.go: no key true is the same as no key set
    ['all-false', true, true, false],
  ]);
  const errs = errorsOf(yml('lua:', '  filters:', '    - { name: x, script_path: a.lua, when_no_auth: "yes" }'));
  assert.deepEqual(errs.map((e) => [e.code, e.path]), [['AS_ERR_CONFIG_TYPE', 'lua.filters[0].when_no_auth']]);
  const unknown = errorsOf(yml('lua:', '  filters:', '    - { name: x, script_path: a.lua, when_authenticatd: true }'));
  assert.equal(unknown.length, 1);
  assert.match(unknown[0].message, /when_authenticatd/);
});
