// The Lua API data as one workspace profile sees it: every item of generated/lua-api.json says which Nauthilus
// versions have it (`nauthilus`) and which profiles the editor offers it in (`profiles`); this file picks a profile's
// view and words the version marks. No imports: the unit tests run it in Node on the generated data.

/** Which Nauthilus versions have an item, and which workspace profiles the editor offers it in. */
export interface Versioned {
  /** The Nauthilus versions that have it; empty: an AuthStudio extension. */
  nauthilus: string[];
  /** The workspace profiles (`nauthilus:` of authstudio.yml) completion offers it in. */
  profiles: string[];
}

export interface ApiMember extends Versioned {
  name: string;
  /** Lua type of the value: function, number, boolean, string, table. */
  type: string;
  signature: string;
  doc: string;
  value?: string;
}

export interface ApiMethod extends Versioned {
  object: string;
  name: string;
  signature: string;
  doc: string;
}

export interface ApiModule extends Versioned {
  name: string;
  summary: string;
  /** The module this name loads too (glua_crypto: crypto). */
  alias_of?: string;
  loader_names: string[];
  /** The profiles whose scripts load modules with `dynamic_loader(name)` first (1.10). */
  loader_profiles: string[];
  /** Present without require (nauthilus_builtin, nauthilus_backend_result). */
  global: boolean;
  members: ApiMember[];
  methods: ApiMethod[];
}

export interface ApiEntryPoint extends Versioned { name: string; signature: string; kind: string; returns: string }
export interface ApiField extends Versioned { name: string; doc: string }

export interface LuaApi {
  /** Every workspace profile, oldest first. */
  profiles: string[];
  modules: ApiModule[];
  entry_points: ApiEntryPoint[];
  request_fields: ApiField[];
}

/**
 * What completion offers a workspace with `profile`: the modules, members, methods, entry points and request fields
 * offered in it, and dynamic_loader names only where that version loads modules through it. Without a profile
 * (the studio has not said yet) everything.
 *
 * @example
 *   apiForProfile(api, '1.10').modules.some((m) => m.name === 'nauthilus_policy')   // false (3.0 added it)
 */
export function apiForProfile(api: LuaApi, profile: string | undefined): LuaApi {
  if (profile === undefined || !api.profiles.includes(profile)) return api;
  const offered = <T extends Versioned>(x: T) => x.profiles.includes(profile);
  return {
    profiles: api.profiles,
    modules: api.modules.filter(offered).map((m) => ({
      ...m,
      loader_names: m.loader_profiles.includes(profile) ? m.loader_names : [],
      members: m.members.filter(offered),
      methods: m.methods.filter(offered),
    })),
    entry_points: api.entry_points.filter(offered),
    request_fields: api.request_fields.filter(offered),
  };
}

/**
 * The version line of a hover: which Nauthilus versions have the item, and, when the workspace's profile is not
 * one the editor offers it in, that it is not there for this workspace.
 *
 * @example
 *   versionsNote({ nauthilus: ['3.0', '3.1'], profiles: ['3.0', '3.1'] }, '1.10')
 *   // 'Nauthilus 3.0, 3.1 — not in Nauthilus 1.10, this workspace\'s profile'
 */
export function versionsNote(item: Versioned, profile: string | undefined): string {
  const have = item.nauthilus.length ? `Nauthilus ${item.nauthilus.join(', ')}` : 'AuthStudio only (no Nauthilus version has it)';
  if (profile === undefined || item.profiles.includes(profile)) return have;
  const why = item.nauthilus.includes(profile) ? `not provided by AuthStudio under the Nauthilus ${profile} profile` : `not in Nauthilus ${profile}, this workspace's profile`;
  return `${have} — ${why}`;
}
