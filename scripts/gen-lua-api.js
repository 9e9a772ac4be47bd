#!/usr/bin/env node
// Writes renderer/src/generated/lua-api.json (the editor's completion and hover data) from the engine itself.
//
// What exists comes from a real Lua VM (every module's table as `require` returns it, the builtin constants with
// their values) and from a real request through the pipeline (the fields of `request`), once per workspace profile
// (1.10, 1.12, 3.0, 3.1: the engine gates some names by it); signatures and texts come from docs/lua-api/*.md, which
// test/unit/lua-api-docs.test.ts keeps in step with the VM. Which Nauthilus versions have each name comes from the
// inventories (scripts/lua-api-versions.ts). Every item carries
//   nauthilus  the Nauthilus versions that have it ([] = an AuthStudio extension)
//   profiles   the workspace profiles the editor offers it in: the engine provides it under that profile, and that
//              Nauthilus version has it (an AuthStudio extension: every profile the engine provides it under)
// test/unit/lua-api-docs.test.ts renders the same data as the version marks of docs/lua-api.md. Needs the compiled
// engine in dist/ (run after `tsc -p tsconfig.json`).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist', 'engine');
const OUT = path.join(ROOT, 'renderer', 'src', 'generated', 'lua-api.json');

/** What each field of `request` means (the names themselves come from the engine). */
const FIELD_DOCS = {
  username: 'The login name as the client sent it.', password: 'The password as sent (empty for `mode=no-auth`).',
  account: 'The account the backend resolved (filters and actions).', account_field: 'The backend attribute holding the account name.',
  protocol: 'imap, pop3, smtp, submission, sieve, lmtp, ... (lower case; `default` when none was sent).',
  client_ip: 'The client address (IPv4 or IPv6, normalised).', client_port: 'The client port.',
  client_net: 'The client network as the brute-force rules see it, e.g. `203.0.113.0/24`.',
  client_hostname: 'The client host name (reverse DNS as the proxy saw it).', client_id: 'The client id (IMAP ID).',
  local_ip: 'The server address the client connected to.', local_port: 'The server port the client connected to.',
  user_agent: 'The client software, when known.', method: 'The SASL mechanism (plain, login, ...).',
  auth_login_attempt: 'How many times this client tried in this connection (nginx).',
  session: 'The request id (X-Nauthilus-Session, also in the logs).', service: 'The endpoint the request came through (json, header, nginx, ...).',
  debug: 'True when the log level is debug.', log_format: '"json" or "text".', log_level: 'The configured log level.',
  no_auth: 'True for a lookup without password (`mode=no-auth`, e.g. LMTP).',
  authenticated: 'Whether the backend accepted the password (filters and actions).', user_found: 'Whether the backend knows the user.',
  repeating: 'True when this client repeats a wrong password it already sent (not counted again).',
  brute_force_counter: 'The failure count of the bucket that blocked the client.', brute_force_bucket: 'The name of the bucket that blocked the client.',
  feature: '"" until a feature decides; then "lua" for the Lua features, or the built-in feature\'s name (actions).', environment: '3.x name of `feature`.', status_message: 'The text sent in Auth-Status on failure.',
  unique_user_id: 'The backend\'s unique user id attribute.', display_name: 'The backend\'s display name attribute.',
  totp_secret: 'The TOTP secret to store (only in nauthilus_backend_add_totp).', oidc_cid: 'The OpenID Connect client id.',
  ssl: 'Set (e.g. "on") when the client used TLS.', ssl_protocol: 'TLS version, e.g. TLSv1.3.', ssl_cipher: 'TLS cipher suite.',
};

// ---- docs/lua-api/*.md: signatures and texts ----------------------------------------------------------------

const SIG = /^(?:([A-Za-z_][\w]*)([.:]))?([A-Za-z_]\w*)\s*\((.*)\)\s*(?:->\s*(.*))?$/;
const MAX_TEXT = 900;

