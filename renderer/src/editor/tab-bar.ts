// The editor's tabs: one per open file, with an unsaved-changes dot, a problem count and a close button.
import { h, replace } from '../dom';

export interface TabInfo {
  path: string;
  dirty: boolean;
  problems: number;
}

export interface TabEvents {
  select(path: string): void;
  close(path: string): void;
}

/** Draws the tab strip; `render` is called with the current tabs whenever something changes. */
export class TabBar {
  readonly el = h('div', { class: 'tabs', role: 'tablist' });

  constructor(private readonly on: TabEvents) {}

  render(tabs: TabInfo[], active: string | undefined): void {
    replace(this.el, ...tabs.map((t) => {
      const name = t.path.split('/').pop() ?? t.path;
      const tab = h('div', {
        class: `tab${t.path === active ? ' active' : ''}${t.dirty ? ' dirty' : ''}${t.problems ? ' has-problems' : ''}`,
        role: 'tab', 'aria-selected': String(t.path === active), title: t.path, 'data-path': t.path,
        onclick: () => this.on.select(t.path),
        onauxclick: (e: Event) => {
          if ((e as MouseEvent).button === 1) this.on.close(t.path);
        },
      },
      h('span', { class: 'tab-name' }, name),
      t.problems ? h('span', { class: 'tab-problems', title: `${t.problems} problem(s)` }, String(t.problems)) : null,
      h('button', {
        class: 'tab-close', title: t.dirty ? 'Unsaved changes — close' : 'Close', 'aria-label': `Close ${name}`,
        onclick: (e: Event) => {
          e.stopPropagation();
          this.on.close(t.path);
        },
      }, t.dirty ? '●' : '×'));
      return tab;
    }));
  }
}
