// Protection: the networks and accounts brute-force detection blocks now (bucket, counter, TTL, ban time, since
// when), each with an Unblock button; refreshed when shown, during and after traffic, and on request.
import type { ProtectionList, UnblockInput } from '../../../engine/api/contract';
import { emptyState, h, replace } from '../dom';
import { clock, count, ttl } from '../format';
import { failure, success } from '../notify';
import type { StudioState } from '../studio-state';

/** While traffic runs, the list is read at most this often. */
const PROGRESS_REFRESH_MS = 1000;

export class ProtectionPanel {
  readonly el = h('div', { class: 'panel protection', 'data-panel': 'protection' });
  private readonly body = h('div', { class: 'protection-body' });
  private readonly stamp = h('span', { class: 'muted' }, '');
  private lastProgressRefresh = 0;
  private readonly counted = new Set<(n: number) => void>();

  constructor(private readonly state: StudioState) {
    state.client.onTrafficDone(() => void this.refreshIfShown());
    state.client.onTrafficProgress(() => {
      if (Date.now() - this.lastProgressRefresh < PROGRESS_REFRESH_MS) return;
      this.lastProgressRefresh = Date.now();
      void this.refreshIfShown();
    });
    state.on('reload', () => void this.refreshIfShown());
    replace(this.el,
      h('div', { class: 'panel-toolbar' },
        h('button', { class: 'primary', onclick: () => void this.refresh() }, 'Refresh'), this.stamp),
      this.body);
    replace(this.body, emptyState('Not read yet', 'Press Refresh, or run an attack from the Traffic panel.'));
  }

  /** Called with the number of blocked networks and accounts after every refresh (the dock's badge). */
  onCount(fn: (n: number) => void): void {
    this.counted.add(fn);
  }

  private async refreshIfShown(): Promise<void> {
    if (this.el.isConnected && !this.el.closest('[hidden]')) await this.refresh();
  }

  async refresh(): Promise<void> {
    let list: ProtectionList;
    try {
      list = await this.state.client.listBlocked();
    } catch (e) {
      failure(e, 'Reading the blocked networks');
      return;
    }
    this.stamp.textContent = `read ${clock()}`;
    for (const fn of this.counted) fn(list.networks.length + list.accounts.length);
    this.render(list);
  }

  private render(list: ProtectionList): void {
    if (!list.enabled) {
      replace(this.body, emptyState('Brute-force detection is off', 'Add a brute_force section with buckets to authstudio.yml (see docs/configuration.md).'));
      return;
    }
    if (list.networks.length === 0 && list.accounts.length === 0) {
      replace(this.body, emptyState('Nothing is blocked', 'A network is blocked once a bucket counts failed_requests wrong passwords from it within its period.'));
      return;
    }
    replace(this.body,
      h('h3', {}, `Blocked networks (${list.networks.length})`),
      h('table', { class: 'blocked-networks' },
        h('thead', {}, h('tr', {}, ...['network', 'bucket', 'counter', 'expires in', 'ban time', 'blocked at', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, ...list.networks.map((n) => h('tr', { 'data-network': n.network, 'data-bucket': n.bucket },
          h('td', { class: 'mono' }, n.network), h('td', {}, n.bucket), h('td', {}, `${count(n.counter)} / ${count(n.limit)}`),
          h('td', {}, ttl(n.ttl_seconds)), h('td', {}, ttl(n.ban_time_seconds)), h('td', {}, clock(n.blocked_at)),
          h('td', {}, h('button', { onclick: () => void this.unblock({ network: n.network, bucket: n.bucket }, n.network) }, 'Unblock')))))),
      h('h3', {}, `Affected accounts (${list.accounts.length})`),
      list.accounts.length === 0 ? h('div', { class: 'muted' }, 'No account was refused from a blocked network.') : h('table', { class: 'blocked-accounts' },
        h('thead', {}, h('tr', {}, ...['account', 'refused from', 'expires in', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, ...list.accounts.map((a) => h('tr', { 'data-account': a.account },
          h('td', { class: 'mono' }, a.account), h('td', { class: 'mono' }, a.ip_addresses.join(', ')), h('td', {}, ttl(a.ttl_seconds)),
          h('td', {}, h('button', { onclick: () => void this.unblock({ account: a.account }, a.account) }, 'Unblock')))))));
  }

  private async unblock(arg: UnblockInput, what: string): Promise<void> {
    try {
      const r = await this.state.client.unblock(arg);
      success(`Unblocked ${what}`, `${r.removed_keys.length} key(s) deleted`);
    } catch (e) {
      failure(e, `Unblocking ${what}`);
    }
    await this.refresh();
  }
}
