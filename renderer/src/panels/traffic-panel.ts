// Traffic: replay many logins from a profile (legitimate users, an attacking network, a password spray, credential
// stuffing) through the live engine, with a progress bar, a live chart of outcomes and the final figures.
import type { TrafficOptions, TrafficProfile, TrafficSummary } from '../../../engine/api/contract';
import { emptyState, h, replace } from '../dom';
import { linkify } from '../file-links';
import { count, ms } from '../format';
import { failure } from '../notify';
import type { StudioState } from '../studio-state';
import { OUTCOME_SERIES, OutcomeChart } from './outcome-chart';

/** The Network field's default per profile: an attacked range, or the documentation range users log in from. */
const ATTACK_NET = '198.18.7.0/24';
const USERS_NET = '198.51.100.0/24';
const BOTNET_NET = '198.18.0.0/15';
const DEFAULT_NETS = [ATTACK_NET, USERS_NET, BOTNET_NET];

const list = (s: string) => s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);

export class TrafficPanel {
  readonly el = h('div', { class: 'panel traffic', 'data-panel': 'traffic' });
  private readonly kind = h('select', { name: 'profile', 'aria-label': 'Traffic profile' },
    h('option', { value: 'attacker-network' }, 'Attack from one network (brute force)'),
    h('option', { value: 'password-spray' }, 'Password spray (botnet, one password)'),
    h('option', { value: 'credential-stuffing' }, 'Credential stuffing (leaked pairs)'),
    h('option', { value: 'users' }, 'Legitimate users'));
  private readonly network = h('input', { name: 'network', value: ATTACK_NET, 'aria-label': 'Network the requests come from' });
  private readonly users = h('input', { name: 'users', value: 'alice, bob, carol, admin', 'aria-label': 'Users' });
  private readonly passwords = h('input', { name: 'passwords', value: '123456, password, qwerty, letmein', 'aria-label': 'Passwords' });
  private readonly countIn = h('input', { name: 'count', type: 'number', min: 1, max: 1000000, value: 200, 'aria-label': 'Requests' });
  private readonly rate = h('input', { name: 'rate', type: 'number', min: 0, value: 0, 'aria-label': 'Requests per second (0 = as fast as possible)' });
  private readonly startBtn = h('button', { class: 'primary', onclick: () => void this.start() }, 'Start');
  private readonly cancelBtn = h('button', { onclick: () => void this.cancel(), disabled: true }, 'Cancel');
  private readonly progress = h('progress', { max: 1, value: 0, 'aria-label': 'Progress' });
  private readonly progressText = h('span', { class: 'progress-text' }, '');
  private readonly chart = new OutcomeChart();
  private readonly summary = h('div', { class: 'traffic-summary' });
  private runId: string | undefined;
  /** The newest summary of the current run (events may overtake the answer to startTraffic). */
  private latest: TrafficSummary | undefined;

  constructor(private readonly state: StudioState) {
    this.kind.addEventListener('change', () => this.syncInputs());
    state.client.onTrafficProgress((s) => this.update(s));
    state.client.onTrafficDone((s) => this.update(s));
    replace(this.el,
      h('div', { class: 'traffic-form' },
        h('label', { class: 'grow' }, 'Profile', this.kind),
        h('label', {}, 'Network', this.network),
        h('label', { class: 'grow' }, 'Users', this.users),
        h('label', { class: 'grow' }, 'Passwords', this.passwords),
        h('label', {}, 'Requests', this.countIn),
        h('label', {}, 'Rate/s', this.rate),
        h('div', { class: 'buttons' }, this.startBtn, this.cancelBtn)),
      h('div', { class: 'progress-row' }, this.progress, this.progressText),
      h('div', { class: 'traffic-body' }, this.chart.el, this.summary));
    replace(this.summary, emptyState('No traffic yet', 'Choose a profile and press Start; with brute_force buckets in authstudio.yml, the attacking network gets blocked: its logins count as "blocked" and the network appears in the Protection panel.'));
    this.syncInputs();
  }

