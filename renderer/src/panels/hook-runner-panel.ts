// The hook runner: call a custom hook (method, location, headers, body) through the engine and read its answer
// and the trace of its script, as the simulator does for logins.
import type { HookCallInput, HookCallResult } from '../../../engine/api/contract';
import { requestActionButtons, saveRequestDialog } from '../dialogs/request-dialogs';
import { h, replace } from '../dom';
import { workspacePath } from '../script-paths';
import type { StudioState } from '../studio-state';
import { TraceView } from './trace-view';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'];

/** "Name: value" lines as a header map (blank lines and lines without a colon are skipped). */
export function parseHeaderLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

export class HookRunnerPanel {
  readonly el = h('div', { class: 'panel hook-runner', 'data-panel': 'hooks', 'data-testid': 'hook-runner' });
  private readonly pick = h('select', { name: 'hook-pick', 'aria-label': 'Configured hook' });
  private readonly method = h('select', { name: 'hook-method', 'aria-label': 'Method' }, ...METHODS.map((m) => h('option', { value: m }, m)));
  private readonly path = h('input', { name: 'hook-path', placeholder: 'login-history?account=alice@example.com', 'aria-label': 'Hook location', autocomplete: 'off', spellcheck: 'false' });
  private readonly headers = h('textarea', { name: 'hook-headers', rows: 3, spellcheck: 'false', placeholder: 'X-Api-Key: ...', 'aria-label': 'Headers (one "Name: value" a line)' });
  private readonly body = h('textarea', { name: 'hook-body', rows: 3, spellcheck: 'false', 'aria-label': 'Body' });
  private readonly sendBtn = h('button', { class: 'primary', type: 'submit' }, 'Send');
  private readonly actions = h('div', { class: 'row result-actions' });
  private readonly trace: TraceView;
  private last: HookCallResult | undefined;

  constructor(private readonly state: StudioState, openAt: (file: string, line?: number) => void) {
    this.trace = new TraceView(openAt, (name) => workspacePath(name, state.status?.workspace ?? '', state.files), 'hook-trace');
    const form = h('form', { class: 'hook-form', onsubmit: (e: Event) => { e.preventDefault(); void this.send(); } },
      h('div', { class: 'row' }, this.pick, this.method, h('span', { class: 'muted mono' }, '/api/v1/custom/'), h('label', { class: 'grow' }, this.path), this.sendBtn),
      h('div', { class: 'grid2' }, h('label', {}, 'Headers', this.headers), h('label', {}, 'Body', this.body)));
    replace(this.el, form, this.actions, this.trace.el);
    const saved = state.memory.get<HookCallInput & { headerText?: string }>('hookForm');
    this.method.value = saved?.method ?? 'GET';
    this.path.value = saved?.path ?? '';
    this.headers.value = saved?.headerText ?? '';
    this.body.value = saved?.body ?? '';
    for (const el of [this.method, this.path, this.headers, this.body]) el.addEventListener('input', () => this.remember());
    this.method.addEventListener('change', () => this.remember());
    this.pick.addEventListener('change', () => {
      const [method, ...location] = this.pick.value.split(' ');
      if (!method) return;
      this.method.value = method;
      this.path.value = location.join(' ');
      this.remember();
    });
    state.on('status', () => this.listHooks());
    this.listHooks();
    const result = state.memory.get<HookCallResult>('hookResult');
    if (result) this.show(result);
    else this.trace.showEmpty();
  }

  /** The hooks the live generation routes, to pick one instead of typing it. */
  private listHooks(): void {
    const hooks = this.state.status?.hooks ?? [];
    const key = hooks.map((x) => `${x.method} ${x.location}`).join('|');
    if (this.pick.dataset.hooks === key) return;
    this.pick.dataset.hooks = key;
    replace(this.pick, h('option', { value: '' }, hooks.length ? `Hooks (${hooks.length})…` : 'No hooks configured'),
      ...hooks.map((x) => h('option', { value: `${x.method} ${x.location}`, title: x.script }, `${x.method} ${x.location}`)));
  }

  private remember(): void {
    this.state.memory.set('hookForm', { method: this.method.value, path: this.path.value, headerText: this.headers.value, body: this.body.value });
  }

  /** What Send sends ({{name}} replaced with the chosen environment's variables). */
  input(): HookCallInput {
    const s = (t: string) => this.state.substitute(t);
    const headers = Object.fromEntries(Object.entries(parseHeaderLines(this.headers.value)).map(([k, v]) => [k, s(v)]));
    return { method: this.method.value, path: s(this.path.value.trim()), headers, body: s(this.body.value) };
  }

  async send(): Promise<void> {
    this.sendBtn.disabled = true;
    this.trace.showBusy();
    try {
      const r = await this.state.client.callHook(this.input());
      this.state.memory.set('hookResult', r);
      this.show(r);
    } catch (e) {
      this.trace.showError(e);
    } finally {
      this.sendBtn.disabled = false;
    }
  }

  private show(r: HookCallResult): void {
    this.last = r;
    this.trace.showHttp(r);
    replace(this.actions, ...requestActionButtons(this.state, () => void this.save(), r.request));
  }

  private async save(): Promise<void> {
    const r = this.last;
    if (!r) return;
    const location = r.request.url.replace(/^\/api\/v1\/custom\//, '');
    const hook = { method: r.request.method, path: location, headers: r.request.headers, body: r.request.body };
    await saveRequestDialog(this.state, { hook, expect: { status: r.status } }, `${r.request.method} ${location.split('?')[0]}`);
  }
}
