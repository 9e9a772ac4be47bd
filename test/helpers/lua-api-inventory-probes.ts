// Test helper: the two probes behind the Nauthilus 1.10 API inventory (lua-api-inventory.ts): a real VM that
// loads every module as a 1.x script would and reports what it finds, and a real engine that calls every entry
// point through the pipeline and reports what each saw.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { runLua, testServices } from './lua-harness';
import { parseConfigText } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';
import { BACKEND_COMMANDS, type BackendCommand } from '../../engine/pipeline/backend-commands';

const BACKEND_COMMANDS_3 = Object.values(BACKEND_COMMANDS);

const ROOT = path.join(__dirname, '..', '..', '..');
export const INVENTORY_FILE = path.join(ROOT, 'docs', 'lua-api', 'inventory-nauthilus-1.10.json');
/** The inventory file of a Nauthilus minor version ("1.10", "3.0"). */
export const inventoryFile = (version: string) => path.join(ROOT, 'docs', 'lua-api', `inventory-nauthilus-${version}.json`);
/** True for an inventory of Nauthilus 3.x (no dynamic_loader names; 3.x entry point names; profile 3.0). */
export const isV3Inventory = (inv: { nauthilus: string }) => /^v3\./.test(inv.nauthilus);
/** The profile a 3.x inventory is probed with ("3.0" or "3.1"). */
export const profileOf = (inv: { nauthilus: string }): '3.0' | '3.1' => (/^v3\.1\./.test(inv.nauthilus) ? '3.1' : '3.0');

export interface Item { name: string; kind: string; value?: string | number | boolean }
export interface Inventory {
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

export function loadInventory(version = '1.10'): Inventory {
  return JSON.parse(fs.readFileSync(inventoryFile(version), 'utf8')) as Inventory;
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
export async function probeVm(inv: Inventory): Promise<Map<string, string>> {
  const v3 = isV3Inventory(inv);
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
      if loader ~= "" then pcall(dynamic_loader, loader) end
      local ok, t = pcall(require, module)
      if not ok or type(t) ~= "table" then out[#out + 1] = module .. "\\t\\tmissing" return end
      out[#out + 1] = module .. "\\t\\ttable"
      for _, name in ipairs(items) do out[#out + 1] = module .. "\\t" .. name .. "\\t" .. show(t[name]) end
    end
    ${mods.map((m) => `probe(${JSON.stringify(v3 ? '' : m.loader)}, ${JSON.stringify(m.module)}, { ${m.items.map((n) => JSON.stringify(n)).join(', ')} })`).join('\n')}
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
  // a 3.x inventory is probed as a 3.0 workspace's scripts see the API (config.profile "3.0")
  const services = testServices();
  if (v3) services.profile = profileOf(inv);
  const [dump] = await runLua(lua, { services });
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

const RECORD = (modules: Array<{ module: string; loader_name: string }>, v3: boolean) => `
local __inventory_modules = { ${modules.map((m) => `{ ${JSON.stringify(v3 ? '' : m.loader_name)}, ${JSON.stringify(m.module)} }`).join(', ')} }
local function __inventory_record(entry, t, extra)
  local parts = {}
  for _, m in ipairs(__inventory_modules) do
    if m[1] ~= "" then pcall(dynamic_loader, m[1]) end
    local ok, mod = pcall(require, m[2])
    parts[#parts + 1] = "require:" .. m[2] .. "=" .. (ok and type(mod) or "error")
  end
  for k, v in pairs(t or {}) do parts[#parts + 1] = k .. "=" .. type(v) end
  for k, v in pairs(extra or {}) do parts[#parts + 1] = k .. "=" .. v end
  nauthilus_cache.cache_set("inventory:" .. entry, table.concat(parts, ","), 0)
end
`;

/** Runs every entry point through a real engine and returns what each saw. */
export async function probePipeline(serverFields: string[], modules: Array<{ module: string; loader_name: string }>, profile?: '3.0' | '3.1'): Promise<PipelineSeen> {
  const v3 = profile !== undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-inventory-'));
  // a 3.x workspace's scripts use the 3.x entry point names (features are environment, filters subject sources)
  const feature = v3 ? 'nauthilus_call_environment' : 'nauthilus_call_feature';
  const filter = v3 ? 'nauthilus_call_subject' : 'nauthilus_call_filter';
  const write = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), `local nauthilus_cache = require("nauthilus_cache")\n${RECORD(modules, v3)}\n${body.replace(/nauthilus_call_feature/g, feature).replace(/nauthilus_call_filter/g, filter)}\n`);
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
end
${v3 ? BACKEND_COMMANDS_3.map((n) => `function ${n}(request) __inventory_record("${n}", request) return 0, {} end`).join('\n') : ''}`);
  if (v3) write('flush.lua', 'function nauthilus_cache_flush(request) __inventory_record("nauthilus_cache_flush", request) return {} end');
  write('hook.lua', `
function nauthilus_run_hook(logging, session)
  __inventory_record("nauthilus_run_hook", logging)
  local out = {}
  for _, k in ipairs(nauthilus_cache.cache_keys()) do out[k] = nauthilus_cache.cache_get(k) end
  return out
end`);
  // a backend server that passes the health check, so the filter sees it whenever the check has run
  const imap = net.createServer((socket) => socket.end());
  await new Promise<void>((resolve) => imap.listen(0, '127.0.0.1', resolve));
  const imapPort = (imap.address() as net.AddressInfo).port;
  const yml = [
    ...(v3 ? [`nauthilus: "${profile}"`] : []),
    'server:', '  backends: [lua]', '  redis: mock',
    'backend_server_monitoring:', '  backend_servers:', `    - { protocol: imap, host: 127.0.0.1, port: ${imapPort}, tls: false }`,
    'lua:',
    '  features: [{ name: f, script_path: ./feature.lua }]',
    '  filters: [{ name: x, script_path: ./filter.lua }]',
    '  actions: [{ type: post, name: a, script_path: ./action.lua }]',
    '  custom_hooks: [{ http_location: inventory, http_method: GET, script_path: ./hook.lua }]',
    `  config: { backend_script_path: ./backend.lua${v3 ? ', cache_flush_script_path: ./flush.lua' : ''} }`, '',
  ].join('\n');
  const config = parseConfigText(yml, path.join(dir, 'authstudio.yml'), {});
  const engine = await AuthEngine.create(config, { logger: pino({ level: 'silent' }) });
  const app = await buildHttpApp(engine);
  try {
    const auth = await app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: { username: 'u', password: 'p', client_ip: '192.0.2.1', protocol: 'imap' } });
    await engine.lastTrace(String(auth.headers['x-nauthilus-session']))?.postActions;
    await app.inject({ method: 'GET', url: '/api/v1/auth/json?mode=list-accounts', headers: { accept: 'application/json' } });
    await engine.addTotp('u', 'JBSWY3DPEHPK3PXP');
    if (v3) {
      // Nauthilus 3.0's MFA commands of the Lua backend, and the cache flush callback of the admin endpoint
      for (const cmd of Object.keys(BACKEND_COMMANDS) as BackendCommand[]) await engine.backendCommand(cmd, { username: 'u', codes: ['c1'], credential: '{}', oldCredential: '{}' });
      await app.inject({ method: 'DELETE', url: '/api/v1/cache/flush', payload: { user: 'u' } });
    }
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
    await new Promise((resolve) => imap.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
