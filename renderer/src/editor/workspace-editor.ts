// The editor area: one Monaco editor, a model per open file, tabs, Ctrl/Cmd+S, markers, and which version is live.
import type { SaveResult } from '../../../engine/api/contract';
import { emptyState, h, replace } from '../dom';
import { isDovecotScript, languageOf } from '../file-kinds';
import { ms } from '../format';
import { monaco } from '../monaco-env';
import { failure, success, warning } from '../notify';
import type { StudioState } from '../studio-state';
import { CoverageGutter } from './coverage-gutter';
import { applyMarkers, applyRuntimeMarkers } from './diagnostic-markers';
import { LuaLintMarkers } from './lua-lint-markers';
import { resolveConflict } from './save-conflict';
import { confirmAgainstCorpus } from './what-if-dialog';
import { TabBar } from './tab-bar';

interface OpenFile {
  path: string;
  model: monaco.editor.ITextModel;
  /** Version on disk this tab is based on. */
  version: string;
  /** The text last read or saved. */
  saved: string;
  view: monaco.editor.ICodeEditorViewState | null;
  changedOnDisk: boolean;
}

/** Open files, tabs and the editor; `onActive` listeners learn which file is shown (for the tree). */
export class WorkspaceEditor {
  readonly el: HTMLElement;
  readonly editor: monaco.editor.IStandaloneCodeEditor;
  private readonly files = new Map<string, OpenFile>();
  private order: string[] = [];
  private active: string | undefined;
  private readonly tabs: TabBar;
  private readonly header = h('div', { class: 'editor-header' });
  private readonly empty: HTMLElement;
  private readonly host = h('div', { class: 'editor-host' });
  private readonly activeListeners = new Set<(path: string | undefined) => void>();
  private readonly saving = new Map<string, Promise<SaveResult | undefined>>();
  /** The Lua checker as you type: markers and Problems entries before a file is saved. */
  readonly lint: LuaLintMarkers;

