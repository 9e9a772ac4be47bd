// The workspace tree: files grouped by kind (features, filters, actions, backend, hooks, init, config), with
// problem badges, the open file highlighted, a "+" per kind for a new script, and rename / delete on each file.
import { h, replace } from '../dom';
import { groupFiles, type ScriptKind } from '../file-kinds';
import type { StudioState } from '../studio-state';

export interface FileTreeActions {
  open(path: string): void;
  rename(path: string): void;
  remove(path: string): void;
  newScript(kind?: ScriptKind): void;
  refresh(): void;
}

export class FileTree {
  readonly el = h('nav', { class: 'file-tree', 'aria-label': 'Workspace files' });
  private active: string | undefined;

  constructor(private readonly state: StudioState, private readonly actions: FileTreeActions) {
    state.on('files', () => this.render());
    state.on('status', () => this.render());
    this.render();
  }

  setActive(path: string | undefined): void {
    this.active = path;
    this.render();
  }

  render(): void {
    const s = this.state.status;
    const name = s ? s.workspace.split(/[\\/]/).filter(Boolean).pop() ?? s.workspace : '…';
    const head = h('div', { class: 'tree-head' },
      h('span', { class: 'tree-title', title: s?.workspace ?? '' }, name),
      h('button', { class: 'icon', title: 'New script', 'aria-label': 'New script', onclick: () => this.actions.newScript() }, '+'),
      h('button', { class: 'icon', title: 'Refresh the file list', 'aria-label': 'Refresh', onclick: () => this.actions.refresh() }, '↻'));
    if (!s) {
      replace(this.el, head, h('div', { class: 'tree-empty' }, 'Connecting to the studio…'));
      return;
    }
    const diags = this.state.diagnostics;
    const groups = groupFiles(this.state.files);
    replace(this.el, head, ...groups.map((g) => h('div', { class: 'tree-group', 'data-group': g.id },
      h('div', { class: 'tree-group-head' },
        h('span', {}, g.label),
        h('span', { class: 'tree-count' }, String(g.files.length)),
        g.folder ? h('button', { class: 'icon small', title: `New ${g.id} script`, 'aria-label': `New ${g.id} script`, onclick: () => this.actions.newScript(g.id as ScriptKind) }, '+') : null),
      g.files.length === 0
        ? h('div', { class: 'tree-none' }, g.folder ? `No ${g.label.toLowerCase()} yet` : 'No config file')
        : null,
      ...g.files.map((f) => {
        const problems = diags.filter((d) => d.file === f.path).length;
        const label = g.id === 'config' || g.id === 'other' ? f.path : f.path.slice(f.path.indexOf('/') + 1);
        return h('div', { class: 'tree-row' }, h('button', {
          class: `tree-file${f.path === this.active ? ' active' : ''}${problems ? ' has-problems' : ''}`,
          'data-path': f.path, title: f.path, onclick: () => this.actions.open(f.path),
          onkeydown: (e: Event) => {
            const k = (e as KeyboardEvent).key;
            if (k === 'F2') this.actions.rename(f.path);
            else if (k === 'Delete') this.actions.remove(f.path);
          },
        }, h('span', { class: 'tree-file-name' }, label), problems ? h('span', { class: 'badge bad' }, String(problems)) : null),
        h('span', { class: 'tree-actions' },
          h('button', { class: 'icon small', title: `Rename ${f.path} (F2)`, 'aria-label': `Rename ${f.path}`, 'data-action': 'rename', onclick: () => this.actions.rename(f.path) }, '✎'),
          h('button', { class: 'icon small', title: `Delete ${f.path} (Del)`, 'aria-label': `Delete ${f.path}`, 'data-action': 'delete', onclick: () => this.actions.remove(f.path) }, '🗑')));
      }))));
  }
}
