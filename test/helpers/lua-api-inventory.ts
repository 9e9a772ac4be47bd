// Test helper: checks every name of docs/lua-api/inventory-nauthilus-1.10.json (written by
// scripts/nauthilus-inventory.js from the Nauthilus source) against the real engine, and renders the
// "Nauthilus 1.10 API inventory" section of docs/lua-api.md.
//
// How an item is checked:
//   modules, their functions, constants, fields   a real VM: dynamic_loader(1.x name), then require(module)
//   nauthilus_builtin, nauthilus_backend_result    the same VM (globals, and the methods of a new() object)
//   methods of bundled objects (`type:method`)     the same VM, on an object made as a script makes it (OBJECTS)
//   entry points, request fields, hook logging     a real engine: each entry point is defined by a script of
//   fields, backend server fields                  its kind and called through the real pipeline (auth request,
//                                                  list-accounts, add_totp, a custom hook); each records what it saw
// Status: yes (present), partial (present, and the module's page says what is missing), no (absent).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { runLua } from './lua-harness';
import { parseConfigText } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';
import { LEGACY_LOADER_NAMES, resolveLegacyLoaderName } from '../../engine/lua/modules/index';

const ROOT = path.join(__dirname, '..', '..', '..');
export const INVENTORY_FILE = path.join(ROOT, 'docs', 'lua-api', 'inventory-nauthilus-1.10.json');
const PAGES = path.join(ROOT, 'docs', 'lua-api');

interface Item { name: string; kind: string; value?: string | number | boolean }
interface Inventory {
  nauthilus: string;
  own: {
    globals: Array<{ name: string; items: Item[] }>;
    entry_points: string[];
    request_fields: Array<{ name: string; type: string; entry_points: string[] }>;
    hook_logging_fields: Array<{ name: string; type: string; entry_points: string[] }>;
    modules: Array<{ module: string; loader_name: string; entry_points: string[]; conditional?: boolean; items: Item[] }>;
  };
  bundled: Array<{ module: string; loader_name: string; library: string; version: string; items: Item[] }>;
}

export type Status = 'yes' | 'partial' | 'no';
export interface Row { group: 'own' | 'bundled'; module: string; loader: string; item: string; kind: string; status: Status; note: string }

export function loadInventory(): Inventory {
  return JSON.parse(fs.readFileSync(INVENTORY_FILE, 'utf8')) as Inventory;
}

// ---- notes from the docs pages ---------------------------------------------------------------------------

/**
 * What a module's page says about items that are not complete: rows of a table whose header is
 * `| item | Nauthilus 1.10 inventory |`, e.g. "| `server` | no: AuthStudio serves no HTTP from scripts |".
 */
function pageNotes(module: string): Map<string, { status: Status; note: string }> {
  const out = new Map<string, { status: Status; note: string }>();
  const file = path.join(PAGES, `${module}.md`);
  if (!fs.existsSync(file)) return out;
  let inTable = false;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('|')) { inTable = false; continue; }
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (/^item$/i.test(cells[0]) && /inventory/i.test(cells[1] ?? '')) { inTable = true; continue; }
    if (!inTable || cells.every((c) => /^:?-+:?$/.test(c))) continue;
    const m = /^(yes|partial|no)\s*:\s*(.*)$/.exec(cells[1] ?? '');
    for (const [, name] of cells[0].matchAll(/`([^`(]+)(?:\([^`]*\))?`/g)) if (m) out.set(name, { status: m[1] as Status, note: m[2] });
  }
  return out;
}

/** The dynamic_loader page's cell for a 1.x loader name AuthStudio does not provide. */
function loaderRowNote(loader: string): string {
  const file = path.join(PAGES, 'dynamic_loader.md');
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (cells[0] === `\`${loader}\``) return cells.slice(1).join(' ').replace(/\s+/g, ' ').replace(/^— /, '');
  }
  return '';
}

// ---- the VM probe ----------------------------------------------------------------------------------------

/**
 * How a script gets each object type whose methods the bundled libraries list (`type:method` items): a Lua
 * expression, run in the probe VM. A type not listed here (its module is not provided, or no object can be made
 * here) has its methods checked as absent.
 */
