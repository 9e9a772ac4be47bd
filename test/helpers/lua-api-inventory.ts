// Test helper: checks every name of docs/lua-api/inventory-nauthilus-1.10.json (written by
// scripts/nauthilus-inventory.js from the Nauthilus source) against the real engine, and renders the
// "Nauthilus 1.10 API inventory" section of docs/lua-api.md.
//
// How an item is checked:
//   modules, their functions, constants, fields   a real VM: dynamic_loader(1.x name), then require(module)
//   nauthilus_builtin, nauthilus_backend_result    the same VM (globals, and the methods of a new() object)
//   methods of bundled objects (`type:method`)     the same VM, on an object made as a script makes it (OBJECTS)
//   entry points, request fields, hook logging     a real engine: each entry point is defined by a script of
//   fields, backend server fields                  its kind and called through the real pipeline (auth request,
//                                                  list-accounts, add_totp, a custom hook); each records what it saw
// Status: yes (present), partial (present, and the module's page says what is missing), no (absent).
import fs from 'node:fs';
import path from 'node:path';
import { LEGACY_LOADER_NAMES, resolveLegacyLoaderName } from '../../engine/lua/modules/index';
import { isV3Inventory, loadInventory, probePipeline, probeVm, profileOf, type Inventory, type Item } from './lua-api-inventory-probes';

export { loadInventory, INVENTORY_FILE, isV3Inventory } from './lua-api-inventory-probes';

const PAGES = path.join(__dirname, '..', '..', '..', 'docs', 'lua-api');

export type Status = 'yes' | 'partial' | 'no';
export interface Row { group: 'own' | 'bundled'; module: string; loader: string; item: string; kind: string; status: Status; note: string }

// ---- notes from the docs pages ---------------------------------------------------------------------------

/**
 * What a module's page says about items that are not complete: rows of a table whose header is
 * `| item | Nauthilus 1.10 inventory |`, e.g. "| `server` | no: AuthStudio serves no HTTP from scripts |".
 */
function pageNotes(module: string): Map<string, { status: Status; note: string }> {
  const out = new Map<string, { status: Status; note: string }>();
  const file = path.join(PAGES, `${module}.md`);
  if (!fs.existsSync(file)) return out;
  let inTable = false;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('|')) { inTable = false; continue; }
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (/^item$/i.test(cells[0]) && /inventory/i.test(cells[1] ?? '')) { inTable = true; continue; }
    if (!inTable || cells.every((c) => /^:?-+:?$/.test(c))) continue;
    const m = /^(yes|partial|no)\s*:\s*(.*)$/.exec(cells[1] ?? '');
    for (const [, name] of cells[0].matchAll(/`([^`(]+)(?:\([^`]*\))?`/g)) if (m) out.set(name, { status: m[1] as Status, note: m[2] });
  }
  return out;
}

/** The dynamic_loader page's cell for a 1.x loader name AuthStudio does not provide. */
function loaderRowNote(loader: string): string {
  const file = path.join(PAGES, 'dynamic_loader.md');
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (cells[0] === `\`${loader}\``) return cells.slice(1).join(' ').replace(/\s+/g, ' ').replace(/^— /, '');
  }
  return '';
}

// ---- classification --------------------------------------------------------------------------------------

const LUA_TYPE_OF_KIND = (kind: string, type: string) =>
  kind === 'function' || kind === 'method' ? type === 'function'
    : kind === 'constant' ? ['number', 'boolean', 'string'].includes(type)
      : type !== 'nil' && type !== 'missing' && type !== undefined;

const kindText = (i: Item) => (i.kind === 'constant' && i.value !== undefined ? `constant (${JSON.stringify(i.value)})` : i.kind);

/** What is wrong with a constant that is there with another value. */
function wrongValue(vm: Map<string, string>, module: string, i: Item): string {
  const v = vm.get(`${module}\t${i.name}\tvalue`);
  return i.kind === 'constant' && v !== undefined && v !== String(i.value) ? `is ${v}` : '';
}

/** True when an item is there with the right kind (and, for a constant, Nauthilus's value). */
function present(vm: Map<string, string>, module: string, i: Item): boolean {
  if (!LUA_TYPE_OF_KIND(i.kind, vm.get(`${module}\t${i.name}`) ?? 'missing')) return false;
  return i.kind !== 'constant' || i.value === undefined || vm.get(`${module}\t${i.name}\tvalue`) === String(i.value);
}

