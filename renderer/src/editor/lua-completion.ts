// Completion for the AuthStudio Lua API: module members after `x.`, request fields after `request.`, methods after
// `obj:`, module names inside require("..."), and the entry points as ready-to-fill functions; only what the
// workspace's profile has (lua-api-index.ts setApiProfile).
import type { monaco as Monaco } from '../monaco-env';
import { isDovecotScript } from '../file-kinds';
import { dovecotCompletionsFor } from './dovecot-api';
import { aliasesIn, allMethods, fieldMarkdown, memberMarkdown, moduleFor, moduleMarkdown, offeredApi, versionLine } from './lua-api-index';

type M = typeof Monaco;
type Item = Monaco.languages.CompletionItem;

const ENTRY_BODIES: Record<string, string> = {
  nauthilus_call_feature: 'return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK',
  nauthilus_call_environment: 'return nauthilus_builtin.ENVIRONMENT_TRIGGER_NO, nauthilus_builtin.ENVIRONMENT_ABORT_NO, nauthilus_builtin.ENVIRONMENT_RESULT_OK',
  nauthilus_call_filter: 'return nauthilus_builtin.FILTER_ACCEPT, nauthilus_builtin.FILTER_RESULT_OK',
  nauthilus_call_subject: 'return nauthilus_builtin.SUBJECT_ACCEPT, nauthilus_builtin.SUBJECT_RESULT_OK',
  nauthilus_call_action: 'return nauthilus_builtin.ACTION_RESULT_OK',
  nauthilus_backend_verify_password: 'local b = nauthilus_backend_result.new()\n\treturn nauthilus_builtin.BACKEND_RESULT_OK, b',
};

/** The items for the text before the cursor on this line (exported for the unit of the completion logic). */
export function completionsFor(monaco: M, before: string, fullText: string, range: Monaco.IRange): Item[] {
  const K = monaco.languages.CompletionItemKind;
  const snippet = monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet;
  const md = (value: string) => ({ value });
  const API = offeredApi();

  const req = /\b(require|dynamic_loader)\s*\(?\s*["']([\w.]*)$/.exec(before);
  if (req) {
    return API.modules.flatMap((m) => (req[1] === 'require' ? [m.name] : m.loader_names).map((name) => ({
      label: name, kind: K.Module, insertText: name, range, detail: m.summary, documentation: md(moduleMarkdown(m)),
    })));
  }
  const member = /([A-Za-z_]\w*)\.(\w*)$/.exec(before);
  if (member) {
    if (member[1] === 'request') {
      return API.request_fields.map((f) => ({ label: f.name, kind: K.Field, insertText: f.name, range, detail: 'request field', documentation: md(fieldMarkdown(f.name) ?? '') }));
    }
    const mod = moduleFor(member[1], fullText);
    if (!mod) return [];
    return mod.members.map((m) => ({
      label: m.name,
      kind: m.type === 'function' ? K.Function : m.type === 'table' ? K.Module : K.Constant,
      insertText: m.type === 'function' ? `${m.name}($0)` : m.name,
      insertTextRules: m.type === 'function' ? snippet : undefined,
      range,
      detail: m.type === 'function' ? m.signature : m.value !== undefined ? `${m.name} = ${m.value}` : m.type,
      documentation: md(memberMarkdown(mod, m)),
    }));
  }
  if (/[A-Za-z_]\w*:(\w*)$/.test(before)) {
    return allMethods().map((x) => ({
      label: x.name, kind: K.Method, insertText: `${x.name}($0)`, insertTextRules: snippet, range,
      detail: `${x.signature}  (${x.module})`, documentation: md(['```lua', x.signature, '```', '', x.doc, '', versionLine(x)].join('\n')),
    }));
  }
  if (!/(^|[^\w.:])\w*$/.test(before)) return [];
  const items: Item[] = [];
  for (const [alias, target] of aliasesIn(fullText)) {
    const mod = API.modules.find((m) => m.name === target)!;
    if (alias !== target || mod.global || fullText.includes(target)) {
      items.push({ label: alias, kind: K.Module, insertText: alias, range, detail: alias === target ? mod.summary : `= require("${target}")`, documentation: md(moduleMarkdown(mod)) });
    }
  }
  items.push({ label: 'request', kind: K.Variable, insertText: 'request', range, detail: 'the request table of this call', documentation: md('The `request` table: type `request.` for its fields.') });
  items.push({ label: 'dynamic_loader', kind: K.Function, insertText: 'dynamic_loader("$0")', insertTextRules: snippet, range, detail: 'dynamic_loader(name)', documentation: md('1.x module loader: call it before `require` (AuthStudio preloads every module, so it is optional).') });
  for (const e of API.entry_points) {
    const params = /\((.*)\)/.exec(e.signature)?.[1] ?? '';
    const body = ENTRY_BODIES[e.name];
    items.push({
      label: e.name, kind: K.Snippet, range, insertTextRules: snippet,
      insertText: `function ${e.name}(${params})\n\t$0${body ? `\n\t${body}` : ''}\nend`,
      detail: `${e.kind} entry point → ${e.returns}`,
      documentation: md(`Defines the ${e.kind} entry point.\n\nReturns: ${e.returns}\n\n${versionLine(e)}`),
    });
  }
  return items;
}

/** Register the completion provider for Lua. */
export function registerLuaCompletion(monaco: M): Monaco.IDisposable {
  return monaco.languages.registerCompletionItemProvider('lua', {
    triggerCharacters: ['.', ':', '"', "'"],
    provideCompletionItems(model, position) {
      const before = model.getValueInRange({ startLineNumber: position.lineNumber, startColumn: 1, endLineNumber: position.lineNumber, endColumn: position.column });
      const word = model.getWordUntilPosition(position);
      const range = { startLineNumber: position.lineNumber, endLineNumber: position.lineNumber, startColumn: word.startColumn, endColumn: word.endColumn };
      const text = model.getValue();
      // Dovecot scripts get Dovecot's API (dovecot.*, req), never AuthStudio's
      const dovecot = isDovecotScript(model.uri.path.replace(/^\//, ''), text);
      return { suggestions: (dovecot ? dovecotCompletionsFor : completionsFor)(monaco, before, text, range) };
    },
  });
}
