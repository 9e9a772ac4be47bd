// `xmlpath` (nauthilus_gll_xmlpath): gopher-lua-libs v0.7.0's load(html) / compile(path) / path:iter(node) /
// node:string(), which wrap gopkg.in/xmlpath.v2 (2015-08-20) over golang.org/x/net/html. The document is parsed
// here with parse5, a WHATWG HTML parser like x/net/html (implied html/head/body, the same error recovery), and
// handed to Lua as xmlpath.v2's flat node list; compiling and running paths is Lua (gll-xmlpath-lua.ts).
import { parse } from 'parse5';
import { LuaMultiReturn } from 'wasmoon';
import type { LuaModule } from '../module';
import { XMLPATH_LUA } from './gll-xmlpath-lua';

// xmlpath.v2's node kinds
const START = 1, END = 2, ATTR = 3, TEXT = 4, COMMENT = 5;

/** xmlpath.v2's node list: positions are 0-based; fin is a start node's end position, else position + 1. */
export interface FlatDocument {
  kind: number[];
  name: string[];
  val: string[];
  up: number[];
  fin: number[];
  down: number[][];
}

interface P5Node {
  nodeName: string;
  tagName?: string;
  value?: string;
  data?: string;
  attrs?: { name: string; value: string }[];
  childNodes?: P5Node[];
  content?: { childNodes: P5Node[] };
}

/**
 * The tree xmlpath.ParseHTML builds: a nameless root holding the <html> element as x/net/html's ParseFragment
 * with no context leaves it (comments before <html> and after </html> inside it, no doctype, template contents
 * as children).
 */
export function flattenHtml(html: string): FlatDocument {
  // a doctype first: no quirks mode, as in x/net/html's fragment parsing (a doctype of the input is then ignored)
  const doc = parse(`<!DOCTYPE html>${html}`) as unknown as P5Node;
  const top = doc.childNodes ?? [];
  const root = top.find((n) => n.nodeName === 'html');
  const at = root ? top.indexOf(root) : top.length;
  // x/net/html keeps the fragment's html element open: comments before it and after </html> are its children
  const leading = top.slice(0, at).filter((n) => n.nodeName === '#comment');
  const trailing = top.slice(at + 1).filter((n) => n.nodeName === '#comment');
  const d: FlatDocument = { kind: [], name: [], val: [], up: [], fin: [], down: [] };
  const push = (kind: number, name: string, val: string, up: number): number => {
    const pos = d.kind.length;
    d.kind.push(kind);
    d.name.push(name);
    d.val.push(val);
    d.up.push(up);
    d.fin.push(pos + 1);
    d.down.push([]);
    if (up >= 0 && kind !== ATTR) d.down[up].push(pos);
    return pos;
  };
  const closeAt = (pos: number) => {
    d.fin[pos] = d.kind.length;
    push(END, '', '', -1);
    d.down[d.kind.length - 1] = [];
  };
  const walk = (n: P5Node, up: number): void => {
    if (n.nodeName === '#text') push(TEXT, '', n.value ?? '', up);
    else if (n.nodeName === '#comment') push(COMMENT, '', n.data ?? '', up);
    else if (n.tagName !== undefined) {
      const pos = push(START, n.tagName, '', up);
      for (const a of n.attrs ?? []) push(ATTR, a.name, a.value, pos);
      const kids = n.tagName === 'template' && n.content ? n.content.childNodes : n.childNodes ?? [];
      for (const c of n === root ? [...leading, ...kids, ...trailing] : kids) walk(c, pos);
      closeAt(pos);
    }
  };
  const rootPos = push(START, '', '', -1);
  if (root) walk(root, rootPos);
  closeAt(rootPos);
  return d;
}

/**
 * The node list as two strings, which cross into Lua at once (a table per node would take seconds on a large page):
 * "<kind><name bytes>,<value bytes>;" per node (parents and ends follow from the order), and every name and
 * value one after the other.
 */
export function encodeFlat(d: FlatDocument): [string, string] {
  const head: string[] = [];
  const body: string[] = [];
  for (let i = 0; i < d.kind.length; i++) {
    const name = d.name[i], val = d.val[i];
    head.push(`${d.kind[i]}${name ? Buffer.byteLength(name) : ''},${val ? Buffer.byteLength(val) : ''};`);
    if (name) body.push(name);
    if (val) body.push(val);
  }
  return [head.join(''), body.join('')];
}

export const gllXmlpathModule: LuaModule = {
  name: 'xmlpath',
  legacyLoaderName: 'nauthilus_gll_xmlpath',
  summary: 'XPath subset over HTML (gopher-lua-libs v0.7.0, gopkg.in/xmlpath.v2): load(html), compile(path), path:iter(node), node:string().',
  install() {
    return { functions: { parse_html: (html: string) => LuaMultiReturn.from(encodeFlat(flattenHtml(String(html)))) }, lua: XMLPATH_LUA };
  },
};
