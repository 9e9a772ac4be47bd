// Coverage: run the workspace's tests with coverage, or record the lines studio traffic, simulated requests and
// Dovecot runs execute; a per-file summary (lines hit / executable, %) whose rows open the file, its lines coloured.
import type { CoverageReport } from '../../../engine/api/contract';
import { emptyState, h, replace } from '../dom';
import { failure, success, warning } from '../notify';
import type { StudioState } from '../studio-state';

const pct = (p: number) => `${p.toFixed(1)} %`;
const level = (p: number) => (p >= 80 ? 'ok' : p >= 50 ? 'warn' : 'bad');

export class CoveragePanel {
  readonly el = h('div', { class: 'panel coverage', 'data-panel': 'coverage' });
  private readonly runBtn = h('button', { class: 'primary', onclick: () => void this.runTests(), title: 'Run tests/*.test.yml with line coverage and write lcov' }, 'Run tests with coverage');
  private readonly liveBtn = h('button', { onclick: () => void this.toggleLive(), title: 'Record the lines that simulated requests, traffic and Dovecot runs execute' }, 'Start recording');
  private readonly refreshBtn = h('button', { onclick: () => void this.refresh(), title: 'Read the figures recorded so far' }, 'Refresh');
  private readonly clearBtn = h('button', { onclick: () => this.state.setCoverage(undefined), title: 'Remove the colours from the editor' }, 'Clear');
  private readonly body = h('div', { class: 'coverage-body' });

  constructor(private readonly state: StudioState, private readonly openAt: (file: string, line?: number) => void) {
    state.on('coverage', (r) => this.render(r));
    state.client.onTrafficDone(() => void this.refresh());
    replace(this.el, h('div', { class: 'panel-toolbar' }, this.runBtn, this.liveBtn, this.refreshBtn, this.clearBtn), this.body);
    this.render(undefined);
  }

  /** The figures so far while recording (called when the panel is shown). */
  async refresh(): Promise<void> {
    if (!this.state.coverage?.collecting) return;
    try {
      this.state.setCoverage(await this.state.client.getCoverage());
    } catch (e) {
      failure(e, 'Coverage');
    }
  }

  private async runTests(): Promise<void> {
    this.busy(true, 'Running the tests…');
    try {
      const r = await this.state.client.runTestsWithCoverage();
      this.state.setCoverage(r);
      const t = r.tests;
      if (t && t.failed > 0) warning(`${t.failed} test(s) failed`, `${t.passed} passed; coverage ${pct(r.percent)} of ${r.total} lines`);
      else success(`Tests passed: coverage ${pct(r.percent)}`, `${r.covered} of ${r.total} executable lines ran; lcov written`);
    } catch (e) {
      failure(e, 'Running the tests with coverage');
    } finally {
      this.busy(false);
    }
  }

  private async toggleLive(): Promise<void> {
    const recording = this.state.coverage?.source === 'live' && this.state.coverage.collecting;
    this.busy(true, recording ? 'Stopping…' : 'Reloading the scripts with the line hook…');
    try {
      this.state.setCoverage(recording ? await this.state.client.stopCoverage() : await this.state.client.startCoverage());
    } catch (e) {
      failure(e, recording ? 'Stopping coverage' : 'Starting coverage');
    } finally {
      this.busy(false);
    }
  }

  private busy(on: boolean, text = ''): void {
    this.runBtn.disabled = on;
    this.liveBtn.disabled = on;
    this.el.dataset.busy = on ? 'true' : 'false';
    if (on) replace(this.body, emptyState(text, 'The figures appear here when it is done.'));
    else this.render(this.state.coverage);
  }

  private render(r: CoverageReport | undefined): void {
    const recording = r?.source === 'live' && r.collecting;
    this.liveBtn.textContent = recording ? 'Stop recording' : 'Start recording';
    this.liveBtn.classList.toggle('recording', recording);
    this.clearBtn.disabled = !r;
    this.refreshBtn.hidden = !recording;
    this.el.dataset.source = r?.source ?? 'none';
    if (this.el.dataset.busy === 'true') return;
    if (!r || r.source === 'none') {
      replace(this.body, emptyState('No coverage yet', 'Run the workspace\'s tests with coverage, or start recording and send requests from the simulator or Traffic.'));
      return;
    }
    const head = r.source === 'tests'
      ? `Tests: ${r.tests?.passed ?? 0} passed, ${r.tests?.failed ?? 0} failed${r.lcov_file ? ` · lcov: ${r.lcov_file}` : ''}`
      : recording ? 'Recording: send requests from the simulator, Traffic or the Dovecot runner; the figures update after traffic, on Refresh and when this panel is shown' : 'Recorded from studio requests';
    const files = [...r.files].sort((a, b) => a.file.localeCompare(b.file));
    replace(this.body,
      h('div', { class: 'coverage-head muted', 'data-testid': 'coverage-head' }, head),
      h('table', { class: 'coverage-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'file'), h('th', {}, 'lines hit / executable'), h('th', {}, 'cover'))),
        h('tbody', {}, ...files.map((f) => h('tr', { class: 'cov-row', 'data-file': f.file, tabindex: '0', title: `Open ${f.file}`, onclick: () => this.openAt(f.file, f.lines.find((l) => l.hits === 0)?.line) },
          h('td', { class: 'mono' }, f.file),
          h('td', {}, `${f.covered} / ${f.total}`),
          h('td', { class: `cov-pct ${level(f.percent)}`, 'data-percent': String(f.percent) },
            h('span', { class: 'cov-bar' }, h('span', { style: `width: ${f.percent}%` })), pct(f.percent))))),
        h('tfoot', {}, h('tr', { class: 'cov-total' }, h('td', {}, 'all files'), h('td', {}, `${r.covered} / ${r.total}`), h('td', { class: `cov-pct ${level(r.percent)}` }, pct(r.percent))))));
  }
}
