// Redis: which store the engine uses (embedded or a real server, switchable after a connection test) and a key
// browser (scan by pattern, TTLs, values, delete, flush the engine's keys).
import type { KeyInfo, KeyValue, RedisStatus } from '../../../engine/api/contract';
import { emptyState, h, replace } from '../dom';
import { preview, ttl } from '../format';
import { failure, success } from '../notify';
import type { StudioState } from '../studio-state';

export class RedisPanel {
  readonly el = h('div', { class: 'panel redis', 'data-panel': 'redis' });
  private readonly statusEl = h('div', { class: 'redis-status' });
  private readonly url = h('input', { name: 'redis-url', value: 'redis://127.0.0.1:6379/0', 'aria-label': 'Redis URL', spellcheck: 'false' });
  private readonly save = h('input', { type: 'checkbox', checked: true, 'aria-label': 'Remember for this workspace' });
  private readonly pattern = h('input', { name: 'pattern', value: '*', 'aria-label': 'Key pattern', spellcheck: 'false' });
  /** What a switch does to the embedded store's data (kept) and to a real Redis (nothing is copied there). */
  private readonly noteEl = h('div', { class: 'redis-note muted', 'data-testid': 'redis-switch-note' });
  private readonly keysEl = h('div', { class: 'key-list' });
  private readonly valueEl = h('div', { class: 'key-value' });
  private keys: KeyInfo[] = [];
  private cursor = '0';
  /** The key the value pane shows: read again on every scan, so a deleted or expired key does not linger there. */
  private shown: string | undefined;

  constructor(private readonly state: StudioState) {
    state.client.onRedisChanged((s) => this.renderStatus(s));
    state.on('status', (s) => this.renderStatus(s.redis));
    state.client.onTrafficDone(() => {
      if (this.el.isConnected && !this.el.closest('[hidden]')) void this.scan();
    });
    replace(this.el,
      h('div', { class: 'panel-toolbar' }, this.statusEl,
        h('button', { onclick: () => void this.switchTo('mock'), title: 'Use the in-memory Redis built into AuthStudio' }, 'Use embedded'),
        this.url,
        h('button', { onclick: () => void this.test() }, 'Test'),
        h('button', { onclick: () => void this.switchTo(this.url.value.trim()), title: "Use this Redis: the embedded store's keys are kept for the switch back; nothing is copied to the real Redis" }, 'Switch'),
        h('label', { class: 'check' }, this.save, 'remember')),
      this.noteEl,
      h('form', { class: 'panel-toolbar', onsubmit: (e: Event) => { e.preventDefault(); void this.scan(); } },
        h('label', {}, 'Keys matching', this.pattern),
        h('button', { type: 'submit', class: 'primary' }, 'Scan'),
        h('button', { type: 'button', onclick: () => void this.flush(), title: "Delete the engine's keys (its prefix, or all keys of the embedded store)" }, 'Flush…')),
      h('div', { class: 'redis-body' }, this.keysEl, this.valueEl));
    replace(this.keysEl, emptyState('No keys listed', 'Press Scan to list the keys the scripts and the brute-force buckets wrote.'));
    replace(this.valueEl, emptyState('No key selected', 'Click a key to see its value and TTL.'));
  }

  private renderStatus(s: RedisStatus): void {
    const where = s.mode === 'mock' ? 'embedded (in memory)' : `${s.mode} ${s.target}`;
    replace(this.statusEl, h('span', { class: `dot ${s.ok ? 'ok' : 'bad'}` }), h('span', {}, `${where}${s.prefix ? `, prefix "${s.prefix}"` : ''}${s.saved ? ' · saved' : ''}`));
    this.el.dataset.mode = s.mode;
    this.el.dataset.keptEmbeddedKeys = s.kept_embedded_keys === undefined ? '' : String(s.kept_embedded_keys);
    replace(this.noteEl, s.kept_embedded_keys !== undefined
      ? `The embedded Redis is kept in memory with its ${s.kept_embedded_keys} key(s) (brute-force blocks included); "Use embedded" brings them back. Nothing of it was written to this Redis.`
      : 'Switching to a real Redis keeps the embedded store\'s keys (brute-force blocks included) for the switch back, and copies nothing to the real Redis.');
  }

