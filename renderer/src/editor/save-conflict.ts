// A save refused because the file changed on disk since it was opened: ask whether to overwrite or take the disk version.
import { StudioError } from '../../../engine/api/contract';
import { openModal } from '../dialogs/modal';
import { h } from '../dom';

/** True for the studio's "changed on disk since it was opened" refusal. */
export function isConflict(e: unknown): boolean {
  return e instanceof StudioError && (e.code === 'AS_ERR_FILE_CONFLICT' || e.info.path === 'base_version');
}

/**
 * For a conflict: "overwrite", "reload" or "cancel" as the user chooses; undefined when `e` is another error.
 */
export async function resolveConflict(e: unknown, path: string): Promise<'overwrite' | 'reload' | 'cancel' | undefined> {
  if (!isConflict(e)) return undefined;
  const body = h('div', {},
    h('p', {}, `${path} was changed outside the studio (another editor, git, a script) after you opened it.`),
    h('p', {}, 'Keep your version and overwrite the file, or drop your edits and load the version on disk.'));
  const choice = await openModal('The file changed on disk', body, [
    { id: 'reload', label: 'Load the disk version' },
    { id: 'overwrite', label: 'Overwrite with mine', primary: true },
  ]).result;
  return choice === 'overwrite' || choice === 'reload' ? choice : 'cancel';
}
