// Diagnostics from the engine (reload, check) as Monaco markers on the files they name; scripts' runtime errors as
// markers of their own owner plus a line decoration (a red band and a ⚡ in the gutter), so they read apart.
import type { Diagnostic, RuntimeProblem } from '../../../engine/api/contract';
import type { monaco as Monaco } from '../monaco-env';

const OWNER = 'authstudio';

/** Marker data for one model from the workspace diagnostics (exported for tests of the mapping). */
export function markersFor(monaco: typeof Monaco, model: Monaco.editor.ITextModel, path: string, diagnostics: Diagnostic[]): Monaco.editor.IMarkerData[] {
  return diagnostics.filter((d) => d.file === path).map((d) => {
    const line = Math.min(Math.max(d.line ?? 1, 1), model.getLineCount());
    const text = model.getLineContent(line);
    const near = /near '([^']+)'/.exec(d.message)?.[1];
    let start = d.column ?? (text.length - text.trimStart().length + 1);
    let end = model.getLineMaxColumn(line);
    if (d.column !== undefined && near && text.slice(d.column - 1).startsWith(near)) end = d.column + near.length;
    if (start >= end) {
      start = 1;
      end = model.getLineMaxColumn(line);
    }
    return {
      severity: d.severity === 'warning' ? monaco.MarkerSeverity.Warning : monaco.MarkerSeverity.Error,
      message: d.message,
      code: d.code,
      source: 'AuthStudio',
      startLineNumber: line,
      startColumn: start,
      endLineNumber: line,
      endColumn: end,
    };
  });
}

/** Put the workspace's diagnostics on every open model (and clear those that have none). */
export function applyMarkers(monaco: typeof Monaco, models: Map<string, Monaco.editor.ITextModel>, diagnostics: Diagnostic[]): void {
  for (const [path, model] of models) monaco.editor.setModelMarkers(model, OWNER, markersFor(monaco, model, path, diagnostics));
}

const RUNTIME_OWNER = 'authstudio-runtime';
/** The runtime-error decorations of each model (replaced on every update). */
const runtimeDecorations = new WeakMap<Monaco.editor.ITextModel, string[]>();

/** Put the scripts' runtime errors on every open model: a marker with the message and count, and a line decoration. */
export function applyRuntimeMarkers(monaco: typeof Monaco, models: Map<string, Monaco.editor.ITextModel>, problems: RuntimeProblem[]): void {
  for (const [path, model] of models) {
    const here = problems.filter((p) => p.file === path && p.line !== undefined);
    const lines = here.map((p) => Math.min(Math.max(p.line ?? 1, 1), model.getLineCount()));
    monaco.editor.setModelMarkers(model, RUNTIME_OWNER, here.map((p, i) => ({
      severity: monaco.MarkerSeverity.Error,
      message: `Runtime error (${p.count}×, ${p.stage} ${p.name}): ${p.message}`,
      source: 'AuthStudio runtime',
      startLineNumber: lines[i],
      startColumn: model.getLineFirstNonWhitespaceColumn(lines[i]) || 1,
      endLineNumber: lines[i],
      endColumn: model.getLineMaxColumn(lines[i]),
    })));
    const next = here.map((p, i) => ({
      range: new monaco.Range(lines[i], 1, lines[i], 1),
      options: {
        isWholeLine: true, className: 'runtime-error-line', glyphMarginClassName: 'runtime-error-glyph',
        glyphMarginHoverMessage: { value: `Runtime error: ${p.message}` },
      },
    }));
    runtimeDecorations.set(model, model.deltaDecorations(runtimeDecorations.get(model) ?? [], next));
  }
}