const OBJECTS: Record<string, string> = {
  'base64.Encoding': 'require("base64").StdEncoding',
  db_ud: 'require("db").open("sqlite3", ":memory:")',
  stmt_ud: 'require("db").open("sqlite3", ":memory:"):stmt("select 1")',
  http_client_ud: 'require("http").client()',
  http_request_ud: 'require("http").request("GET", "http://127.0.0.1/")',
  'json.Decoder': 'require("json").new_decoder(require("strings").new_reader("{}"))',
  'json.Encoder': 'require("json").new_encoder(require("strings").new_builder())',
  logger_ud: 'require("log").new()',
  regexp_ud: 'require("regexp").compile("a")',
  storage_ud: 'require("storage").open("inventory-probe.db")',
  telegram_bot_ud: 'require("telegram").bot("token", require("http").client())',
  template_ud: 'require("template").choose("mustache")',
  xmlpath_node_ud: 'require("xmlpath").load("<a/>")',
  xmlpath_path_ud: 'require("xmlpath").compile("/a")',
  xmlpath_iter_ud: 'require("xmlpath").compile("/a"):iter(require("xmlpath").load("<a/>"))',
  'yaml.Decoder': 'require("yaml").new_decoder(require("strings").new_reader(""))',
  'yaml.Encoder': 'require("yaml").new_encoder(require("strings").new_builder())',
};

/** Lua type (or "missing") of every item of every module and global, keyed `module\titem`. */
async function probeVm(inv: Inventory): Promise<Map<string, string>> {
  const mods = [...inv.own.modules, ...inv.bundled].map((m) => ({ module: m.module, loader: m.loader_name, items: m.items.map((i) => i.name).filter((n) => !n.includes('.') && !n.includes(':')) }));
  const methods = new Map<string, Set<string>>();
  for (const m of inv.bundled) for (const i of m.items.filter((x) => x.kind === 'method')) {
    const [type, name] = i.name.split(':');
    if (OBJECTS[type]) methods.set(type, (methods.get(type) ?? new Set()).add(name));
  }
  const lua = `
    local out = {}
    local function show(v)
      local t = type(v)
      if t == "number" or t == "boolean" or t == "string" then return t .. "\\t" .. tostring(v) end
      return t
    end
    local function probe(loader, module, items)
      pcall(dynamic_loader, loader)
      local ok, t = pcall(require, module)
      if not ok or type(t) ~= "table" then out[#out + 1] = module .. "\\t\\tmissing" return end
      out[#out + 1] = module .. "\\t\\ttable"
      for _, name in ipairs(items) do out[#out + 1] = module .. "\\t" .. name .. "\\t" .. show(t[name]) end
    end
    ${mods.map((m) => `probe(${JSON.stringify(m.loader)}, ${JSON.stringify(m.module)}, { ${m.items.map((n) => JSON.stringify(n)).join(', ')} })`).join('\n')}
    local function methods(otype, make, names)
      local ok, o = pcall(make)
      if not ok or o == nil then return end
      for _, name in ipairs(names) do
        local okm, v = pcall(function() return o[name] end)
        out[#out + 1] = "object\\t" .. otype .. ":" .. name .. "\\t" .. (okm and type(v) or "nil")
      end
    end
    ${[...methods].map(([type, names]) => `methods(${JSON.stringify(type)}, function() return ${OBJECTS[type]} end, { ${[...names].map((n) => JSON.stringify(n)).join(', ')} })`).join('\n')}
    local g = { ${inv.own.globals.map((g) => `[${JSON.stringify(g.name)}] = { ${g.items.map((i) => JSON.stringify(i.name)).join(', ')} }`).join(', ')} }
    for name, items in pairs(g) do
      local t = _G[name]
      out[#out + 1] = name .. "\\t\\t" .. type(t)
      local obj = name == "nauthilus_backend_result" and type(t) == "table" and type(t.new) == "function" and t.new() or nil
      for _, item in ipairs(items) do
        local v
        if item:sub(1, 1) == ":" then v = obj and obj[item:sub(2)] elseif type(t) == "table" then v = t[item] end
        out[#out + 1] = name .. "\\t" .. item .. "\\t" .. show(v)
      end
    end
    return table.concat(out, "\\n")`;
  const [dump] = await runLua(lua);
  const types = new Map<string, string>();
  for (const line of String(dump).split('\n')) {
    const [mod, item, type, ...value] = line.split('\t');
    types.set(`${mod}\t${item}`, type);
    if (value.length) types.set(`${mod}\t${item}\tvalue`, value.join('\t'));
  }
  return types;
}

// ---- the pipeline probe ----------------------------------------------------------------------------------

export interface PipelineSeen {
  /** entry point -> the request (or logging) table keys it saw, with their Lua types */
  entries: Map<string, Map<string, string>>;
  /** backend server field -> Lua type, as a filter sees get_backend_servers()[1] */
  backendServer: Map<string, string>;
}