  constructor(private readonly state: StudioState) {
    this.lint = new LuaLintMarkers(() => this.state.diagnostics, async (name) => {
      const where = await state.client.resolveLuaModule({ name });
      return where.path ? { path: where.path, text: (await state.client.readFile({ path: where.path })).content } : {};
    });
    this.lint.onChange(() => this.refresh());
    this.tabs = new TabBar({ select: (p) => void this.open(p), close: (p) => this.close(p) });
    this.empty = emptyState('No file open', 'Pick a script in the tree on the left, or create one with "New script".');
    this.el = h('section', { class: 'editor-area' }, this.tabs.el, this.header, this.host, this.empty);
    this.editor = monaco.editor.create(this.host, {
      model: null, theme: 'authstudio', automaticLayout: true, minimap: { enabled: false }, fontSize: 13, tabSize: 2,
      scrollBeyondLastLine: false, fixedOverflowWidgets: true, glyphMargin: true, renderWhitespace: 'selection', 'semanticHighlighting.enabled': false,
    });
    this.editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => void this.save());
    const coverage = new CoverageGutter(this.editor);
    coverage.setReport(state.coverage);
    state.on('coverage', (r) => coverage.setReport(r));
    this.editor.onDidChangeModel(() => coverage.setPath(this.active));
    // Ctrl/Cmd+S outside the editor (tree, panels) saves too, and never opens the browser's "save page"
    window.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 's') {
        e.preventDefault();
        if (!(e.target as Element | null)?.closest?.('.monaco-editor')) void this.save();
      }
    });
    window.addEventListener('beforeunload', (e) => {
      if (this.order.some((p) => this.isDirty(p))) e.preventDefault();
    });
    state.on('status', () => {
      this.lint.relintAll(); // the profile may have changed, and what the engine reports is not marked twice
      this.refresh();
    });
    state.client.onFilesChanged((e) => {
      if (e.source === 'external') for (const p of e.paths) void this.reloadFromDisk(p, false);
    });
    this.refresh();
  }

  /** The open files, in tab order. */
  get openPaths(): string[] {
    return [...this.order];
  }

  get activePath(): string | undefined {
    return this.active;
  }

  onActive(fn: (path: string | undefined) => void): void {
    this.activeListeners.add(fn);
  }

  /** The text of an open file as the editor has it, and whether it differs from the saved one. */
  textOf(path: string): { content: string; dirty: boolean } | undefined {
    const f = this.files.get(path);
    return f ? { content: f.model.getValue(), dirty: this.isDirty(path) } : undefined;
  }

  /** Whether an open file is a Dovecot script (by folder, or by its Dovecot entry functions). */
  isDovecot(path: string): boolean {
    const f = this.files.get(path);
    return isDovecotScript(path, f?.model.getValue());
  }

  isDirty(path: string): boolean {
    const f = this.files.get(path);
    return !!f && f.model.getValue() !== f.saved;
  }

  /** Show a file (reading it when it is not open yet), optionally at a line (and column). */
  async open(path: string, line?: number, column = 1): Promise<void> {
    let f = this.files.get(path);
    if (!f) {
      let content;
      try {
        content = await this.state.client.readFile({ path });
      } catch (e) {
        failure(e, `Opening ${path}`);
        return;
      }
      f = this.files.get(path);
      if (!f) {
        const uri = monaco.Uri.from({ scheme: 'workspace', path: `/${path}` });
        const model = monaco.editor.getModel(uri) ?? monaco.editor.createModel(content.content, languageOf(path), uri);
        model.setValue(content.content);
        f = { path, model, version: content.version, saved: content.content, view: null, changedOnDisk: false };
        this.files.set(path, f);
        this.order.push(path);
        model.onDidChangeContent(() => this.refresh());
        this.lint.watch(path, model, () => this.isDovecot(path));
      }
    }
    if (this.active !== path) {
      const prev = this.active ? this.files.get(this.active) : undefined;
      if (prev) prev.view = this.editor.saveViewState();
      this.active = path;
      this.editor.setModel(f.model);
      if (f.view) this.editor.restoreViewState(f.view);
    }
    if (line !== undefined) {
      this.editor.revealLineInCenter(line);
      this.editor.setPosition({ lineNumber: line, column });
    }
    this.editor.focus();
    this.refresh();
    for (const fn of this.activeListeners) fn(path);
  }

  close(path: string): void {
    const f = this.files.get(path);
    if (!f) return;
    if (this.isDirty(path) && !window.confirm(`${path} has unsaved changes. Close it anyway?`)) return;
    this.files.delete(path);
    const i = this.order.indexOf(path);
    this.order = this.order.filter((p) => p !== path);
    this.lint.unwatch(path);
    f.model.dispose();
    if (this.active === path) {
      this.active = undefined;
      this.editor.setModel(null);
      const next = this.order[Math.min(i, this.order.length - 1)];
      if (next) void this.open(next);
      else for (const fn of this.activeListeners) fn(undefined);
    }
    this.refresh();
  }

  /**
   * A file (or folder) was renamed: its open tabs move to the new path, keeping unsaved edits, view and place.
   * @example editor.renamed('features/a.lua', 'features/b.lua')
   */
  renamed(from: string, to: string): void {
    const moved = this.order.filter((p) => p === from || p.startsWith(`${from}/`));
    for (const old of moved) {
      const f = this.files.get(old)!;
      const now = to + old.slice(from.length);
      const view = this.active === old ? this.editor.saveViewState() : f.view;
      const uri = monaco.Uri.from({ scheme: 'workspace', path: `/${now}` });
      monaco.editor.getModel(uri)?.dispose();
      const model = monaco.editor.createModel(f.model.getValue(), languageOf(now), uri);
      model.onDidChangeContent(() => this.refresh());
      const moved: OpenFile = { ...f, path: now, model, view };
      this.files.delete(old);
      this.files.set(now, moved);
      this.order = this.order.map((p) => (p === old ? now : p));
      if (this.active === old) {
        this.active = now;
        this.editor.setModel(model);
        if (view) this.editor.restoreViewState(view);
      }
      f.model.dispose();
    }
    if (moved.length) {
      this.refresh();
      for (const fn of this.activeListeners) fn(this.active);
    }
  }

  /** Format the open file (Lua with StyLua, YAML with the yaml library). */
  format(): void {
    if (!this.active) return;
    this.editor.focus();
    void this.editor.getAction('editor.action.formatDocument')?.run();
  }

  /** A file (or folder) was deleted: its tabs close without asking (the user confirmed the delete). */
  deleted(path: string): void {
    for (const p of this.order.filter((x) => x === path || x.startsWith(`${path}/`))) {
      const f = this.files.get(p)!;
      f.saved = f.model.getValue();
      this.close(p);
    }
  }

  /** Save the active (or given) file; a save of a script or the config reloads the engine. */
  save(path = this.active, force = false): Promise<SaveResult | undefined> {
    if (!path) return Promise.resolve(undefined);
    // one save per file at a time: a second Ctrl+S while the first is under way waits for it
    const running = this.saving.get(path);
    if (running) return running;
    const p = this.doSave(path, force).finally(() => this.saving.delete(path));
    this.saving.set(path, p);
    return p;
  }

  private async doSave(path: string, force: boolean): Promise<SaveResult | undefined> {
    const f = this.files.get(path);
    if (!f) return undefined;
    const content = f.model.getValue();
    // what the edit would change for the recorded requests, before it goes live (the Dovecot scripts are not served)
    if (!force && !this.isDovecot(f.path) && !(await confirmAgainstCorpus(this.state.client, f.path, content))) return undefined;
    let result: SaveResult;
    try {
      result = await this.state.client.saveFile({ path: f.path, content, base_version: force ? undefined : f.version });
    } catch (e) {
      const choice = await resolveConflict(e, f.path);
      if (choice === 'overwrite') return this.doSave(path, true);
      if (choice === 'reload') await this.reloadFromDisk(f.path, true);
      else if (choice === undefined) failure(e, `Saving ${f.path}`);
      return undefined;
    }
    f.saved = content;
    f.changedOnDisk = false;
    if (result.version) f.version = result.version;
    const r = result.reload;
    if (this.isDovecot(f.path)) success(`Saved ${f.path}`, 'A Dovecot script: the engine does not serve it; press Run in the Dovecot runner to try it');
    else if (r?.ok) success(`Saved ${f.path}`, `Live: generation ${r.generation} (reloaded in ${ms(r.duration_ms)})`);
    else if (r) {
      const first = r.diagnostics[0];
      warning(`Saved ${f.path}, but it is not live`, `${r.diagnostics.length} problem(s), see Problems. Generation ${r.generation} keeps serving the previous version.`,
        first?.file ? { file: first.file, line: first.line } : undefined, 'not-live');
    } else success(`Saved ${f.path}`);
    if (r) await this.state.applyReload(r);
    await this.state.refreshFiles().catch(() => undefined);
    this.refresh();
    return result;
  }

  /** Re-read a file from disk into its tab (unless it has unsaved edits and `force` is false). */
  async reloadFromDisk(path: string, force: boolean): Promise<void> {
    const f = this.files.get(path);
    if (!f) return;
    if (this.isDirty(path) && !force) {
      f.changedOnDisk = true;
      this.refresh();
      return;
    }
    try {
      const c = await this.state.client.readFile({ path });
      f.version = c.version;
      f.saved = c.content;
      f.changedOnDisk = false;
      if (f.model.getValue() !== c.content) f.model.pushEditOperations([], [{ range: f.model.getFullModelRange(), text: c.content }], () => null);
    } catch (e) {
      failure(e, `Reading ${path}`);
    }
    this.refresh();
  }

  private refresh(): void {
    const diags = this.state.diagnostics;
    const runtime = this.state.runtimeErrors;
    const models = new Map([...this.files].map(([p, f]) => [p, f.model]));
    applyMarkers(monaco, models, diags);
    applyRuntimeMarkers(monaco, models, runtime);
    const lint = this.lint.diagnostics();
    this.tabs.render(this.order.map((p) => ({
      path: p, dirty: this.isDirty(p),
      problems: diags.filter((d) => d.file === p).length + lint.filter((d) => d.file === p).length + runtime.filter((r) => r.file === p).length,
    })), this.active);
    this.empty.hidden = this.active !== undefined;
    this.host.hidden = this.active === undefined;
    this.header.hidden = this.active === undefined;
    if (this.active) replace(this.header, h('span', { class: 'editor-path' }, this.active), this.liveNote(this.active));
  }

  /** Whether what is in the tab is what the engine runs. */
  private liveNote(path: string): HTMLElement {
    const s = this.state.status;
    const f = this.files.get(path)!;
    const problems = this.state.diagnostics.filter((d) => d.file === path).length;
    const gen = s?.generation ?? 0;
    if (f.changedOnDisk) return h('span', { class: 'live-note warn' }, 'Changed on disk while you edit: saving will ask what to keep');
    // Dovecot scripts run in Dovecot (and in the runner), never in the engine: no generation to be live in
    if (this.isDovecot(path)) {
      return h('span', { class: 'live-note dovecot', 'data-live': 'dovecot' }, this.isDirty(path)
        ? 'Dovecot script · unsaved changes (Run uses them; Ctrl+S saves)'
        : 'Dovecot script · runs in Dovecot, not in the engine: try it in the Dovecot runner');
    }
    if (this.isDirty(path)) return h('span', { class: 'live-note dirty' }, 'Unsaved changes — Ctrl+S saves and reloads');
    if (problems) return h('span', { class: 'live-note bad', 'data-live': 'no' }, `Saved, not live: ${problems} problem(s); generation ${gen} keeps serving the previous version`);
    if (s && !s.healthy) return h('span', { class: 'live-note warn' }, `Saved; other files have problems, generation ${gen} keeps serving`);
    const runtime = this.state.runtimeErrors.filter((r) => r.file === path);
    if (runtime.length) {
      const lines = [...new Set(runtime.map((r) => r.line).filter((l): l is number => l !== undefined))].sort((a, b) => a - b);
      return h('span', { class: 'live-note bad', 'data-live': 'runtime-error' },
        `Live in generation ${gen} · runtime error${runtime.length === 1 ? '' : 's'}${lines.length ? ` at line ${lines.join(', ')}` : ''} (see Problems)`);
    }
    return h('span', { class: 'live-note ok', 'data-live': 'yes' }, `Live in generation ${gen}`);
  }
}
