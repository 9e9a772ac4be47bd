// Coverage in the editor: each executable line of the shown file gets a green (ran) or red (never ran) mark in the
// gutter, with its hit count as the tooltip. The lines and counts come from the engine's report, not from here.
import type { CoverageReport } from '../../../engine/api/contract';
import { monaco } from '../monaco-env';

export class CoverageGutter {
  private readonly marks: monaco.editor.IEditorDecorationsCollection;
  private report: CoverageReport | undefined;
  private path: string | undefined;

  constructor(private readonly editor: monaco.editor.IStandaloneCodeEditor) {
    this.marks = editor.createDecorationsCollection();
  }

  /** The report to show (undefined clears the marks). */
  setReport(report: CoverageReport | undefined): void {
    this.report = report;
    this.render();
  }

  /** The file the editor shows now (its model was just set). */
  setPath(path: string | undefined): void {
    this.path = path;
    this.render();
  }

  private render(): void {
    const file = this.path ? this.report?.files.find((f) => f.file === this.path) : undefined;
    const model = this.editor.getModel();
    if (!file || !model) {
      this.marks.clear();
      return;
    }
    const last = model.getLineCount();
    this.marks.set(file.lines.filter((l) => l.line <= last).map((l) => ({
      range: new monaco.Range(l.line, 1, l.line, 1),
      options: {
        isWholeLine: true,
        linesDecorationsClassName: l.hits > 0 ? 'cov-mark cov-hit' : 'cov-mark cov-miss',
        linesDecorationsTooltip: l.hits > 0 ? `ran ${l.hits} time${l.hits === 1 ? '' : 's'}` : 'never ran',
        stickiness: monaco.editor.TrackedRangeStickiness.NeverGrowsWhenTypingAtEdges,
      },
    })));
  }
}
