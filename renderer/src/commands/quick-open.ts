// Quick open (Ctrl+P: a workspace file by a fuzzy part of its path) and search in the workspace (Ctrl+Shift+F: lines
// of every text file, searched by the studio service; a pick opens the file at the line).
import fuzzysort from 'fuzzysort';
import type { SearchMatch } from '../../../engine/api/contract';
import { openQuickPick, type QuickPickItem } from '../dialogs/quick-pick';
import { failure } from '../notify';
import type { StudioState } from '../studio-state';

type OpenAt = (path: string, line?: number, column?: number) => void;

/** Ctrl+P: the workspace's files, best fuzzy match of the path first. */
export function quickOpen(state: StudioState, openAt: OpenAt): void {
  type Item = QuickPickItem & { path: string };
  const files = state.files.filter((f) => f.kind === 'file').map((f) => f.path);
  openQuickPick<Item>({
    placeholder: 'Go to a file by (part of) its name', testId: 'quick-open',
    items: (q) => {
      if (!q.trim()) return files.slice(0, 200).map((p) => ({ path: p, label: p }));
      return fuzzysort.go(q, files, { limit: 100 }).map((r) => ({ path: r.target, label: r.target, highlight: [...r.indexes] }));
    },
    pick: (it) => openAt(it.path),
    empty: (q) => `No file matches "${q}"`,
  });
}

/** Ctrl+Shift+F: matching lines of the workspace, searched server-side as you type. */
export function searchWorkspace(state: StudioState, openAt: OpenAt, initial = ''): void {
  type Item = QuickPickItem & { match: SearchMatch };
  openQuickPick<Item>({
    placeholder: 'Search in the workspace\'s files', testId: 'workspace-search', debounceMs: 150, initial,
    items: async (q) => {
      if (q.length < 2) return [];
      try {
        const r = await state.client.searchWorkspace({ query: q, max_results: 300 });
        return r.matches.map((m) => ({
          match: m, label: m.text.trim(), detail: `${m.path}:${m.line}`,
          highlight: Array.from({ length: m.length }, (_, i) => m.column - 1 - (m.text.length - m.text.trimStart().length) + i),
        }));
      } catch (e) {
        failure(e, 'Searching the workspace');
        return [];
      }
    },
    pick: (it) => openAt(it.match.path, it.match.line, it.match.column),
    empty: (q) => (q.length < 2 ? 'Type at least two characters' : `Nothing in the workspace matches "${q}"`),
  });
}
