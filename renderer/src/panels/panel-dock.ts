// The bottom dock: Problems, Logs, Traffic and Redis as tabs, one visible at a time, with a count badge per tab, and a
// button that collapses the dock to its tab strip (the layout, panels/split-layout.ts, gives the room to the editor).
import { h, replace } from '../dom';

export interface DockPanel {
  id: string;
  label: string;
  el: HTMLElement;
}

export class PanelDock {
  readonly el = h('section', { class: 'dock', 'aria-label': 'Panels' });
  private readonly bar = h('div', { class: 'dock-tabs', role: 'tablist' });
  private readonly body = h('div', { class: 'dock-body' });
  private readonly badges = new Map<string, number>();
  private active: string;
  private readonly listeners = new Set<(id: string) => void>();
  private readonly collapseListeners = new Set<(collapsed: boolean) => void>();
  private collapsed = false;

  constructor(private readonly panels: DockPanel[]) {
    this.active = panels[0].id;
    for (const p of panels) this.body.appendChild(p.el);
    replace(this.el, this.bar, this.body);
    this.render();
  }

  onSelect(fn: (id: string) => void): void {
    this.listeners.add(fn);
  }

  /** Called with the wanted state when the user collapses or expands the dock (its button, or a tab while collapsed). */
  onCollapseRequest(fn: (collapsed: boolean) => void): void {
    this.collapseListeners.add(fn);
  }

  /** Show the dock collapsed (tab strip only) or not; the layout calls this. */
  setCollapsed(collapsed: boolean): void {
    this.collapsed = collapsed;
    this.el.classList.toggle('collapsed', collapsed);
    this.render();
  }

  get selected(): string {
    return this.active;
  }

  select(id: string): void {
    if (!this.panels.some((p) => p.id === id)) return;
    if (this.collapsed) for (const fn of this.collapseListeners) fn(false);
    this.active = id;
    this.render();
    for (const fn of this.listeners) fn(id);
  }

  setBadge(id: string, n: number): void {
    this.badges.set(id, n);
    this.render();
  }

  private render(): void {
    replace(this.bar, ...this.panels.map((p) => {
      const n = this.badges.get(p.id) ?? 0;
      return h('button', {
        class: `dock-tab${p.id === this.active ? ' active' : ''}`, role: 'tab', 'aria-selected': String(p.id === this.active), 'data-tab': p.id,
        onclick: () => this.select(p.id),
      }, p.label, n ? h('span', { class: `badge${p.id === 'problems' ? ' bad' : ''}` }, String(n)) : null);
    }), h('button', {
      class: 'dock-collapse icon', title: this.collapsed ? 'Expand the panel' : 'Collapse the panel', 'aria-label': this.collapsed ? 'Expand the panel' : 'Collapse the panel',
      'aria-expanded': String(!this.collapsed), onclick: () => { for (const fn of this.collapseListeners) fn(!this.collapsed); },
    }, this.collapsed ? '▴' : '▾'));
    for (const p of this.panels) p.el.hidden = p.id !== this.active;
  }
}
