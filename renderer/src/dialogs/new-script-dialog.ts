// "New script": pick a kind, one of its templates and a name; the file is created from the template and, when
// asked, added to authstudio.yml so the engine runs it. A bad name or a refused file is said in the dialog, which
// stays open with what was typed.
import { h, replace } from '../dom';
import { explain } from '../errors';
import { GROUPS, type ScriptKind } from '../file-kinds';
import { addToConfig, configEntry, nameProblem, templatesFor, type ScriptTemplate, type TemplateKind } from '../editor/templates';
import { failure, info, success } from '../notify';
import type { StudioState } from '../studio-state';
import { openModal } from './modal';

const KINDS: Array<{ id: TemplateKind; label: string; folder: string }> = [
  ...(GROUPS.filter((g) => g.folder) as Array<{ id: ScriptKind; label: string; folder: string }>),
  { id: 'dovecot', label: 'Dovecot passdb/userdb', folder: 'dovecot' },
];

/** Ask for the script, create it, register it; resolves with the new path (or undefined when cancelled). */
export async function newScriptDialog(state: StudioState, kind: TemplateKind = 'feature'): Promise<string | undefined> {
  const kindSel = h('select', { name: 'kind' }, ...KINDS.map((k) => h('option', { value: k.id, selected: k.id === kind }, k.label)));
  const templateSel = h('select', { name: 'template' });
  const about = h('div', { class: 'muted template-about', 'data-testid': 'template-about' });
  const name = h('input', { name: 'name', placeholder: 'e.g. geoip_policy', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'new-script-error' });
  const register = h('input', { type: 'checkbox', name: 'register', checked: true });
  const registerLabel = h('label', { class: 'check' }, register, 'Add it to authstudio.yml so the engine runs it');
  const error = h('div', { class: 'field-error', role: 'alert', id: 'new-script-error', 'data-testid': 'new-script-error' });
  const current = (): ScriptTemplate => templatesFor(kindSel.value as TemplateKind).find((t) => t.id === templateSel.value) ?? templatesFor(kindSel.value as TemplateKind)[0];
  const showTemplate = () => replace(about, current().description);
  const showKind = () => {
    replace(templateSel, ...templatesFor(kindSel.value as TemplateKind).map((t) => h('option', { value: t.id }, t.label)));
    registerLabel.hidden = kindSel.value === 'dovecot';
    showTemplate();
  };
  const sayError = (text: string) => {
    replace(error, text);
    name.setAttribute('aria-invalid', text ? 'true' : 'false');
  };
  // a hook answers one method at one location (/api/v1/custom/<location>): both go into its config entry
  const method = h('select', { name: 'hook-method' }, ...['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'].map((m) => h('option', { value: m }, m)));
  const location = h('input', { name: 'hook-location', placeholder: 'the name', autocomplete: 'off', spellcheck: 'false' });
  const hookFields = h('div', { class: 'grid2 hook-fields' }, h('label', {}, 'Method', method), h('label', {}, 'Location (/api/v1/custom/…)', location));
  const showHookFields = () => (hookFields.hidden = kindSel.value !== 'hook');
  kindSel.addEventListener('change', showKind);
  kindSel.addEventListener('change', showHookFields);
  showHookFields();
  templateSel.addEventListener('change', showTemplate);
  name.addEventListener('input', () => sayError(name.value.trim() === '' ? '' : nameProblem(name.value.trim()) ?? ''));
  showKind();

  let created: string | undefined;
  const create = async (): Promise<boolean> => {
    const n = name.value.trim();
    const problem = nameProblem(n);
    if (problem) {
      sayError(problem);
      name.focus();
      return false;
    }
    const k = kindSel.value as TemplateKind;
    const path = `${KINDS.find((x) => x.id === k)!.folder}/${n}.lua`;
    if (state.files.some((f) => f.path === path)) {
      sayError(`${path} exists already: pick another name, or open it from the tree.`);
      name.focus();
      return false;
    }
    try {
      await state.client.createFile({ path, content: current().body(n) });
    } catch (e) {
      // what the studio said, as it said it (a refused path, an existing file, or the studio being unreachable)
      const x = explain(e);
      sayError(`${x.title} ${x.hint}`);
      return false;
    }
    created = path;
    return true;
  };
  const body = h('form', { class: 'form', onsubmit: (e: Event) => { e.preventDefault(); void modal.submit('create'); } },
    h('label', {}, 'Kind', kindSel),
    h('label', {}, 'Template', templateSel),
    about,
    h('label', {}, 'Name', name),
    hookFields,
    error,
    registerLabel);
  const modal = openModal('New script', body, [{ id: 'create', label: 'Create', primary: true }], { testId: 'new-script', accept: create });
  // Enter in any field creates (the form has two text fields and no submit button: no implicit submission)
  body.addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.target as HTMLElement).tagName === 'INPUT') {
      e.preventDefault();
      void modal.submit('create');
    }
  });
  name.focus();
  if ((await modal.result) !== 'create' || !created) return undefined;
  const k = kindSel.value as TemplateKind;
  const n = name.value.trim();
  await state.refreshFiles();
  if (k === 'dovecot') info(`Created ${created}`, 'Run it from the Dovecot runner (Dovecot scripts are not part of authstudio.yml).');
  else if (register.checked && k === 'hook') await registerHook(state, method.value, location.value.trim() || n, created);
  else if (register.checked) await registerInConfig(state, k, n, created);
  else success(`Created ${created}`, 'Add it to authstudio.yml when it is ready to run.');
  return created;
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
