// The Lua checker (engine/lint): each kind of finding against the API the engine reports per profile, none on the
// sample workspace's scripts, the generated data in step with the editor's, and `authstudio check` reporting them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { lintLua, type LintFinding, type LintOptions } from '../../engine/lint/lua-lint';
import { loadConfigFile } from '../../engine/config/load';
import { moduleExports } from '../../engine/lint/module-exports';
import { checkWorkspace } from '../../engine/check';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const V110: LintOptions = { api: 'nauthilus', profile: '1.10' };
const show = (fs: LintFinding[]) => fs.map((f) => `${f.line}:${f.column} ${f.severity} ${f.kind}: ${f.message}`);

test('lint: a syntax error is an error at its line:column', () => {
  const [f, ...rest] = lintLua('local x = 1\nif x then\n  foo(\nend\n', V110);
  assert.deepEqual(rest, []);
  assert.deepEqual([f.kind, f.severity, f.line, f.column], ['syntax', 'error', 4, 1]);
  assert.match(f.message, /syntax error: .*expected near 'end'/);
});

test('lint: an undefined global (nauthilus_bultin) is an error where it is called or indexed, with the closest name', () => {
  const found = lintLua('function nauthilus_call_feature(request)\n  nauthilus_bultin.custom_log_add("k", "v")\n  return false, false, 0\nend\n', V110);
  assert.deepEqual(show(found), ["2:3 error undefined-global: undefined global 'nauthilus_bultin' (did you mean 'nauthilus_builtin'?)"]);
  // a plain read only warns (it is nil); a global the script assigns anywhere, locals and parameters are known
  assert.deepEqual(show(lintLua('local a = some_flag\nhelper()\nfunction helper() return counter end\ncounter = 1\n', V110)),
    ["1:11 warning undefined-global: undefined global 'some_flag'"]);
});

test('lint: unknown fields of host modules, a local alias and require(...) included; unknown constants read nil', () => {
  const src = [
    'local redis = require("nauthilus_redis")',
    'local nb = nauthilus_builtin',
    'redis.redis_gett("default", "k")',
    'nb.custom_log_addd("k", "v")',
    'local r = nauthilus_builtin.FEATURE_TRIGGER_YSE',
    'require("nauthilus_util").is_tabel({})',
    'local s = string.fromat("%s", 1)',
  ].join('\n');
  assert.deepEqual(show(lintLua(src, V110)), [
    "3:7 error unknown-field: nauthilus_redis has no field 'redis_gett' (did you mean 'nauthilus_redis.redis_get'?)",
    "4:4 error unknown-field: nauthilus_builtin has no field 'custom_log_addd' (did you mean 'nauthilus_builtin.custom_log_add'?)",
    "5:29 warning unknown-field: nauthilus_builtin has no field 'FEATURE_TRIGGER_YSE' (it reads nil) (did you mean 'nauthilus_builtin.FEATURE_TRIGGER_YES'?)",
    "6:27 error unknown-field: nauthilus_util has no field 'is_tabel' (did you mean 'nauthilus_util.is_table'?)",
    "7:18 error unknown-field: string has no field 'fromat' (did you mean 'string.format'?)",
  ]);
});

