// Toasts: short messages in the corner, errors with what to do and an optional jump to the file and line.
import { h } from './dom';
import { explain } from './errors';
import { linkify } from './file-links';

export type OpenAt = (file: string, line?: number) => void;

let host: HTMLElement | undefined;
let openAt: OpenAt | undefined;

/** Where toasts go and how "open" links jump to a file. */
export function initNotify(container: HTMLElement, jump: OpenAt): void {
  host = container;
  openAt = jump;
}

/**
 * Toasts about a state that can end ("not live": the last change did not load) carry a topic, so they go away once
 * the state has ended instead of contradicting the header.
 */
export type ToastTopic = 'not-live';

function show(kind: 'info' | 'error' | 'ok' | 'warn', title: string, hint?: string, link?: { file: string; line?: number }, ms = 6000, topic?: ToastTopic): void {
  if (!host) return;
  const close = () => toast.remove();
  const toast = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-topic': topic },
    h('div', { class: 'toast-title' }, ...linkify(title)),
    hint ? h('div', { class: 'toast-hint' }, ...linkify(hint)) : null,
    link && openAt ? h('button', { class: 'link', onclick: () => { openAt?.(link.file, link.line); close(); } }, `Open ${link.file}${link.line ? `:${link.line}` : ''}`) : null,
    h('button', { class: 'toast-close', title: 'Dismiss', 'aria-label': 'Dismiss', onclick: close }, '×'));
  host.appendChild(toast);
  if (kind === 'info' || kind === 'ok') setTimeout(close, ms);
}

/** A neutral message that goes away by itself. */
export function info(title: string, hint?: string): void {
  show('info', title, hint);
}

/** A success message that goes away by itself. */
export function success(title: string, hint?: string): void {
  show('ok', title, hint, undefined, 3500);
}

/** Something the user should look at (stays until dismissed or its topic ends), with an optional jump to a file. */
export function warning(title: string, hint: string, link?: { file: string; line?: number }, topic?: ToastTopic): void {
  show('warn', title, hint, link, undefined, topic);
}

/** Remove the toasts of a state that has ended (e.g. a newer version went live). */
export function dismissTopic(topic: ToastTopic): void {
  host?.querySelectorAll(`.toast[data-topic="${topic}"]`).forEach((t) => t.remove());
}

/** An error that stays until dismissed: the message, what to do, and where. */
export function failure(e: unknown, context?: string): void {
  const x = explain(e);
  show('error', context ? `${context}: ${x.title}` : x.title, x.hint, x.location);
}
