// What the page remembers across a reload (open tabs, the simulator's form and last result, the hook runner, logs,
// the chosen environment and dock tab): one JSON entry per workspace in the browser's localStorage. Kept in the
// browser, not the workspace: it is this window's state, not something to commit.

const PREFIX = 'authstudio.ui:';
/** Entries above this size are not written (a huge result must not fail every later write). */
const MAX_CHARS = 2_000_000;

export class UiMemory {
  private data: Record<string, unknown> = {};
  private timer: number | undefined;

  constructor(private readonly key: string) {
    try {
      const raw = localStorage.getItem(PREFIX + key);
      if (raw) this.data = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      this.data = {};
    }
    window.addEventListener('pagehide', () => this.flush());
  }

  get<T>(name: string): T | undefined {
    return this.data[name] as T | undefined;
  }

  /** Remember `value` under `name` (written shortly after, and when the page goes away). */
  set(name: string, value: unknown): void {
    if (value === undefined) delete this.data[name];
    else this.data[name] = value;
    if (this.timer === undefined) this.timer = window.setTimeout(() => this.flush(), 200);
  }

  flush(): void {
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    this.timer = undefined;
    try {
      const text = JSON.stringify(this.data);
      if (text.length <= MAX_CHARS) localStorage.setItem(PREFIX + this.key, text);
    } catch {
      // storage full or disabled: the page still works, it just forgets
    }
  }
}
