// Diagnostics from the engine (reload, check) as Monaco markers on the files they name.
import type { Diagnostic } from '../../../engine/api/contract';
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