/** Headings and table rows of a page: name -> {signature, text}; `obj:method` entries; the entry-point table. */
function parsePage(md) {
  const page = { title: '', entries: new Map(), methods: [], entryPoints: [] };
  let fenced = false;
  let current = [];
  let header;
  let example;
  const add = (span, text) => {
    const m = SIG.exec(span.trim());
    if (m && m[2] === ':') {
      page.methods.push({ object: m[1], name: m[3], signature: `${m[1]}:${m[3]}(${m[4]})${m[5] ? ` -> ${m[5]}` : ''}`, doc: text });
      return undefined;
    }
    const name = m ? m[3] : /^[A-Za-z_]\w*$/.test(span) ? span : undefined;
    if (!name) return undefined;
    const entry = page.entries.get(name) ?? { signature: m ? `${name}(${m[4]})${m[5] ? ` -> ${m[5]}` : ''}` : name, text: '' };
    if (text) entry.text = entry.text ? `${entry.text}\n\n${text}` : text;
    page.entries.set(name, entry);
    return entry;
  };
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) {
      fenced = !fenced;
      if (fenced && current.length && example === undefined) example = [];
      else if (!fenced && example) {
        for (const e of current) if (e.text.length < MAX_TEXT) e.text += `\n\n\`\`\`lua\n${example.join('\n')}\n\`\`\``;
        example = null;
      }
      continue;
    }
    if (fenced) {
      if (example) example.push(line);
      continue;
    }
    if (/^#\s/.test(line) && !page.title) page.title = line.replace(/^#\s+/, '').replace(/`/g, '');
    if (/^#{2,4}\s/.test(line)) {
      header = undefined;
      example = undefined;
      current = [...line.matchAll(/`([^`]+)`/g)].map((m) => add(m[1], '')).filter(Boolean);
      continue;
    }
    if (line.startsWith('|')) {
      const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim().replace(/\\\|/g, '|'));
      if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
      if (!header) {
        header = cells;
        continue;
      }
      if (header[0] === 'function the script defines') {
        const m = SIG.exec(cells[0].replace(/`/g, ''));
        if (m) page.entryPoints.push({ name: m[3], signature: cells[0].replace(/`/g, ''), kind: cells[1], returns: cells[2] ?? '' });
        continue;
      }
      const text = cells.slice(1).map((c, i) => `${header[i + 1] ?? ''}: ${c}`).join('  \n');
      for (const m of cells[0].matchAll(/`([^`]+)`/g)) add(m[1], text);
      continue;
    }
    header = undefined;
    const t = line.trim();
    if (t && current.length) for (const e of current) if (e.text.length < MAX_TEXT) e.text += (e.text ? ' ' : '') + t;
  }
  return page;
}

/** The documented signature and text of `name` on a page, if any. */
function docFor(page, name) {
  return page.entries.get(name);
}

/** Run Lua in a real VM (the workspace profile `profile`) and return its first result. */
async function runLua(body, profile) {
  const pino = require('pino');
  const { Registry } = require('prom-client');
  const { LuaVm } = require(path.join(DIST, 'lua', 'vm'));
  const { CallContext } = require(path.join(DIST, 'lua', 'call-context'));
  const { RedisStore } = require(path.join(DIST, 'redis', 'store'));
  const { MemoryCache } = require(path.join(DIST, 'lua', 'shared-cache'));
  const services = {
    logger: pino({ level: 'silent' }), metrics: new Registry(), cache: new MemoryCache(), getenv: () => undefined, baseDir: ROOT,
    redis: new RedisStore({ mode: 'mock', addresses: [], prefix: '', positiveCacheTtlSec: 60, negativeCacheTtlSec: 60 }),
    profile,
  };
  const vm = await LuaVm.create({ poolName: 'gen', services, memoryLimitBytes: 64 << 20, allowIo: false });
  try {
    const src = `function nauthilus_call_action(request)\n__gen = (function()\n${body}\nend)()\nreturn 0\nend\nfunction __gen_get() return __gen end`;
    const script = await vm.loadScript('gen.lua', src, 10000);
    const call = new CallContext('gen', {});
    await vm.dispatch('action', script, '', [], call, 10000);
    return (await vm.evalEnv(script, '__gen_get', call, 10000))[0];
  } finally {
    vm.close();
    await services.redis.close?.();
  }
}

/**
 * name -> [{key, type, value}] for every module table under `profile`, or null for a module `require` refuses.
 * `hidden` (module -> keys) are asked for by name as well: a profile may add them behind the table's __index, where
 * pairs does not see them. `methods` (keys of a new nauthilus_backend_result object) come back as `:key`.
 */
