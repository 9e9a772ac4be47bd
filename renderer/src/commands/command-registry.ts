// The studio's own commands in one place: what the command palette lists and what the key bindings run.
import fuzzysort from 'fuzzysort';
import { openQuickPick, type QuickPickItem } from '../dialogs/quick-pick';
import { failure } from '../notify';

export interface StudioCommand {
  id: string;
  /** What the palette shows ("Check the workspace"). */
  label: string;
  /** The key binding as shown to the user ("Ctrl+Shift+F"); also what `bindKeys` listens for. */
  keys?: string[];
  /** A binding handled elsewhere (the editor's own), shown in the palette only. */
  hint?: string;
  run(): void | Promise<void>;
}

/** "Ctrl+Shift+F" as a KeyboardEvent would spell it (Cmd counts as Ctrl on macOS). */
function matches(binding: string, e: KeyboardEvent): boolean {
  const parts = binding.split('+');
  const key = parts.pop()!.toLowerCase();
  const want = new Set(parts.map((p) => p.toLowerCase()));
  return (e.ctrlKey || e.metaKey) === want.has('ctrl') && e.shiftKey === want.has('shift') && e.altKey === want.has('alt')
    && (e.key.toLowerCase() === key || e.code.toLowerCase() === `key${key}`);
}

export class CommandRegistry {
  private readonly commands = new Map<string, StudioCommand>();

  register(...cmds: StudioCommand[]): void {
    for (const c of cmds) this.commands.set(c.id, c);
  }

  list(): StudioCommand[] {
    return [...this.commands.values()].sort((a, b) => a.label.localeCompare(b.label));
  }

  run(id: string): void {
    const c = this.commands.get(id);
    if (!c) return;
    Promise.resolve()
      .then(() => c.run())
      .catch((e: unknown) => failure(e, c.label));
  }

  /** Listen for every command's key binding before the editor does (so Monaco's F1 and the browser's Ctrl+P stay out). */
  bindKeys(target: Window = window): void {
    target.addEventListener('keydown', (e) => {
      if (document.querySelector('.modal-backdrop')) return;
      const c = [...this.commands.values()].find((x) => x.keys?.some((k) => matches(k, e)));
      if (!c) return;
      e.preventDefault();
      e.stopPropagation();
      this.run(c.id);
    }, true);
  }

  /** The command palette: every command, fuzzy-filtered by what is typed. */
  openPalette(): void {
    type Item = QuickPickItem & { id: string };
    const all = this.list();
    openQuickPick<Item>({
      placeholder: 'Run a studio command', testId: 'command-palette',
      items: (q) => {
        const toItem = (c: StudioCommand, highlight?: number[]): Item => ({ id: c.id, label: c.label, detail: c.keys?.join(', ') ?? c.hint, highlight });
        if (!q.trim()) return all.map((c) => toItem(c));
        return fuzzysort.go(q, all, { key: 'label', limit: 50 }).map((r) => toItem(r.obj, [...r.indexes]));
      },
      pick: (it) => this.run(it.id),
      empty: (q) => `No command matches "${q}"`,
    });
  }
}