test('lint: a name of another profile says which Nauthilus versions have it (1.x FILTER_ACCEPT under 3.0)', () => {
  const src = 'function nauthilus_call_filter(request)\n  return nauthilus_builtin.FILTER_ACCEPT, nauthilus_builtin.FILTER_RESULT_OK\nend\n';
  assert.deepEqual(lintLua(src, V110), []);
  const under30 = lintLua(src, { api: 'nauthilus', profile: '3.0' });
  assert.equal(under30.length, 2);
  assert.match(under30[0].message, /^nauthilus_builtin\.FILTER_ACCEPT is not in Nauthilus 3\.0, this workspace's profile \(Nauthilus 1\.10, 1\.12 have it\)$/);
  assert.equal(under30[0].severity, 'warning'); // a read: nil in Nauthilus 3.0
});

test('lint: host calls with an argument count their signature excludes are warnings; open calls are not counted', () => {
  const src = [
    'nauthilus_builtin.custom_log_add("only key")',
    'nauthilus_builtin.custom_log_add("k", "v", "extra")',
    'nauthilus_builtin.custom_log_add("k", "v")',
    'nauthilus_builtin.custom_log_add(unpack({ "k", "v" }))',
    'local r = require("nauthilus_redis")',
    'r.redis_del("default", "a", "b", "c")',
  ].join('\n');
  assert.deepEqual(show(lintLua(src, V110)), [
    '1:1 warning argument-count: nauthilus_builtin.custom_log_add takes 2 arguments, 1 given',
    '2:1 warning argument-count: nauthilus_builtin.custom_log_add takes 2 arguments, 3 given',
  ]);
});

test('lint: Lua 5.3+ constructs Nauthilus\' Lua 5.1 lacks, and a division concatenated, are warnings (not for Dovecot scripts)', () => {
  const src = [
    'local a = 7 // 2',
    'local b = 6 & 3',
    'local c <const> = 1',
    'local d = math.type(1)',
    'local e = string.format("%d", a / 3)', // the engine truncates as gopher-lua does: nothing to say
    'local f = "k" .. a / 2',
  ].join('\n');
  const found = lintLua(src, V110);
  assert.deepEqual(found.map((f) => [f.line, f.kind, f.severity]), [
    [1, 'lua-version', 'warning'], [2, 'lua-version', 'warning'], [3, 'lua-version', 'warning'], [4, 'lua-version', 'warning'],
    [6, 'number-text', 'warning'],
  ]);
  assert.match(found[0].message, /\/\/ is Lua 5\.3\+: Nauthilus \(Lua 5\.1\) cannot compile/);
  assert.match(found[4].message, /Nauthilus \(Lua 5\.1\) writes 6\/2 as "3"/);
  assert.deepEqual(lintLua(src, { api: 'dovecot', profile: '2.4' }), []);
});

test('lint: Dovecot scripts are checked against the Dovecot API (dovecot.*, dovecot.auth constants)', () => {
  const src = [
    'function auth_passdb_lookup(req)',
    '  dovecot.i_infoo("x")',
    '  return dovecot.auth.PASSDB_RESULT_OKK, {}',
    'end',
  ].join('\n');
  assert.deepEqual(show(lintLua(src, { api: 'dovecot', profile: '2.3' })), [
    "2:11 error unknown-field: dovecot has no field 'i_infoo' (did you mean 'dovecot.i_info'?)",
    "3:23 warning unknown-field: dovecot.auth has no field 'PASSDB_RESULT_OKK' (it reads nil) (did you mean 'dovecot.auth.PASSDB_RESULT_OK'?)",
  ]);
  // nauthilus_builtin is no Dovecot global
  assert.equal(lintLua('nauthilus_builtin.custom_log_add("k", "v")', { api: 'dovecot', profile: '2.3' })[0].kind, 'undefined-global');
});

function luaFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? luaFiles(p) : e.name.endsWith('.lua') ? [p] : [];
  });
}

test('lint: the sample workspace\'s scripts have no findings (Nauthilus under its profile, Dovecot under 2.3 and 2.4)', () => {
  const ws = path.join(ROOT, 'lua-plugins.d');
  const profile = loadConfigFile(path.join(ws, 'authstudio.yml')).profile;
  const files = luaFiles(ws).filter((f) => !f.includes(`${path.sep}.authstudio${path.sep}`));
  assert.ok(files.length > 10, `found ${files.length} scripts`);
  for (const f of files) {
    const dovecot = f.includes(`${path.sep}dovecot${path.sep}`);
    for (const opts of dovecot ? [{ api: 'dovecot', profile: '2.3' }, { api: 'dovecot', profile: '2.4' }] as LintOptions[] : [{ api: 'nauthilus', profile } as LintOptions]) {
      assert.deepEqual(show(lintLua(fs.readFileSync(f, 'utf8'), opts)), [], `${path.relative(ws, f)} (${opts.api} ${opts.profile})`);
    }
  }
});

