// The quick pick: an input over a list (quick open, the command palette, search in the workspace), driven by the
// keyboard: arrows move, Enter picks, Escape closes. Items come from a function of the query (sync or not).
import { h, replace } from '../dom';

export interface QuickPickItem {
  label: string;
  /** Shown after the label, dimmed (a folder, a key binding, a line of text). */
  detail?: string;
  /** Label indices to highlight (fuzzy matches). */
  highlight?: number[];
}

export interface QuickPickOptions<T extends QuickPickItem> {
  placeholder: string;
  testId: string;
  items(query: string): T[] | Promise<T[]>;
  pick(item: T): void;
  /** Text under the list when nothing matches. */
  empty?(query: string): string;
  /** Wait this long after typing before asking `items` (for server searches). */
  debounceMs?: number;
  initial?: string;
}

let current: { close(): void } | undefined;

function labelWith(item: QuickPickItem): HTMLElement {
  const marks = new Set(item.highlight ?? []);
  const el = h('span', { class: 'qp-label' });
  let run = '';
  let marked = false;
  const flush = () => {
    if (run) el.appendChild(marked ? h('b', {}, run) : document.createTextNode(run));
    run = '';
  };
  [...item.label].forEach((ch, i) => {
    if (marks.has(i) !== marked) {
      flush();
      marked = marks.has(i);
    }
    run += ch;
  });
  flush();
  return el;
}

/**
 * Open a quick pick at the top of the page (closing any other one).
 * @example openQuickPick({ placeholder: 'Go to file', testId: 'quick-open', items: (q) => match(q), pick: (f) => open(f.label) })
 */
export function openQuickPick<T extends QuickPickItem>(o: QuickPickOptions<T>): { close(): void } {
  current?.close();
  const previous = document.activeElement as HTMLElement | null;
  const input = h('input', { class: 'qp-input', type: 'text', placeholder: o.placeholder, 'aria-label': o.placeholder, spellcheck: 'false', value: o.initial ?? '' });
  const list = h('ul', { class: 'qp-list', role: 'listbox' });
  const box = h('div', { class: 'quick-pick', role: 'dialog', 'aria-label': o.placeholder, 'data-testid': o.testId }, input, list);
  const backdrop = h('div', { class: 'qp-backdrop', onmousedown: (e: Event) => { if (e.target === backdrop) close(); } }, box);
  let items: T[] = [];
  let selected = 0;
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const render = () => {
    replace(list, ...items.map((it, i) => h('li', {
      class: `qp-item${i === selected ? ' selected' : ''}`, role: 'option', 'aria-selected': String(i === selected),
      onmousedown: (e: Event) => { e.preventDefault(); choose(i); },
    }, labelWith(it), it.detail ? h('span', { class: 'qp-detail' }, it.detail) : null)));
    if (!items.length && input.value && o.empty) list.appendChild(h('li', { class: 'qp-none' }, o.empty(input.value)));
    (list.children[selected] as HTMLElement | undefined)?.scrollIntoView({ block: 'nearest' });
  };
  const update = async () => {
    const mine = ++seq;
    const got = await o.items(input.value);
    if (mine !== seq) return; // a newer query answered first
    items = got;
    selected = 0;
    render();
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    if (o.debounceMs) timer = setTimeout(() => void update(), o.debounceMs);
    else void update();
  };
  function close(): void {
    if (timer) clearTimeout(timer);
    backdrop.remove();
    if (current === handle) current = undefined;
    previous?.focus?.();
  }
  function choose(i: number): void {
    const it = items[i];
    if (!it) return;
    close();
    o.pick(it);
  }
  input.addEventListener('input', schedule);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (items.length) selected = (selected + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
      render();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      choose(selected);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  });
  const handle = { close };
  current = handle;
  document.body.appendChild(backdrop);
  input.focus();
  input.select();
  schedule();
  return handle;
}
