// The Requests history: every request the engine served in studio mode (simulator, traffic, hook runner, curl or
// any other client), newest first; a click shows its trace, and it can be saved or copied as curl.
import type { ServedRequest, ServedRequestDetail } from '../../../engine/api/contract';
import { requestActionButtons, saveRequestDialog } from '../dialogs/request-dialogs';
import { emptyState, h, replace } from '../dom';
import { clock, ms } from '../format';
import { failure, warning } from '../notify';
import { workspacePath } from '../script-paths';
import type { StudioState } from '../studio-state';
import { TraceView } from './trace-view';

const MAX_ROWS = 200;
const CUSTOM = '/api/v1/custom/';

export class RequestsPanel {
  readonly el = h('div', { class: 'panel requests', 'data-panel': 'requests' });
  private readonly list = h('div', { class: 'request-list', 'data-testid': 'request-list' });
  private readonly actions = h('div', { class: 'row result-actions' });
  private readonly trace: TraceView;
  private entries: ServedRequest[] = [];
  private selected: string | undefined;
  private pending = false;

  constructor(private readonly state: StudioState, openAt: (file: string, line?: number) => void) {
    this.trace = new TraceView(openAt, (name) => workspacePath(name, state.status?.workspace ?? '', state.files), 'request-trace');
    const clear = h('button', { onclick: () => void this.clear() }, 'Clear');
    replace(this.el,
      h('div', { class: 'panel-toolbar' }, h('span', { class: 'muted' }, 'Every request the engine served: the studio\'s own and any client\'s (curl, Dovecot, nginx)'), clear),
      h('div', { class: 'split' }, this.list, h('div', { class: 'request-detail' }, this.actions, this.trace.el)));
    replace(this.trace.el, emptyState('No request picked', 'Click a request on the left to see what ran for it.'));
    state.client.onRequestServed((e) => {
      this.entries.unshift(e);
      if (this.entries.length > MAX_ROWS) this.entries.length = MAX_ROWS;
      this.schedule();
    });
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const known = new Set(this.entries.map((e) => e.id));
      const listed = (await this.state.client.listRequests()).filter((e) => !known.has(e.id));
      this.entries = [...this.entries, ...listed].sort((a, b) => b.at - a.at || Number(b.id.slice(1)) - Number(a.id.slice(1))).slice(0, MAX_ROWS);
      this.render();
    } catch (e) {
      failure(e, 'Requests history');
    }
  }

  private async clear(): Promise<void> {
    try {
      await this.state.client.clearRequests();
    } catch (e) {
      failure(e, 'Clearing the history');
      return;
    }
    this.entries = [];
    this.selected = undefined;
    replace(this.actions);
    replace(this.trace.el, emptyState('No request picked', 'Click a request on the left to see what ran for it.'));
    this.render();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  private render(): void {
    if (!this.entries.length) {
      replace(this.list, emptyState('No requests yet', 'Send one from the simulator or the hook runner, or point curl at the studio\'s address.'));
      return;
    }
    replace(this.list, h('table', { class: 'events requests-table' }, h('tbody', {}, ...this.entries.map((e) => h('tr', {
      class: `request-row${e.id === this.selected ? ' selected' : ''}`, 'data-id': e.id, 'data-kind': e.kind, 'data-source': e.source,
      onclick: () => void this.pick(e.id),
    },
    h('td', {}, clock(e.at)),
    h('td', {}, h('span', { class: `source ${e.source}` }, e.source === 'studio' ? 'studio' : 'client')),
    h('td', { class: 'mono' }, `${e.method} ${e.url}`),
    h('td', {}, String(e.status)),
    h('td', {}, e.decision ? h('span', { class: `pill ${e.decision}` }, e.decision) : e.kind),
    h('td', { class: 'mono' }, e.username ?? ''),
    h('td', {}, ms(e.duration_ms)))))));
  }

  private async pick(id: string): Promise<void> {
    this.selected = id;
    this.render();
    this.trace.showBusy();
    let d: ServedRequestDetail;
    try {
      d = await this.state.client.getRequest({ id });
    } catch (e) {
      this.trace.showError(e);
      return;
    }
    const sent = { method: d.method, url: d.url, headers: d.request.headers, body: d.request.body };
    this.trace.showHttp({ ...d, latency_ms: d.duration_ms, request: sent, body: d.response.body, headers: d.response.headers });
    replace(this.actions, ...requestActionButtons(this.state, () => void this.save(d), sent));
  }

  private async save(d: ServedRequestDetail): Promise<void> {
    if (d.kind === 'hook') {
      const headers = Object.fromEntries(Object.entries(d.request.headers).filter(([k]) => !['host', 'content-length', 'user-agent', 'accept', 'connection'].includes(k)));
      const path = d.url.slice(CUSTOM.length);
      await saveRequestDialog(this.state, { hook: { method: d.method, path, headers, body: d.request.body }, expect: { status: d.status } }, `${d.method} ${path.split('?')[0]}`);
      return;
    }
    let fields: Record<string, string>;
    try {
      if (!d.url.startsWith('/api/v1/auth/json')) throw new Error('not the JSON endpoint');
      fields = Object.fromEntries(Object.entries(JSON.parse(d.request.body) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    } catch {
      warning('This request cannot be saved', 'Saved logins are sent to /api/v1/auth/json: save this one from the simulator with the JSON client.');
      return;
    }
    const mode = new URLSearchParams(d.url.split('?')[1] ?? '').get('mode') as 'no-auth' | 'list-accounts' | null;
    const expect: Record<string, unknown> = { decision: d.decision, status: d.status, ...(d.decided_by ? { decided_by: d.decided_by } : {}), ...(d.status_message ? { status_message: d.status_message } : {}) };
    await saveRequestDialog(this.state, { login: { request: fields, ...(mode ? { mode } : {}) }, expect }, `${fields.username ?? 'login'} ${d.decision ?? ''}`.trim());
  }
}

