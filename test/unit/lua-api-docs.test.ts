// Keeps docs/lua-api.md and docs/lua-api/*.md in step with the Lua API the VM really provides: every
// function of every module is documented, every function the docs name exists, and lua-api.md is the
// assembled pages. After editing a page: AS_UPDATE_DOCS=1 node --test dist/test/unit/lua-api-docs.test.js
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runLua, testServices } from '../helpers/lua-harness';
import { MODULES, LEGACY_LOADER_NAMES, moduleByName } from '../../engine/lua/modules/index';
import { classify, renderInventory, loadInventory, type Row } from '../helpers/lua-api-inventory';
import { generatedApi, versionMarks, versionsCell } from '../helpers/lua-api-version-marks';
import { ApiVersions, versionsText } from '../../scripts/lua-api-versions';
import type { LuaApi } from '../../renderer/src/editor/lua-api-profile';

const ROOT = path.join(__dirname, '..', '..', '..');
const PAGES = path.join(ROOT, 'docs', 'lua-api');
const ASSEMBLED = path.join(ROOT, 'docs', 'lua-api.md');

/** Pages that document the runtime rather than a module of MODULES, first in lua-api.md. */
const CORE: Array<{ name: string; summary: string }> = [
  { name: 'dynamic_loader', summary: 'Loading modules (require, 1.x loader names), Lua 5.1 shims and the sandbox.' },
  { name: 'nauthilus_builtin', summary: 'Entry points, result constants (1.x and 3.x names), custom_log_add, status_message_set.' },
  { name: 'nauthilus_backend_result', summary: 'The object a Lua backend returns: authenticated, user_found, account field, attributes.' },
];
const CORE_TABLES = ['nauthilus_builtin', 'nauthilus_backend_result'];

/** Functions scripts define and the engine calls: documented on the builtin page, not module functions. */
const ENTRY_POINTS = [
  'nauthilus_call_feature', 'nauthilus_call_environment', 'nauthilus_call_filter', 'nauthilus_call_subject',
  'nauthilus_call_action', 'nauthilus_backend_verify_password', 'nauthilus_backend_list_accounts',
  'nauthilus_backend_add_totp', 'nauthilus_run_hook',
  // Nauthilus 3.0: the Lua backend's MFA commands (engine/pipeline/backend-commands.ts) and the cache flush callback
  'nauthilus_backend_delete_totp', 'nauthilus_backend_add_totp_recovery_codes', 'nauthilus_backend_delete_totp_recovery_codes',
  'nauthilus_backend_get_webauthn_credentials', 'nauthilus_backend_save_webauthn_credential', 'nauthilus_backend_delete_webauthn_credential',
  'nauthilus_backend_update_webauthn_credential', 'nauthilus_cache_flush',
];

/** What a page names in its headings and in the first cell of its table rows (code blocks skipped). */
interface Named {
  /** `name(` or `alias.name(` */
  calls: Set<string>;
  /** `obj:name(` */
  methods: Set<string>;
  /** a code span that is just a (dotted) name, e.g. `STATUS_OK` */
  bare: Set<string>;
  /** first cell -> second cell of every table row */
  rows: Map<string, string>;
}

