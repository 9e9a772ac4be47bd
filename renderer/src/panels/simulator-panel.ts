// The simulator: pick a client preset, edit the request it sends, Send, and read the trace of what happened.
import type { PresetInfo, SimFields, SimulateInput, SimulationResult } from '../../../engine/api/contract';
import { requestActionButtons, saveRequestDialog } from '../dialogs/request-dialogs';
import { emptyState, h, replace } from '../dom';
import { failure } from '../notify';
import { workspacePath } from '../script-paths';
import type { StudioState } from '../studio-state';
import { TraceView } from './trace-view';

/** Fields shown up front; the rest are under "More fields". */
const MAIN: Array<keyof SimFields> = ['username', 'password', 'client_ip', 'protocol'];
const MORE: Array<keyof SimFields> = ['client_port', 'client_hostname', 'client_id', 'local_ip', 'local_port', 'method', 'ssl', 'ssl_protocol', 'user_agent'];

export class SimulatorPanel {
  readonly el = h('section', { class: 'simulator', 'aria-label': 'Simulator' });
  private presets: PresetInfo[] = [];
  private readonly presetSel = h('select', { name: 'preset', 'aria-label': 'Client preset' });
  private readonly mode = h('select', { name: 'mode', 'aria-label': 'Mode' }, ...['auth', 'no-auth', 'list-accounts'].map((m) => h('option', { value: m }, m)));
  private readonly inputs = new Map<keyof SimFields, HTMLInputElement>();
  private readonly description = h('div', { class: 'preset-desc' });
  private readonly customUrl = h('input', { name: 'url', value: '/api/v1/auth/json', 'aria-label': 'Request URL' });
  private readonly customBody = h('textarea', { name: 'body', rows: 6, spellcheck: 'false', 'aria-label': 'Request body (JSON)' });
  private readonly customBox = h('div', { class: 'custom-request' }, h('label', {}, 'URL', this.customUrl), h('label', {}, 'Body (JSON)', this.customBody));
  private readonly sendBtn = h('button', { class: 'primary', type: 'submit' }, 'Send');
  private readonly trace: TraceView;
  private readonly form: HTMLFormElement;
  private readonly actions = h('div', { class: 'row result-actions' });
  private last: SimulationResult | undefined;

