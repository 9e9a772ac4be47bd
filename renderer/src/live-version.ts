// Which version is live: the engine generation serving requests, and whether the last change made it live.
import { h, replace } from './dom';
import { clock } from './format';
import type { StudioState } from './studio-state';

export class LiveVersion {
  readonly el = h('div', { class: 'live', 'data-testid': 'live-version', 'aria-live': 'polite' });
  constructor(private readonly state: StudioState, private readonly showProblems: () => void) {
    state.on('status', () => this.render());
    // a stopped studio serves nothing: the header must not go on saying "Live"
    state.on('connection', () => this.render());
    this.render();
  }

  private render(): void {
    const s = this.state.status;
    if (!s) {
      replace(this.el, h('span', { class: 'live-badge' }, 'connecting…'));
      return;
    }
    const at = this.state.lastReloadAt;
    const when = at ? ` · since ${clock(at)}` : '';
    this.el.dataset.healthy = String(s.healthy);
    this.el.dataset.generation = String(s.generation);
    this.el.dataset.connected = String(this.state.connected);
    if (!this.state.connected) {
      replace(this.el, h('span', { class: 'live-badge bad', title: 'The studio does not answer: is `authstudio studio` still running?' },
        h('span', { class: 'dot bad' }), `Not serving: studio unreachable (generation ${s.generation} was live)`));
      return;
    }
    if (s.healthy) {
      replace(this.el, h('span', { class: 'live-badge ok' }, h('span', { class: 'dot ok' }), `Live: generation ${s.generation}${when}`));
      return;
    }
    replace(this.el, h('button', { class: 'live-badge bad', onclick: this.showProblems, title: 'Show the problems' },
      h('span', { class: 'dot bad' }), `Generation ${s.generation} live · last change not applied (${s.diagnostics.length} problem(s))`));
  }
}
