// The Debug panel: run the simulator's login under the debugger, then continue / step, the paused request's call
// stack, its variables (Locals, Upvalues, Request, Globals, Host calls; tables expand on demand) and watches.
import type { DebugFrameInfo, DebugStopped, DebugVariable, DovecotRunInput, SimulateInput, StudioClient } from '../../../engine/api/contract';
import { emptyState, h, replace } from '../dom';
import { failure } from '../notify';

export interface DebugPanelHost {
  client: StudioClient;
  /** What Debug runs: the simulator's login, or the Dovecot runner's request when a Dovecot script is open. */
  target: () => { login: SimulateInput } | { dovecot: DovecotRunInput };
  /** Show a paused line in the editor (undefined: nothing paused). */
  showLine: (at: { path: string; line: number } | undefined) => void;
}

export class DebugPanel {
  readonly el = h('section', { class: 'debug-panel', 'aria-label': 'Debugger' });
  private paused: DebugStopped | undefined;
  private frame: DebugFrameInfo | undefined;
  private readonly watches: string[] = [];
  private readonly status = h('span', { class: 'debug-status', 'data-debug-status': 'idle' }, 'Not running');
  private readonly controls: Record<string, HTMLButtonElement>;
  private readonly stack = h('ol', { class: 'debug-stack', 'aria-label': 'Call stack' });
  private readonly variables = h('div', { class: 'debug-vars', 'aria-label': 'Variables' });
  private readonly watchList = h('div', { class: 'debug-watch', 'aria-label': 'Watch' });
  private readonly watchInput = h('input', { name: 'watch', placeholder: 'Watch a Lua expression, Enter adds it', spellcheck: 'false' });
  private readonly output = h('pre', { class: 'debug-output', 'aria-label': 'Debug output' });
  private readonly onError = h('input', { type: 'checkbox', name: 'pause_on_error' });
  /** A recorded login of the studio's corpus (Record) to debug instead of the simulator's: its number, as replay prints it. */
  private readonly entry = h('input', {
    type: 'number', min: '1', name: 'corpus_entry', class: 'debug-entry', placeholder: 'Recorded #',
    title: 'Debug a recorded login of the studio\'s corpus (see Record) by its number as `authstudio replay` prints it (1 is the oldest); empty: the simulator\'s login',
  });