  private async test(): Promise<void> {
    try {
      const r = await this.state.client.testRedis({ url: this.url.value.trim() });
      if (r.ok) success('Redis answers', `PING took ${r.latency_ms} ms`);
      else failure(new Error(r.error ?? 'no answer'), `Redis at ${this.url.value}`);
    } catch (e) {
      failure(e, 'Redis test');
    }
  }

  private async switchTo(url: string): Promise<void> {
    try {
      const s = await this.state.client.switchRedis({ url, save: this.save.checked });
      this.renderStatus(s);
      const kept = s.kept_embedded_keys !== undefined ? ` The embedded store keeps its ${s.kept_embedded_keys} key(s) for the switch back; none were copied here.` : '';
      success(url === 'mock' ? 'Using the embedded Redis' : `Using ${s.target}`, `New requests use it at once.${kept}`);
      await this.scan();
    } catch (e) {
      failure(e, 'Switching Redis');
    }
  }

  /** List keys from the start (or continue with `more`). */
  async scan(more = false): Promise<void> {
    try {
      const page = await this.state.client.scanKeys({ pattern: this.pattern.value || '*', cursor: more ? this.cursor : '0', count: 200 });
      this.keys = more ? [...this.keys, ...page.keys] : page.keys;
      this.cursor = page.cursor;
      this.renderKeys();
    } catch (e) {
      failure(e, 'Listing keys');
      return;
    }
    if (!more && this.shown !== undefined) await this.show(this.shown, true);
  }

  private renderKeys(): void {
    if (this.keys.length === 0) {
      replace(this.keysEl, emptyState(`No key matches "${this.pattern.value}"`, 'Send requests or run traffic first, or widen the pattern (e.g. *).'));
      return;
    }
    const sorted = [...this.keys].sort((a, b) => a.key.localeCompare(b.key));
    replace(this.keysEl,
      h('table', { class: 'keys' },
        h('thead', {}, h('tr', {}, h('th', {}, 'key'), h('th', {}, 'type'), h('th', {}, 'ttl'))),
        h('tbody', {}, ...sorted.map((k) => h('tr', { class: 'key-row', 'data-key': k.key, tabindex: '0', onclick: () => void this.show(k.key) },
          h('td', { class: 'mono' }, k.key), h('td', {}, k.type), h('td', {}, ttl(k.ttl)))))),
      this.cursor !== '0' ? h('button', { class: 'link', onclick: () => void this.scan(true) }, 'Load more') : h('div', { class: 'muted' }, `${this.keys.length} key(s)`));
  }

  /** Show a key's value; `again` re-reads the key already shown (quietly: it may be gone by now). */
  private async show(key: string, again = false): Promise<void> {
    let v: KeyValue;
    this.shown = key;
    try {
      v = await this.state.client.getKey({ key });
    } catch (e) {
      if (this.shown !== key) return;
      if ((e as { code?: string }).code === 'AS_ERR_NOT_FOUND') {
        this.shown = undefined;
        replace(this.valueEl, h('div', { 'data-gone': key }, emptyState('Key gone', `${key} no longer exists (deleted, expired or flushed).`)));
      } else if (!again) failure(e, `Reading ${key}`);
      return;
    }
    if (this.shown !== key) return;
    replace(this.valueEl,
      h('div', { class: 'key-head' }, h('code', {}, v.key), h('span', { class: 'muted' }, ` ${v.type} · ${ttl(v.ttl)}${v.truncated ? ' · cut' : ''}`),
        h('button', { onclick: () => void this.remove(v.key) }, 'Delete')),
      h('pre', { class: 'response' }, typeof v.value === 'string' ? v.value : JSON.stringify(v.value, null, 2) ?? preview(v.value)));
  }

  private async remove(key: string): Promise<void> {
    if (!window.confirm(`Delete the key ${key}?`)) return;
    try {
      await this.state.client.deleteKey({ key });
      this.shown = undefined;
      replace(this.valueEl, emptyState('Deleted', `${key} is gone.`));
      await this.scan();
    } catch (e) {
      failure(e, `Deleting ${key}`);
    }
  }

  private async flush(): Promise<void> {
    if (!window.confirm("Delete all of the engine's keys (brute-force counters, script data)?")) return;
    try {
      const r = await this.state.client.flushNamespace();
      success(`Deleted ${r.deleted} key(s)`);
      await this.scan();
    } catch (e) {
      failure(e, 'Flush');
    }
  }
}
