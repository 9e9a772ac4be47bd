// Hover for the AuthStudio Lua API: signature and documentation of module members, request fields, methods and
// module names, with the Nauthilus versions that have each (and a note when the workspace's profile does not).
// Hovers look in the whole API, not only what the profile offers: a 1.x name in a 3.0 workspace is explained too.
import type { monaco as Monaco } from '../monaco-env';
import { isDovecotScript } from '../file-kinds';
import { dovecotHoverFor } from './dovecot-api';
import { API, allMethods, fieldMarkdown, memberMarkdown, moduleFor, moduleMarkdown, versionLine } from './lua-api-index';

/** The markdown for the word at `column` (1-based) of `line`, or undefined. */
export function hoverFor(line: string, word: { word: string; startColumn: number }, fullText: string): string | undefined {
  const before = line.slice(0, word.startColumn - 1);
  const dotted = /([A-Za-z_]\w*)\s*\.\s*$/.exec(before);
  if (dotted) {
    if (dotted[1] === 'request') return fieldMarkdown(word.word);
    const mod = moduleFor(dotted[1], fullText, API);
    const m = mod?.members.find((x) => x.name === word.word);
    return mod && m ? memberMarkdown(mod, m) : undefined;
  }
  if (/[A-Za-z_]\w*\s*:\s*$/.test(before)) {
    const hits = allMethods(API).filter((x) => x.name === word.word);
    if (hits.length) return hits.map((x) => ['```lua', x.signature, '```', `(${x.module}) ${x.doc}`, '', versionLine(x)].join('\n')).join('\n\n---\n\n');
  }
  const entry = API.entry_points.find((e) => e.name === word.word);
  if (entry) return `\`\`\`lua\nfunction ${entry.signature}\n\`\`\`\n\n${entry.kind} entry point; returns ${entry.returns}.\n\n${versionLine(entry)}`;
  if (word.word === 'request') return 'The `request` table: the fields of this authentication request (type `request.` for the list).';
  const mod = moduleFor(word.word, fullText, API);
  return mod ? moduleMarkdown(mod) : undefined;
}

/** Register the hover provider for Lua. */
export function registerLuaHover(monaco: typeof Monaco): Monaco.IDisposable {
  return monaco.languages.registerHoverProvider('lua', {
    provideHover(model, position) {
      const word = model.getWordAtPosition(position);
      if (!word) return null;
      const full = model.getValue();
      const dovecot = isDovecotScript(model.uri.path.replace(/^\//, ''), full);
      const text = (dovecot ? dovecotHoverFor : hoverFor)(model.getLineContent(position.lineNumber), word, full);
      if (!text) return null;
      return {
        contents: [{ value: text }],
        range: { startLineNumber: position.lineNumber, endLineNumber: position.lineNumber, startColumn: word.startColumn, endColumn: word.endColumn },
      };
    },
  });
}
