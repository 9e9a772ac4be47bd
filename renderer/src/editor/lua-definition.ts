// Go to definition in Lua (F12, Ctrl+click): `require("x")` opens the module file the engine would load (the studio
// service resolves it on the config's package_path); a call to a function defined in the file, or in a module it
// requires, jumps to that definition. Definitions are found by their Lua forms, not by a full parse:
//   function name(   local function name(   function t.name( / t:name(   name = function(   t.name = function(
import type { StudioClient } from '../../../engine/api/contract';
import { monaco } from '../monaco-env';

const REQUIRE = /require\s*\(?\s*(["'])([\w.-]+)\1\s*\)?/g;

/** The module named by a `require` whose string the column (1-based) is on, if any. */
export function requireAt(line: string, column: number): string | undefined {
  for (const m of line.matchAll(REQUIRE)) {
    const start = m.index + 1;
    if (column >= start && column <= start + m[0].length) return m[2];
  }
  return undefined;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The 1-based line and column of `name`'s definition in `text` (with a qualifier: `function q.name`, `q.name = function`, or any table's). */
export function definitionIn(text: string, name: string, opts: { qualified?: boolean } = {}): { line: number; column: number } | undefined {
  const n = escape(name);
  const forms = opts.qualified
    ? [`^\\s*function\\s+[\\w.]+[.:](${n})\\s*\\(`, `^\\s*[\\w.]+\\.(${n})\\s*=\\s*function\\b`, `^\\s*(${n})\\s*=\\s*function\\b`]
    : [`^\\s*(?:local\\s+)?function\\s+(${n})\\s*\\(`, `^\\s*(?:local\\s+)?(${n})\\s*=\\s*function\\b`];
  const lines = text.split(/\r?\n/);
  for (const form of forms) {
    const re = new RegExp(form, 'd');
    for (let i = 0; i < lines.length; i++) {
      const m = re.exec(lines[i]);
      const at = (m as (RegExpExecArray & { indices?: Array<[number, number]> }) | null)?.indices?.[1];
      if (at) return { line: i + 1, column: at[0] + 1 };
    }
  }
  return undefined;
}

/** `local alias = require("x")` (or `alias = require "x"`) in the text: alias -> module name. */
export function requiresIn(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^\s*(?:local\s+)?([A-Za-z_]\w*)\s*=\s*require\s*\(?\s*(["'])([\w.-]+)\2/gm)) out.set(m[1], m[3]);
  return out;
}

export function workspaceUri(path: string): monaco.Uri {
  return monaco.Uri.from({ scheme: 'workspace', path: `/${path}` });
}

/** Register the provider; `open` shows a workspace file at a place (the editor's tabs). */
export function registerLuaDefinition(client: StudioClient, open: (path: string, line: number, column: number) => void): monaco.IDisposable[] {
  const texts = new Map<string, string>();
  /** The module's file and text (a model is created for it, so Monaco can show the place). */
  const moduleFile = async (name: string): Promise<{ path: string; text: string } | undefined> => {
    const where = await client.resolveLuaModule({ name });
    if (!where.path) return undefined;
    const uri = workspaceUri(where.path);
    let model = monaco.editor.getModel(uri);
    if (!model) {
      const c = await client.readFile({ path: where.path });
      model = monaco.editor.getModel(uri) ?? monaco.editor.createModel(c.content, 'lua', uri);
    }
    texts.set(where.path, model.getValue());
    return { path: where.path, text: model.getValue() };
  };
  const at = (path: string, p: { line: number; column: number }, len: number): monaco.languages.Location => ({
    uri: workspaceUri(path), range: new monaco.Range(p.line, p.column, p.line, p.column + len),
  });
  const provider = monaco.languages.registerDefinitionProvider('lua', {
    async provideDefinition(model, position) {
      const line = model.getLineContent(position.lineNumber);
      const mod = requireAt(line, position.column);
      if (mod) {
        const f = await moduleFile(mod);
        return f ? at(f.path, { line: 1, column: 1 }, 0) : undefined;
      }
      const word = model.getWordAtPosition(position);
      if (!word) return undefined;
      const before = line.slice(0, word.startColumn - 1);
      const qualifier = /([A-Za-z_]\w*)\s*[.:]\s*$/.exec(before)?.[1];
      const text = model.getValue();
      const requires = requiresIn(text);
      if (qualifier) {
        const name = requires.get(qualifier);
        if (name) {
          const f = await moduleFile(name);
          const d = f && definitionIn(f.text, word.word, { qualified: true });
          if (f && d) return at(f.path, d, word.word.length);
        }
        const d = definitionIn(text, word.word, { qualified: true });
        return d ? { uri: model.uri, range: new monaco.Range(d.line, d.column, d.line, d.column + word.word.length) } : undefined;
      }
      const here = definitionIn(text, word.word);
      if (here) return { uri: model.uri, range: new monaco.Range(here.line, here.column, here.line, here.column + word.word.length) };
      // a global function of a required module
      for (const name of new Set(requires.values())) {
        const f = await moduleFile(name).catch(() => undefined);
        const d = f && definitionIn(f.text, word.word);
        if (f && d) return at(f.path, d, word.word.length);
      }
      return undefined;
    },
  });
  const opener = monaco.editor.registerEditorOpener({
    openCodeEditor(_source, resource, selectionOrPosition) {
      if (resource.scheme !== 'workspace') return false;
      const p = selectionOrPosition && 'startLineNumber' in selectionOrPosition
        ? { line: selectionOrPosition.startLineNumber, column: selectionOrPosition.startColumn }
        : { line: selectionOrPosition?.lineNumber ?? 1, column: selectionOrPosition?.column ?? 1 };
      open(resource.path.replace(/^\//, ''), p.line, p.column);
      return true;
    },
  });
  return [provider, opener];
}