/** Every item of the inventory with its status in this engine. */
export async function classify(inv: Inventory = loadInventory()): Promise<Row[]> {
  const vm = await probeVm(inv);
  const serverFields = inv.own.modules.flatMap((m) => m.items.filter((i) => i.kind === 'object field').map((i) => i.name.split('.')[1]));
  const v3 = isV3Inventory(inv);
  const seen = await probePipeline(serverFields, inv.own.modules, v3 ? profileOf(inv) : undefined);
  const rows: Row[] = [];
  const push = (group: Row['group'], module: string, loader: string, item: string, kind: string, present: boolean, notes: Map<string, { status: Status; note: string }>, absentNote = '') => {
    const n = notes.get(item || module) ?? notes.get(item.split(':')[0]);
    const status: Status = !present ? 'no' : n?.status === 'partial' ? 'partial' : 'yes';
    const note = status === 'yes' ? '' : n?.note ?? absentNote;
    rows.push({ group, module, loader, item, kind, status, note });
  };

  for (const g of inv.own.globals) {
    const notes = pageNotes(g.name);
    push('own', g.name, '', '', g.name === 'dynamic_loader' ? 'global function' : 'global table', LUA_TYPE_OF_KIND(g.name === 'dynamic_loader' ? 'function' : 'global', vm.get(`${g.name}\t`) ?? 'missing'), notes);
    for (const i of g.items) push('own', g.name, '', i.name, kindText(i), present(vm, g.name, i), notes, wrongValue(vm, g.name, i));
  }
  // every 1.10 loader name is one dynamic_loader knows (an unknown name is logged as a script mistake)
  const loaderNotes = pageNotes('dynamic_loader');
  const loaders = [...new Set([...inv.own.modules, ...inv.bundled].map((m) => m.loader_name))].sort();
  // (3.x has no dynamic_loader names: its dynamic_loader is a stub that only logs)
  if (!v3) for (const l of loaders) push('own', 'dynamic_loader', '', l, 'loader name', resolveLegacyLoaderName(l), loaderNotes, 'unknown to dynamic_loader (logged as a script mistake)');
  const builtinNotes = pageNotes('nauthilus_builtin');
  for (const e of inv.own.entry_points) push('own', 'entry points', '', e, 'entry point', seen.entries.has(e), builtinNotes, 'the engine never called it');
  // a field must reach every entry point Nauthilus gives it to, with Nauthilus's Lua type
  const fieldCheck = (group: string, f: { name: string; type: string; entry_points: string[] }) => {
    const wrong = f.entry_points.map((e) => [e, seen.entries.get(e)?.get(f.name)] as const).filter(([, t]) => t !== f.type);
    push('own', group, '', f.name, `field (${f.type})`, wrong.length === 0, builtinNotes, wrong.map(([e, t]) => `${e}: ${t ?? 'not set'}`).join('; '));
  };
  for (const f of inv.own.request_fields) fieldCheck('request', f);
  for (const f of inv.own.hook_logging_fields) fieldCheck('hook logging', f);
  for (const m of inv.own.modules) {
    const notes = pageNotes(m.module);
    // loadable in every entry point's VM Nauthilus loads it in (nauthilus_ldap only with an LDAP backend: not checked)
    // (3.x: entry points the engine never calls have their own "no" row and do not count here)
    const missingIn = m.conditional ? [] : m.entry_points.filter((e) => (!v3 || seen.entries.has(e)) && seen.entries.get(e)?.get(`require:${m.module}`) !== 'table');
    push('own', m.module, m.loader_name, '', 'module', vm.get(`${m.module}\t`) === 'table' && missingIn.length === 0, notes,
      vm.get(`${m.module}\t`) === 'table' ? `require fails in ${missingIn.join(', ')}` : 'not provided');
    for (const i of m.items) {
      const ok = i.kind === 'object field' ? seen.backendServer.get(i.name.split('.')[1]) !== undefined && seen.backendServer.get(i.name.split('.')[1]) !== 'nil'
        : present(vm, m.module, i);
      push('own', m.module, m.loader_name, i.name, kindText(i), ok, notes, wrongValue(vm, m.module, i));
    }
  }
  for (const m of inv.bundled) {
    // a sub-module (http_util of nauthilus_gll_http) is described on the page of the module the loader name gives
    const target = LEGACY_LOADER_NAMES[m.loader_name];
    const notes = new Map([...(target && target !== m.module ? pageNotes(target) : []), ...pageNotes(m.module)]);
    const provided = vm.get(`${m.module}\t`) === 'table';
    const absent = LEGACY_LOADER_NAMES[m.loader_name] === null ? loaderRowNote(m.loader_name) : 'not provided';
    push('bundled', m.module, m.loader_name, '', 'module', provided, notes, absent);
    for (const i of m.items) {
      const ok = i.kind === 'method' ? vm.get(`object\t${i.name}`) === 'function' : present(vm, m.module, i);
      const absent = !provided ? 'module not provided' : i.kind === 'method' ? 'the object is not available here' : wrongValue(vm, m.module, i);
      push('bundled', m.module, m.loader_name, i.name, kindText(i), ok, provided ? notes : new Map(), absent);
    }
  }
  return rows;
}

