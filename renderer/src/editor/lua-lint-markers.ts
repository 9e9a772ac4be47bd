// The Lua checker (engine/lint) as you type: each open Lua file is checked a moment after its last change, against the
// workspace's Nauthilus profile or, for a Dovecot script, the Dovecot runner's version; the findings become markers
// on the model and entries of the Problems panel before anything is saved.
import type { Diagnostic } from '../../../engine/api/contract';
import { lintLua, LINT_CODES } from '../../../engine/lint/lua-lint';
import { monaco } from '../monaco-env';
import { apiProfile } from './lua-api-index';
import { dovecotProfile, onDovecotProfile } from './dovecot-api';

const OWNER = 'authstudio-lint';
/** How long typing must pause before the script is checked again. */
const DEBOUNCE_MS = 250;

interface Watched {
  model: monaco.editor.ITextModel;
  dovecot: () => boolean;
  timer?: ReturnType<typeof setTimeout>;
  sub: monaco.IDisposable;
  findings: Diagnostic[];
}

export class LuaLintMarkers {
  private readonly watched = new Map<string, Watched>();
  private readonly listeners = new Set<() => void>();

  /**
   * @param known the diagnostics the engine already reported (reload): not marked twice
   */
  constructor(private readonly known: () => Diagnostic[]) {
    onDovecotProfile(() => this.relintAll());
  }

  /** Check `path` now and after each change; `dovecot` says whether it is a Dovecot script (its text may decide). */
  watch(path: string, model: monaco.editor.ITextModel, dovecot: () => boolean): void {
    if (this.watched.has(path) || !/\.lua$/i.test(path)) return;
    const w: Watched = { model, dovecot, findings: [], sub: model.onDidChangeContent(() => this.schedule(path)) };
    this.watched.set(path, w);
    this.lint(path);
  }

  unwatch(path: string): void {
    const w = this.watched.get(path);
    if (!w) return;
    clearTimeout(w.timer);
    w.sub.dispose();
    this.watched.delete(path);
    this.emit();
  }

  /** Check every open script again (the profile changed, or the engine's diagnostics did). */
  relintAll(): void {
    for (const path of this.watched.keys()) this.lint(path);
  }

  /** The current findings of every open script, as Problems lists them. */
  diagnostics(): Diagnostic[] {
    return [...this.watched.values()].flatMap((w) => w.findings);
  }

  onChange(fn: () => void): void {
    this.listeners.add(fn);
  }

  private schedule(path: string): void {
    const w = this.watched.get(path);
    if (!w) return;
    clearTimeout(w.timer);
    w.timer = setTimeout(() => this.lint(path), DEBOUNCE_MS);
  }

  private lint(path: string): void {
    const w = this.watched.get(path);
    if (!w || w.model.isDisposed()) return;
    const dovecot = w.dovecot();
    const findings = lintLua(w.model.getValue(), dovecot ? { api: 'dovecot', profile: dovecotProfile() } : { api: 'nauthilus', profile: apiProfile() });
    // what the engine already reports is not listed twice: the same message, or its own syntax error on the same line
    const known = new Set(this.known().filter((d) => d.file === path).flatMap((d) => [`${d.line}:${d.message}`, ...(d.code === LINT_CODES.syntax ? [`${d.line}:syntax`] : [])]));
    const fresh = findings.filter((f) => !known.has(`${f.line}:${f.message}`) && !(f.kind === 'syntax' && known.has(`${f.line}:syntax`)));
    monaco.editor.setModelMarkers(w.model, OWNER, fresh.map((f) => ({
      severity: f.severity === 'error' ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
      message: f.message, code: LINT_CODES[f.kind], source: 'AuthStudio check',
      startLineNumber: f.line, startColumn: f.column, endLineNumber: f.endLine, endColumn: Math.max(f.endColumn, f.column + 1),
    })));
    w.findings = fresh.map((f) => ({ file: path, line: f.line, column: f.column, message: f.message, code: LINT_CODES[f.kind], severity: f.severity }));
    this.emit();
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