const RECORD = (modules: Array<{ module: string; loader_name: string }>) => `
local __inventory_modules = { ${modules.map((m) => `{ ${JSON.stringify(m.loader_name)}, ${JSON.stringify(m.module)} }`).join(', ')} }
local function __inventory_record(entry, t, extra)
  local parts = {}
  for _, m in ipairs(__inventory_modules) do
    pcall(dynamic_loader, m[1])
    local ok, mod = pcall(require, m[2])
    parts[#parts + 1] = "require:" .. m[2] .. "=" .. (ok and type(mod) or "error")
  end
  for k, v in pairs(t or {}) do parts[#parts + 1] = k .. "=" .. type(v) end
  for k, v in pairs(extra or {}) do parts[#parts + 1] = k .. "=" .. v end
  nauthilus_cache.cache_set("inventory:" .. entry, table.concat(parts, ","), 0)
end
`;

/** Runs every entry point through a real engine and returns what each saw. */
export async function probePipeline(serverFields: string[], modules: Array<{ module: string; loader_name: string }>): Promise<PipelineSeen> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-inventory-'));
  const write = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), `local nauthilus_cache = require("nauthilus_cache")\n${RECORD(modules)}\n${body}\n`);
  const serverProbe = serverFields.map((f) => `["server.${f}"] = type(s and s.${f})`).join(', ');
  write('feature.lua', 'function nauthilus_call_feature(request) __inventory_record("nauthilus_call_feature", request) return false, false, 0 end');
  write('filter.lua', `local b = require("nauthilus_backend")
function nauthilus_call_filter(request)
  local s = (b.get_backend_servers() or {})[1]
  __inventory_record("nauthilus_call_filter", request, { ${serverProbe} })
  return false, 0
end`);
  write('action.lua', 'function nauthilus_call_action(request) __inventory_record("nauthilus_call_action", request) return 0 end');
  write('backend.lua', `
function nauthilus_backend_verify_password(request)
  __inventory_record("nauthilus_backend_verify_password", request)
  local b = nauthilus_backend_result.new()
  b:user_found(true):authenticated(true):account_field("a"):attributes({ a = request.username })
  return 0, b
end
function nauthilus_backend_list_accounts(request)
  __inventory_record("nauthilus_backend_list_accounts", request)
  return 0, { "u" }
end
function nauthilus_backend_add_totp(request)
  __inventory_record("nauthilus_backend_add_totp", request)
  return 0
end`);
  write('hook.lua', `
function nauthilus_run_hook(logging, session)
  __inventory_record("nauthilus_run_hook", logging)
  local out = {}
  for _, k in ipairs(nauthilus_cache.cache_keys()) do out[k] = nauthilus_cache.cache_get(k) end
  return out
end`);
  const yml = [
    'server:', '  backends: [lua]', '  redis: mock',
    'backend_server_monitoring:', '  backend_servers:', '    - { protocol: imap, host: 192.0.2.10, port: 993, tls: true }',
    'lua:',
    '  features: [{ name: f, script_path: ./feature.lua }]',
    '  filters: [{ name: x, script_path: ./filter.lua }]',
    '  actions: [{ type: post, name: a, script_path: ./action.lua }]',
    '  custom_hooks: [{ http_location: inventory, http_method: GET, script_path: ./hook.lua }]',
    '  config: { backend_script_path: ./backend.lua }', '',
  ].join('\n');
  const config = parseConfigText(yml, path.join(dir, 'authstudio.yml'), {});
  const engine = await AuthEngine.create(config, { logger: pino({ level: 'silent' }) });
  const app = await buildHttpApp(engine);
  try {
    const auth = await app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: { username: 'u', password: 'p', client_ip: '192.0.2.1', protocol: 'imap' } });
    await engine.lastTrace(String(auth.headers['x-nauthilus-session']))?.postActions;
    await app.inject({ method: 'GET', url: '/api/v1/auth/json?mode=list-accounts', headers: { accept: 'application/json' } });
    await engine.addTotp('u', 'JBSWY3DPEHPK3PXP');
    const res = await app.inject({ method: 'GET', url: '/api/v1/custom/inventory' });
    const seen: PipelineSeen = { entries: new Map(), backendServer: new Map() };
    for (const [key, value] of Object.entries(res.json() as Record<string, string>)) {
      const entry = key.replace(/^inventory:/, '');
      const fields = new Map<string, string>();
      for (const kv of String(value).split(',').filter(Boolean)) {
        const [k, t] = kv.split('=');
        if (k.startsWith('server.')) seen.backendServer.set(k.slice(7), t);
        else fields.set(k, t);
      }
      seen.entries.set(entry, fields);
    }
    // the hook recorded itself after reading the cache: ask once more
    const again = await app.inject({ method: 'GET', url: '/api/v1/custom/inventory' });
    const hook = (again.json() as Record<string, string>)['inventory:nauthilus_run_hook'];
    if (hook !== undefined) seen.entries.set('nauthilus_run_hook', new Map(String(hook).split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string])));
    return seen;
  } finally {
    await app.close();
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- classification --------------------------------------------------------------------------------------

const LUA_TYPE_OF_KIND = (kind: string, type: string) =>
  kind === 'function' || kind === 'method' ? type === 'function'
    : kind === 'constant' ? ['number', 'boolean', 'string'].includes(type)
      : type !== 'nil' && type !== 'missing' && type !== undefined;

const kindText = (i: Item) => (i.kind === 'constant' && i.value !== undefined ? `constant (${JSON.stringify(i.value)})` : i.kind);

/** What is wrong with a constant that is there with another value. */
function wrongValue(vm: Map<string, string>, module: string, i: Item): string {
  const v = vm.get(`${module}\t${i.name}\tvalue`);
  return i.kind === 'constant' && v !== undefined && v !== String(i.value) ? `is ${v}` : '';
}

/** True when an item is there with the right kind (and, for a constant, Nauthilus's value). */
function present(vm: Map<string, string>, module: string, i: Item): boolean {
  if (!LUA_TYPE_OF_KIND(i.kind, vm.get(`${module}\t${i.name}`) ?? 'missing')) return false;
  return i.kind !== 'constant' || i.value === undefined || vm.get(`${module}\t${i.name}\tvalue`) === String(i.value);
}

/** Every item of the inventory with its status in this engine. */
export async function classify(): Promise<Row[]> {
  const inv = loadInventory();
  const vm = await probeVm(inv);
  const serverFields = inv.own.modules.flatMap((m) => m.items.filter((i) => i.kind === 'object field').map((i) => i.name.split('.')[1]));
  const seen = await probePipeline(serverFields, inv.own.modules);
  const rows: Row[] = [];
  const push = (group: Row['group'], module: string, loader: string, item: string, kind: string, present: boolean, notes: Map<string, { status: Status; note: string }>, absentNote = '') => {
    const n = notes.get(item || module) ?? notes.get(item.split(':')[0]);
    const status: Status = !present ? 'no' : n?.status === 'partial' ? 'partial' : 'yes';
    const note = status === 'yes' ? '' : n?.note ?? absentNote;
    rows.push({ group, module, loader, item, kind, status, note });
  };

  for (const g of inv.own.globals) {
    const notes = pageNotes(g.name);
    push('own', g.name, '', '', g.name === 'dynamic_loader' ? 'global function' : 'global table', LUA_TYPE_OF_KIND(g.name === 'dynamic_loader' ? 'function' : 'global', vm.get(`${g.name}\t`) ?? 'missing'), notes);
    for (const i of g.items) push('own', g.name, '', i.name, kindText(i), present(vm, g.name, i), notes, wrongValue(vm, g.name, i));
  }
  // every 1.10 loader name is one dynamic_loader knows (an unknown name is logged as a script mistake)
  const loaderNotes = pageNotes('dynamic_loader');
  const loaders = [...new Set([...inv.own.modules, ...inv.bundled].map((m) => m.loader_name))].sort();
  for (const l of loaders) push('own', 'dynamic_loader', '', l, 'loader name', resolveLegacyLoaderName(l), loaderNotes, 'unknown to dynamic_loader (logged as a script mistake)');
  const builtinNotes = pageNotes('nauthilus_builtin');
  for (const e of inv.own.entry_points) push('own', 'entry points', '', e, 'entry point', seen.entries.has(e), builtinNotes, 'the engine never called it');
  // a field must reach every entry point Nauthilus gives it to, with Nauthilus's Lua type
  const fieldCheck = (group: string, f: { name: string; type: string; entry_points: string[] }) => {
    const wrong = f.entry_points.map((e) => [e, seen.entries.get(e)?.get(f.name)] as const).filter(([, t]) => t !== f.type);
    push('own', group, '', f.name, `field (${f.type})`, wrong.length === 0, builtinNotes, wrong.map(([e, t]) => `${e}: ${t ?? 'not set'}`).join('; '));
  };
  for (const f of inv.own.request_fields) fieldCheck('request', f);
  for (const f of inv.own.hook_logging_fields) fieldCheck('hook logging', f);
  for (const m of inv.own.modules) {
    const notes = pageNotes(m.module);
    // loadable in every entry point's VM Nauthilus loads it in (nauthilus_ldap only with an LDAP backend: not checked)
    const missingIn = m.conditional ? [] : m.entry_points.filter((e) => seen.entries.get(e)?.get(`require:${m.module}`) !== 'table');
    push('own', m.module, m.loader_name, '', 'module', vm.get(`${m.module}\t`) === 'table' && missingIn.length === 0, notes,
      vm.get(`${m.module}\t`) === 'table' ? `require fails in ${missingIn.join(', ')}` : 'not provided');
    for (const i of m.items) {
      const ok = i.kind === 'object field' ? seen.backendServer.get(i.name.split('.')[1]) !== undefined && seen.backendServer.get(i.name.split('.')[1]) !== 'nil'
        : present(vm, m.module, i);
      push('own', m.module, m.loader_name, i.name, kindText(i), ok, notes, wrongValue(vm, m.module, i));
    }
  }
  for (const m of inv.bundled) {
    // a sub-module (http_util of nauthilus_gll_http) is described on the page of the module the loader name gives
    const target = LEGACY_LOADER_NAMES[m.loader_name];
    const notes = new Map([...(target && target !== m.module ? pageNotes(target) : []), ...pageNotes(m.module)]);
    const provided = vm.get(`${m.module}\t`) === 'table';
    const absent = LEGACY_LOADER_NAMES[m.loader_name] === null ? loaderRowNote(m.loader_name) : 'not provided';
    push('bundled', m.module, m.loader_name, '', 'module', provided, notes, absent);
    for (const i of m.items) {
      const ok = i.kind === 'method' ? vm.get(`object\t${i.name}`) === 'function' : present(vm, m.module, i);
      const absent = !provided ? 'module not provided' : i.kind === 'method' ? 'the object is not available here' : wrongValue(vm, m.module, i);
      push('bundled', m.module, m.loader_name, i.name, kindText(i), ok, provided ? notes : new Map(), absent);
    }
  }
  return rows;
}

/** yes / total for a group. */
export function tally(rows: Row[], group: Row['group']): { yes: number; partial: number; no: number; total: number } {
  const r = rows.filter((x) => x.group === group);
  return { yes: r.filter((x) => x.status === 'yes').length, partial: r.filter((x) => x.status === 'partial').length, no: r.filter((x) => x.status === 'no').length, total: r.length };
}

/** The "Nauthilus 1.10 API inventory" section of docs/lua-api.md. */
export function renderInventory(rows: Row[]): string {
  const inv = loadInventory();
  const own = tally(rows, 'own');
  const bundled = tally(rows, 'bundled');
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const out = [
    '## Nauthilus 1.10 API inventory',
    '',
    `Every name Nauthilus ${inv.nauthilus} registers for Lua, as \`scripts/nauthilus-inventory.js\` reads them from its Go`,
    'source (`docs/lua-api/inventory-nauthilus-1.10.json`), checked against this engine by',
    '`test/unit/lua-api-inventory.test.ts`: modules through `dynamic_loader` and `require` in a real VM (methods on',
    'an object made as a script makes it), entry points',
    'and request fields by a real request through the pipeline. yes: provided; partial: provided, with what is',
    'missing on the module\'s page; no: not provided. The notes come from the `| item | Nauthilus 1.10 inventory |`',
    'table of the module\'s page (or, for a module not provided at all, its row on the `dynamic_loader` page).',
    '',
    `Nauthilus's own API: ${own.yes} of ${own.total} yes. Bundled libraries: ${bundled.yes} of ${bundled.total} yes` +
      `${bundled.partial ? `, ${bundled.partial} partial` : ''}, ${bundled.no} no (module functions, fields, and the methods of the objects they return, as \`type:method\`).`,
  ];
  const section = (title: string, group: Row['group']) => {
    out.push('', `### ${title}`, '', '| module | 1.x loader name | item | kind | status | note |', '|---|---|---|---|---|---|');
    for (const r of rows.filter((x) => x.group === group)) {
      out.push(`| \`${r.module}\` | ${r.loader ? `\`${r.loader}\`` : ''} | ${r.item ? `\`${r.item}\`` : r.kind.startsWith('global') ? '(the global)' : '(the module)'} | ${r.kind} | ${r.status} | ${cell(r.note)} |`);
    }
  };
  section('Nauthilus\'s own API', 'own');
  section('Bundled libraries', 'bundled');
  return out.join('\n') + '\n';
}
