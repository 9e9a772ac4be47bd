// The resizable layout: splitters between the tree, the editor, the right column (simulator / Dovecot runner) and the
// bottom dock. Drag a splitter to resize, double-click it (or use a command) to collapse or expand that side; sizes
// and what is collapsed persist in localStorage.
//
//   +---------+-----------------------+-----------+
//   | sidebar |        editor         |  right    |
//   |        <|>                     <|> column    |
//   |         |----------^------------|           |
//   |         |        dock           |           |
//   +---------+-----------------------+-----------+
import { h } from '../dom';

export type Side = 'sidebar' | 'right' | 'dock';

interface Saved {
  sidebar?: number;
  right?: number;
  dock?: number;
  collapsed?: Side[];
}

const KEY = 'authstudio.layout';
const MIN = { sidebar: 140, right: 240, dock: 80 };
/** What the editor keeps at the least, whatever is dragged. */
const EDITOR_MIN = { width: 280, height: 140 };

function load(): Saved {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Saved;
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

/** Defaults that leave the editor room on small windows (1024×700): a narrower right column and a lower dock. */
function defaults(): Required<Omit<Saved, 'collapsed'>> {
  const w = window.innerWidth;
  const hgt = window.innerHeight;
  return {
    sidebar: w < 1280 ? 190 : 230,
    right: Math.round(Math.min(440, Math.max(MIN.right + 20, w * 0.28))),
    dock: Math.round(Math.max(120, (hgt - 64) * 0.3)),
  };
}

export class SplitLayout {
  private saved: Saved = load();
  private readonly listeners = new Set<(side: Side, collapsed: boolean) => void>();

  /** `app` is the page grid (tree | center | right), `center` the editor-over-dock grid. */
  constructor(private readonly app: HTMLElement, private readonly center: HTMLElement) {
    app.append(
      h('div', { class: 'splitter splitter-col splitter-sidebar', role: 'separator', 'aria-orientation': 'vertical', 'aria-label': 'Resize the file tree', 'data-side': 'sidebar', title: 'Drag to resize, double-click to collapse' }),
      h('div', { class: 'splitter splitter-col splitter-right', role: 'separator', 'aria-orientation': 'vertical', 'aria-label': 'Resize the right column', 'data-side': 'right', title: 'Drag to resize, double-click to collapse' }));
    center.append(h('div', { class: 'splitter splitter-row splitter-dock', role: 'separator', 'aria-orientation': 'horizontal', 'aria-label': 'Resize the panels', 'data-side': 'dock', title: 'Drag to resize, double-click to collapse' }));
    for (const el of [...app.querySelectorAll<HTMLElement>('.splitter')]) this.bind(el, el.dataset.side as Side);
    window.addEventListener('resize', () => this.apply());
    this.apply();
  }

  isCollapsed(side: Side): boolean {
    return this.saved.collapsed?.includes(side) ?? false;
  }

  /** Listen to collapse changes (the dock draws its own expand button). */
  onCollapse(fn: (side: Side, collapsed: boolean) => void): void {
    this.listeners.add(fn);
  }

  setCollapsed(side: Side, collapsed: boolean): void {
    const set = new Set(this.saved.collapsed ?? []);
    if (collapsed) set.add(side);
    else set.delete(side);
    this.saved.collapsed = [...set];
    this.persist();
    this.apply();
    for (const fn of this.listeners) fn(side, collapsed);
  }

  toggle(side: Side): void {
    this.setCollapsed(side, !this.isCollapsed(side));
  }

  /** Forget dragged sizes and collapsed sides. */
  reset(): void {
    const was = this.saved.collapsed ?? [];
    this.saved = {};
    this.persist();
    this.apply();
    for (const side of was) for (const fn of this.listeners) fn(side, false);
  }

  private size(side: Side): number {
    return this.saved[side] ?? defaults()[side];
  }

  private apply(): void {
    const s = this.app.style;
    s.setProperty('--sidebar-w', this.isCollapsed('sidebar') ? '0px' : `${this.size('sidebar')}px`);
    s.setProperty('--right-w', this.isCollapsed('right') ? '0px' : `${this.size('right')}px`);
    this.center.style.setProperty('--dock-h', this.isCollapsed('dock') ? 'auto' : `${this.size('dock')}px`);
    for (const side of ['sidebar', 'right', 'dock'] as const) this.app.classList.toggle(`collapsed-${side}`, this.isCollapsed(side));
  }

  private persist(): void {
    try {
      localStorage.setItem(KEY, JSON.stringify(this.saved));
    } catch {
      // storage full or disabled: the layout still works for this session
    }
  }

  private bind(el: HTMLElement, side: Side): void {
    el.addEventListener('dblclick', () => this.toggle(side));
    el.addEventListener('pointerdown', (down) => {
      if (down.button !== 0) return;
      down.preventDefault();
      el.setPointerCapture(down.pointerId);
      el.classList.add('dragging');
      const app = this.app.getBoundingClientRect();
      const center = this.center.getBoundingClientRect();
      const move = (e: PointerEvent) => {
        let v: number;
        if (side === 'sidebar') v = Math.min(e.clientX - app.left, app.width - this.size('right') - EDITOR_MIN.width);
        else if (side === 'right') v = Math.min(app.right - e.clientX, app.width - this.size('sidebar') - EDITOR_MIN.width);
        else v = Math.min(center.bottom - e.clientY, center.height - EDITOR_MIN.height);
        this.saved[side] = Math.round(Math.max(MIN[side], v));
        if (this.isCollapsed(side)) this.setCollapsed(side, false);
        else this.apply();
      };
      const up = () => {
        el.releasePointerCapture(down.pointerId);
        el.classList.remove('dragging');
        el.removeEventListener('pointermove', move);
        el.removeEventListener('pointerup', up);
        el.removeEventListener('pointercancel', up);
        this.persist();
      };
      el.addEventListener('pointermove', move);
      el.addEventListener('pointerup', up);
      el.addEventListener('pointercancel', up);
    });
  }
}