function named(md: string): Named {
  const out: Named = { calls: new Set(), methods: new Set(), bare: new Set(), rows: new Map() };
  let fenced = false;
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) continue;
    let text: string;
    if (/^#{1,6}\s/.test(line)) text = line;
    else if (line.startsWith('|')) {
      const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
      text = cells[1] ?? '';
      out.rows.set(text, cells[2] ?? '');
    } else continue;
    for (const [, span] of text.matchAll(/`([^`]+)`/g)) {
      for (const m of span.matchAll(/(?:^|[^\w:.])(?:[A-Za-z_]\w*\.)?([A-Za-z_]\w*)\s*\(/g)) out.calls.add(m[1]);
      for (const m of span.matchAll(/:([A-Za-z_]\w*)\s*\(/g)) out.methods.add(m[1]);
      if (/^[A-Za-z_][\w.]*$/.test(span)) out.bare.add(span.split('.').pop()!);
    }
  }
  return out;
}

function readPage(name: string): string | undefined {
  const file = path.join(PAGES, `${name}.md`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

/** The inventory of Nauthilus 1.10's Lua API against this engine (test/helpers/lua-api-inventory.ts). */
let inventory: Row[] = [];
/** The same for Nauthilus 3.0's own API, probed with a 3.0 profile. */
let inventory3: Row[] = [];
/** The editor's data (scripts/gen-lua-api.js): every item with the Nauthilus versions that have it. */
let api: LuaApi;
const versions = ApiVersions.load(ROOT);

/**
 * docs/lua-api.md: an index generated from the module registry, then every page, headings one level down, each
 * followed by its generated "Nauthilus versions" table, then the generated API inventory tables.
 */
function assemble(): string {
  const index = [...CORE, ...MODULES];
  const loaders = (name: string) => Object.keys(LEGACY_LOADER_NAMES).filter((k) => LEGACY_LOADER_NAMES[k] === name).map((k) => `\`${k}\``).join(', ') || '—';
  const versionsOf = (name: string) => {
    const m = api.modules.find((x) => x.name === name);
    return m ? versionsCell(m, api.profiles) : versionsText(versions.module(name));
  };
  const parts = [
    '# The Lua API of AuthStudio',
    '',
    '<!-- Generated from docs/lua-api/*.md and the module registry by test/unit/lua-api-docs.test.ts',
    '     (AS_UPDATE_DOCS=1 node --test dist/test/unit/lua-api-docs.test.js). Edit the pages, not this file. -->',
    '',
    'Scripts written for Nauthilus 1.x and 3.x run unchanged: every module below is preloaded (`require` works',
    'with or without `dynamic_loader`). Host functions report failures as a second return value (`value, err`),',
    'so `nauthilus_util.if_error_raise(err)` works; an argument of the wrong type raises a Lua error naming the',
    'function and the argument. Network, Redis, database and DNS calls look blocking to the script, never block',
    'other requests, and always have a timeout.',
    '',
    'Each module, function, constant, method, entry point and request field is marked with the Nauthilus versions',
    '(1.10, 1.12, 3.0, 3.1) that have it: the "Nauthilus versions of ..." table after each page, generated from the',
    'inventories (`docs/lua-api/inventory-nauthilus-*.json`, read from Nauthilus\'s source by',
    '`scripts/nauthilus-inventory.js`) and from the engine under each profile. "AuthStudio only" marks AuthStudio\'s own',
    'additions; "AuthStudio: not yet with the ... profile" a name that version has and AuthStudio does not provide under',
    'that profile yet. Members of a library written in Lua, and methods of objects whose methods the inventory does not',
    'list, carry their module\'s versions. The studio\'s completion offers a name only when the workspace\'s profile',
    '(`nauthilus:` in `authstudio.yml`, see [nauthilus-3-config.md](nauthilus-3-config.md)) is one of its versions; its',
    'hover names the versions.',
    '',
    '| module | Nauthilus versions | 1.x `dynamic_loader` name | what it is for |',
    '|---|---|---|---|',
    ...index.map((e) => `| [\`${e.name}\`](lua-api/${e.name}.md) | ${versionsOf(e.name)} | ${loaders(e.name)} | ${e.summary.replace(/\|/g, '\\|')} |`),
    '',
    'The [Nauthilus 3.0 API inventory](#nauthilus-30-api-inventory) and the [Nauthilus 1.10 API inventory](#nauthilus-110-api-inventory)',
    'at the end list every name Nauthilus 3.0 and 1.10 give scripts (1.10: its bundled libraries\' too), and whether',
    'AuthStudio provides it.',
  ];
  for (const e of index) {
    const page = readPage(e.name);
    if (page === undefined) continue;
    let fenced = false;
    const body = page.trimEnd().split('\n').map((l) => {
      if (l.startsWith('```')) fenced = !fenced;
      return !fenced && /^#{1,5}\s/.test(l) ? '#' + l : l;
    });
    parts.push('', ...body);
    const marks = versionMarks(api, e.name, versions);
    if (marks.length) parts.push('', ...marks);
  }
  parts.push('', renderInventory(inventory3, loadInventory('3.0')).trimEnd());
  parts.push('', renderInventory(inventory).trimEnd());
  return parts.join('\n') + '\n';
}

/** name -> { key -> Lua type } for every module, as a real VM's `require` returns it. */
let tables: Record<string, Record<string, string>> = {};
let backendMethods: string[] = [];
let globals: Record<string, string> = {};