/** yes / total for a group. */
export function tally(rows: Row[], group: Row['group']): { yes: number; partial: number; no: number; total: number } {
  const r = rows.filter((x) => x.group === group);
  return { yes: r.filter((x) => x.status === 'yes').length, partial: r.filter((x) => x.status === 'partial').length, no: r.filter((x) => x.status === 'no').length, total: r.length };
}

/** The "Nauthilus 1.10 API inventory" section of docs/lua-api.md. */
export function renderInventory(rows: Row[], inv: Inventory = loadInventory()): string {
  if (isV3Inventory(inv)) return renderInventory3(rows, inv);
  const own = tally(rows, 'own');
  const bundled = tally(rows, 'bundled');
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const out = [
    '## Nauthilus 1.10 API inventory',
    '',
    `Every name Nauthilus ${inv.nauthilus} registers for Lua, as \`scripts/nauthilus-inventory.js\` reads them from its Go`,
    'source (`docs/lua-api/inventory-nauthilus-1.10.json`), checked against this engine by',
    '`test/unit/lua-api-inventory.test.ts`: modules through `dynamic_loader` and `require` in a real VM (methods on',
    'an object made as a script makes it), entry points',
    'and request fields by a real request through the pipeline. yes: provided; partial: provided, with what is',
    'missing on the module\'s page; no: not provided. The notes come from the `| item | Nauthilus 1.10 inventory |`',
    'table of the module\'s page (or, for a module not provided at all, its row on the `dynamic_loader` page).',
    '',
    `Nauthilus's own API: ${own.yes} of ${own.total} yes. Bundled libraries: ${bundled.yes} of ${bundled.total} yes` +
      `${bundled.partial ? `, ${bundled.partial} partial` : ''}, ${bundled.no} no (module functions, fields, and the methods of the objects they return, as \`type:method\`).`,
  ];
  const section = (title: string, group: Row['group']) => {
    out.push('', `### ${title}`, '', '| module | 1.x loader name | item | kind | status | note |', '|---|---|---|---|---|---|');
    for (const r of rows.filter((x) => x.group === group)) {
      out.push(`| \`${r.module}\` | ${r.loader ? `\`${r.loader}\`` : ''} | ${r.item ? `\`${r.item}\`` : r.kind.startsWith('global') ? '(the global)' : '(the module)'} | ${r.kind} | ${r.status} | ${cell(r.note)} |`);
    }
  };
  section('Nauthilus\'s own API', 'own');
  section('Bundled libraries', 'bundled');
  return out.join('\n') + '\n';
}

/** The "Nauthilus 3.0 API inventory" section of docs/lua-api.md: Nauthilus's own 3.0 API only. */
function renderInventory3(rows: Row[], inv: Inventory): string {
  const own = tally(rows, 'own');
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const out = [
    '## Nauthilus 3.0 API inventory',
    '',
    `Every name of its own API Nauthilus ${inv.nauthilus} gives scripts, as \`scripts/nauthilus-inventory.js\` reads them from its`,
    'Go source (`docs/lua-api/inventory-nauthilus-3.0.json`), checked against this engine with a 3.0 profile by',
    '`test/unit/lua-api-inventory-3.test.ts`, the same way as the 1.10 table below it: modules and globals in a real VM,',
    'entry points and request fields by a real request through the pipeline (environment and subject sources under',
    'their 3.x names). Nauthilus 3.0 has no `dynamic_loader` names (every module is preloaded). yes: provided;',
    'partial: provided, with what is missing on the module\'s page; no: not provided. The bundled libraries of 3.0 are',
    'those of 1.10 (see the 1.10 table).',
    '',
    `Nauthilus 3.0's own API: ${own.yes} of ${own.total} yes${own.partial ? `, ${own.partial} partial` : ''}, ${own.no} no.`,
    '',
    '| module | item | kind | status | note |',
    '|---|---|---|---|---|',
  ];
  for (const r of rows.filter((x) => x.group === 'own')) {
    out.push(`| \`${r.module}\` | ${r.item ? `\`${r.item}\`` : r.kind.startsWith('global') ? '(the global)' : '(the module)'} | ${r.kind} | ${r.status} | ${cell(r.note)} |`);
  }
  return out.join('\n') + '\n';
}
