// The Nauthilus 1.12+/3.x registration for scripts/nauthilus-inventory.js. 3.x has no dynamic_loader switch:
// every VM preloads all modules (luapool.NewLuaState: PreloadModule(<name>, <loader>)) and the request-bound ones
// are bound per request (BindModule / BindModuleIntoReq / bindSubjectModuleIntoReq, each with a `loader := X(...)`
// or a loader argument). This reads those call sites; names and kinds only, nothing of Nauthilus is copied.
'use strict';
const { funcBody } = require('./go-source');

const BIND = /\b(?:BindModule|BindModuleIntoReq|bindSubjectModuleIntoReq)\(\w+,\s*([\w.]+),\s*([^\n]*)|\bPreloadModule\(([\w."]+),\s*([^\n]*)/g;
const LOADER_CALL = /(?:\b\w+\.)?\b(Loader\w*)\(/;

/**
 * module name -> { loaders: Set(loader function name), files: Set(file) } for every module a 3.x VM gets.
 * `server` is [[file, src]] (non-test Go files under server/), `consts` the string constants.
 */
function v3ModuleLoaders(server, consts, stringArg) {
  const out = new Map();
  const add = (module, fn, file) => {
    if (!module || !fn || !module.startsWith('nauthilus_')) return;
    const e = out.get(module) ?? { loaders: new Set(), files: new Set() };
    e.loaders.add(fn);
    e.files.add(file);
    out.set(module, e);
  };
  // methods whose loader is a parameter (ModuleManager.BindLDAP(L, loader)): method name -> module
  const byParam = new Map();
  for (const [file, src] of server) {
    if (/_test\.go$|\/testing\//.test(file)) continue;
    let prevBind = 0;
    for (const m of src.matchAll(BIND)) {
      const from = prevBind;
      prevBind = m.index + m[0].length;
      const module = stringArg(m[1] ?? m[3], consts);
      const rest = m[2] ?? m[4];
      const direct = LOADER_CALL.exec(rest);
      if (direct) { add(module, direct[1], file); continue; }
      // `loader := pkg.LoaderX(...)` (or `if loader := ...`) shortly before the bind
      const before = src.slice(Math.max(from, m.index - 700, src.lastIndexOf('\nfunc ', m.index)), m.index);
      const assigned = [...before.matchAll(/\bloader\s*:?=\s*(?:\w+\.)?(Loader\w*)\(/g)];
      for (const a of assigned) add(module, a[1], file);
      if (assigned.length) continue;
      const fn = /\nfunc (?:\([^)]*\) )?(\w+)\([^)]*\bloader lua\.LGFunction/.exec(src.slice(src.lastIndexOf('\nfunc ', m.index)));
      if (fn) byParam.set(fn[1], module);
    }
  }
  for (const [file, src] of server) {
    if (/_test\.go$|\/testing\//.test(file)) continue;
    for (const [method, module] of byParam) {
      for (const c of src.matchAll(new RegExp(`\\.${method}\\(\\w+,\\s*(?:\\w+\\.)?(Loader\\w*)\\(`, 'g'))) add(module, c[1], file);
    }
  }
  return out;
}

/** The entry points a 3.x engine calls: globals or request-environment fields it looks up by a LuaFn* name. */
function v3EntryPoints(server, consts, stringArg) {
  const out = new Set();
  for (const [file, src] of server) {
    if (/_test\.go$|\/testing\//.test(file)) continue;
    // 3.1: the backend's command table ({functionName: definitions.LuaFnBackend..., ...})
    for (const m of src.matchAll(/(?:GetGlobal\(|GetField\(\w+,\s*)([\w.]+)\)|luaCommand\s*=\s*([\w.]+)|functionName:\s*([\w.]+)/g)) {
      const v = stringArg(m[1] ?? m[2] ?? m[3], consts);
      if (v && /^nauthilus_(?:call_|backend_(?!result|server)|run_hook|cache_flush)/.test(v)) out.add(v);
    }
    // cacheflush: resolveLuaFunction(L, <entry>)
    for (const m of src.matchAll(/resolveLuaFunction\(\w+,\s*([\w.]+)\)/g)) {
      const v = stringArg(m[1], consts);
      if (v && v.startsWith('nauthilus_')) out.add(v);
    }
  }
  return out;
}

/**
 * The entry points that get a request field set in `file`: the stage's own file gives its entry point; the shared
 * request builder (lualib/request.go) feeds every stage that takes a request table.
 */
function v3FieldEntries(file, entryPoints) {
  if (/\/environment\//.test(file)) return ['nauthilus_call_environment'];
  if (/\/subject\//.test(file)) return ['nauthilus_call_subject'];
  return ['nauthilus_call_environment', 'nauthilus_call_subject', 'nauthilus_call_action', 'nauthilus_backend_verify_password'].filter((e) => entryPoints.has(e));
}

/** Loader function bodies for a module (every loader the call sites name, found anywhere under server/). */
function loaderBodies(loaders, server, pkgSource, path) {
  const out = [];
  for (const fn of loaders) {
    for (const [file, src] of server) {
      if (/_test\.go$|\/testing\//.test(file)) continue;
      const body = funcBody(src, fn);
      if (body) out.push({ file, body, pkgSrc: pkgSource(path.dirname(file)) });
    }
  }
  return out;
}

/** nauthilus_builtin's constants: `{key: definitions.X, value: lua.LNumber(0)}` rows of builtin.go's lists. */
function v3BuiltinConstants(server, consts, goValue) {
  const out = new Map();
  for (const [file, src] of server) {
    if (!/lualib\/builtin\.go$/.test(file)) continue;
    for (const m of src.matchAll(/\{key:\s*(?:\w+\.)?(\w+),\s*value:\s*(lua\.L\w+\([^)]*\))\}/g)) {
      const name = consts.get(m[1]);
      if (name && !out.has(name)) out.set(name, { kind: 'constant', value: goValue(m[2]) });
    }
  }
  return out;
}

module.exports = { v3BuiltinConstants, v3ModuleLoaders, v3EntryPoints, v3FieldEntries, loaderBodies };
