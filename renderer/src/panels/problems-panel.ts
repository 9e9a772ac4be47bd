// Problems: every diagnostic of the last reload or check, and the checker's findings in open scripts as you type,
// with the file and line it points at (click to go there).
import type { Diagnostic } from '../../../engine/api/contract';
import { emptyState, h, replace } from '../dom';
import { failure, success } from '../notify';
import type { StudioState } from '../studio-state';

export class ProblemsPanel {
  readonly el = h('div', { class: 'panel problems', 'data-panel': 'problems' });
  /** Extra diagnostics from an explicit "Check" (shown until the next reload). */
  private checked: Diagnostic[] | undefined;
  private countListeners = new Set<(n: number) => void>();

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
    for (const fn of this.countListeners) fn(list.length);
    const toolbar = h('div', { class: 'panel-toolbar' },
      h('button', { onclick: () => void this.check(), title: 'Validate the config and compile every script without applying anything' }, 'Check workspace'));
    if (list.length === 0) {
      const gen = this.state.status?.generation;
      replace(this.el, toolbar, emptyState('No problems', gen ? `The configuration and scripts load; generation ${gen} is live.` : 'Waiting for the studio…'));
      return;
    }
    replace(this.el, toolbar, h('ul', { class: 'problem-list' }, ...list.map((d) => h('li', {
      class: `problem ${d.severity}`, 'data-file': d.file, 'data-line': d.line === undefined ? '' : String(d.line),
      tabindex: '0', role: 'button',
      onclick: () => d.file && this.openAt(d.file, d.line),
      onkeydown: (e: Event) => { if ((e as KeyboardEvent).key === 'Enter' && d.file) this.openAt(d.file, d.line); },
    },
    h('span', { class: `sev ${d.severity}` }, d.severity === 'error' ? '✖' : '▲'),
    h('span', { class: 'problem-loc' }, d.file ? `${d.file}${d.line ? `:${d.line}` : ''}${d.column ? `:${d.column}` : ''}` : '(workspace)'),
    h('span', { class: 'problem-msg' }, d.message),
    h('span', { class: 'problem-code' }, d.code)))));
  }
}
