// Completion and hover for Dovecot scripts: `dovecot.*`, `dovecot.auth.*`, `req.*` / `req:*`, the HTTP client objects'
// methods and the entry points, from generated/dovecot-api.json (probed in the Dovecot harness per profile). The
// profile follows the Dovecot runner's 2.3/2.4 switch: completion offers only that version's names, hovers say which
// versions have a name.
import data from '../generated/dovecot-api.json';
import type { monaco as Monaco } from '../monaco-env';

type M = typeof Monaco;
type Item = Monaco.languages.CompletionItem;

interface DvItem {
  name: string;
  type?: string;
  signature?: string;
  doc: string;
  value?: string;
  of?: string;
  profiles: string[];
}
interface DovecotApi {
  profiles: string[];
  dovecot: DvItem[];
  auth: DvItem[];
  http: DvItem[];
  methods: DvItem[];
  req: DvItem[];
  req_fields: DvItem[];
  entry_points: DvItem[];
}

export const DOVECOT_API = data as DovecotApi;

let profile = '2.3';

const profileListeners = new Set<() => void>();

/** The Dovecot version completion follows (the runner's switch). */
export function setDovecotProfile(p: string): void {
  if (p === profile) return;
  profile = p;
  for (const fn of profileListeners) fn();
}

/** Called after the runner's switch changed the version (the checker checks Dovecot scripts again). */
export function onDovecotProfile(fn: () => void): void {
  profileListeners.add(fn);
}

export function dovecotProfile(): string {
  return profile;
}

function versions(item: DvItem): string {
  const all = item.profiles.length === DOVECOT_API.profiles.length;
  const here = item.profiles.includes(profile);
  return `*${all ? `Dovecot ${item.profiles.join(', ')}` : `Dovecot ${item.profiles.join(', ')} only`}${here ? '' : ` — not in Dovecot ${profile} (the runner's version)`}*`;
}

function markdown(item: DvItem, head: string): string {
  return ['```lua', head, '```', '', item.doc || `(${item.type ?? 'item'})`, '', versions(item)].join('\n');
}

/** The names the entry functions call their request parameter (`req` by convention). */
function reqNames(text: string): Set<string> {
  const out = new Set(['req']);
  for (const m of text.matchAll(/function\s+auth_\w+\s*\(\s*([A-Za-z_]\w*)/g)) out.add(m[1]);
  return out;
}

const here = (x: DvItem) => x.profiles.includes(profile);

/** Completion items for the text before the cursor in a Dovecot script. */
export function dovecotCompletionsFor(monaco: M, before: string, fullText: string, range: Monaco.IRange): Item[] {
  const K = monaco.languages.CompletionItemKind;
  const snippet = monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet;
  const md = (value: string) => ({ value });
  const fn = (x: DvItem, kind: Monaco.languages.CompletionItemKind, head: string): Item => ({
    label: x.name, kind, range, detail: x.signature ?? head, documentation: md(markdown(x, x.signature ?? head)),
    insertText: x.type === 'function' ? `${x.name}($0)` : x.name, insertTextRules: x.type === 'function' ? snippet : undefined,
  });
  if (/\bdovecot\.auth\.(\w*)$/.test(before)) return DOVECOT_API.auth.filter(here).map((x) => ({ ...fn(x, K.Constant, x.signature!), detail: `${x.name} = ${x.value}` }));
  if (/\bdovecot\.http\.(\w*)$/.test(before)) return DOVECOT_API.http.filter(here).map((x) => ({ ...fn(x, K.Function, x.signature!), insertText: `${x.name} {\n\t$0\n}`, insertTextRules: snippet }));
  if (/\bdovecot\.(\w*)$/.test(before)) return DOVECOT_API.dovecot.filter(here).map((x) => fn(x, x.type === 'function' ? K.Function : K.Module, `dovecot.${x.name}`));
  const member = /([A-Za-z_]\w*)([.:])(\w*)$/.exec(before);
  if (member && reqNames(fullText).has(member[1])) {
    if (member[2] === ':') return DOVECOT_API.req.filter((x) => here(x) && x.type === 'function').map((x) => fn(x, K.Method, x.signature!));
    return [
      ...DOVECOT_API.req_fields.filter(here).map((x) => ({ ...fn(x, K.Field, `${member[1]}.${x.name}`), detail: 'request variable' })),
      ...DOVECOT_API.req.filter((x) => here(x) && x.type !== 'function').map((x) => fn(x, x.type === 'table' ? K.Module : K.Property, x.signature!)),
    ];
  }
  if (member && member[2] === ':') return DOVECOT_API.methods.filter(here).map((x) => ({ ...fn(x, K.Method, x.signature!), detail: `${x.signature}  (${x.of})`, insertText: `${x.name}($0)`, insertTextRules: snippet }));
  if (member || !/(^|[^\w.:])\w*$/.test(before)) return [];
  const items: Item[] = [{ label: 'dovecot', kind: K.Module, insertText: 'dovecot', range, detail: 'Dovecot\'s Lua API', documentation: md(`**dovecot** — Dovecot ${profile}'s Lua API: type \`dovecot.\` for the list.`) }];
  for (const e of DOVECOT_API.entry_points) {
    const params = /\((.*)\)/.exec(e.signature ?? '')?.[1] ?? '';
    items.push({ label: e.name, kind: K.Snippet, range, insertTextRules: snippet, insertText: `function ${e.name}(${params})\n\t$0\nend`, detail: 'Dovecot entry point', documentation: md(markdown(e, `function ${e.signature}`)) });
  }
  return items;
}

/** Hover markdown for a word of a Dovecot script (every version's names, marked with the versions that have them). */
export function dovecotHoverFor(line: string, word: { word: string; startColumn: number }, fullText: string): string | undefined {
  const before = line.slice(0, word.startColumn - 1);
  const w = word.word;
  const find = (list: DvItem[]) => list.find((x) => x.name === w);
  if (/\bdovecot\.auth\.\s*$/.test(before)) return hit(find(DOVECOT_API.auth), (x) => `${x.signature} = ${x.value}`);
  if (/\bdovecot\.http\.\s*$/.test(before)) return hit(find(DOVECOT_API.http));
  if (/\bdovecot\.\s*$/.test(before)) return hit(find(DOVECOT_API.dovecot));
  const member = /([A-Za-z_]\w*)\s*([.:])\s*$/.exec(before);
  if (member && reqNames(fullText).has(member[1])) {
    if (member[2] === '.') {
      const f = find(DOVECOT_API.req_fields);
      if (f) return markdown(f, `${member[1]}.${f.name}`);
      if (!find(DOVECOT_API.req)) return `\`${member[1]}.${w}\` is not a request variable of Dovecot ${DOVECOT_API.profiles.join(' or ')}: it reads nil.`;
    }
    return hit(find(DOVECOT_API.req));
  }
  if (member?.[2] === ':') return hit(find(DOVECOT_API.methods), (x) => `${x.signature}  -- ${x.of}`);
  if (w === 'dovecot') return `**dovecot** — Dovecot's Lua API (the runner's version: ${profile}). Type \`dovecot.\` for the list.`;
  const e = find(DOVECOT_API.entry_points);
  return e ? markdown(e, `function ${e.signature}`) : undefined;
}

function hit(x: DvItem | undefined, head: (x: DvItem) => string = (y) => y.signature ?? y.name): string | undefined {
  return x ? markdown(x, head(x)) : undefined;
}
