// Format YAML with the `yaml` library (comments kept): two-space indents, lists indented under their key. Runs on the
// page, so a format right after opening a file never waits for monaco-yaml's worker.
import { parseDocument } from 'yaml';
import { monaco } from '../monaco-env';

/** The formatted text; throws the first parse error (with its line) when the YAML does not parse. */
export function formatYaml(text: string, indent = 2): string {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new Error(`the YAML does not parse${e.linePos ? ` (line ${e.linePos[0].line})` : ''}: ${e.message.split('\n')[0]}`);
  }
  return doc.toString({ indent, indentSeq: true, lineWidth: 0 });
}

export function registerYamlFormatting(onError: (e: unknown) => void): monaco.IDisposable {
  return monaco.languages.registerDocumentFormattingEditProvider('yaml', {
    provideDocumentFormattingEdits(model, options) {
      try {
        const text = formatYaml(model.getValue(), options.tabSize);
        return text === model.getValue() ? [] : [{ range: model.getFullModelRange(), text }];
      } catch (e) {
        onError(e);
        return [];
      }
    },
  });
}
