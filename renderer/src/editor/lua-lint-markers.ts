// The Lua checker (engine/lint) as you type: each open Lua file is checked a moment after its last change, against the
// workspace's Nauthilus profile or, for a Dovecot script, the Dovecot runner's version; the findings become markers
// on the model and entries of the Problems panel before anything is saved. A module `require` finds in the workspace
// (the config's package_path, e.g. a site's own nauthilus_util.lua) is checked against that file's exports, as
// `authstudio check` does.
import type { Diagnostic } from '../../../engine/api/contract';
import { lintLua, LINT_CODES } from '../../../engine/lint/lua-lint';
import { moduleExports, requiredModules } from '../../../engine/lint/module-exports';
import { monaco } from '../monaco-env';
import { apiProfile, apiProfileDetected } from './lua-api-index';
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

/** The workspace file a module name resolves to, and the fields it exports (undefined: not a workspace file, or unknown). */
interface UserModule {
  path?: string;
  fields?: string[];
}

/** The workspace file `require(name)` loads, with its text (no path: none; the built-in module, if any, is loaded). */
export type ModuleResolver = (name: string) => Promise<{ path?: string; text?: string }>;

export class LuaLintMarkers {
  private readonly watched = new Map<string, Watched>();
  private readonly listeners = new Set<() => void>();
  /** Required module names resolved so far (a name missing here is being resolved, or not yet asked for). */
  private readonly modules = new Map<string, UserModule>();
  private readonly resolving = new Set<string>();

  /**
   * @param known the diagnostics the engine already reported (reload): not marked twice
   * @param resolve where `require(name)` finds a workspace module (absent: every module is the built-in one)
   */
  constructor(private readonly known: () => Diagnostic[], private readonly resolve?: ModuleResolver) {
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

  /** Check every open script again (the profile changed, or the engine's diagnostics did; a module may have too). */
  relintAll(): void {
    for (const name of this.modules.keys()) void this.resolveModule(name);
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
    const text = w.model.getValue();
    const findings = lintLua(text, dovecot ? { api: 'dovecot', profile: dovecotProfile() } : { api: 'nauthilus', profile: apiProfile(), profileExplicit: !apiProfileDetected(), userModules: this.userModules(text) });
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

  /** The workspace modules the text requires, as far as resolved; the others are resolved now (then checked again). */
  private userModules(text: string): Map<string, string[] | undefined> {
    const out = new Map<string, string[] | undefined>();
    for (const name of requiredModules(text)) {
      const m = this.modules.get(name);
      if (!m) void this.resolveModule(name);
      else if (m.path) out.set(name, m.fields);
    }
    return out;
  }

  private async resolveModule(name: string): Promise<void> {
    if (!this.resolve || this.resolving.has(name)) return;
    this.resolving.add(name);
    try {
      const where = await this.resolve(name);
      const next: UserModule = where.path ? { path: where.path, fields: moduleExports(where.text ?? '') } : {};
      const before = this.modules.get(name);
      this.modules.set(name, next);
      if (JSON.stringify(before) === JSON.stringify(next)) return;
      for (const [path, w] of this.watched) if (requiredModules(w.model.getValue()).includes(name)) this.lint(path);
    } catch {
      // the studio could not say: the module is checked as the built-in one until the next status
    } finally {
      this.resolving.delete(name);
    }
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