test('lint: engine/lint/generated/host-api.ts is what scripts/gen-lint-api.js derives from the editor\'s data', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const gen = require(path.join(ROOT, 'scripts', 'gen-lint-api.js')) as { generate(o: { check: boolean }): boolean };
  assert.ok(gen.generate({ check: true }), 'run node scripts/gen-lint-api.js');
});

test('authstudio check: a misspelt module global fails the check at file:line:col; a wrong argument count only warns', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-lint-'));
  try {
    fs.mkdirSync(path.join(dir, 'features'));
    const script = (body: string) => `function nauthilus_call_feature(request)\n${body}\n  return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK\nend\n`;
    fs.writeFileSync(path.join(dir, 'features', 'typo.lua'), script('  nauthilus_bultin.custom_log_add("k", "v")'));
    fs.writeFileSync(path.join(dir, 'authstudio.yml'), [
      'server:', '  address: 127.0.0.1:0', '  backends: [cache]', '  redis: mock',
      'lua:', '  features:', '    - name: typo', '      script_path: ./features/typo.lua', '',
    ].join('\n'));
    const run = () => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'check', '--config', path.join(dir, 'authstudio.yml')], { cwd: ROOT }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
    const bad = await run();
    assert.equal(bad.code, 1, bad.stdout);
    assert.match(bad.stderr, /^\S*features\/typo\.lua:2:3: undefined global 'nauthilus_bultin' \(did you mean 'nauthilus_builtin'\?\)$/m);

    fs.writeFileSync(path.join(dir, 'features', 'typo.lua'), script('  nauthilus_builtin.custom_log_add("k")'));
    const warned = await run();
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /^warning: \S*features\/typo\.lua:2:3: nauthilus_builtin\.custom_log_add takes 2 arguments, 1 given$/m);
    assert.match(warned.stdout, /OK \(1 warning\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('checker: a module on the config\'s package_path (Nauthilus 1.12.5 share/nauthilus_util.lua) is checked against its own fields, not the built-in module\'s', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-lint-'));
  try {
    fs.mkdirSync(path.join(dir, 'share'));
    fs.mkdirSync(path.join(dir, 'features'));
    // the site's own util module: a field the built-in 1.10 module lacks (getenv), one of its own
    fs.writeFileSync(path.join(dir, 'share', 'nauthilus_util.lua'), [
      'local util = { site = "mail" }', 'function util.getenv(name, default) return os.getenv(name) or default end',
      'util.shout = function(s) return string.upper(s) end', 'return util', '',
    ].join('\n'));
    const feature = (call: string) => `local util = require("nauthilus_util")\nfunction nauthilus_call_feature(request)\n  ${call}\n  return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK\nend\n`;
    fs.writeFileSync(path.join(dir, 'features', 'env.lua'), feature('local v = util.getenv("SITE", util.site) .. util.shout("x")'));
    fs.writeFileSync(path.join(dir, 'authstudio.yml'), [
      'nauthilus: "1.10"', 'server:', '  address: 127.0.0.1:0', '  backends: [cache]', '  redis: mock',
      'lua:', '  config:', '    package_path: ./share/?.lua', '  features:', '    - name: env', '      script_path: ./features/env.lua', '',
    ].join('\n'));
    assert.deepEqual((await checkWorkspace(path.join(dir, 'authstudio.yml'))).map((e) => e.message), []);
    // without the file, the built-in 1.10 module is what require gives: getenv is not there
    const builtin = lintLua(fs.readFileSync(path.join(dir, 'features', 'env.lua'), 'utf8'), V110);
    assert.match(show(builtin)[0], /error unknown-field: nauthilus_util\.getenv is not in Nauthilus 1\.10, this workspace's profile/);
    // a field the workspace's own module does not have still fails
    fs.writeFileSync(path.join(dir, 'features', 'env.lua'), feature('util.shuot("x")'));
    const problems = await checkWorkspace(path.join(dir, 'authstudio.yml'));
    assert.deepEqual(problems.map((e) => `${e.severity ?? 'error'} ${e.message}`), [
      "error nauthilus_util (the workspace's own module) has no field 'shuot' (did you mean 'nauthilus_util.shout'?)",
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('checker: module exports are read from the returned table; a module built by code is not checked field by field', () => {
  assert.deepEqual(moduleExports('local M = { a = 1, ["b"] = 2 }\nfunction M.c() end\nfunction M:d() end\nM.e = 3\nreturn M')?.sort(), ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(moduleExports('return { f = function() end }'), ['f']);
  assert.equal(moduleExports('local M = {}\nfor _, k in ipairs({ "a" }) do M[k] = true end\nreturn M'), undefined);
  assert.equal(moduleExports('local M = setmetatable({}, { __index = string })\nreturn M'), undefined);
});

test('checker: a version mismatch under a profile detected from the layout (Nauthilus 1.x cannot be told 1.10 from 1.12) is a warning that says how to set it', () => {
  const src = 'local util = require("nauthilus_util")\nfunction nauthilus_call_feature(request)\n  return util.getenv("X")\nend\n';
  const named = lintLua(src, { api: 'nauthilus', profile: '1.10', profileExplicit: true });
  assert.deepEqual(show(named), ["3:15 error unknown-field: nauthilus_util.getenv is not in Nauthilus 1.10, this workspace's profile (Nauthilus 1.12, 3.0, 3.1 have it)"]);
  const guessed = lintLua(src, { api: 'nauthilus', profile: '1.10', profileExplicit: false });
  assert.deepEqual(show(guessed), [
    '3:15 warning unknown-field: nauthilus_util.getenv is not in Nauthilus 1.10, the profile guessed from this workspace\'s config (Nauthilus 1.12, 3.0, 3.1 have it): if it targets Nauthilus 1.12, set nauthilus: "1.12" in the config',
  ]);
  // a misspelt module global fails every login whichever version it is: still an error under a guessed profile
  const typo = lintLua('function nauthilus_call_feature(request)\n  nauthilus_bultin.custom_log_add("k", "v")\nend\n', { api: 'nauthilus', profile: '1.10', profileExplicit: false });
  assert.deepEqual(typo.map((f) => f.severity), ['error']);
});

test('checker: a guarded call of an optional global (Nauthilus v3.0.1 testing_csv_backend) is not an error', () => {
  const src = [
    'function nauthilus_backend_verify_password(request)',
    '  if optional_log then optional_log("user", request.username) end',
    '  local ok = optional_check and optional_check(request)',
    '  if type(optional_hook) == "function" then optional_hook() end',
    '  if nauthilus_util_ext ~= nil then nauthilus_util_ext.note("x") end',
    '  if not optional_final then return ok end',
    '  optional_final(ok)',
    '  return ok',
    'end',
    'optional_unguarded("x")',
  ].join('\n');
  assert.deepEqual(show(lintLua(src, V110)), ["10:1 error undefined-global: undefined global 'optional_unguarded'"]);
  // the guard covers only its branch
  assert.deepEqual(show(lintLua('if maybe_f then maybe_f() end\nmaybe_f()\n', V110)), ["2:1 error undefined-global: undefined global 'maybe_f'"]);
});

test('checker: a name called in a function body above its `local function` (Nauthilus v3.0.1 hooks/clickhouse-query) reads the global there: a warning that says so', () => {
  const src = [
    'local function parse_and(s)',
    '  return parse_either(s)',
    'end',
    '',
    'local function parse_either(s)',
    '  return s',
    'end',
    'parse_later()',
    'local function parse_later() end',
  ].join('\n');
  assert.deepEqual(show(lintLua(src, V110)), [
    "2:10 warning undefined-global: 'parse_either' here is the global: its local declaration at line 5 comes later",
    // on the top level it runs before the declaration: the global is nil, the call fails when the script loads
    "8:1 error undefined-global: undefined global 'parse_later' (did you mean 'parse_either'?)",
  ]);
});