async function moduleTables(names, profile, hidden, methods) {
  const dump = await runLua(`
    local lines = {}
    local hidden = { ${Object.entries(hidden).map(([m, ks]) => `[${JSON.stringify(m)}] = { ${ks.map((k) => JSON.stringify(k)).join(', ')} }`).join(', ')} }
    local function add(name, k, v)
      local shown = (type(v) == "boolean" or type(v) == "number" or type(v) == "string") and tostring(v) or ""
      lines[#lines + 1] = name .. "\\t" .. k .. "\\t" .. type(v) .. "\\t" .. shown
    end
    for _, name in ipairs({ ${names.map((n) => JSON.stringify(n)).join(', ')} }) do
      local ok, t = pcall(require, name)
      if ok and type(t) == "table" then
        lines[#lines + 1] = name .. "\\t\\ttable\\t"
        for k, v in pairs(t) do add(name, k, v) end
        for _, k in ipairs(hidden[name] or {}) do
          -- (a module whose __index raises for unknown names just does not have it)
          local found, v = pcall(function() return t[k] end)
          if rawget(t, k) == nil and found and v ~= nil then add(name, k, v) end
        end
      end
    end
    local b = nauthilus_backend_result.new()
    for _, k in ipairs({ ${methods.map((k) => JSON.stringify(k)).join(', ')} }) do
      if type(b[k]) == "function" then lines[#lines + 1] = "nauthilus_backend_result\\t:" .. k .. "\\tfunction\\t" end
    end
    return table.concat(lines, "\\n")`, profile);
  const out = Object.fromEntries(names.map((n) => [n, null]));
  for (const line of String(dump).split('\n').filter(Boolean)) {
    const [name, key, type, value] = line.split('\t');
    out[name] = out[name] ?? [];
    if (key !== '') out[name].push({ key, type, value });
  }
  for (const n of names) out[n]?.sort((a, b) => a.key.localeCompare(b.key));
  return out;
}

/** The libraries of the base Lua (string, table, ...) whose members the checker knows. */
const LIBRARIES = ['string', 'table', 'math', 'os', 'io', 'coroutine', 'utf8', 'debug', 'package'];

/**
 * name -> {type, members?} for every global a script sees under `profile` (the base library, the 5.1 shims, the
 * host globals), read from `_G` of a real VM; the probe's own scaffolding is left out. The checker
 * (engine/lint/) reads them as the names a script may use without defining them.
 */
async function globalsOf(profile) {
  const dump = await runLua(`
    local lines = {}
    local libs = { ${LIBRARIES.map((n) => `[${JSON.stringify(n)}] = true`).join(', ')} }
    for k, v in pairs(_G) do
      if type(k) == "string" then
        local members = {}
        if libs[k] and type(v) == "table" then for m in pairs(v) do if type(m) == "string" then members[#members + 1] = m end end end
        table.sort(members)
        lines[#lines + 1] = k .. "\\t" .. type(v) .. "\\t" .. table.concat(members, ",")
      end
    end
    return table.concat(lines, "\\n")`, profile);
  const out = {};
  for (const line of String(dump).split('\n').filter(Boolean)) {
    const [name, type, members] = line.split('\t');
    if (['__gen', '__gen_get', 'nauthilus_call_action'].includes(name)) continue;
    out[name] = members ? { type, members: members.split(',') } : { type };
  }
  return out;
}

