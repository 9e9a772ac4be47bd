// Breakpoints in the editor's glyph margin: a click sets or clears one (Shift+click asks for a condition); the
// line a paused request stands on is highlighted. Breakpoints are kept per script and sent to the studio.
import type { DebugBreakpointSpec, StudioClient } from '../../../engine/api/contract';
import { monaco } from '../monaco-env';
import { failure } from '../notify';

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
      if (e.target.type !== monaco.editor.MouseTargetType.GUTTER_GLYPH_MARGIN || !e.target.position) return;
      const path = this.activePath();
      if (path) this.toggle(path, e.target.position.lineNumber, e.event.shiftKey);
    });
    editor.onDidChangeModel(() => this.render());
  }

  /** Set or clear the breakpoint on a line; with `ask`, a condition (empty: none) is asked for first. */
  toggle(path: string, line: number, ask = false): void {
    const lines = this.byPath.get(path) ?? new Map<number, DebugBreakpointSpec>();
    if (lines.has(line) && !ask) lines.delete(line);
    else {
      const condition = ask ? window.prompt(`Pause on ${path}:${line} only when this Lua expression holds (empty: always)`, lines.get(line)?.condition ?? '') : undefined;
      if (condition === null) return;
      lines.set(line, { line, ...(condition ? { condition } : {}) });
    }
    this.byPath.set(path, lines);
    this.render();
    this.client.debugSetBreakpoints({ path, breakpoints: [...lines.values()] }).catch((e: unknown) => failure(e, 'Setting a breakpoint'));
  }

  /** The line a paused request stands on (undefined: none paused). */
  setCurrent(at: { path: string; line: number } | undefined): void {
    this.current = at;
    this.render();
  }

  private render(): void {
    const path = this.activePath();
    const list: monaco.editor.IModelDeltaDecoration[] = [];
    for (const bp of path ? this.byPath.get(path)?.values() ?? [] : []) {
      list.push({
        range: new monaco.Range(bp.line, 1, bp.line, 1),
        options: { glyphMarginClassName: bp.condition ? 'bp-glyph conditional' : 'bp-glyph', glyphMarginHoverMessage: { value: bp.condition ? `Breakpoint if \`${bp.condition}\`` : 'Breakpoint' } },
      });
    }
    if (path && this.current?.path === path) {
      const line = this.current.line;
      list.push({ range: new monaco.Range(line, 1, line, 1), options: { isWholeLine: true, className: 'debug-current-line', glyphMarginClassName: 'debug-current-glyph' } });
    }
    this.decorations.set(list);
  }
}
