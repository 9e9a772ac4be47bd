#!/usr/bin/env node
// Dev tool: lists the names Nauthilus registers for Lua (its own API and the bundled Go Lua libraries) by
// reading its Go source in a bare git directory, and writes docs/lua-api/inventory-nauthilus-<ver>.json.
// Only names and kinds are written (facts); no code or text of Nauthilus is copied.
//
//   node scripts/nauthilus-inventory.js <nauthilus bare git dir> [tag, default v1.10.12] [output file]
//   (1.10 registers modules through dynamic_loader's switch; 1.12 and 3.x preload them: scripts/nauthilus-inventory-v3.js)
//
// What counts as what:
//   own API      globals (the builtin table, the backend result type, dynamic_loader), the entry points the
//                engine calls, the fields of the request table (and of the hook's logging table), every module
//                Nauthilus implements in server/ (functions, constants, fields of objects they hand out),
//                nauthilus_util (share/nauthilus_util.lua).
//   bundled      modules of vendored libraries (gopher-lua-libs, gluacrypto, gluahttp) a dynamic_loader name
//                preloads: the module and the functions and fields of the table `require` returns.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

// ---- reading the tree ------------------------------------------------------------------------------------

/** path -> text of every .go file under server/ and vendor/, go.mod and the share Lua files at `tag`. */
function readTree(gitDir, tag) {
  const git = (...args) => execFileSync('git', ['--git-dir', gitDir, ...args], { maxBuffer: 1 << 30 });
  const list = git('ls-tree', '-r', tag).toString().split('\n').filter(Boolean).map((l) => {
    const [meta, file] = l.split('\t');
    return { sha: meta.split(' ')[2], file };
  }).filter(({ file }) => file === 'go.mod' || ((file.startsWith('server/') || file.startsWith('vendor/'))
    && ((file.endsWith('.go') && !file.endsWith('_test.go')) || file.endsWith('share/nauthilus_util.lua'))));
  const batch = execFileSync('git', ['--git-dir', gitDir, 'cat-file', '--batch'], {
    input: list.map((e) => e.sha).join('\n') + '\n', maxBuffer: 1 << 30,
  });
  const files = new Map();
  let pos = 0;
  for (const { file } of list) {
    const nl = batch.indexOf(10, pos);
    const size = Number(batch.subarray(pos, nl).toString().split(' ')[2]);
    files.set(file, batch.subarray(nl + 1, nl + 1 + size).toString());
    pos = nl + 1 + size + 1;
  }
  return files;
}

const { matchBrace, funcBody, literalKeys, goValue, stringArg, stringConsts, imports } = require('./go-source');
const { v3ModuleLoaders, v3EntryPoints, v3FieldEntries, loaderBodies, v3BuiltinConstants } = require('./nauthilus-inventory-v3');

// ---- own modules ---------------------------------------------------------------------------------------

