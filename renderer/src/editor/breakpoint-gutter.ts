// Breakpoints in the editor's glyph margin: a click sets or clears a plain one; Shift+click or right-click opens the
// breakpoint dialog (condition, hit count, log message). Each kind has its own glyph and hover; the line a paused
// request stands on is highlighted. Breakpoints are kept per script and sent to the studio.
import type { DebugBreakpointSpec, StudioClient } from '../../../engine/api/contract';
import { monaco } from '../monaco-env';
import { explain } from '../errors';
import { failure } from '../notify';
import { describeBreakpoint, editBreakpoint } from './breakpoint-dialog';

export class BreakpointGutter {
  private readonly byPath = new Map<string, Map<number, DebugBreakpointSpec>>();
  private decorations: monaco.editor.IEditorDecorationsCollection;
  private current: { path: string; line: number } | undefined;

  constructor(
    editor: monaco.editor.IStandaloneCodeEditor,
    private readonly client: StudioClient,
    private readonly activePath: () => string | undefined,
  ) {
    editor.updateOptions({ glyphMargin: true });
    this.decorations = editor.createDecorationsCollection();
    editor.onMouseDown((e) => {
      if (e.target.type !== monaco.editor.MouseTargetType.GUTTER_GLYPH_MARGIN || !e.target.position || e.event.rightButton) return;
      const path = this.activePath();
      if (!path) return;
      if (e.event.shiftKey) void this.edit(path, e.target.position.lineNumber);
      else this.toggle(path, e.target.position.lineNumber);
    });
    // right-click in the glyph margin (Monaco shows no menu of its own there)
    editor.onContextMenu((e) => {
      const path = this.activePath();
      if (e.target.type === monaco.editor.MouseTargetType.GUTTER_GLYPH_MARGIN && e.target.position && path) void this.edit(path, e.target.position.lineNumber);
    });
    editor.onDidChangeModel(() => this.render());
  }

  /** Set a plain breakpoint on a line, or clear the one there. */
  toggle(path: string, line: number): void {
    const lines = this.lines(path);
    if (lines.has(line)) lines.delete(line);
    else lines.set(line, { line });
    this.render();
    this.send(path).catch((e: unknown) => failure(e, 'Setting a breakpoint'));
  }

  /** Open the breakpoint dialog for a line (condition, hit count, log message). */
  async edit(path: string, line: number): Promise<void> {
    const lines = this.lines(path);
    const before = lines.get(line);
    await editBreakpoint(path, line, before, async (spec) => {
      if (spec) lines.set(line, spec);
      else lines.delete(line);
      let refused = '';
      try {
        const infos = await this.send(path);
        refused = infos.find((b) => b.line === line && !b.verified)?.message ?? '';
      } catch (e) {
        const x = explain(e);
        refused = `${x.title} ${x.hint}`;
      }
      if (refused) {
        // the studio kept none on that line: put back what was there
        if (before) lines.set(line, before);
        else lines.delete(line);
        await this.send(path).catch(() => undefined);
      }
      this.render();
      return refused;
    });
  }

  /** The line a paused request stands on (undefined: none paused). */
  setCurrent(at: { path: string; line: number } | undefined): void {
    this.current = at;
    this.render();
  }

  private lines(path: string): Map<number, DebugBreakpointSpec> {
    let lines = this.byPath.get(path);
    if (!lines) this.byPath.set(path, (lines = new Map()));
    return lines;
  }

  private send(path: string) {
    return this.client.debugSetBreakpoints({ path, breakpoints: [...this.lines(path).values()] });
  }

  private render(): void {
    const path = this.activePath();
    const list: monaco.editor.IModelDeltaDecoration[] = [];
    for (const bp of path ? this.byPath.get(path)?.values() ?? [] : []) {
      const kind = bp.log_message !== undefined ? 'log' : bp.condition || bp.hit_condition ? 'conditional' : '';
      list.push({
        range: new monaco.Range(bp.line, 1, bp.line, 1),
        options: { glyphMarginClassName: `bp-glyph${kind ? ` ${kind}` : ''}`, glyphMarginHoverMessage: { value: describeBreakpoint(bp) } },
      });
    }
    if (path && this.current?.path === path) {
      const line = this.current.line;
      list.push({ range: new monaco.Range(line, 1, line, 1), options: { isWholeLine: true, className: 'debug-current-line', glyphMarginClassName: 'debug-current-glyph' } });
    }
    this.decorations.set(list);
  }
}
