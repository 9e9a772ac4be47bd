// The Lua API as the editor knows it: generated/lua-api.json (built from the engine) plus which local names in a
// script stand for which module (`local http = require("glua_http")`).
import data from '../generated/lua-api.json';

export interface ApiMember {
  name: string;
  /** Lua type of the value: function, number, boolean, string, table. */
  type: string;
  signature: string;
  doc: string;
  value?: string;
}

export interface ApiMethod {
  object: string;
  name: string;
  signature: string;
  doc: string;
}

export interface ApiModule {
  name: string;
  summary: string;
  loader_names: string[];
  /** Present without require (nauthilus_builtin, nauthilus_backend_result). */
  global: boolean;
  members: ApiMember[];
  methods: ApiMethod[];
}

export interface LuaApi {
  modules: ApiModule[];
  entry_points: Array<{ name: string; signature: string; kind: string; returns: string }>;
  request_fields: Array<{ name: string; doc: string }>;
}

/** The generated data, typed. */
export const API = data as LuaApi;

const BY_NAME = new Map(API.modules.map((m) => [m.name, m]));
const REQUIRE = /(?:local\s+)?([A-Za-z_]\w*)\s*=\s*require\s*\(?\s*["']([\w.]+)["']/g;

/** local name -> module name, for the `require` lines of a script; module names stand for themselves. */
export function aliasesIn(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of API.modules) out.set(m.name, m.name);
  for (const m of text.matchAll(REQUIRE)) if (BY_NAME.has(m[2])) out.set(m[1], m[2]);
  return out;
}

/** The module a name stands for in this script. */
export function moduleFor(name: string, text: string): ApiModule | undefined {
  const target = aliasesIn(text).get(name);
  return target ? BY_NAME.get(target) : undefined;
}

/** Every `obj:method(...)` the docs name (db:query, conn:write, b:authenticated, ...). */
export function allMethods(): Array<ApiMethod & { module: string }> {
  return API.modules.flatMap((m) => m.methods.map((x) => ({ ...x, module: m.name })));
}

/** Markdown shown for a member in hovers and completion details. */
export function memberMarkdown(mod: ApiModule, m: ApiMember): string {
  const head = m.type === 'function' ? `${mod.name}.${m.signature}` : `${mod.name}.${m.name}${m.value !== undefined ? ` = ${m.value}` : ''}`;
  return ['```lua', head, '```', '', m.doc || `(${m.type})`].join('\n');
}

/** Markdown for a module name. */
export function moduleMarkdown(mod: ApiModule): string {
  const loader = mod.loader_names.length ? `\n\n1.x: \`dynamic_loader("${mod.loader_names[0]}")\`, then \`require("${mod.name}")\`` : '';
  const fns = mod.members.filter((m) => m.type === 'function').length;
  return `**${mod.name}** — ${mod.summary}${loader}\n\n${fns} functions; type \`${mod.name}.\` for the list.`;
}

/** Markdown for a field of `request`. */
export function fieldMarkdown(name: string): string | undefined {
  const f = API.request_fields.find((x) => x.name === name);
  return f ? `\`\`\`lua\nrequest.${f.name}\n\`\`\`\n\n${f.doc || 'A field of the request table.'}` : undefined;
}