  constructor(private readonly state: StudioState, openAt: (file: string, line?: number) => void) {
    this.trace = new TraceView(openAt, (name) => workspacePath(name, state.status?.workspace ?? '', state.files));
    for (const f of [...MAIN, ...MORE]) {
      this.inputs.set(f, h('input', { name: f, autocomplete: 'off', spellcheck: 'false' }));
    }
    this.presetSel.addEventListener('change', () => this.applyPreset());
    this.form = h('form', { class: 'sim-form', onsubmit: (e: Event) => { e.preventDefault(); void this.send(); } },
      h('div', { class: 'row' }, h('label', { class: 'grow' }, 'Client', this.presetSel), h('label', {}, 'Mode', this.mode)),
      this.description,
      h('div', { class: 'grid2' }, ...MAIN.map((f) => h('label', {}, f.replace('_', ' '), this.inputs.get(f)!))),
      h('details', { class: 'more-fields' }, h('summary', {}, 'More fields'),
        h('div', { class: 'grid2' }, ...MORE.map((f) => h('label', {}, f.replace(/_/g, ' '), this.inputs.get(f)!)))),
      this.customBox,
      h('div', { class: 'row end' }, h('span', { class: 'hint' }, 'Runs through the real HTTP path of the live generation'), this.sendBtn));
    replace(this.el, h('div', { class: 'sim-head' }, h('h2', {}, 'Simulator')), this.form, this.actions, this.trace.el);
    const result = state.memory.get<SimulationResult>('simResult');
    if (result) this.showResult(result);
    else this.trace.showEmpty();
    this.form.addEventListener('input', () => this.remember());
    this.form.addEventListener('change', () => this.remember());
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.presets = await this.state.client.listPresets();
    } catch (e) {
      replace(this.form, emptyState('Presets could not be loaded', 'Check that the studio is running, then reload the page.'));
      failure(e, 'Simulator');
      return;
    }
    replace(this.presetSel, ...this.presets.map((p) => h('option', { value: p.id }, p.label)));
    const saved = this.state.memory.get<{ preset: string; mode: string; fields: Partial<SimFields>; url: string; body: string }>('simForm');
    if (saved && this.presets.some((p) => p.id === saved.preset)) {
      this.presetSel.value = saved.preset;
      this.applyPreset();
      for (const [f, input] of this.inputs) input.value = saved.fields[f] ?? '';
      this.mode.value = saved.mode;
      this.customUrl.value = saved.url;
      this.customBody.value = saved.body;
      return;
    }
    this.applyPreset();
    this.inputs.get('username')!.value = 'alice';
    this.inputs.get('password')!.value = 'alice-secret';
    this.syncCustomBody();
  }

  /** The form as typed ({{name}} placeholders kept), for the next page load. */
  private remember(): void {
    const fields: Partial<SimFields> = {};
    for (const [f, input] of this.inputs) fields[f] = input.value;
    this.state.memory.set('simForm', { preset: this.presetSel.value, mode: this.mode.value, fields, url: this.customUrl.value, body: this.customBody.value });
  }

  private get preset(): PresetInfo | undefined {
    return this.presets.find((p) => p.id === this.presetSel.value);
  }

  /** Fill the fields with the preset's defaults, keeping the user, password and client address typed so far. */
  private applyPreset(): void {
    const p = this.preset;
    if (!p) return;
    const keep = new Set<keyof SimFields>(['username', 'password', 'client_ip']);
    for (const [f, input] of this.inputs) if (!keep.has(f) || input.value === '') input.value = p.defaults[f] ?? '';
    this.mode.value = p.mode;
    replace(this.description, h('span', {}, p.description), h('span', { class: 'muted' }, ` ${p.http_method} ${p.endpoint} · ${p.client}`));
    this.customBox.hidden = p.id !== 'custom';
    if (p.id === 'custom') this.syncCustomBody();
  }

  /** The fields with {{name}} replaced by the chosen environment's variables. */
  private fields(): SimFields {
    const out = {} as SimFields;
    for (const [f, input] of this.inputs) out[f] = this.state.substitute(input.value);
    return out;
  }

  private syncCustomBody(): void {
    const f = this.fields();
    const body = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== ''));
    this.customBody.value = JSON.stringify(body, null, 2);
  }

  /** What Send sends, from the form. */
  input(): SimulateInput {
    const p = this.preset;
    const fields = this.fields();
    const input: SimulateInput = { preset: p?.id ?? 'dovecot-imap', username: fields.username, password: fields.password, fields, mode: this.mode.value as SimulateInput['mode'] };
    if (p?.id === 'custom') {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(this.state.substitute(this.customBody.value || '{}')) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`the body is not JSON: ${(e as Error).message}`);
      }
      input.request = { method: 'POST', url: this.state.substitute(this.customUrl.value), headers: { 'content-type': 'application/json' }, body };
    }
    return input;
  }

  async send(): Promise<void> {
    this.sendBtn.disabled = true;
    this.trace.showBusy();
    try {
      const result = await this.state.client.simulate(this.input());
      this.state.memory.set('simResult', result);
      this.showResult(result);
    } catch (e) {
      this.trace.showError(e);
    } finally {
      this.sendBtn.disabled = false;
    }
  }

  private showResult(r: SimulationResult): void {
    this.last = r;
    this.trace.show(r);
    replace(this.actions, ...requestActionButtons(this.state, () => void this.save(), r.request));
  }

  /** Save what was sent with the actual outcome as the expected one (sent to the JSON endpoint by `authstudio test`). */
  private async save(): Promise<void> {
    const r = this.last;
    if (!r) return;
    let request: Record<string, string>;
    try {
      const body = r.request.url.startsWith('/api/v1/auth/json') && r.request.body ? JSON.parse(r.request.body) as Record<string, unknown> : this.fields();
      request = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== '' && v !== undefined && v !== null).map(([k, v]) => [k, String(v)]));
    } catch {
      request = { ...this.fields() };
    }
    // the JSON endpoint's status is what a saved request checks; nginx answers 200 for every decision
    const json = r.request.url.startsWith('/api/v1/auth/json');
    const expect: Record<string, unknown> = { decision: r.decision, ...(json ? { status: r.status } : {}), ...(r.decided_by ? { decided_by: r.decided_by } : {}), ...(r.status_message ? { status_message: r.status_message } : {}) };
    const mode = this.mode.value as 'auth' | 'no-auth' | 'list-accounts';
    await saveRequestDialog(this.state, { login: { request, mode }, expect }, `${request.username ?? 'login'} ${request.protocol ?? ''} ${r.decision}`.replace(/\s+/g, ' ').trim());
  }
}
