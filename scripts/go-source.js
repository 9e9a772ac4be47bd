// Reading Go source with regular expressions and brace matching, enough for scripts/nauthilus-inventory.js:
// function bodies, map literals and their keys, string constants, imports. Not a Go parser.
'use strict';

/** Index just past the brace that closes the one at `open` (strings, runes and comments skipped). */
function matchBrace(src, open) {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === '\'') {
      for (i++; i < src.length && src[i] !== c; i++) if (src[i] === '\\') i++;
    } else if (c === '`') {
      i = src.indexOf('`', i + 1);
    } else if (c === '/' && src[i + 1] === '/') {
      i = src.indexOf('\n', i);
    } else if (c === '/' && src[i + 1] === '*') {
      i = src.indexOf('*/', i) + 1;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return src.length;
}

/** The body of `func [recv] name(` in `src`, or undefined. */
function funcBody(src, name) {
  const re = new RegExp(`^func (?:\\([^)]*\\) )?${name}\\(.*\\{(?:\\s*//.*)?$`, 'm');
  const m = re.exec(src);
  if (!m) return undefined;
  const open = m.index + m[0].replace(/\s*\/\/.*$/, '').length - 1;
  return src.slice(open, matchBrace(src, open));
}

/** Blocks `map[string]<valueType>{...}` in `text`: [{start, end, body}]. */
function mapBlocks(text, valueType) {
  const out = [];
  const re = new RegExp(`map\\[string\\]${valueType.replace(/\./g, '\\.')}\\{`, 'g');
  for (let m; (m = re.exec(text));) {
    const open = m.index + m[0].length - 1;
    const end = matchBrace(text, open);
    out.push({ start: m.index, end, body: text.slice(open + 1, end - 1) });
  }
  return out;
}

/** The keys of a composite literal body: "lit", `lit`, pkg.Const or Const (resolved through `consts`). */
function literalKeys(body, consts) {
  const keys = [];
  for (const m of body.matchAll(/^\s*("([^"]*)"|`([^`]*)`|(?:\w+\.)?(\w+))\s*:/gm)) {
    const key = m[2] ?? m[3] ?? consts.get(m[4]);
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

/** The Lua value of a Go expression such as lua.LBool(true), lua.LNumber(1), lua.LString("x"), 200; else undefined. */
function goValue(expr) {
  const e = expr.trim().replace(/[,)]*\s*$/, (t) => (t.startsWith(')') ? ')' : ''));
  const m = /^(?:lua\.L(Bool|Number|String)\()?\s*(true|false|-?\d+(?:\.\d+)?|"[^"]*")\s*\)?$/.exec(e);
  if (!m) return undefined;
  return m[2] === 'true' ? true : m[2] === 'false' ? false : m[2].startsWith('"') ? m[2].slice(1, -1) : Number(m[2]);
}

/** A string argument: "lit", `lit` or a (qualified) constant. */
function stringArg(expr, consts) {
  const s = expr.trim();
  const lit = /^"([^"]*)"$|^`([^`]*)`$/.exec(s);
  if (lit) return lit[1] ?? lit[2];
  return consts.get(s.split('.').pop());
}

/** Every string constant of the Go files given: Name -> value (unique names win; good enough for definitions). */
function stringConsts(files) {
  const consts = new Map();
  for (const src of files) {
    for (const m of src.matchAll(/^\s*(\w+)(?:\s+\w+)?\s*=\s*"([^"]*)"\s*(?:\/\/.*)?$/gm)) if (!consts.has(m[1])) consts.set(m[1], m[2]);
  }
  return consts;
}

/** Import alias -> import path of one Go file. */
function imports(src) {
  const out = new Map();
  // every import block: `src` may be a whole package's files joined
  const block = [...src.matchAll(/^import \(([\s\S]*?)^\)/gm)].map((m) => m[1]).join('\n');
  for (const m of block.matchAll(/^\s*(?:(\w+)\s+)?"([^"]+)"/gm)) out.set(m[1] ?? m[2].split('/').pop(), m[2]);
  return out;
}

module.exports = { matchBrace, funcBody, mapBlocks, literalKeys, goValue, stringArg, stringConsts, imports };
