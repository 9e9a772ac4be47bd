// One helper for every `file:line` the studio shows (trace, logs, problems, toasts): a link that opens the file
// at that line when the name is a workspace file, plain text otherwise.
import { h } from './dom';

export type OpenAt = (file: string, line?: number) => void;
/** The workspace file a name stands for (absolute, cwd-relative, "...tail"), or undefined. */
export type ResolveFile = (name: string) => string | undefined;

/** `name.lua:12` (also .yml/.yaml), with a Lua "..." shortened head or a Windows path. */
const PLACE = /((?:\.\.\.)?[\w./\\@-]*?[\w.-]+\.(?:lua|ya?ml)):(\d+)/g;

let opener: { open: OpenAt; resolve: ResolveFile } | undefined;

/** Where links lead: set once by the page (boot) before anything renders text with places in it. */
export function setFileLinks(open: OpenAt, resolve: ResolveFile): void {
  opener = { open, resolve };
}

/** A link to `file` at `line`, its text what the user reads (`text`, or `file:line`). */
export function fileLink(file: string, line?: number, text?: string): HTMLElement {
  const label = text ?? `${file}${line ? `:${line}` : ''}`;
  return h('a', {
    class: 'file-link', href: '#', 'data-file': file, 'data-line': line === undefined ? '' : String(line), title: `Open ${file}${line ? ` at line ${line}` : ''}`,
    onclick: (e: Event) => {
      e.preventDefault();
      e.stopPropagation();
      opener?.open(file, line);
    },
  }, label);
}

/**
 * `text` with each `file:line` of a workspace file turned into a link (the rest stays text).
 * @example h('div', {}, ...linkify('features/x.lua:12: attempt to index a nil value'))
 */
export function linkify(text: string): Array<Node | string> {
  if (!opener) return [text];
  const out: Array<Node | string> = [];
  let last = 0;
  for (const m of text.matchAll(PLACE)) {
    const at = m.index ?? 0;
    const file = opener.resolve(m[1]);
    if (!file) continue;
    if (at > last) out.push(text.slice(last, at));
    out.push(fileLink(file, Number(m[2]), m[0]));
    last = at + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