before(async () => {
  inventory = await classify();
  inventory3 = await classify(loadInventory('3.0'));
  api = await generatedApi();
  const names = [...MODULES.map((m) => m.name), ...CORE_TABLES];
  // the VM runs with the 3.1 profile: pages document the names 3.x adds too (each says which profile has them)
  const services = testServices();
  services.profile = '3.1';
  const [dump, methods, globalTypes] = await runLua(`
    local PROFILE_NAMES = {
      nauthilus_util = { "log", "log_debug", "log_info", "log_notice", "log_warn", "log_error" },
      nauthilus_backend_result = { "webauthn_credentials", "groups", "group_dns" },
    }
    local lines = {}
    for _, name in ipairs({ ${names.map((n) => JSON.stringify(n)).join(', ')} }) do
      local ok, t = pcall(require, name)
      local keys = {}
      if ok and type(t) == "table" then
        for k, v in pairs(t) do keys[#keys + 1] = k .. "=" .. type(v) end
        -- names a 3.x profile adds behind the table's __index (not listed by pairs)
        for _, k in ipairs(PROFILE_NAMES[name] or {}) do
          if rawget(t, k) == nil and type(t[k]) == "function" then keys[#keys + 1] = k .. "=function" end
        end
      end
      lines[#lines + 1] = name .. "\\t" .. table.concat(keys, ",")
    end
    local methods = {}
    for k, v in pairs(getmetatable(nauthilus_backend_result.new()).__index) do
      if type(v) == "function" then methods[#methods + 1] = k end
    end
    for _, k in ipairs(PROFILE_NAMES.nauthilus_backend_result) do
      if type(nauthilus_backend_result.new()[k]) == "function" then methods[#methods + 1] = k end
    end
    local g = {}
    for k, v in pairs(_G) do g[#g + 1] = k .. "=" .. type(v) end
    return table.concat(lines, "\\n"), table.concat(methods, ","), table.concat(g, ",")`, { services });
  tables = Object.fromEntries(String(dump).split('\n').map((l) => {
    const [name, keys] = l.split('\t');
    return [name, Object.fromEntries(keys ? keys.split(',').map((kv) => kv.split('=')) : [])];
  }));
  backendMethods = String(methods).split(',').filter(Boolean);
  globals = Object.fromEntries(String(globalTypes).split(',').map((kv) => kv.split('=')));
});

const functionsOf = (name: string) => Object.entries(tables[name] ?? {}).filter(([, t]) => t === 'function').map(([k]) => k).sort();

for (const mod of MODULES) {
  test(`${mod.name}: every function is documented and every documented function exists`, () => {
    const page = readPage(mod.name);
    assert.ok(page, `docs/lua-api/${mod.name}.md is missing: document the module ${mod.name}`);
    const fns = functionsOf(mod.name);
    assert.ok(fns.length > 0, `require("${mod.name}") gave no functions`);
    const doc = named(page);
    const missing = fns.filter((f) => !doc.calls.has(f) && !doc.bare.has(f));
    assert.deepEqual(missing, [], `docs/lua-api/${mod.name}.md has no heading or table row naming: ${missing.join(', ')}`);
    const unknown = [...doc.calls].filter((f) => !fns.includes(f) && !ENTRY_POINTS.includes(f) && f !== 'require' && f !== 'dynamic_loader');
    assert.deepEqual(unknown, [], `docs/lua-api/${mod.name}.md names functions ${mod.name} does not have: ${unknown.join(', ')}`);
  });
}

test('nauthilus_builtin: every constant and function is documented, and nothing else', () => {
  const doc = named(readPage('nauthilus_builtin') ?? '');
  const entries = Object.entries(tables.nauthilus_builtin);
  assert.ok(entries.length > 20);
  const constants = entries.filter(([, t]) => t !== 'function').map(([k]) => k);
  assert.deepEqual(constants.filter((c) => !doc.bare.has(c)), [], 'undocumented constants');
  assert.deepEqual(functionsOf('nauthilus_builtin').filter((f) => !doc.calls.has(f)), [], 'undocumented functions');
  const documentedConstants = [...doc.bare].filter((n) => /^[A-Z][A-Z_]+$/.test(n));
  assert.deepEqual(documentedConstants.filter((c) => !constants.includes(c)), [], 'documented constants that do not exist');
  const calls = [...doc.calls].filter((f) => !ENTRY_POINTS.includes(f));
  assert.deepEqual(calls.filter((f) => !functionsOf('nauthilus_builtin').includes(f)), [], 'documented functions that do not exist');
});

