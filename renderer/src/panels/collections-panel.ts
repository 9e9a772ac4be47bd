// Collections: the workspace's saved requests (tests/*.test.yml, the files `authstudio test` runs), the environment
// whose variables fill in {{name}}, one click to run them all, and pass/fail per request with expected vs actual.
import type { CollectionCase, CollectionRunResult, SavedRequestInfo } from '../../../engine/api/contract';
import { emptyState, h, replace } from '../dom';
import { ms } from '../format';
import { failure } from '../notify';
import type { StudioState } from '../studio-state';

/** "decision: expected ok, got fail" as [what, expected, actual]; undefined for other lines. */
export function splitFailure(line: string): [string, string, string] | undefined {
  const m = /^(.+?): expected (.*), got (.*)$/.exec(line);
  return m ? [m[1], m[2], m[3]] : undefined;
}

export class CollectionsPanel {
  readonly el = h('div', { class: 'panel collections', 'data-panel': 'collections', 'data-testid': 'collections' });
  private readonly envSel = h('select', { name: 'environment', 'aria-label': 'Environment' });
  private readonly runBtn = h('button', { class: 'primary', 'data-action': 'run-collection' }, 'Run all');
  private readonly summary = h('span', { class: 'collection-summary', 'data-testid': 'collection-summary' });
  private readonly list = h('div', { class: 'collection-list' });
  private saved: SavedRequestInfo[] = [];
  private last: CollectionRunResult | undefined;

  constructor(private readonly state: StudioState, private readonly openAt: (file: string, line?: number) => void) {
    this.runBtn.addEventListener('click', () => void this.run());
    this.envSel.addEventListener('change', () => {
      state.setEnvironment(this.envSel.value || undefined);
      state.memory.set('environment', this.envSel.value || undefined);
    });
    replace(this.el, h('div', { class: 'panel-toolbar' }, h('label', { class: 'inline' }, 'Environment', this.envSel), this.runBtn, this.summary), this.list);
    this.last = state.memory.get<CollectionRunResult>('collectionRun');
    state.on('files', () => void this.refresh());
    void this.refresh();
  }

  async refresh(): Promise<void> {
    try {
      const [saved] = await Promise.all([this.state.client.listSavedRequests(), this.state.refreshEnvironments()]);
      this.saved = saved;
    } catch (e) {
      failure(e, 'Collections');
      return;
    }
    const remembered = this.state.environment ?? this.state.memory.get<string>('environment');
    const names = Object.keys(this.state.environments);
    replace(this.envSel, h('option', { value: '' }, names.length ? '(no environment)' : '(none: add tests/environments.yml)'), ...names.map((n) => h('option', { value: n, selected: n === remembered }, n)));
    if (remembered && names.includes(remembered) && this.state.environment !== remembered) this.state.setEnvironment(remembered);
    this.render();
  }

  private async run(): Promise<void> {
    this.runBtn.disabled = true;
    this.summary.textContent = 'running…';
    try {
      this.last = await this.state.client.runCollection({ environment: this.envSel.value || undefined });
      this.state.memory.set('collectionRun', this.last);
    } catch (e) {
      this.summary.textContent = '';
      failure(e, 'Running the collection');
      return;
    } finally {
      this.runBtn.disabled = false;
    }
    this.render();
  }

  private render(): void {
    const r = this.last;
    this.summary.textContent = r ? `${r.passed} passed, ${r.failed} failed${r.environment ? ` · ${r.environment}` : ''}` : '';
    if (!this.saved.length && !r?.cases.length) {
      replace(this.list, emptyState('No saved requests', 'Send a login in the simulator or call a hook, then "Save request…": it is written to tests/ and runs here and in `authstudio test`.'));
      return;
    }
    const result = (s: { file: string; line: number }) => r?.cases.find((c) => c.file === s.file && c.line === s.line);
    const rows = this.saved.map((s) => this.row(s.name, s.file, s.line, s.summary, result(s)));
    // cases of files that no longer parse are reported by file
    for (const c of r?.cases ?? []) if (c.kind === 'file') rows.push(this.row(c.name, c.file, c.line, '', c));
    replace(this.list, h('ul', { class: 'collection' }, ...rows));
  }

  private row(name: string, file: string, line: number, what: string, c: CollectionCase | undefined): HTMLElement {
    const state = c ? (c.passed ? 'pass' : 'fail') : 'not-run';
    const diffs = (c?.failures ?? []).map((f) => splitFailure(f) ?? [f, '', '']);
    return h('li', { class: `case ${state}`, 'data-result': state, 'data-file': file, 'data-name': name },
      h('div', { class: 'case-head' },
        h('span', { class: `pill ${state === 'pass' ? 'ok' : state === 'fail' ? 'fail' : ''}` }, state === 'not-run' ? '–' : state.toUpperCase()),
        h('span', { class: 'case-name' }, name),
        h('span', { class: 'muted mono' }, what),
        h('button', { class: 'link', onclick: () => this.openAt(file, line) }, `${file}:${line}`),
        c ? h('span', { class: 'muted' }, ms(c.duration_ms)) : null),
      c && !c.passed ? h('table', { class: 'events case-diff' },
        h('thead', {}, h('tr', {}, h('th', {}, 'what'), h('th', {}, 'expected'), h('th', {}, 'actual'))),
        h('tbody', {}, ...diffs.map(([what, want, got]) => h('tr', {}, h('td', { class: 'mono' }, what), h('td', { class: 'mono expected' }, want), h('td', { class: 'mono actual' }, got))))) : null,
      c && !c.passed && c.summary ? h('div', { class: 'hint' }, c.summary) : null,
      c?.trace ? h('details', {}, h('summary', {}, 'Trace'), h('pre', { class: 'response' }, c.trace)) : null);
  }
}
