// The status bar: where the auth endpoints listen, Redis mode and health, worker counts, the last reload, and
// whether the studio is reachable.
import type { StudioStatus } from '../../engine/api/contract';
import { h, replace } from './dom';
import { clock, ms } from './format';
import type { PoolStats, StudioState } from './studio-state';

export class StatusBar {
  readonly el = h('footer', { class: 'status-bar', role: 'status' });

  /** `extras` (e.g. the recording switch) keep their own state and are placed before the generation. */
  constructor(private readonly state: StudioState, private readonly extras: HTMLElement[] = []) {
    state.on('status', () => this.render());
    state.on('connection', () => this.render());
    this.render();
  }

  private render(): void {
    const s = this.state.status;
    const conn = this.state.connected
      ? h('span', { class: 'sb-item', 'data-sb': 'connection' }, h('span', { class: 'dot ok' }), 'connected')
      : h('span', { class: 'sb-item bad', 'data-sb': 'connection' }, h('span', { class: 'dot bad' }), s ? 'studio unreachable: is `authstudio studio` still running?' : 'connecting…');
    if (!s) {
      replace(this.el, conn);
      return;
    }
    const r = s.redis;
    const last = s.last_reload;
    replace(this.el,
      conn,
      h('span', { class: 'sb-item', 'data-sb': 'listen', title: 'Auth endpoints (/api/v1/auth/*) of this studio' }, `listening on ${this.state.env.listen}`),
      h('span', { class: `sb-item${r.ok ? '' : ' bad'}`, 'data-sb': 'redis', title: r.target },
        h('span', { class: `dot ${r.ok ? 'ok' : 'bad'}` }), `Redis: ${r.mode === 'mock' ? 'embedded' : `${r.mode} ${r.target}`}${r.ok ? '' : ' (not answering)'}`),
      h('span', { class: 'sb-item', 'data-sb': 'workers' }, workersText(s)),
      profileItem(s),
      h('span', { class: `sb-item${last && !last.ok ? ' bad' : ''}`, 'data-sb': 'reload' },
        last ? `${last.ok ? 'reloaded' : 'reload failed'}${this.state.lastReloadAt ? ` ${clock(this.state.lastReloadAt)}` : ''} · ${last.trigger}${last.ok ? ` · ${ms(last.duration_ms)}` : ` · ${last.diagnostics.length} problem(s)`}` : 'no reload yet'),
      ...this.extras,
      h('span', { class: 'sb-item right', 'data-sb': 'generation' }, `generation ${s.generation}`));
  }
}

/** The Nauthilus version the workspace targets (`nauthilus:` in the config, or detected from its layout). */
function profileItem(s: StudioStatus): HTMLElement {
  const p = s.profile;
  if (!p) return h('span', { class: 'sb-item', 'data-sb': 'profile' }, 'Nauthilus ?');
  const how = p.detected ? `detected from the ${p.layout} config layout; set nauthilus: in the config to choose` : `nauthilus: "${p.nauthilus}" in the config (${p.layout} layout)`;
  return h('span', { class: 'sb-item', 'data-sb': 'profile', title: `Target: Nauthilus ${p.nauthilus}, ${how}` }, `Nauthilus ${p.nauthilus}${p.detected ? '' : ' (set)'}`);
}

/** Worker pools when the status carries them, else the requests in flight. */
function workersText(s: StudioStatus): string {
  const pools = (s as StudioStatus & { workers?: PoolStats }).workers;
  if (!pools || Object.keys(pools).length === 0) return `${s.in_flight} request(s) in flight`;
  const vms = Object.values(pools).reduce((n, p) => n + p.vms, 0);
  const busy = Object.values(pools).reduce((n, p) => n + p.busy, 0);
  return `workers ${busy}/${vms} busy · ${s.in_flight} in flight`;
}
