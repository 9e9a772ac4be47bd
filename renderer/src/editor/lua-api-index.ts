// The Lua API as the editor knows it: generated/lua-api.json (built from the engine) seen through the workspace's
// profile (lua-api-profile.ts), plus which local names in a script stand for which module
// (`local http = require("glua_http")`).
import data from '../generated/lua-api.json';
import { apiForProfile, versionsNote, type ApiMember, type ApiMethod, type ApiModule, type LuaApi, type Versioned } from './lua-api-profile';

export type { ApiMember, ApiMethod, ApiModule, LuaApi } from './lua-api-profile';

/** The generated data, typed: every item of every profile. */
export const API = data as LuaApi;

let profile: string | undefined;
let detected = false;
let offered: LuaApi = API;

/**
 * Follow the workspace's profile (getStatus().profile.nauthilus): completion then offers only what that Nauthilus
 * version has, and hovers say when an item is not in it. Called again after a reload that changed it. `guessed`: the
 * config does not name it (getStatus().profile.detected), so the checker's version findings only warn.
 */
export function setApiProfile(next: string | undefined, guessed = false): void {
  detected = guessed;
  if (next === profile) return;
  profile = next;
  offered = apiForProfile(API, next);
}

/** The workspace's profile as last set (undefined until the studio said). */
export function apiProfile(): string | undefined {
  return profile;
}

/** Whether the profile was detected from the config's layout rather than named by it. */
export function apiProfileDetected(): boolean {
  return detected;
}

/** What completion offers under the current profile. */
export function offeredApi(): LuaApi {
  return offered;
}

const REQUIRE = /(?:local\s+)?([A-Za-z_]\w*)\s*=\s*require\s*\(?\s*["']([\w.]+)["']/g;

/** local name -> module name, for the `require` lines of a script; module names stand for themselves. */
export function aliasesIn(text: string, api: LuaApi = offered): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of api.modules) out.set(m.name, m.name);
  for (const m of text.matchAll(REQUIRE)) if (api.modules.some((x) => x.name === m[2])) out.set(m[1], m[2]);
  return out;
}

/** The module a name stands for in this script (`api`: the offered view by default, or the full API for hovers). */
export function moduleFor(name: string, text: string, api: LuaApi = offered): ApiModule | undefined {
  const target = aliasesIn(text, api).get(name);
  return target ? api.modules.find((m) => m.name === target) : undefined;
}

/** Every `obj:method(...)` the docs name (db:query, conn:write, b:authenticated, ...). */
export function allMethods(api: LuaApi = offered): Array<ApiMethod & { module: string }> {
  return api.modules.flatMap((m) => m.methods.map((x) => ({ ...x, module: m.name })));
}

/** The version line shown under an item: which Nauthilus versions have it, and whether this workspace's does. */
export function versionLine(item: Versioned): string {
  return `*${versionsNote(item, profile)}*`;
}

/** Markdown shown for a member in hovers and completion details. */
export function memberMarkdown(mod: ApiModule, m: ApiMember): string {
  const head = m.type === 'function' ? `${mod.name}.${m.signature}` : `${mod.name}.${m.name}${m.value !== undefined ? ` = ${m.value}` : ''}`;
  return ['```lua', head, '```', '', m.doc || `(${m.type})`, '', versionLine(m)].join('\n');
}

/** Markdown for a module name. */
export function moduleMarkdown(mod: ApiModule): string {
  const loads = mod.loader_names.length && (profile === undefined || mod.loader_profiles.includes(profile));
  const loader = loads ? `\n\n1.x: \`dynamic_loader("${mod.loader_names[0]}")\`, then \`require("${mod.name}")\`` : '';
  const fns = mod.members.filter((m) => m.type === 'function').length;
  return `**${mod.name}** — ${mod.summary}${loader}\n\n${fns} functions; type \`${mod.name}.\` for the list.\n\n${versionLine(mod)}`;
}

/** Markdown for a field of `request`. */
export function fieldMarkdown(name: string): string | undefined {
  const f = API.request_fields.find((x) => x.name === name);
  return f ? `\`\`\`lua\nrequest.${f.name}\n\`\`\`\n\n${f.doc || 'A field of the request table.'}\n\n${versionLine(f)}` : undefined;
}
