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
  /** Press a button: with `accept`, the dialog closes only when it agrees. */
  submit(id: string): Promise<void>;
  root: HTMLElement;
}

/**
 * Open a modal over the page.
 * @example const choice = await openModal('Overwrite?', h('p', {}, 'The file changed'), [{ id: 'ok', label: 'Overwrite', primary: true }]).result;
 */
export interface ModalOptions {
  wide?: boolean;
  testId?: string;
  /**
   * Called when a button (not Cancel) is pressed; the dialog stays open, with what was typed, unless it returns
   * true (show why inline). The buttons are disabled while it runs.
   */
  accept?: (id: string) => boolean | Promise<boolean>;
}

export function openModal(title: string, body: HTMLElement, buttons: ModalButton[], opts: ModalOptions = {}): ModalHandle {
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
      ...buttons.map((b) => h('button', { class: b.primary ? 'primary' : '', 'data-id': b.id, onclick: () => void submit(b.id) }, b.label))));
  let busy = false;
  const submit = async (id: string) => {
    if (busy) return;
    if (!opts.accept) return close(id);
    busy = true;
    const own = [...dialog.querySelectorAll('.modal-buttons button[data-id]')] as HTMLButtonElement[];
    for (const b of own) b.disabled = true;
    try {
      if (await opts.accept(id)) close(id);
    } finally {
      busy = false;
      for (const b of own) b.disabled = false;
    }
  };
  const backdrop = h('div', { class: 'modal-backdrop', onmousedown: (e: Event) => { if (e.target === backdrop) close(); } }, dialog);
  document.body.appendChild(backdrop);
  document.addEventListener('keydown', onKey, true);
  (dialog.querySelector('input, select, textarea, button.primary') as HTMLElement | null)?.focus();
  return { result, close, submit, root: dialog };
}
