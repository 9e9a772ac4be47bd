// Problems: every diagnostic of the last reload or check, the checker's findings in open scripts as you type, and
// every runtime error scripts raised since their file's version went live (with its count and traceback), each with
// the file and line it points at (click to go there).
import type { Diagnostic, RuntimeProblem } from '../../../engine/api/contract';
import { emptyState, h, replace } from '../dom';
import { fileLink } from '../file-links';
import { clock } from '../format';
import { failure, success } from '../notify';
import type { StudioState } from '../studio-state';

export class ProblemsPanel {
  readonly el = h('div', { class: 'panel problems', 'data-panel': 'problems' });
  /** Extra diagnostics from an explicit "Check" (shown until the next reload). */
  private checked: Diagnostic[] | undefined;
  private countListeners = new Set<(n: number) => void>();
  /** Runtime errors whose traceback the user unfolded (kept open while counts change). */
  private readonly unfolded = new Set<string>();

  /**
   * @param live the checker's findings in open scripts as you type (listed before they are saved)
   */
  constructor(private readonly state: StudioState, private readonly openAt: (file: string, line?: number) => void,
    private readonly live?: { diagnostics(): Diagnostic[]; onChange(fn: () => void): void }) {
    state.on('status', () => this.render());
    live?.onChange(() => this.render());
    state.on('reload', () => {
      this.checked = undefined;
    });
    this.render();
  }

  onCount(fn: (n: number) => void): void {
    this.countListeners.add(fn);
  }

  /** Validate the config and compile every script without applying anything. */
  async check(): Promise<void> {
    try {
      this.checked = await this.state.client.checkWorkspace();
      if (this.checked.length === 0) success('Check passed', 'The configuration and every script compile.');
    } catch (e) {
      failure(e, 'Check');
    }
    this.render();
  }

  private all(): Diagnostic[] {
    const seen = new Set<string>();
    return [...this.state.diagnostics, ...(this.checked ?? []), ...(this.live?.diagnostics() ?? [])].filter((d) => {
      const k = `${d.file}:${d.line}:${d.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  render(): void {
    const list = this.all();
    const runtime = this.state.runtimeErrors;
    for (const fn of this.countListeners) fn(list.length + runtime.length);
    const toolbar = h('div', { class: 'panel-toolbar' },
      h('button', { onclick: () => void this.check(), title: 'Validate the config and compile every script without applying anything' }, 'Check workspace'));
    if (list.length === 0 && runtime.length === 0) {
      const gen = this.state.status?.generation;
      replace(this.el, toolbar, emptyState('No problems', gen ? `The configuration and scripts load; generation ${gen} is live.` : 'Waiting for the studio…'));
      return;
    }
    replace(this.el, toolbar, runtime.length ? this.runtimeList(runtime) : null, list.length === 0 ? null : h('ul', { class: 'problem-list' }, ...list.map((d) => h('li', {
      class: `problem ${d.severity}`, 'data-file': d.file, 'data-line': d.line === undefined ? '' : String(d.line),
      tabindex: '0', role: 'button',
      onclick: () => d.file && this.openAt(d.file, d.line),
      onkeydown: (e: Event) => { if ((e as KeyboardEvent).key === 'Enter' && d.file) this.openAt(d.file, d.line); },
    },
    h('span', { class: `sev ${d.severity}` }, d.severity === 'error' ? '✖' : '▲'),
    d.file ? fileLink(d.file, d.line, `${d.file}${d.line ? `:${d.line}` : ''}${d.column ? `:${d.column}` : ''}`) : h('span', { class: 'problem-loc' }, '(workspace)'),
    h('span', { class: 'problem-msg' }, d.message),
    h('span', { class: 'problem-code' }, d.code)))));
  }

  /** Runtime errors: where, what, how often and when last, and the Lua traceback (each frame a link). */
  private runtimeList(problems: RuntimeProblem[]): HTMLElement {
    return h('ul', { class: 'problem-list runtime', 'data-testid': 'runtime-problems' }, ...problems.map((p) => this.runtimeItem(p)));
  }

  private runtimeItem(p: RuntimeProblem): HTMLElement {
    const key = `${p.stage}\0${p.name}\0${p.file ?? ''}:${p.line ?? ''}\0${p.message}`;
    return h('li', {
      class: 'problem error runtime', 'data-file': p.file ?? '', 'data-line': p.line === undefined ? '' : String(p.line),
    },
    h('div', { class: 'problem-row' },
      h('span', { class: 'sev runtime', title: 'Runtime error' }, '⚡'),
      p.file ? fileLink(p.file, p.line) : h('span', { class: 'problem-loc' }, '(no place)'),
      h('span', { class: 'problem-msg' }, p.message),
      h('span', { class: 'problem-count', title: `first seen ${clock(p.first_seen)}` }, `${p.count}× · last ${clock(p.last_seen)}`),
      h('span', { class: 'problem-code' }, `${p.stage} ${p.name}`)),
    p.traceback.length ? h('details', {
      class: 'traceback', open: this.unfolded.has(key),
      ontoggle: (e: Event) => { if ((e.target as HTMLDetailsElement).open) this.unfolded.add(key); else this.unfolded.delete(key); },
    },
      h('summary', {}, `Lua traceback (${p.traceback.length} frame${p.traceback.length === 1 ? '' : 's'})`),
      h('ol', { class: 'frames' }, ...p.traceback.map((f) => h('li', {}, fileLink(f.file, f.line), f.function ? h('span', { class: 'frame-fn' }, ` in ${f.function}`) : null)))) : null);
  }
}
