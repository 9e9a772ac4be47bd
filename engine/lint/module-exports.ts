// The fields a user's Lua module (a file on lua.config.package_path, e.g. a site's own share/nauthilus_util.lua)
// exports, read from its source: `local M = { a = ... }`, `function M.x()`, `M.x = ...`, then `return M` (or a returned
// table constructor). The checker checks `require("name").field` against these instead of the built-in module of the
// same name, which the user's file replaces. No imports but luaparse: the studio bundles this module too.
import { parse, type Chunk, type Expression, type Node } from 'luaparse';

/**
 * The names the module's returned table has; undefined when the source does not say for sure (a syntax error, a
 * computed key, setmetatable, a table built elsewhere): then no field of the module is checked.
 *
 * @example
 *   moduleExports('local M = { a = 1 }\nfunction M.b() end\nM.c = 2\nreturn M') // ['a', 'b', 'c']
 */
export function moduleExports(source: string): string[] | undefined {
  let chunk: Chunk;
  try {
    chunk = parse(source.replace(/<\s*(const|close)\s*>/g, (m) => ' '.repeat(m.length)), { luaVersion: '5.3', locations: false, encodingMode: 'none', comments: false });
  } catch {
    return undefined;
  }
  const last = chunk.body[chunk.body.length - 1];
  if (last?.type !== 'ReturnStatement' || last.arguments.length !== 1) return undefined;
  const ret = last.arguments[0];
  if (ret.type === 'TableConstructorExpression') return tableKeys(ret);
  if (ret.type !== 'Identifier') return undefined;
  const name = ret.name;
  const fields = new Set<string>();
  let sure = true;
  let initialised = false;
  const isName = (e: Expression) => e.type === 'Identifier' && e.name === name;
  const visit = (node: Node): void => {
    if (node.type === 'LocalStatement' || node.type === 'AssignmentStatement') {
      node.variables.forEach((v, i) => {
        if (v.type === 'Identifier' && v.name === name) {
          const init = node.init[i];
          const keys = init?.type === 'TableConstructorExpression' ? tableKeys(init) : undefined;
          if (!keys || initialised) sure = false; // bound to something else, or twice
          else keys.forEach((k) => fields.add(k));
          initialised = true;
        } else if (v.type === 'MemberExpression' && isName(v.base)) fields.add(v.identifier.name);
        else if (v.type === 'IndexExpression' && isName(v.base)) {
          if (v.index.type === 'StringLiteral') fields.add(literal(v.index.raw));
          else sure = false;
        }
      });
    }
    if (node.type === 'FunctionDeclaration' && node.identifier?.type === 'MemberExpression' && isName(node.identifier.base)) fields.add(node.identifier.identifier.name);
    // setmetatable(M, ...) / rawset(M, ...) / a call handing M to a function that may fill it
    if ((node.type === 'CallExpression') && node.arguments.some(isName)) sure = false;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'loc' || key === 'range') continue;
      for (const child of Array.isArray(value) ? value : [value]) {
        if (child && typeof child === 'object' && typeof (child as Node).type === 'string') visit(child as Node);
      }
    }
  };
  visit(chunk);
  return sure && initialised ? [...fields] : undefined;
}

function tableKeys(t: Expression & { type: 'TableConstructorExpression' }): string[] | undefined {
  const keys: string[] = [];
  for (const f of t.fields) {
    if (f.type === 'TableKeyString') keys.push(f.key.name);
    else if (f.type === 'TableKey' && f.key.type === 'StringLiteral') keys.push(literal(f.key.raw));
    else return undefined; // a computed key or list items: not a plain record
  }
  return keys;
}

function literal(raw: string): string {
  const long = /^\[(=*)\[\n?([\s\S]*)\]\1\]$/.exec(raw);
  return long ? long[2] : raw.slice(1, -1);
}

/** The module names a script requires with a literal name (`require("x")`, `require "x"`). */
export function requiredModules(source: string): string[] {
  return [...new Set([...source.matchAll(/\brequire\s*\(?\s*["']([\w.-]+)["']/g)].map((m) => m[1]))];
}
