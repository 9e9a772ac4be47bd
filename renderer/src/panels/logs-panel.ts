// The live log: every engine log line as it happens, filterable by level and text, paused on demand. A line shows
// its first fields; a click unfolds all of them in full (a script's JSON log line as its own fields).
import type { LogLine } from '../../../engine/api/contract';
import { emptyState, h, replace } from '../dom';
import { linkify } from '../file-links';
import { clock, preview } from '../format';
import type { StudioState } from '../studio-state';

const MAX_LINES = 1000;
/** Lines remembered across a page reload. */
const KEPT = 300;
const RANK: Record<LogLine['level'], number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export class LogsPanel {
  readonly el = h('div', { class: 'panel logs', 'data-panel': 'logs' });
  private readonly lines: LogLine[] = [];
  private readonly list = h('div', { class: 'log-list', role: 'log', 'aria-live': 'off' });
  private readonly level = h('select', { 'aria-label': 'Lowest level shown' }, ...['debug', 'info', 'warn', 'error'].map((l) => h('option', { value: l, selected: l === 'info' }, l)));
  private readonly filter = h('input', { placeholder: 'Filter (text, session, user)', 'aria-label': 'Filter logs' });
  private paused = false;
  /** Lines the user unfolded. */
  private readonly expanded = new WeakSet<LogLine>();
  private pending = false;

  constructor(state: StudioState) {
    const pause = h('button', { onclick: () => { this.paused = !this.paused; pause.textContent = this.paused ? 'Resume' : 'Pause'; this.schedule(); } }, 'Pause');
    const clear = h('button', { onclick: () => { this.lines.length = 0; this.schedule(); } }, 'Clear');
    this.level.addEventListener('change', () => this.schedule());
    this.filter.addEventListener('input', () => this.schedule());
    replace(this.el, h('div', { class: 'panel-toolbar' }, this.level, this.filter, pause, clear), this.list);
    // the lines seen before a page reload come back (the engine does not replay them)
    this.lines.push(...(state.memory.get<LogLine[]>('logs') ?? []));
    state.client.onLog((line) => {
      this.lines.push(line);
      state.memory.set('logs', this.lines.slice(-KEPT));
      if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
      this.schedule();
    });
    this.render();
  }

  /** Draw at most once per frame, however fast lines come in. */
  private schedule(): void {
    if (this.pending || this.paused) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  private render(): void {
    const min = RANK[this.level.value as LogLine['level']] ?? 30;
    const q = this.filter.value.trim().toLowerCase();
    const shown = this.lines.filter((l) => RANK[l.level] >= min && (!q || `${l.msg} ${l.session ?? ''} ${JSON.stringify(l.fields)}`.toLowerCase().includes(q)));
    if (shown.length === 0) {
      replace(this.list, emptyState(this.lines.length ? 'No line matches the filter' : 'No log lines yet', 'Lines appear here live: send a request from the simulator or start traffic.'));
      return;
    }
    const atBottom = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 4;
    replace(this.list, ...shown.slice(-400).map((l) => {
      const open = this.expanded.has(l);
      return h('div', {
        class: `log-line ${l.level}${open ? ' expanded' : ''}`, title: open ? 'Click to fold' : 'Click to show every field in full',
        onclick: (e: Event) => {
          if ((e.target as Element).closest('a') || window.getSelection()?.toString()) return;
          if (open) this.expanded.delete(l);
          else this.expanded.add(l);
          this.render();
        },
      },
      h('span', { class: 'log-time' }, clock(l.time)),
      h('span', { class: `log-level ${l.level}` }, l.level),
      h('span', { class: 'log-msg' }, ...linkify(l.msg)),
      l.session ? h('span', { class: 'log-session' }, l.session) : null,
      open ? h('dl', { class: 'log-full' }, ...fieldEntries(l.fields).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, ...linkify(v))]))
        : h('span', { class: 'log-fields' }, ...linkify(fieldsText(l.fields))));
    }));
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
  }
}

function fieldsText(fields: Record<string, unknown>): string {
  return fieldEntries(fields).slice(0, 12).map(([k, v]) => `${k}=${preview(v, 60)}`).join(' ');
}

/** Fields as text; a field holding a JSON object (a script's print_result line) is spread into its own fields. */
function fieldEntries(fields: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(fields)) {
    const inner = typeof v === 'string' && v.startsWith('{') ? jsonObject(v) : undefined;
    if (inner) for (const [ik, iv] of Object.entries(inner)) out.push([`${k}.${ik}`, typeof iv === 'string' ? iv : JSON.stringify(iv)]);
    else out.push([k, typeof v === 'string' ? v : JSON.stringify(v)]);
  }
  return out;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