/** Items a loader body registers on the table it returns (the one it pushes): functions, constants, fields. */
function loaderItems(body, pkgSrc, consts) {
  const items = new Map();
  const add = (name, kind) => { if (name !== undefined && !items.has(name)) items.set(name, kind); };
  /** 3.1: keys of the maps a function returning map[string]lua.LGFunction builds, following the ones it merges. */
  const mapFuncs = new Set([...pkgSrc.matchAll(/^func (\w+)\([^)]*\) map\[string\]lua\.LGFunction \{/gm)].map((m) => m[1]));
  const mapOfFunc = (name, depth = 0) => {
    const fb = mapFuncs.has(name) && depth < 5 ? funcBody(pkgSrc, name) : undefined;
    if (!fb) return [];
    const keys = [];
    for (let at = fb.search(/map\[string\]lua\.LGFunction\{/); at >= 0;) {
      const open = fb.indexOf('{', at);
      keys.push(...literalKeys(fb.slice(open + 1, matchBrace(fb, open) - 1), consts));
      const next = fb.slice(open + 1).search(/map\[string\]lua\.LGFunction\{/);
      at = next < 0 ? -1 : open + 1 + next;
    }
    for (const c of fb.matchAll(/\b(\w+)\(/g)) if (c[1] !== name && mapFuncs.has(c[1])) keys.push(...mapOfFunc(c[1], depth + 1));
    return keys;
  };
  // 3.1: pushLuaModule(L, groupA(m), groupB(m)): the functions of every group
  const grouped = /\b(?:pushLuaModule|newLuaModuleTable)\(L,\s*([^\n]*)\)/.exec(body);
  if (grouped) for (const c of grouped[1].matchAll(/\b(\w+)\(/g)) for (const k of mapOfFunc(c[1])) add(k, 'function');
  // 1.x pushes the module with L.Push(t); 3.x with stack.PushResult(t)
  const pushes = [...body.matchAll(/(?:L\.Push|\.PushResult)\((\w+)\)/g)];
  if (!pushes.length) return items;
  const t = pushes[pushes.length - 1][1];
  /** Keys of `map[...]{` literal at index `at` of `text`. */
  const keysAt = (text, at) => {
    const open = text.indexOf('{', at);
    return literalKeys(text.slice(open + 1, matchBrace(text, open) - 1), consts);
  };
  /** Keys of a map literal named `name`: local (name := map...) or package-level (var name = map...). */
  const namedMap = (name) => {
    for (const text of [body, pkgSrc]) {
      const m = new RegExp(`(?:^var |\\b)${name}\\s*:?=\\s*map\\[`, 'm').exec(text);
      if (m) return keysAt(text, m.index + m[0].length);
    }
    return [];
  };
  /** key -> value of a map literal named `name` whose values are literals. */
  const namedMapValues = (name) => {
    const out = new Map();
    for (const text of [body, pkgSrc]) {
      const m = new RegExp(`(?:^var |\\b)${name}\\s*:?=\\s*map\\[`, 'm').exec(text);
      if (!m) continue;
      const open = text.indexOf('{', m.index + m[0].length);
      for (const e of text.slice(open + 1, matchBrace(text, open) - 1).matchAll(/^\s*"([^"]*)"\s*:\s*([^,\n]+),/gm)) out.set(e[1], goValue(e[2]));
      return out;
    }
    return out;
  };
  const funcsInto = new RegExp(`(?:${t}\\s*:?=\\s*L\\.SetFuncs\\(L\\.NewTable\\(\\),|L\\.SetFuncs\\(${t},)\\s*(map\\[string\\]lua\\.LGFunction\\{|\\w+\\)|\\w+\\([^()]*\\)\\))`, 'g');
  for (const m of body.matchAll(funcsInto)) {
    const keys = m[1].startsWith('map') ? keysAt(body, m.index + m[0].length - 1)
      : m[1].includes('(') ? mapOfFunc(m[1].slice(0, m[1].indexOf('('))) : namedMap(m[1].slice(0, -1));
    for (const k of keys) add(k, 'function');
  }
  const fieldSet = new RegExp(`(?:L\\.SetField\\(${t},\\s*|${t}\\.RawSetString\\()("[^"]*"|\x60[^\x60]*\x60|\\w+\\.\\w+),\\s*([^\\n]*)`, 'g');
  for (const m of body.matchAll(fieldSet)) {
    const name = stringArg(m[1], consts);
    add(name, /NewFunction/.test(m[2]) ? 'function' : /^lua\.L(?:Number|String|Bool)/.test(m[2]) ? { kind: 'constant', value: goValue(m[2]) } : 'field');
  }
  // for k, v := range someMap { t.RawSetString(k, ...(v) or (k)) }: the map's keys, with their values
  const loop = new RegExp(`for (\\w+)(?:,\\s*(\\w+))? := range (\\w+) \\{\\s*\\n\\s*${t}\\.RawSetString\\(\\1,\\s*lua\\.L\\w+\\((\\w+)\\)`, 'g');
  for (const m of body.matchAll(loop)) {
    const values = namedMapValues(m[3]);
    for (const k of namedMap(m[3])) add(k, { kind: 'constant', value: m[4] === m[1] ? k : values.get(k) });
  }
  return items;
}

/**
 * Methods of the objects a loader registers: `mt := L.NewTypeMetatable(<type>)` whose `__index` is a table of
 * LGFunctions, in the loader and in the package's register functions it calls. Names are `<type>:<method>`.
 */
function objectMethods(body, pkgSrc, serverConsts) {
  const consts = new Map([...serverConsts, ...stringConsts([pkgSrc])]);
  const out = new Map();
  const bodies = [body];
  for (const c of body.matchAll(/\b(register\w*)\(L\)/g)) {
    const b = funcBody(pkgSrc, c[1]);
    if (b) bodies.push(b);
  }
  for (const b of bodies) {
    for (const m of b.matchAll(/(\w+) := L\.NewTypeMetatable\(([^)]+)\)/g)) {
      const type = stringArg(m[2], consts);
      const idx = new RegExp(`L\\.SetField\\(${m[1]},\\s*"__index",\\s*L\\.SetFuncs\\(L\\.NewTable\\(\\),\\s*map\\[string\\]lua\\.LGFunction\\{`).exec(b);
      if (!type || !idx) continue;
      const open = idx.index + idx[0].length - 1;
      for (const k of literalKeys(b.slice(open + 1, matchBrace(b, open) - 1), consts)) out.set(`${type}:${k}`, 'method');
    }
  }
  return out;
}

/** The `case <const>:` segments of every switch in `src` that preload something. */
function preloadCases(src) {
  const out = [];
  const re = /^\s*case ([\w.]+):\s*$/gm;
  const marks = [...src.matchAll(re)];
  for (let i = 0; i < marks.length; i++) {
    const start = marks[i].index + marks[i][0].length;
    let end = i + 1 < marks.length ? marks[i + 1].index : src.length;
    const stop = /^\s*(?:default:|\}$)/m.exec(src.slice(start, end));
    if (stop) end = start + stop.index;
    const seg = src.slice(start, end);
    if (/Preload/.test(seg)) out.push({ label: marks[i][1], seg });
  }
  return out;
}

function ownAndBundled(files, tag) {
  const server = [...files].filter(([f]) => f.startsWith('server/'));
  const consts = stringConsts(server.map(([, s]) => s));
  const pkgOf = (f) => path.dirname(f);
  const pkgSource = (dir) => [...files].filter(([f]) => path.dirname(f) === dir).map(([, s]) => s).join('\n');
  const findFunc = (name, where) => {
    for (const [f, src] of where) {
      const body = funcBody(src, name);
      if (body) return { file: f, body, pkgSrc: pkgSource(pkgOf(f)) };
    }
    return undefined;
  };
  const goMod = files.get('go.mod') ?? '';
  const versionOf = (importPath) => {
    let best;
    for (const m of goMod.matchAll(/^\s*(?:require\s+)?(\S+)\s+(v\S+)/gm)) if (importPath.startsWith(m[1]) && (!best || m[1].length > best[0].length)) best = [m[1], m[2]];
    return best ? { library: best[0], version: best[1] } : { library: importPath, version: '' };
  };

  /** The entry points a stage's file calls: GetGlobal(X) and, for the backend, luaCommand = X. */
  const fileEntries = (src) => [...src.matchAll(/GetGlobal\(([\w.]+)\)|luaCommand = ([\w.]+)/g)]
    .map((g) => stringArg(g[1] ?? g[2], consts)).filter((v) => v && v.startsWith('nauthilus_'));
  const allEntries = () => [...new Set(server.flatMap(([, src]) => fileEntries(src)))];
  const own = new Map();
  const bundled = [];
  const seenBundled = new Set();
  /** Bundled modules a vendored package's Preload registers (following X.Preload(L) into sub-packages). */
  const preloadSeen = new Set();
  const bundledPreload = (importPath, loaderName, fnName = 'Preload') => {
    if (preloadSeen.has(`${loaderName}\t${importPath}\t${fnName}`)) return;
    preloadSeen.add(`${loaderName}\t${importPath}\t${fnName}`);
    const dir = `vendor/${importPath}`;
    const src = pkgSource(dir);
    const pre = funcBody(src, fnName);
    if (!pre) return;
    const imps = imports(src);
    for (const m of pre.matchAll(/PreloadModule\(("[^"]*"|`[^`]*`),\s*(?:\w+\.)?(\w+)\)/g)) {
      addBundled(stringArg(m[1], consts), importPath, m[2], loaderName, dir);
    }
    for (const m of pre.matchAll(/(\w+)\.(Preload\w*)\(L\)/g)) if (imps.has(m[1])) bundledPreload(imps.get(m[1]), loaderName, m[2]);
    // 3.x's gopher-lua-libs: PreloadAll calls its own package's Preload(L) besides the sub-packages'
    if (fnName !== 'Preload' && /(?<![\w.])Preload\(L\)/.test(pre)) bundledPreload(importPath, loaderName, 'Preload');
  };
  const addBundled = (module, importPath, loaderFn, loaderName, dir) => {
    loaderName = loaderName ?? module; // 3.x: no dynamic_loader, the module is preloaded under its own name
    const key = `${loaderName}\t${module}`;
    if (seenBundled.has(key)) return;
    seenBundled.add(key);
    const where = [...files].filter(([f]) => path.dirname(f) === dir || f.startsWith(`${dir}/`));
    const found = findFunc(loaderFn, where.filter(([f]) => path.dirname(f) === dir)) ?? findFunc(loaderFn, where);
    const items = found ? loaderItems(found.body, found.pkgSrc, consts) : new Map();
    if (found) for (const [name, kind] of objectMethods(found.body, found.pkgSrc, consts)) if (!items.has(name)) items.set(name, kind);
    const luaSource = found && /DoString\(/.test(found.body);
    bundled.push({
      module, loader_name: loaderName, ...versionOf(importPath), package: importPath,
      implemented_in: luaSource ? 'lua' : 'go',
      items: [...items].map(([name, kind]) => (typeof kind === 'string' ? { name, kind } : { name, ...kind })).sort((a, b) => a.name.localeCompare(b.name)),
    });
  };

  for (const [file, src] of server) {
    const imps = imports(src);
    for (const { label, seg } of preloadCases(src)) {
      const loaderName = stringArg(label, consts);
      if (!loaderName) continue;
      const pre = /PreloadModule\(([^,]+),\s*([\w.]+)/.exec(seg);
      const pkgPreload = /(\w+)\.Preload\(L\)/.exec(seg);
      if (pkgPreload && imps.has(pkgPreload[1])) {
        bundledPreload(imps.get(pkgPreload[1]), loaderName);
        continue;
      }
      if (!pre) continue;
      const modName = pre[1].trim() === 'modName' ? loaderName : stringArg(pre[1], consts);
      const [recv, fn] = pre[2].includes('.') ? pre[2].split('.') : [undefined, pre[2]];
      // v.Loader where v := pkg.NewX(...) from a vendored package: a bundled library
      const ctor = recv ? new RegExp(`${recv}\\s*:?=\\s*(?:&)?(\\w+)\\.\\w+`).exec(seg) : undefined;
      const ctorPath = ctor && imps.get(ctor[1]);
      if (ctorPath && !ctorPath.startsWith('github.com/croessner/')) {
        addBundled(modName, ctorPath, fn, loaderName, `vendor/${ctorPath}`);
        continue;
      }
      const where = recv && imps.has(recv) ? server.filter(([f]) => f.includes(imps.get(recv).replace(/^github\.com\/croessner\/nauthilus\//, ''))) : server;
      const found = findFunc(fn, where) ?? findFunc(fn, server);
      if (!found) throw new Error(`${file}: loader ${pre[2]} of ${modName} not found`);
      const entry = own.get(modName) ?? { module: modName, loader_name: loaderName, items: new Map(), file: found.file, entries: new Set() };
      // the entry points whose VMs can load it: this file's (a stage's own switch), or every stage for the
      // common loader (RegisterCommonLuaLibraries, which every stage's dynamic_loader calls)
      for (const e of /func RegisterCommonLuaLibraries/.test(src) ? allEntries() : fileEntries(src)) entry.entries.add(e);
      // loaded only under a condition (nauthilus_ldap: only with an LDAP backend), else a Lua error
      if (/RaiseError/.test(seg)) entry.conditional = true;
      for (const [k, v] of loaderItems(found.body, found.pkgSrc, consts)) entry.items.set(k, v);
      own.set(modName, entry);
    }
  }

  // 1.12+/3.x: no loader switch; every VM preloads the modules and binds the request-bound ones per request
  const v3 = own.size === 0;
  if (v3) {
    const everyEntry = [...v3EntryPoints(server, consts, stringArg)];
    for (const [module, { loaders }] of v3ModuleLoaders(server, consts, stringArg)) {
      const bodies = loaderBodies(loaders, server, pkgSource, path);
      const entry = { module, loader_name: module, items: new Map(), file: bodies[0]?.file, entries: new Set(everyEntry) };
      if (module === 'nauthilus_ldap') entry.conditional = true; // bound only with an LDAP backend
      for (const b of bodies) {
        for (const [k, v] of loaderItems(b.body, b.pkgSrc, consts)) if (!entry.items.has(k)) entry.items.set(k, v);
        for (const [k, v] of objectMethods(b.body, b.pkgSrc, consts)) if (!entry.items.has(k)) entry.items.set(k, v);
      }
      own.set(module, entry);
    }
    // the bundled libraries every VM preloads: gopher-lua-libs' Preload, glua_crypto, glua_http
    for (const [file, src] of server) {
      const pre = funcBody(src, 'NewLuaState');
      if (!pre || /_test\.go$|\/testing\//.test(file)) continue;
      const imps = imports(src);
      for (const m of pre.matchAll(/(\w+)\.Preload\(L\)/g)) if (imps.has(m[1])) bundledPreload(imps.get(m[1]), null);
      for (const m of pre.matchAll(/PreloadModule\(("[^"]*"),\s*(\w+)\.(\w+)\)/g)) {
        const ctor = new RegExp(`${m[2]}\\s*:?=\\s*(\\w+)\\.\\w+`).exec(pre);
        const ip = imps.get(m[2]) ?? (ctor && imps.get(ctor[1]));
        if (ip) addBundled(stringArg(m[1], consts), ip, m[3], stringArg(m[1], consts), `vendor/${ip}`);
      }
    }
  }

  // objects the own modules hand out whose fields come from an __index function (e.g. backend servers)
  for (const [file, src] of server) {
    for (const m of src.matchAll(/NewTypeMetatable\(([\w.]+)\)[\s\S]{0,200}?L\.SetField\(\w+,\s*"__index",\s*L\.NewFunction\((\w+)\)\)/g)) {
      const type = stringArg(m[1], consts);
      const body = funcBody(src, m[2]);
      if (!type || !body) continue;
      const fields = [...body.matchAll(/case "(\w+)":/g)].map((c) => c[1]);
      const owner = [...own.values()].find((e) => e.file === file);
      const entry = owner ?? { module: type, items: new Map() };
      for (const f of fields) entry.items.set(`${type}.${f}`, 'object field');
    }
  }

  // globals: the tables set with SetGlobal and what is put into them
  const globals = new Map();
  const addGlobal = (table, name, kind) => {
    const g = globals.get(table) ?? new Map();
    if (name !== undefined && !g.has(name)) g.set(name, kind);
    globals.set(table, g);
  };
  for (const [gfile, src] of server) {
    if (v3 && /\/testing\//.test(gfile)) continue;
    for (const m of src.matchAll(/\w*\.SetGlobal\(([\w."]+),\s*(\w+)\)/g)) {
      const gname = stringArg(m[1], consts);
      if (!gname || m[2] === 'lua' || gname === '_G' || /lua\.LNil/.test(m[0])) continue;
      if (v3 && (gname.startsWith('__') || gname === 'nauthilus_policy')) continue; // internals; policy registry scripts' global (the policy layer's)
      if (gname === 'dynamic_loader') { addGlobal(gname, undefined); continue; }
      // 3.x: `pkg.LoaderX(...)(L)` then SetGlobal(name, mod): the loader's functions, its type's methods as `:m`
      const made = [...src.slice(Math.max(0, m.index - 400), m.index).matchAll(/(?:\w+\.)?(Loader\w*)\([^()]*\)\(L\)/g)].pop();
      if (made) {
        const b = loaderBodies([made[1]], server, pkgSource, path)[0];
        addGlobal(gname, undefined);
        if (b) {
          for (const [k, v] of loaderItems(b.body, b.pkgSrc, consts)) addGlobal(gname, k, v);
          for (const [k] of objectMethods(b.body, b.pkgSrc, consts)) addGlobal(gname, `:${k.split(':')[1]}`, 'method');
        }
        continue;
      }
      addGlobal(gname, undefined);
      const v = m[2];
      for (const r of src.matchAll(new RegExp(`${v}\\.RawSet(?:String)?\\((?:lua\\.LString\\()?([\\w."]+)\\)?,\\s*(\\w+\\.\\w+(?:\\([^)]*\\))?)`, 'g'))) {
        const name = stringArg(r[1], consts);
        const kind = /NewFunction/.test(r[2]) ? 'function' : /LBool|LNumber|LString/.test(r[2]) ? { kind: 'constant', value: goValue(r[2]) } : 'field';
        if (name) addGlobal(gname, name, kind);
      }
      for (const r of src.matchAll(new RegExp(`L\\.SetField\\(${v},\\s*("[^"]*"),\\s*L\\.NewFunction`, 'g'))) addGlobal(gname, stringArg(r[1], consts), 'function');
      // a type metatable's methods (backend result): the package-level method map
      const methods = new RegExp(`SetField\\(${v},\\s*"__index",\\s*L\\.SetFuncs\\(L\\.NewTable\\(\\),\\s*\\w+\\)`).test(src)
        && /^var \w+Methods = map\[string\]lua\.LGFunction\{/m.exec(src);
      if (methods) {
        const open = methods.index + methods[0].length - 1;
        for (const k of literalKeys(src.slice(open + 1, matchBrace(src, open) - 1), consts)) addGlobal(gname, `:${k}`, 'method');
      }
    }
  }

  if (v3) for (const [k, v] of v3BuiltinConstants(server, consts, goValue)) addGlobal('nauthilus_builtin', k, v);

  // entry points: globals the engine looks up and calls
  const entryPoints = new Set();
  if (v3) for (const e of v3EntryPoints(server, consts, stringArg)) entryPoints.add(e);
  for (const [, src] of server) {
    for (const m of src.matchAll(/GetGlobal\(([\w.]+)\)/g)) {
      const v = stringArg(m[1], consts);
      if (v && v.startsWith('nauthilus_') && v !== 'nauthilus_builtin') entryPoints.add(v);
    }
    for (const m of src.matchAll(/luaCommand = ([\w.]+)/g)) {
      const v = stringArg(m[1], consts);
      if (v) entryPoints.add(v);
    }
  }

  // request fields (and the hook's logging table), with the entry points that get each: a field set in a
  // `case` that picks the backend command goes to that command; a field set in a function (SetupRequest) goes
  // to every entry point of the places that call it
  const fields = { request: new Map(), logging: new Map() };
  /** The entry points a position of `src` serves: its case's `luaCommand = X`, else the file's GetGlobal(X)s. */
  const entriesAt = (src, at) => {
    const caseStart = src.lastIndexOf('case ', at);
    const funcStart = src.lastIndexOf('\nfunc ', at);
    if (caseStart > funcStart) {
      const next = src.slice(caseStart + 5).search(/\n\s*(?:case |default:|\})/);
      const seg = src.slice(caseStart, next < 0 ? undefined : caseStart + 5 + next);
      const cmd = /luaCommand = ([\w.]+)/.exec(seg);
      if (cmd) return [stringArg(cmd[1], consts)];
    }
    return [...src.matchAll(/GetGlobal\(([\w.]+)\)/g)].map((g) => stringArg(g[1], consts)).filter((v) => v && v.startsWith('nauthilus_'));
  };
  const setters = new Map(); // function name -> entry points of its call sites
  for (const [, src] of server) {
    for (const c of src.matchAll(/\.(\w*Request)\(request\)/g)) {
      const list = setters.get(c[1]) ?? new Set();
      for (const e of entriesAt(src, c.index)) list.add(e);
      setters.set(c[1], list);
    }
  }
  for (const [file, src] of server) {
    if (v3 && /_test\.go$|\/testing\//.test(file)) continue;
    for (const m of src.matchAll(/(\w+)\.RawSet(?:String)?\((?:lua\.LString\()?definitions\.(LuaRequest\w+)\)?,\s*(?:lua\.)?(\w+)/g)) {
      const table = m[1] === 'request' ? 'request' : m[1] === 'logTable' ? 'logging' : undefined;
      const name = consts.get(m[2]);
      if (!table || !name) continue;
      const type = { LBool: 'boolean', LNumber: 'number', LString: 'string' }[m[3]] ?? 'value';
      const fn = /^func (?:\([^)]*\) )?(\w+)/m.exec(src.slice(src.lastIndexOf('\nfunc ', m.index) + 1))?.[1];
      const entries = v3 ? v3FieldEntries(file, entryPoints) : table === 'logging' ? entriesAt(src, m.index) : setters.has(fn) ? [...setters.get(fn)] : entriesAt(src, m.index);
      const f = fields[table].get(name) ?? { type, entry_points: new Set() };
      for (const e of entries) f.entry_points.add(e);
      fields[table].set(name, f);
    }
  }

  // nauthilus_util: the functions share/nauthilus_util.lua defines on its table
  const utilFile = [...files.keys()].find((f) => f.endsWith('share/nauthilus_util.lua'));
  const utilSrc = utilFile ? files.get(utilFile) : '';
  const util = new Map([...utilSrc.matchAll(/^function nauthilus_util\.(\w+)\(/gm)].map((m) => [m[1], 'function']));
  own.set('nauthilus_util', { module: 'nauthilus_util', loader_name: 'nauthilus_util', file: utilFile, entries: new Set(v3 ? entryPoints : allEntries()), items: util });

  const list = (m) => [...m].map(([name, kind]) => (typeof kind === 'object' && !(kind.entry_points) ? { name, ...kind } : { name, kind })).sort((a, b) => a.name.localeCompare(b.name));
  const { version } = versionOf('github.com/yuin/gopher-lua');
  return {
    generated_by: 'scripts/nauthilus-inventory.js (names and kinds read from the Nauthilus Go source; no code or text copied)',
    nauthilus: tag,
    gopher_lua: version,
    own: {
      globals: [...globals].map(([name, items]) => ({ name, items: list(items) })).sort((a, b) => a.name.localeCompare(b.name)),
      entry_points: [...entryPoints].sort(),
      request_fields: list(fields.request).map(({ name, kind }) => ({ name, type: kind.type, entry_points: [...kind.entry_points].sort() })),
      hook_logging_fields: list(fields.logging).map(({ name, kind }) => ({ name, type: kind.type, entry_points: [...kind.entry_points].sort() })),
      modules: [...own.values()].map((e) => ({ module: e.module, loader_name: e.loader_name, ...(e.file ? { source: e.file } : {}), entry_points: e.entries ? [...e.entries].sort() : [], ...(e.conditional ? { conditional: true } : {}), items: list(e.items) })).sort((a, b) => a.module.localeCompare(b.module)),
    },
    bundled: bundled.sort((a, b) => a.loader_name.localeCompare(b.loader_name) || a.module.localeCompare(b.module)),
  };
}

/** Item counts: own (globals' members, entry points, request fields, module members and modules) and bundled. */
function counts(inv) {
  const own = inv.own.globals.reduce((n, g) => n + 1 + g.items.length, 0) + inv.own.entry_points.length
    + inv.own.request_fields.length + inv.own.hook_logging_fields.length
    + inv.own.modules.reduce((n, m) => n + 1 + m.items.length, 0);
  const bundled = inv.bundled.reduce((n, m) => n + 1 + m.items.length, 0);
  return { own, bundled };
}

module.exports = { counts };

if (require.main === module) {
  const [gitDir, tag = 'v1.10.12', outArg] = process.argv.slice(2);
  if (!gitDir) {
    process.stderr.write('usage: node scripts/nauthilus-inventory.js <nauthilus bare git dir> [tag] [output]\n');
    process.exit(2);
  }
  const inv = ownAndBundled(readTree(gitDir, tag), tag);
  // the extraction reads the 1.10 layout (loader switch in server/lualib/loader.go) and the 3.x one (preloads in
  // luapool.NewLuaState, per-request binds): a release that registers modules another way yields a near-empty
  // list, which must not pass for an inventory
  if (inv.own.modules.length < 10 || inv.bundled.length < 10) {
    process.stderr.write(`nauthilus-inventory: ${tag} registers its Lua modules in a way this tool does not read (found ${inv.own.modules.length} own and ${inv.bundled.length} bundled modules); it reads the 1.10 and 3.0 layouts\n`);
    process.exit(1);
  }
  const minor = /^v(\d+\.\d+)/.exec(tag)?.[1] ?? tag;
  const out = outArg ?? path.join(__dirname, '..', 'docs', 'lua-api', `inventory-nauthilus-${minor}.json`);
  fs.writeFileSync(out, JSON.stringify(inv, null, 1) + '\n');
  const c = counts(inv);
  const loaders = new Set([...inv.own.modules, ...inv.bundled].map((m) => m.loader_name)).size;
  // 1.12 preloads like 3.x (dynamic_loader is a stub there): only the loader layout has loader names
  const loaderLayout = [...inv.own.modules, ...inv.bundled].some((m) => m.loader_name !== m.module);
  const names = loaderLayout ? `${loaders} dynamic_loader names` : `${inv.own.modules.length} modules`;
  process.stdout.write(`${path.basename(out)}: own API ${c.own} items and ${names}, bundled libraries ${c.bundled} items (${inv.bundled.length} modules)\n`);
}