  private syncInputs(): void {
    const k = this.kind.value;
    // every profile sends from the Network field; switching profiles changes it only while it holds a default
    if (DEFAULT_NETS.includes(this.network.value.trim())) this.network.value = k === 'users' ? USERS_NET : k === 'attacker-network' ? ATTACK_NET : BOTNET_NET;
    this.network.title = k === 'users' ? 'Each user logs in from one address of this network' : 'The requests come from addresses of this network';
    this.passwords.placeholder = k === 'users' || k === 'credential-stuffing' ? 'user:password pairs go in Users' : '';
    if (k === 'users' && !this.users.value.includes(':')) this.users.value = 'alice:alice-secret, bob:bob-secret';
    if (k !== 'users' && k !== 'credential-stuffing' && this.users.value.includes(':')) this.users.value = 'alice, bob, carol, admin';
  }

  /** The profile from the form (exported shape of TrafficProfile). */
  profile(): TrafficProfile {
    const pairs = () => list(this.users.value).map((p) => ({ username: p.split(':')[0], password: p.split(':').slice(1).join(':') }));
    switch (this.kind.value) {
      case 'users': return { kind: 'users', users: pairs(), network: this.network.value };
      case 'credential-stuffing': return { kind: 'credential-stuffing', pairs: pairs(), network: this.network.value };
      case 'password-spray': return { kind: 'password-spray', users: list(this.users.value), password: list(this.passwords.value)[0] ?? '', network: this.network.value };
      default: return { kind: 'attacker-network', network: this.network.value, users: list(this.users.value), passwords: list(this.passwords.value) };
    }
  }

  async start(): Promise<void> {
    const opts: TrafficOptions = { profile: this.profile(), count: Number(this.countIn.value), rate: Number(this.rate.value) || 0 };
    this.chart.reset();
    this.runId = undefined;
    this.latest = undefined;
    try {
      this.startBtn.disabled = true;
      const s = await this.state.client.startTraffic(opts);
      this.runId = s.run_id;
      this.cancelBtn.disabled = false;
      this.update(s);
    } catch (e) {
      this.startBtn.disabled = false;
      failure(e, 'Traffic');
    }
  }

  async cancel(): Promise<void> {
    if (!this.runId) return;
    try {
      this.update(await this.state.client.cancelTraffic({ run_id: this.runId }));
    } catch (e) {
      failure(e, 'Cancel');
    }
  }

  private update(s: TrafficSummary): void {
    if (this.runId && s.run_id !== this.runId) return;
    this.runId ??= s.run_id;
    const prev = this.latest?.run_id === s.run_id ? this.latest : undefined;
    if (prev && (prev.state !== 'running' || s.completed < prev.completed)) return;
    this.latest = s;
    const running = s.state === 'running';
    this.startBtn.disabled = running;
    this.cancelBtn.disabled = !running;
    this.progress.max = s.total;
    this.progress.value = s.completed;
    this.progressText.textContent = `${count(s.completed)} / ${count(s.total)} ${running ? 'running' : s.state}`;
    this.el.dataset.state = s.state;
    this.chart.add({ t_ms: s.elapsed_ms, ...s.by_outcome });
    const messages = Object.entries(s.by_status_message).sort((a, b) => b[1] - a[1]);
    replace(this.summary,
      h('dl', { class: 'figures' },
        ...OUTCOME_SERIES.flatMap((x) => [
          h('dt', {}, x.label),
          h('dd', { class: `outcome-${x.id}`, 'data-outcome': x.id, style: `color:${x.color}` }, count(s.by_outcome[x.id])),
        ]),
        h('dt', {}, 'rate'), h('dd', {}, `${Math.round(s.rate)}/s`),
        h('dt', {}, 'latency'), h('dd', {}, `p50 ${ms(s.latency_ms.p50)} · p95 ${ms(s.latency_ms.p95)} · max ${ms(s.latency_ms.max)}`)),
      messages.length ? h('table', { class: 'messages' }, ...messages.map(([m, n]) => h('tr', {}, h('td', {}, ...linkify(m)), h('td', {}, count(n))))) : null);
  }
}
