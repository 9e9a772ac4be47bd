// "New script": pick a kind and a name; the file is created from the kind's template and, when asked, added to
// authstudio.yml so the engine runs it.
import { h } from '../dom';
import { GROUPS, type ScriptKind } from '../file-kinds';
import { addToConfig, configEntry, scriptTemplate } from '../editor/templates';
import { failure, info, success } from '../notify';
import type { StudioState } from '../studio-state';
import { openModal } from './modal';

const KINDS = GROUPS.filter((g) => g.folder) as Array<{ id: ScriptKind; label: string; folder: string }>;

/** Ask for the script, create it, register it; resolves with the new path (or undefined when cancelled). */
export async function newScriptDialog(state: StudioState, kind: ScriptKind = 'feature'): Promise<string | undefined> {
  const kindSel = h('select', { name: 'kind' }, ...KINDS.map((k) => h('option', { value: k.id, selected: k.id === kind }, k.label)));
  const name = h('input', { name: 'name', placeholder: 'e.g. geoip_policy', autocomplete: 'off', spellcheck: 'false' });
  const register = h('input', { type: 'checkbox', name: 'register', checked: true });
  // a hook answers one method at one location (/api/v1/custom/<location>): both go into its config entry
  const method = h('select', { name: 'hook-method' }, ...['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'].map((m) => h('option', { value: m }, m)));
  const location = h('input', { name: 'hook-location', placeholder: 'the name', autocomplete: 'off', spellcheck: 'false' });
  const hookFields = h('div', { class: 'grid2 hook-fields' }, h('label', {}, 'Method', method), h('label', {}, 'Location (/api/v1/custom/…)', location));
  const showHookFields = () => (hookFields.hidden = kindSel.value !== 'hook');
  kindSel.addEventListener('change', showHookFields);
  showHookFields();
  const error = h('div', { class: 'field-error', role: 'alert' });
  const body = h('form', { class: 'form', onsubmit: (e: Event) => { e.preventDefault(); modal.close('create'); } },
    h('label', {}, 'Kind', kindSel),
    h('label', {}, 'Name', name),
    hookFields,
    h('label', { class: 'check' }, register, 'Add it to authstudio.yml so the engine runs it'),
    error);
  const modal = openModal('New script', body, [{ id: 'create', label: 'Create', primary: true }], { testId: 'new-script' });
  name.focus();
  const choice = await modal.result;
  if (choice !== 'create') return undefined;
  const k = kindSel.value as ScriptKind;
  const n = name.value.trim();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(n)) {
    failure(new Error(`"${n}" is not a usable name: use letters, digits, "_" and "-" (for example geoip_policy)`), 'New script');
    return undefined;
  }
  const folder = KINDS.find((x) => x.id === k)!.folder;
  const path = `${folder}/${n}.lua`;
  try {
    await state.client.createFile({ path, content: scriptTemplate(k, n) });
  } catch (e) {
    failure(e, `Creating ${path}`);
    return undefined;
  }
  await state.refreshFiles();
  if (register.checked && k === 'hook') await registerHook(state, method.value, location.value.trim() || n, path);
  else if (register.checked) await registerInConfig(state, k, n, path);
  else success(`Created ${path}`, 'Add it to authstudio.yml when it is ready to run.');
  return path;
}

async function registerInConfig(state: StudioState, kind: ScriptKind, name: string, path: string): Promise<void> {
  const entry = configEntry(kind, name, path);
  const configPath = state.status?.config_file ?? 'authstudio.yml';
  try {
    const cfg = await state.client.readFile({ path: configPath });
    const next = addToConfig(cfg.content, entry);
    if (next === undefined) {
      const lines = entry.single ? [entry.single] : [`lua:`, `  ${entry.section}:`, ...entry.lines.map((l) => `    ${l}`)];
      info(`Created ${path}`, `Add it to ${configPath} by hand: ${lines.join(' ⏎ ')}`);
      return;
    }
    const saved = await state.client.saveFile({ path: configPath, content: next, base_version: cfg.version });
    if (saved.reload) await state.applyReload(saved.reload);
    success(`Created ${path}`, saved.reload?.ok ? `Registered in ${configPath}; live in generation ${saved.reload.generation}` : `Registered in ${configPath}; see Problems`);
  } catch (e) {
    failure(e, `Registering ${path} in ${configPath}`);
  }
}

/** A hook's entry (method, location, script) written by the studio in the config's own layout (1.x or 3.x). */
async function registerHook(state: StudioState, method: string, location: string, path: string): Promise<void> {
  try {
    const saved = await state.client.addHook({ method, location, script: path });
    if (saved.reload) await state.applyReload(saved.reload);
    success(`Created ${path}`, `${method} /api/v1/custom/${location.replace(/^\/+/, '')}${saved.reload?.ok ? ` is live in generation ${saved.reload.generation}` : ': see Problems'}`);
  } catch (e) {
    failure(e, `Registering ${path}`);
  }
}
