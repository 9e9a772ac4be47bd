// A few DOM helpers: element creation with attributes and children, and emptying a node.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/**
 * Create an element. Attributes starting with "on" are listeners; `class` and `data-*` are attributes; false and
 * undefined values are left out.
 * @example h('button', { class: 'primary', onclick: () => save() }, 'Save')
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) (el as unknown as { value: string }).value = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

/** Append children, skipping empty ones. */
export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Remove every child, then append the new ones. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

/** An empty state: what is missing and what to do about it. */
export function emptyState(title: string, hint: string, action?: { label: string; run: () => void }): HTMLElement {
  return h('div', { class: 'empty' },
    h('div', { class: 'empty-title' }, title),
    h('div', { class: 'empty-hint' }, hint),
    action ? h('button', { class: 'link', onclick: action.run }, action.label) : null);
}
