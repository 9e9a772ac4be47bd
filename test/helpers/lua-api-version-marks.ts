// Test helper: the "Nauthilus versions" sections of docs/lua-api.md, rendered from the data the editor gets
// (scripts/gen-lua-api.js: a real VM and request per profile, and the inventories of scripts/lua-api-versions.ts),
// so the marks in the docs and the editor's completion and hover never disagree. lua-api-docs.test.ts assembles them.
import path from 'node:path';
import { ApiVersions, versionsText } from '../../scripts/lua-api-versions';
import type { LuaApi, Versioned } from '../../renderer/src/editor/lua-api-profile';

const ROOT = path.join(__dirname, '..', '..', '..');

/** The editor's Lua API data, fresh from the generator (not written). */
export async function generatedApi(): Promise<LuaApi> {
  const gen = require(path.join(ROOT, 'scripts', 'gen-lua-api.js')) as { generate(o: { write: boolean }): Promise<LuaApi> };
  return gen.generate({ write: false });
}

/**
 * The versions cell of an item: the Nauthilus versions that have it ("AuthStudio only" for none), and, when the
 * engine offers it in other profiles than those, which ones it does.
 */
export function versionsCell(item: Versioned, allProfiles: readonly string[]): string {
  const text = versionsText(item.nauthilus);
  if (item.nauthilus.length === 0) {
    return item.profiles.length === allProfiles.length ? text : `${text} (with the ${item.profiles.join(', ') || 'no'} profile${item.profiles.length === 1 ? '' : 's'})`;
  }
  const missing = item.nauthilus.filter((v) => !item.profiles.includes(v));
  return missing.length ? `${text} (AuthStudio: not yet with the ${missing.join(', ')} profile${missing.length === 1 ? '' : 's'})` : text;
}

const kindOf = (type: string) => (type === 'function' ? 'function' : type === 'table' ? 'table' : `constant (${type})`);

interface Row { name: string; kind: string; cell: string }

function table(page: string, rows: Row[], note = ''): string[] {
  return [`### Nauthilus versions of \`${page}\``, '', ...(note ? [note, ''] : []), '| name | kind | Nauthilus versions |', '|---|---|---|',
    ...rows.map((r) => `| \`${r.name}\` | ${r.kind} | ${r.cell} |`)];
}

/**
 * The section appended to a module's page in docs/lua-api.md: the module, each member and method (and, for
 * nauthilus_builtin, the entry points and request fields; for dynamic_loader, the loader names) with its versions.
 */
export function versionMarks(api: LuaApi, page: string, versions: ApiVersions): string[] {
  const all = api.profiles;
  const rows: Row[] = [];
  if (page === 'dynamic_loader') {
    rows.push({ name: 'dynamic_loader(name)', kind: 'global function', cell: versionsText(versions.module('dynamic_loader')) });
    for (const m of api.modules) {
      for (const l of m.loader_names) rows.push({ name: `dynamic_loader("${l}")`, kind: 'loader name', cell: versionsText(versions.loaderName(l)) });
    }
    return table(page, rows, '1.12 and 3.x preload every module: their `dynamic_loader` only logs the call.');
  }
  for (const mod of api.modules.filter((m) => m.name === page || m.alias_of === page)) {
    rows.push({ name: mod.global ? mod.name : `require("${mod.name}")`, kind: mod.global ? 'global table' : 'module', cell: versionsCell(mod, all) });
    for (const m of mod.members) rows.push({ name: `${mod.name}.${m.name}`, kind: kindOf(m.type), cell: versionsCell(m, all) });
    for (const m of mod.methods) rows.push({ name: `${m.object}:${m.name}`, kind: 'method', cell: versionsCell(m, all) });
  }
  if (page === 'nauthilus_builtin') {
    const seen = new Set<string>();
    for (const e of api.entry_points) {
      if (seen.has(e.name)) continue;
      seen.add(e.name);
      rows.push({ name: e.name, kind: 'entry point', cell: versionsCell(e, all) });
    }
    for (const f of api.request_fields) rows.push({ name: `request.${f.name}`, kind: 'request field', cell: versionsCell(f, all) });
  }
  return rows.length ? table(page, rows) : [];
}
