// Which Nauthilus versions have each name of the Lua API, read from the inventories scripts/nauthilus-inventory.js
// wrote (docs/lua-api/inventory-nauthilus-<version>.json: names and kinds only). Used by scripts/gen-lua-api.js
// (the editor's completion and hover data) and, through it, by the version marks of docs/lua-api.md.
import fs from 'node:fs';
import path from 'node:path';

/** The Nauthilus versions AuthStudio has an inventory of, oldest first (the workspace profiles). */
export const NAUTHILUS_VERSIONS = ['1.10', '1.12', '3.0', '3.1'] as const;
export type NauthilusVersion = (typeof NAUTHILUS_VERSIONS)[number];

interface InventoryItem { name: string; kind: string }
interface InventoryModule { module: string; loader_name: string; items: InventoryItem[] }
interface InventoryFile {
  nauthilus: string;
  own: {
    globals: Array<{ name: string; items: InventoryItem[] }>;
    entry_points: string[];
    request_fields: Array<{ name: string }>;
    modules: InventoryModule[];
  };
  bundled: InventoryModule[];
}

/**
 * The names of one version: module -> member names and method names; fields, entry points, loader names. A module
 * the inventory lists without members (a library written in Lua: inspect, loglevel) is `opaque`: its members are
 * not known one by one.
 */
interface ModuleNames { members: Set<string>; methods: Set<string>; opaque: boolean }
interface VersionNames {
  modules: Map<string, ModuleNames>;
  requestFields: Set<string>;
  entryPoints: Set<string>;
  loaderNames: Set<string>;
}

function namesOf(inv: InventoryFile): VersionNames {
  const out: VersionNames = { modules: new Map(), requestFields: new Set(), entryPoints: new Set(inv.own.entry_points), loaderNames: new Set() };
  const add = (module: string, items: InventoryItem[]) => {
    const m = out.modules.get(module) ?? { members: new Set<string>(), methods: new Set<string>(), opaque: true };
    if (items.length) m.opaque = false;
    for (const i of items) {
      // `:name` (a method of the global's objects), `type:name` (of a bundled object), `type.field` (object field)
      if (i.name.includes(':')) m.methods.add(i.name.split(':').pop()!);
      else if (!i.name.includes('.')) m.members.add(i.name);
    }
    out.modules.set(module, m);
  };
  for (const g of inv.own.globals) add(g.name, g.items);
  for (const m of [...inv.own.modules, ...inv.bundled]) add(m.module, m.items);
  for (const f of inv.own.request_fields) out.requestFields.add(f.name);
  // dynamic_loader names exist only where modules are loaded through it (1.10); 1.12 and 3.x preload every module
  const all = [...inv.own.modules, ...inv.bundled];
  if (all.some((m) => m.loader_name !== m.module)) for (const m of all) out.loaderNames.add(m.loader_name);
  return out;
}

/** A test of one version's names. */
type Query = (v: VersionNames) => boolean;

/**
 * Answers "which Nauthilus versions have this name" for every kind of item scripts use.
 *
 * @example
 *   const v = ApiVersions.load(ROOT);
 *   v.module('nauthilus_policy');             // ['3.0', '3.1']
 *   versionsText(v.member('crypto', 'md5'))   // '1.10' (1.12 and 3.x give gluacrypto as glua_crypto)
 */
export class ApiVersions {
  private constructor(private readonly byVersion: Map<NauthilusVersion, VersionNames>) {}

  /** Reads every inventory file present under `<root>/docs/lua-api/`. */
  static load(root: string): ApiVersions {
    const byVersion = new Map<NauthilusVersion, VersionNames>();
    for (const v of NAUTHILUS_VERSIONS) {
      const file = path.join(root, 'docs', 'lua-api', `inventory-nauthilus-${v}.json`);
      if (fs.existsSync(file)) byVersion.set(v, namesOf(JSON.parse(fs.readFileSync(file, 'utf8')) as InventoryFile));
    }
    return new ApiVersions(byVersion);
  }

  /** The versions an inventory exists for. */
  get versions(): NauthilusVersion[] {
    return [...this.byVersion.keys()];
  }

  private where(has: Query): NauthilusVersion[] {
    return [...this.byVersion].filter(([, names]) => has(names)).map(([v]) => v);
  }

  /** Every member name version `v` gives module `module` (none when it has no such module). */
  namesOfModule(v: NauthilusVersion, module: string): string[] {
    return [...(this.byVersion.get(v)?.modules.get(module)?.members ?? [])];
  }

  /** A module (`require` name) or a global table (nauthilus_builtin, nauthilus_backend_result, dynamic_loader). */
  module(name: string): NauthilusVersion[] {
    return this.where((n) => n.modules.has(name));
  }

  /** A function, constant or field of a module's table (of a module written in Lua: the module's versions). */
  member(module: string, name: string): NauthilusVersion[] {
    return this.where((n) => {
      const m = n.modules.get(module);
      return m !== undefined && (m.members.has(name) || m.opaque);
    });
  }

  /**
   * A method (`obj:name`) of an object the module hands out. Where the inventory lists no method of the module at
   * all (it does not read every way a library makes objects), the module's versions.
   */
  method(module: string, name: string): NauthilusVersion[] {
    return this.where((n) => {
      const m = n.modules.get(module);
      return m !== undefined && (m.methods.has(name) || m.methods.size === 0);
    });
  }

  requestField(name: string): NauthilusVersion[] {
    return this.where((n) => n.requestFields.has(name));
  }

  entryPoint(name: string): NauthilusVersion[] {
    return this.where((n) => n.entryPoints.has(name));
  }

  /** A 1.x `dynamic_loader` name. */
  loaderName(name: string): NauthilusVersion[] {
    return this.where((n) => n.loaderNames.has(name));
  }
}

/** "1.10, 1.12, 3.0, 3.1", or "AuthStudio only" for a name no Nauthilus version has. */
export function versionsText(versions: readonly string[]): string {
  return versions.length ? versions.join(', ') : 'AuthStudio only';
}