/** The keys of `request` a feature and a filter really see under `profile`, from one request through the real pipeline. */
async function requestKeys(profile) {
  const pino = require('pino');
  const { parseConfigText } = require(path.join(DIST, 'config', 'load'));
  const { AuthEngine } = require(path.join(DIST, 'engine'));
  const { buildHttpApp } = require(path.join(DIST, 'http', 'app'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-gen-'));
  const dumpKeys = 'local k = {} for name in pairs(request) do k[#k + 1] = name end nauthilus_builtin.custom_log_add("keys", table.concat(k, ","))';
  fs.writeFileSync(path.join(dir, 'f.lua'), `function nauthilus_call_feature(request) ${dumpKeys} return false, false, 0 end`);
  fs.writeFileSync(path.join(dir, 'x.lua'), `function nauthilus_call_filter(request) ${dumpKeys} return false, 0 end`);
  fs.writeFileSync(path.join(dir, 'b.lua'), 'function nauthilus_backend_verify_password(request) local b = nauthilus_backend_result.new() b:user_found(true):authenticated(true):account_field("a"):attributes({a = "u"}) return 0, b end');
  const yml = `nauthilus: "${profile}"\n` + 'server:\n  backends: [lua]\n  redis: mock\nlua:\n  features: [{name: f, script_path: ./f.lua}]\n  filters: [{name: x, script_path: ./x.lua}]\n  config: {backend_script_path: ./b.lua}\n';
  const config = parseConfigText(yml, path.join(dir, 'authstudio.yml'), {});
  const engine = await AuthEngine.create(config, { logger: pino({ level: 'silent' }), recordEvents: true });
  try {
    const app = await buildHttpApp(engine);
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: { username: 'u', password: 'p', client_ip: '192.0.2.1', protocol: 'imap' } });
    const trace = engine.lastTrace(res.headers['x-nauthilus-session']);
    const keys = new Set();
    for (const r of trace?.trace ?? []) for (const k of String(r.logs?.keys ?? '').split(',').filter(Boolean)) keys.add(k);
    await app.close();
    if (keys.size === 0) throw new Error('gen-lua-api: the probe request recorded no request fields');
    return keys;
  } finally {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The profiles an item is offered in: those the engine provides it under (`engine`) whose Nauthilus version has it;
 * an AuthStudio extension (no version has it) in every profile the engine provides it under.
 */
function offeredIn(nauthilus, engine) {
  return engine.filter((p) => nauthilus.length === 0 || nauthilus.includes(p));
}

/** Builds the completion data; returns it (and writes it unless `write` is false). */
async function generate({ write = true } = {}) {
  const { MODULES, LEGACY_LOADER_NAMES, REQUIRE_ALIASES } = require(path.join(DIST, 'lua', 'modules', 'index'));
  const { CLIENT_FIELDS } = require(path.join(DIST, 'pipeline', 'auth-request'));
  const { ApiVersions, NAUTHILUS_VERSIONS } = require(path.join(ROOT, 'dist', 'scripts', 'lua-api-versions'));
  const versions = ApiVersions.load(ROOT);
  const profiles = [...NAUTHILUS_VERSIONS];
  const core = ['nauthilus_builtin', 'nauthilus_backend_result'];
  const names = [...core, ...MODULES.map((m) => m.name), ...Object.keys(REQUIRE_ALIASES)];
  /** The module whose page documents `n` (an alias such as glua_crypto: its target's). */
  const pageOf = (n) => REQUIRE_ALIASES[n] ?? n;
  const pages = Object.fromEntries(names.map((n) => {
    const file = path.join(ROOT, 'docs', 'lua-api', `${pageOf(n)}.md`);
    return [n, parsePage(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '')];
  }));
  // every name some Nauthilus version gives a module, asked for by name (a profile may add it behind __index)
  const hidden = Object.fromEntries(names.map((n) => [n, [...new Set(versions.versions.flatMap((v) => versions.namesOfModule(v, n)))]]));
  const backendMethods = pages.nauthilus_backend_result.methods.map((m) => m.name);
  const byProfile = {};
  for (const p of profiles) byProfile[p] = await moduleTables(names, p, hidden, backendMethods);
  /** The profiles the engine provides a module member under. */
  const engineHas = (n, key) => profiles.filter((p) => byProfile[p][n]?.some((e) => e.key === key));
  const summaryOf = (n) => MODULES.find((m) => m.name === pageOf(n))?.summary ?? pages[n].title;
  const modules = names.map((n) => {
    const keys = new Map();
    for (const p of profiles) for (const e of byProfile[p][n] ?? []) if (!e.key.startsWith(':') && !keys.has(e.key)) keys.set(e.key, e);
    const nauthilus = versions.module(n);
    const loaderNames = Object.keys(LEGACY_LOADER_NAMES).filter((k) => LEGACY_LOADER_NAMES[k] === n);
    return {
      name: n,
      summary: REQUIRE_ALIASES[n] ? `The module \`${REQUIRE_ALIASES[n]}\` under another require name. ${summaryOf(n)}` : summaryOf(n),
      ...(REQUIRE_ALIASES[n] ? { alias_of: REQUIRE_ALIASES[n] } : {}),
      loader_names: loaderNames,
      loader_profiles: profiles.filter((p) => loaderNames.some((l) => versions.loaderName(l).includes(p))),
      global: core.includes(n),
      nauthilus,
      profiles: offeredIn(nauthilus, profiles.filter((p) => byProfile[p][n] !== null)),
      members: [...keys.values()].sort((a, b) => a.key.localeCompare(b.key)).map(({ key, type, value }) => {
        const doc = docFor(pages[n], key);
        const member = { name: key, type, signature: doc?.signature ?? (type === 'function' ? `${key}(...)` : key), doc: doc?.text ?? '' };
        if (value !== '') member.value = value;
        member.nauthilus = versions.member(n, key);
        member.profiles = offeredIn(member.nauthilus, engineHas(n, key));
        return member;
      }),
      methods: pages[n].methods.map((m) => {
        const nv = versions.method(n, m.name);
        // nauthilus_backend_result's methods are probed per profile; other objects' methods do not depend on it
        const engine = n === 'nauthilus_backend_result' ? engineHas(n, `:${m.name}`) : profiles;
        return { ...m, nauthilus: nv, profiles: offeredIn(nv, engine) };
      }),
    };
  });
  const seen = {};
  for (const p of profiles) seen[p] = await requestKeys(p);
  const globalsBy = {};
  for (const p of profiles) globalsBy[p] = await globalsOf(p);
  const globalNames = [...new Set(profiles.flatMap((p) => Object.keys(globalsBy[p])))].sort();
  // client fields Nauthilus does not put in the request table are not offered (they are nil in scripts)
  const { CLIENT_FIELDS_NOT_IN_LUA } = require(path.join(DIST, 'pipeline', 'lua-request'));
  const fieldNames = [...new Set([...profiles.flatMap((p) => [...seen[p]]), ...CLIENT_FIELDS, ...Object.keys(FIELD_DOCS)])]
    .filter((k) => !k.startsWith('_') && !CLIENT_FIELDS_NOT_IN_LUA.includes(k)).sort();
  /** A field the probe request saw under no profile (e.g. totp_secret, set only for add_totp) counts for every one. */
  const fieldProfiles = (name) => {
    const under = profiles.filter((p) => seen[p].has(name));
    return under.length ? under : profiles;
  };
  const data = {
    generated_from: 'scripts/gen-lua-api.js: a real VM and a real request per profile, docs/lua-api/*.md and the Nauthilus inventories',
    profiles,
    modules,
    entry_points: pages.nauthilus_builtin.entryPoints.map((e) => {
      const nv = versions.entryPoint(e.name);
      return { ...e, nauthilus: nv, profiles: offeredIn(nv, profiles) };
    }),
    globals: globalNames.map((name) => {
      const under = profiles.filter((p) => globalsBy[p][name]);
      const members = [...new Set(under.flatMap((p) => globalsBy[p][name].members ?? []))].sort();
      return {
        name, type: globalsBy[under[0]][name].type,
        ...(members.length ? { members: members.map((m) => ({ name: m, profiles: under.filter((p) => globalsBy[p][name].members?.includes(m)) })) } : {}),
        profiles: under,
      };
    }),
    request_fields: fieldNames.map((name) => {
      const nv = versions.requestField(name);
      return { name, doc: FIELD_DOCS[name] ?? (name.startsWith('ssl_') ? 'TLS detail forwarded by the proxy.' : ''), nauthilus: nv, profiles: offeredIn(nv, fieldProfiles(name)) };
    }),
  };
  if (write) {
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, JSON.stringify(data, null, 1) + '\n');
    require('./gen-lint-api').generate(); // the checker's view of the same data (engine/lint/generated)
  }
  return data;
}

module.exports = { generate, OUT };

if (require.main === module) {
  generate().then((d) => {
    const fns = d.modules.reduce((n, m) => n + m.members.length, 0);
    process.stdout.write(`lua-api.json: ${d.modules.length} modules, ${fns} members, ${d.request_fields.length} request fields\n`);
    process.exit(0);
  }, (e) => {
    process.stderr.write(`gen-lua-api: ${e.stack ?? e}\n`);
    process.exit(1);
  });
}
