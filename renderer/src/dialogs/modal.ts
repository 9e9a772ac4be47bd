// A modal dialog: a title, a body, and buttons; resolves with the id of the button pressed (or "cancel").
import { h } from '../dom';

export interface ModalButton {
  id: string;
  label: string;
  primary?: boolean;
}

export interface ModalHandle {
  /** Resolves with the pressed button's id, or "cancel" (Escape, the close button, a click outside). */
  result: Promise<string>;
  close(id?: string): void;
  root: HTMLElement;
}

/**
 * Open a modal over the page.
 * @example const choice = await openModal('Overwrite?', h('p', {}, 'The file changed'), [{ id: 'ok', label: 'Overwrite', primary: true }]).result;
 */
export function openModal(title: string, body: HTMLElement, buttons: ModalButton[], opts: { wide?: boolean; testId?: string } = {}): ModalHandle {
  let resolve!: (id: string) => void;
  const result = new Promise<string>((r) => (resolve = r));
  const previous = document.activeElement as HTMLElement | null;
  const close = (id = 'cancel') => {
    backdrop.remove();
    document.removeEventListener('keydown', onKey, true);
    previous?.focus?.();
    resolve(id);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  };
  const dialog = h('div', { class: `modal${opts.wide ? ' wide' : ''}`, role: 'dialog', 'aria-modal': 'true', 'aria-label': title, 'data-testid': opts.testId },
    h('div', { class: 'modal-head' }, h('h2', {}, title), h('button', { class: 'modal-close', 'aria-label': 'Close', onclick: () => close() }, '×')),
    h('div', { class: 'modal-body' }, body),
    h('div', { class: 'modal-buttons' },
      h('button', { onclick: () => close() }, 'Cancel'),
      ...buttons.map((b) => h('button', { class: b.primary ? 'primary' : '', 'data-id': b.id, onclick: () => close(b.id) }, b.label))));
  const backdrop = h('div', { class: 'modal-backdrop', onmousedown: (e: Event) => { if (e.target === backdrop) close(); } }, dialog);
  document.body.appendChild(backdrop);
  document.addEventListener('keydown', onKey, true);
  (dialog.querySelector('input, select, textarea, button.primary') as HTMLElement | null)?.focus();
  return { result, close, root: dialog };
}
