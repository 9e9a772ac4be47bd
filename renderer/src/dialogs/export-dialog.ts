// Export: write the production bundle (nauthilus.yml, every referenced script, a README) to a folder, and show what
// was written and any warnings.
import type { ExportReport } from '../../../engine/api/contract';
import { h } from '../dom';
import { failure } from '../notify';
import type { StudioState } from '../studio-state';
import { openModal } from './modal';

/** A sibling of the workspace named "<workspace>-export", as a starting suggestion. */
export function suggestedOut(workspace: string): string {
  const trimmed = workspace.replace(/[\\/]+$/, '');
  return `${trimmed}-export`;
}

/** Ask where to export, export, then show the report; resolves with the report (undefined when cancelled or failed). */
export async function exportDialog(state: StudioState): Promise<ExportReport | undefined> {
  const out = h('input', { name: 'out', value: suggestedOut(state.status?.workspace ?? ''), spellcheck: 'false' });
  const prefix = h('input', { name: 'prefix', value: '/etc/nauthilus/lua-plugins.d', spellcheck: 'false' });
  const secrets = h('input', { type: 'checkbox', name: 'include_secrets' });
  const layout = state.status?.profile?.layout;
  const format = h('select', { name: 'format', 'aria-label': 'Layout of nauthilus.yml' },
    h('option', { value: '' }, `As the workspace (Nauthilus ${layout ?? 'its own'} layout)`),
    h('option', { value: '1.x' }, 'Nauthilus 1.x layout (server, lua, brute_force, ...)'),
    h('option', { value: '3.x' }, 'Nauthilus 3.x layout (runtime, storage, auth, ...)'));
  const body = h('form', { class: 'form', onsubmit: (e: Event) => { e.preventDefault(); modal.close('export'); } },
    h('p', { class: 'muted' }, 'Writes nauthilus.yml, every script it references and a README (owner-only files) to a folder on the machine running the studio. The folder must be outside the workspace and new, empty, or an earlier export.'),
    h('label', {}, 'Folder', out),
    h('label', {}, 'Scripts live on the target host under', prefix),
    h('label', {}, 'Layout of nauthilus.yml (what the other layout cannot express is listed in the warnings)', format),
    h('label', { class: 'check' }, secrets, "Include secrets as they are (passwords, the JWT key, the studio's Redis connection); otherwise they become ${NAUTHILUS_...} references listed in the README"));
  const modal = openModal('Export for production', body, [{ id: 'export', label: 'Export', primary: true }], { testId: 'export-dialog' });
  if ((await modal.result) !== 'export') return undefined;
  let report: ExportReport;
  try {
    const f = format.value === '1.x' || format.value === '3.x' ? format.value : undefined;
    report = await state.client.exportBundle({ out: out.value.trim(), prefix: prefix.value.trim() || undefined, include_secrets: secrets.checked, ...(f ? { format: f } : {}) });
  } catch (e) {
    failure(e, 'Export');
    return undefined;
  }
  const done = h('div', { class: 'export-report', 'data-out': report.out },
    h('p', {}, 'Written to ', h('code', {}, report.out), '. Copy the folder to the production host and point Nauthilus at ', h('code', {}, 'nauthilus.yml'), '.'),
    h('ul', { class: 'export-files' },
      h('li', {}, h('code', {}, report.config.split(/[\\/]/).pop() ?? report.config), ' (configuration)'),
      ...report.files.map((f) => h('li', {}, h('code', {}, f.referenced_as)))),
    report.warnings.length ? h('div', { class: 'warnings' }, h('strong', {}, 'Warnings'), h('ul', {}, ...report.warnings.map((w) => h('li', {}, w)))) : null);
  await openModal('Exported', done, [{ id: 'ok', label: 'Done', primary: true }], { wide: true, testId: 'export-report' }).result;
  return report;
}