  constructor(private readonly host: DebugPanelHost) {
    const btn = (label: string, title: string, run: () => void, cls = '') => h('button', { class: cls, title, 'data-debug': label, onclick: run }, label);
    this.controls = {
      debug: btn('Debug', 'Run the simulator\'s login (or, for a Dovecot script, the runner\'s request) under the debugger', () => void this.launch(), 'primary'),
      continue: btn('Continue', 'Continue (F5)', () => void this.resume()),
      next: btn('Step over', 'Step over (F10)', () => void this.resume('next')),
      stepIn: btn('Step into', 'Step into (F11)', () => void this.resume('stepIn')),
      stepOut: btn('Step out', 'Step out (Shift+F11)', () => void this.resume('stepOut')),
      stop: btn('Stop', 'Stop debugging: paused requests resume', () => void host.client.debugStop()),
    };
    this.watchInput.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' || !this.watchInput.value.trim()) return;
      this.watches.push(this.watchInput.value.trim());
      this.watchInput.value = '';
      void this.renderWatches();
    });
    replace(this.el,
      h('div', { class: 'debug-bar' }, ...Object.values(this.controls), h('label', { class: 'inline' }, this.onError, 'Pause on error'), this.entry, this.status),
      h('div', { class: 'debug-columns' },
        h('div', {}, h('h3', {}, 'Call stack'), this.stack),
        h('div', {}, h('h3', {}, 'Variables'), this.variables),
        h('div', {}, h('h3', {}, 'Watch'), this.watchInput, this.watchList, h('h3', {}, 'Output'), this.output)));
    host.client.onDebugStopped((e) => void this.onStopped(e));
    host.client.onDebugContinued((e) => {
      if (this.paused?.thread === e.thread) this.clearPause('Running');
    });
    // a log point's line names where it printed; the run's own notes (a replayed entry's) name no line
    host.client.onDebugOutput((o) => this.output.append(o.file ? `${o.file}:${o.line}  ${o.text}` : o.text));
    host.client.onDebugEnded((e) => {
      const done = e.result ? `Finished: ${e.result.decision} (HTTP ${e.result.status})`
        : e.replay ? `Finished: ${e.replay.decision} (recorded: ${e.replay.recorded_decision})`
          : e.dovecot ? `Finished: ${e.dovecot.status}` : `Failed: ${e.error?.message ?? ''}`;
      this.clearPause(done);
      this.status.setAttribute('data-debug-status', 'ended');
      this.status.setAttribute('data-decision', e.result?.decision ?? e.replay?.decision ?? e.dovecot?.decision ?? 'error');
    });
    this.clearPause('Not running');
  }

  async launch(): Promise<void> {
    replace(this.output);
    // running from the click on: a login that ends before the studio answers must not read "Running" afterwards
    this.setStatus('running', 'Running');
    try {
      const t = this.host.target();
      const entry = this.entry.value.trim();
      if (entry !== '') {
        const corpus = (await this.host.client.getRecording()).dir;
        await this.host.client.debugLaunch({ corpus, entry: Number(entry), pause_on_error: this.onError.checked });
      } else if ('dovecot' in t) await this.host.client.debugDovecot(t.dovecot);
      else await this.host.client.debugLaunch({ ...t.login, pause_on_error: this.onError.checked });
    } catch (e) {
      this.setStatus('idle', 'Not running');
      failure(e, 'Debug');
    }
  }

  private async resume(step?: 'next' | 'stepIn' | 'stepOut'): Promise<void> {
    const p = this.paused;
    if (!p) return;
    try {
      await this.host.client.debugResume({ thread: p.thread, ...(step ? { step } : {}) });
    } catch (e) {
      failure(e, 'Debug');
    }
  }

  private setStatus(state: string, text: string): void {
    this.status.textContent = text;
    this.status.setAttribute('data-debug-status', state);
  }

  private clearPause(text: string): void {
    this.paused = undefined;
    this.frame = undefined;
    this.setStatus('running', text);
    for (const k of ['continue', 'next', 'stepIn', 'stepOut']) this.controls[k].disabled = true;
    replace(this.stack);
    replace(this.variables, emptyState('Not paused', 'Click in the gutter left of a line number to set a breakpoint, then press Debug.'));
    void this.renderWatches();
    this.host.showLine(undefined);
  }

  private async onStopped(e: DebugStopped): Promise<void> {
    this.paused = e;
    this.setStatus('paused', e.text ? `Paused on error at ${e.file}:${e.line}: ${e.text}` : `Paused (${e.reason}) at ${e.file}:${e.line}`);
    for (const k of ['continue', 'next', 'stepIn', 'stepOut']) this.controls[k].disabled = false;
    try {
      const frames = await this.host.client.debugStackTrace({ thread: e.thread });
      replace(this.stack, ...frames.map((f) => h('li', { class: 'debug-frame', onclick: () => void this.select(f, frames) }, h('span', {}, f.name), h('span', { class: 'muted' }, ` ${f.file}:${f.line}`))));
      if (frames[0]) await this.select(frames[0], frames);
    } catch (err) {
      failure(err, 'Debug');
    }
  }

  private async select(f: DebugFrameInfo, frames: DebugFrameInfo[]): Promise<void> {
    const p = this.paused;
    if (!p) return;
    this.frame = f;
    [...this.stack.children].forEach((li, i) => li.classList.toggle('active', frames[i] === f));
    this.host.showLine({ path: f.file, line: f.line });
    const scopes = await this.host.client.debugScopes({ thread: p.thread, frame: f.id });
    replace(this.variables, ...scopes.map((s) => this.node({ name: s.name, type: 'scope', value: '', ref: s.ref }, s.name !== 'Globals' && s.name !== 'Host calls')));
    await this.renderWatches();
  }

  /** A variable row; a table or scope expands (its children fetched when opened). */
  private node(v: DebugVariable, open = false): HTMLElement {
    const label = h('span', { class: 'var-row', 'data-var': v.name }, h('span', { class: 'var-name' }, v.name), v.value ? h('span', { class: `var-value ${v.type}` }, v.value) : null);
    if (v.ref <= 0) return h('div', { class: 'var leaf' }, label);
    const body = h('div', { class: 'var-children' });
    const details = h('details', { class: 'var' }, h('summary', {}, label), body);
    let loaded = false;
    details.addEventListener('toggle', () => {
      if (!details.open || loaded) return;
      loaded = true;
      this.host.client.debugVariables({ ref: v.ref }).then((rows) => replace(body, ...rows.map((r) => this.node(r))), (e: unknown) => failure(e, 'Variables'));
    });
    if (open) details.open = true;
    return details;
  }

  private async renderWatches(): Promise<void> {
    const p = this.paused;
    const f = this.frame;
    const rows = await Promise.all(this.watches.map(async (expr) => {
      if (!p || !f) return h('div', { class: 'var leaf watch' }, h('span', { class: 'var-name' }, expr), h('span', { class: 'muted' }, ' not paused'));
      try {
        return this.node(await this.host.client.debugEvaluate({ thread: p.thread, frame: f.id, expression: expr }));
      } catch (e) {
        return h('div', { class: 'var leaf watch' }, h('span', { class: 'var-name' }, expr), h('span', { class: 'var-error' }, ` ${(e as Error).message}`));
      }
    }));
    replace(this.watchList, ...rows);
  }
}
