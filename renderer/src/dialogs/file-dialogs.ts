// Rename and delete a workspace file from the tree, each confirmed in a dialog; the editor's tabs follow.
import { h } from '../dom';
import { failure, success, warning } from '../notify';
import type { StudioState } from '../studio-state';
import { openModal } from './modal';

export interface FileMoves {
  renamed(from: string, to: string): void;
  deleted(path: string): void;
}

/** Ask for a new path and rename; resolves with the new path (undefined when cancelled or refused). */
export async function renameDialog(state: StudioState, path: string, moves: FileMoves): Promise<string | undefined> {
  const input = h('input', { name: 'new-path', type: 'text', value: path, spellcheck: 'false' });
  const body = h('div', { class: 'form' }, h('label', {}, 'New path (relative to the workspace)', input),
    h('p', { class: 'hint' }, 'Scripts named in authstudio.yml keep their old path there: update script_path after renaming.'));
  const m = openModal(`Rename ${path}`, body, [{ id: 'rename', label: 'Rename', primary: true }], { testId: 'rename-dialog' });
  input.focus();
  const dot = path.lastIndexOf('.');
  input.setSelectionRange(path.lastIndexOf('/') + 1, dot > path.lastIndexOf('/') ? dot : path.length);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') m.close('rename');
  });
  if ((await m.result) !== 'rename') return undefined;
  const to = input.value.trim();
  if (!to || to === path) return undefined;
  try {
    const r = await state.client.renameFile({ from: path, to });
    moves.renamed(path, r.path);
    await state.refreshFiles();
    if (r.reload && !r.reload.ok) warning(`Renamed to ${r.path}`, `${r.reload.diagnostics.length} problem(s) after the reload, see Problems`);
    else success(`Renamed to ${r.path}`);
    if (r.reload) await state.applyReload(r.reload);
    return r.path;
  } catch (e) {
    failure(e, `Renaming ${path}`);
    return undefined;
  }
}

/** Confirm, then delete a file; its tab closes. */
export async function deleteDialog(state: StudioState, path: string, moves: FileMoves): Promise<boolean> {
  const body = h('p', {}, 'Delete ', h('code', {}, path), ' from the workspace? This cannot be undone from the studio.');
  if ((await openModal(`Delete ${path}`, body, [{ id: 'delete', label: 'Delete', primary: true }], { testId: 'delete-dialog' }).result) !== 'delete') return false;
  try {
    const r = await state.client.deleteFile({ path });
    moves.deleted(path);
    await state.refreshFiles();
    success(`Deleted ${path}`);
    if (r.reload) await state.applyReload(r.reload);
    return true;
  } catch (e) {
    failure(e, `Deleting ${path}`);
    return false;
  }
}
