// "Save request…" (a login or hook call with its expected outcome, as tests/<name>.test.yml) and "Copy as curl".
import type { SaveRequestInput } from '../../../engine/api/contract';
import { curlCommand } from '../curl';
import { h } from '../dom';
import { failure, success } from '../notify';
import type { StudioState } from '../studio-state';
import { openModal } from './modal';

/** Ask for a name and let the user edit the expected outcome (prefilled from the actual result), then save. */
export async function saveRequestDialog(state: StudioState, what: Omit<SaveRequestInput, 'name'>, suggested: string): Promise<string | undefined> {
  const name = h('input', { name: 'request-name', value: suggested, autocomplete: 'off', spellcheck: 'false' });
  const expect = h('textarea', { name: 'expect', rows: 8, spellcheck: 'false' });
  expect.value = JSON.stringify(what.expect, null, 2);
  const sent = what.login ? JSON.stringify(what.login.request) : `${what.hook?.method} ${what.hook?.path}`;
  const body = h('form', { class: 'form', onsubmit: (e: Event) => { e.preventDefault(); modal.close('save'); } },
    h('label', {}, 'Name', name),
    h('div', { class: 'hint' }, `Sends ${sent}`),
    h('label', {}, 'Expected outcome (JSON; taken from the actual result)', expect));
  const modal = openModal('Save request', body, [{ id: 'save', label: 'Save', primary: true }], { testId: 'save-request' });
  name.focus();
  if ((await modal.result) !== 'save') return undefined;
  try {
    const parsed = JSON.parse(expect.value || '{}') as Record<string, unknown>;
    const r = await state.client.saveRequest({ ...what, name: name.value.trim(), expect: parsed });
    await state.refreshFiles();
    success(`Saved ${r.path}`, 'Run it with the other saved requests in Collections, or with `authstudio test`.');
    return r.path;
  } catch (e) {
    failure(e, 'Saving the request');
    return undefined;
  }
}

/** Show the request as a curl command (and copy it when the browser lets the page use the clipboard). */
/** The "Save request…" and "Copy as curl" buttons under a result (simulator, hook runner, Requests history). */
export function requestActionButtons(state: StudioState, save: () => void, sent: { method: string; url: string; headers: Record<string, string>; body?: string }): HTMLElement[] {
  return [
    h('button', { 'data-action': 'save-request', onclick: save }, 'Save request…'),
    h('button', { 'data-action': 'copy-curl', onclick: () => curlDialog(state, sent) }, 'Copy as curl'),
  ];
}

export function curlDialog(state: StudioState, r: { method: string; url: string; headers: Record<string, string>; body?: string }): void {
  const command = curlCommand(`http://${state.env.listen}`, r);
  const text = h('textarea', { class: 'mono', rows: 6, readonly: true, spellcheck: 'false', 'data-testid': 'curl-command' });
  text.value = command;
  openModal('Copy as curl', h('div', { class: 'form' }, text, h('div', { class: 'hint' }, 'The request exactly as the engine got it: paste it in a shell.')), [], { testId: 'curl', wide: true });
  text.select();
  navigator.clipboard?.writeText(command).then(() => success('Copied as curl', command.slice(0, 120)), () => undefined);
}
