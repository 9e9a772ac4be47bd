// The bottom dock: Problems, Logs, Traffic and Redis as tabs, one visible at a time, with a count badge per tab.
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

  constructor(private readonly panels: DockPanel[]) {
    this.active = panels[0].id;
    for (const p of panels) this.body.appendChild(p.el);
    replace(this.el, this.bar, this.body);
    this.render();
  }

  onSelect(fn: (id: string) => void): void {
    this.listeners.add(fn);
  }

  get selected(): string {
    return this.active;
  }

  select(id: string): void {
    if (!this.panels.some((p) => p.id === id)) return;
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
    }));
    for (const p of this.panels) p.el.hidden = p.id !== this.active;
  }
}
