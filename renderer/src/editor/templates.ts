// New scripts: several templates per kind with the right entry function and return values, and the config entry
// that makes the engine run it (Dovecot scripts run in the Dovecot runner and have none).
import type { ScriptKind } from '../file-kinds';
import { DOVECOT_TEMPLATES } from './dovecot-templates';
import { ENGINE_TEMPLATES, type TemplateBody } from './template-bodies';

/** What "New script" can make: an engine script kind, or a Dovecot passdb/userdb script. */
export type TemplateKind = ScriptKind | 'dovecot';

export type ScriptTemplate = TemplateBody<TemplateKind>;

/** Every template, grouped by kind in the order the dialog lists them (the first of a kind is its default). */
export const TEMPLATES: ScriptTemplate[] = [...ENGINE_TEMPLATES, ...DOVECOT_TEMPLATES];

/** The templates of one kind. */
export function templatesFor(kind: TemplateKind): ScriptTemplate[] {
  return TEMPLATES.filter((t) => t.kind === kind);
}

/** A new script of `kind` named `name` from the template `id` (default: the kind's first). */
export function scriptTemplate(kind: TemplateKind, name: string, id?: string): string {
  const all = templatesFor(kind);
  const t = (id === undefined ? all[0] : all.find((x) => x.id === id));
  if (!t) throw new Error(`no ${kind} template "${id}"`);
  return t.body(name);
}

/** Why `name` cannot name a new script, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'Enter a name, for example geoip_policy.';
  if (name.length > 64) return `The name has ${name.length} characters; use at most 64.`;
  const bad = /[^A-Za-z0-9_-]/.exec(name);
  if (bad) return `"${bad[0] === ' ' ? 'space' : bad[0]}" cannot be part of a script name: use letters, digits, "_" and "-" (for example geoip_policy).`;
  return undefined;
}

/** The lines of authstudio.yml that make the engine run the script, and the list they belong to. */
export function configEntry(kind: ScriptKind, name: string, path: string): { section?: string; lines: string[]; single?: string } {
  const p = `./${path}`;
  switch (kind) {
    case 'feature': return { section: 'features', lines: [`- name: ${name}`, `  script_path: ${p}`] };
    case 'filter': return { section: 'filters', lines: [`- name: ${name}`, `  script_path: ${p}`] };
    case 'action': return { section: 'actions', lines: [`- type: lua`, `  name: ${name}`, `  script_path: ${p}`] };
    case 'hook': return { section: 'custom_hooks', lines: [`- http_location: ${name}`, `  http_method: GET`, `  script_path: ${p}`] };
    case 'backend': return { lines: [], single: `lua.config.backend_script_path: ${p}` };
    case 'init': return { lines: [], single: `lua.config.init_script_path: ${p}` };
  }
}

/**
 * authstudio.yml with the entry appended to `lua.<section>` when that list is written in block style; undefined
 * when the file is laid out otherwise (the dialog then shows the lines to add by hand).
 */
export function addToConfig(yaml: string, entry: { section?: string; lines: string[] }): string | undefined {
  if (!entry.section) return undefined;
  const lines = yaml.split('\n');
  const lua = lines.findIndex((l) => /^lua:\s*(#.*)?$/.test(l));
  if (lua < 0) return undefined;
  const head = lines.findIndex((l, i) => i > lua && new RegExp(`^(\\s+)${entry.section}:\\s*(#.*)?$`).test(l));
  if (head < 0) return undefined;
  const indent = /^(\s+)/.exec(lines[head])![1].length;
  let end = head + 1;
  let itemIndent = indent + 2;
  while (end < lines.length && (lines[end].trim() === '' || /^(\s*)/.exec(lines[end])![1].length > indent)) {
    if (lines[end].trim().startsWith('- ')) itemIndent = /^(\s*)/.exec(lines[end])![1].length;
    end++;
  }
  while (end > head + 1 && lines[end - 1].trim() === '') end--;
  const pad = ' '.repeat(itemIndent);
  lines.splice(end, 0, ...entry.lines.map((l) => pad + l));
  return lines.join('\n');
}