test('the entry points the builtin page lists are the ones the dispatcher calls', () => {
  const prelude = fs.readFileSync(path.join(ROOT, 'engine', 'lua', 'prelude', 'prelude.lua'), 'utf8')
    + fs.readFileSync(path.join(ROOT, 'engine', 'pipeline', 'backend-commands.ts'), 'utf8').replace(/'/g, '"');
  const doc = named(readPage('nauthilus_builtin') ?? '');
  for (const e of ENTRY_POINTS) {
    assert.ok(prelude.includes(`"${e}"`), `prelude.lua does not dispatch ${e}`);
    assert.ok(doc.calls.has(e) || doc.bare.has(e), `nauthilus_builtin.md does not list the entry point ${e}`);
  }
});

test('nauthilus_backend_result: new() and every method are documented, and nothing else', () => {
  const doc = named(readPage('nauthilus_backend_result') ?? '');
  assert.deepEqual(functionsOf('nauthilus_backend_result'), ['new']);
  assert.ok(doc.calls.has('new'));
  assert.ok(backendMethods.length >= 8, backendMethods.join(','));
  assert.deepEqual(backendMethods.filter((m) => !doc.methods.has(m)).sort(), [], 'undocumented methods');
  assert.deepEqual([...doc.methods].filter((m) => !backendMethods.includes(m)), [], 'documented methods that do not exist');
});

test('dynamic_loader: every 1.x loader name is listed with what require then gives', () => {
  assert.equal(globals.dynamic_loader, 'function');
  const doc = named(readPage('dynamic_loader') ?? '');
  assert.ok(doc.calls.has('dynamic_loader'));
  for (const [loader, target] of Object.entries(LEGACY_LOADER_NAMES)) {
    const cell = doc.rows.get(`\`${loader}\``);
    assert.ok(cell !== undefined, `dynamic_loader.md has no row for ${loader}`);
    const provided = target !== null && (moduleByName(target) !== undefined || CORE_TABLES.includes(target));
    if (provided) assert.ok(cell.includes(`\`${target}\``), `${loader}: the row should name require("${target}"), says: ${cell}`);
    else assert.match(cell, /not provided/, `${loader} is not provided, the row says: ${cell}`);
  }
  const rows = [...doc.rows.keys()].filter((k) => /^`nauthilus_/.test(k)).map((k) => k.slice(1, -1));
  assert.deepEqual(rows.filter((r) => !(r in LEGACY_LOADER_NAMES)), [], 'rows for loader names the engine does not know');
});

test('every module of the registry has a summary for the index', () => {
  for (const m of MODULES) assert.ok(m.summary && m.summary.length > 10, m.name);
});

test('docs/lua-api.md marks every module, member, method, entry point and request field with its Nauthilus versions', () => {
  const doc = assemble();
  const row = (name: string) => new RegExp(`^\\| \`${name.replace(/[.()[\]"]/g, '\\$&')}\` \\| [^|]+ \\| ([^|]+) \\|$`, 'm').exec(doc)?.[1];
  const missing: string[] = [];
  for (const m of api.modules) {
    if (row(m.global ? m.name : `require("${m.name}")`) === undefined) missing.push(m.name);
    for (const x of m.members) if (row(`${m.name}.${x.name}`) === undefined) missing.push(`${m.name}.${x.name}`);
    for (const x of m.methods) if (row(`${x.object}:${x.name}`) === undefined) missing.push(`${x.object}:${x.name}`);
  }
  for (const e of api.entry_points) if (row(e.name) === undefined) missing.push(e.name);
  for (const f of api.request_fields) if (row(`request.${f.name}`) === undefined) missing.push(`request.${f.name}`);
  assert.deepEqual(missing, [], 'items without a versions row');
  assert.equal(row('require("nauthilus_policy")'), '3.0, 3.1');
  assert.equal(row('require("glua_crypto")'), '1.12, 3.0, 3.1');
  assert.equal(row('nauthilus_builtin.FEATURE_TRIGGER_YES'), '1.10, 1.12');
  assert.equal(row('nauthilus_call_subject'), '3.0, 3.1');
  assert.equal(row('request.mfa_completed'), '3.0, 3.1');
  assert.equal(row('dynamic_loader("nauthilus_gluacrypto")'), '1.10');
  assert.equal(row('nauthilus_builtin.ENVIRONMENTS_ABORT_YES'), 'AuthStudio only');
});

test('docs/lua-api.md is the index plus every page (regenerate with AS_UPDATE_DOCS=1)', () => {
  const want = assemble();
  if (process.env.AS_UPDATE_DOCS === '1') fs.writeFileSync(ASSEMBLED, want);
  const have = fs.existsSync(ASSEMBLED) ? fs.readFileSync(ASSEMBLED, 'utf8') : '';
  assert.ok(have === want, 'docs/lua-api.md is out of date: run AS_UPDATE_DOCS=1 node --test dist/test/unit/lua-api-docs.test.js');
  for (const e of [...CORE, ...MODULES]) assert.ok(have.includes(`lua-api/${e.name}.md`), e.name);
});
