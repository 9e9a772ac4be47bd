// Which kind a workspace file is (features, filters, ...), from the folder it is in, for the grouped file tree.
import type { FileEntry } from '../../engine/api/contract';

export type ScriptKind = 'feature' | 'filter' | 'action' | 'backend' | 'hook' | 'init';
export type GroupId = ScriptKind | 'dovecot' | 'config' | 'other';

export interface FileGroup {
  id: GroupId;
  label: string;
  /** The folder new scripts of this kind go to. */
  folder?: string;
  files: FileEntry[];
}

/** The groups in the order the tree shows them (the order a request runs through the stages, then the rest). */
export const GROUPS: Array<{ id: GroupId; label: string; folder?: string; folders: string[] }> = [
  { id: 'feature', label: 'Features', folder: 'features', folders: ['features', 'feature', 'environments'] },
  { id: 'filter', label: 'Filters', folder: 'filters', folders: ['filters', 'filter', 'subjects'] },
  { id: 'action', label: 'Actions', folder: 'actions', folders: ['actions', 'action'] },
  { id: 'backend', label: 'Backend', folder: 'backend', folders: ['backend', 'backends'] },
  { id: 'hook', label: 'Hooks', folder: 'hooks', folders: ['hooks', 'hook'] },
  { id: 'init', label: 'Init', folder: 'init', folders: ['init'] },
  { id: 'dovecot', label: 'Dovecot scripts', folders: ['dovecot'] },
  { id: 'config', label: 'Config', folders: [] },
  { id: 'other', label: 'Other files', folders: [] },
];

/** The group of one file: its top folder for scripts, `config` for YAML, `other` for the rest. */
export function groupOf(path: string): GroupId {
  const top = path.includes('/') ? path.slice(0, path.indexOf('/')).toLowerCase() : '';
  if (/\.ya?ml$/i.test(path)) return 'config';
  const g = GROUPS.find((x) => x.folders.includes(top));
  return g && /\.lua$/i.test(path) ? g.id : 'other';
}

/** Files grouped for the tree; empty script groups are kept so the user sees where new scripts go. */
export function groupFiles(entries: FileEntry[]): FileGroup[] {
  const files = entries.filter((e) => e.kind === 'file' && !e.path.split('/').some((p) => p.startsWith('.')));
  return GROUPS.map((g) => ({
    id: g.id, label: g.label, folder: g.folder,
    files: files.filter((f) => groupOf(f.path) === g.id).sort((a, b) => a.path.localeCompare(b.path)),
  })).filter((g) => g.files.length > 0 || g.folder !== undefined || g.id === 'config');
}

const DOVECOT_ENTRY = /\bfunction\s+auth_(?:passdb_lookup|password_verify|userdb_lookup|userdb_iterate)\s*\(/;

/**
 * Whether a file is a Dovecot Lua passdb/userdb script (run in the Dovecot runner, never served by the engine): a Lua
 * file under dovecot/, or one that defines a Dovecot entry function (auth_passdb_lookup, auth_password_verify, ...).
 */
export function isDovecotScript(path: string, text?: string): boolean {
  if (!/\.lua$/i.test(path)) return false;
  if (groupOf(path) === 'dovecot') return true;
  return text !== undefined && DOVECOT_ENTRY.test(text) && !/\bnauthilus_/.test(text);
}

/** Monaco's language for a file. */
export function languageOf(path: string): string {
  if (/\.lua$/i.test(path)) return 'lua';
  if (/\.ya?ml$/i.test(path)) return 'yaml';
  return 'plaintext';
}
