// Lua source text for `authstudio dovecot upgrade`: 2.3 field strings as table constructors, 2.3 %-templates in 2.4 syntax.

/** Split an expression at top-level `..` (outside strings and brackets). */
function splitConcat(expr: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (ch === '.' && expr[i + 1] === '.' && depth === 0) {
      parts.push(expr.slice(start, i).trim());
      start = i + 2;
      i++;
    }
  }
  if (quote || depth !== 0) return undefined;
  parts.push(expr.slice(start).trim());
  return parts;
}

export function literalValue(part: string): string | undefined {
  const m = /^(["'])((?:\\.|(?!\1).)*)\1$/.exec(part);
  if (!m) return undefined;
  return m[2].replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

function luaString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

function luaKey(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : `[${luaString(k)}]`;
}

/**
 * A 2.3 field string (`"k=v k2" .. x`) as a Lua table constructor, or undefined when its shape is not clear
 * (an expression that could contain spaces or `=` in a key). A bare word is a field with an empty value, as 2.3 read it.
 */
export function fieldStringToTable(expr: string): string | undefined {
  const parts = splitConcat(expr);
  if (!parts) return undefined;
  // words: each a list of pieces, literal text or an expression
  type Piece = { lit: string } | { expr: string };
  const words: Piece[][] = [[]];
  for (const part of parts) {
    const lit = literalValue(part);
    if (lit === undefined) {
      if (!part) return undefined;
      words[words.length - 1].push({ expr: part });
      continue;
    }
    const chunks = lit.split(' ');
    chunks.forEach((chunk, i) => {
      if (i > 0) words.push([]);
      if (chunk) words[words.length - 1].push({ lit: chunk });
    });
  }
  const entries: string[] = [];
  for (const word of words.filter((w) => w.length)) {
    const first = word[0];
    if (!('lit' in first)) return undefined;
    const eq = first.lit.indexOf('=');
    if (eq < 0) {
      if (word.length > 1) return undefined;
      entries.push(`${luaKey(first.lit)} = ""`);
      continue;
    }
    const key = first.lit.slice(0, eq);
    const value: string[] = [];
    if (first.lit.slice(eq + 1)) value.push(luaString(first.lit.slice(eq + 1)));
    for (const p of word.slice(1)) value.push('lit' in p ? luaString(p.lit) : p.expr);
    entries.push(`${luaKey(key)} = ${value.length ? value.join(' .. ') : '""'}`);
  }
  return `{ ${entries.join(', ')} }`;
}

/** 2.3 template variables and their 2.4 form. */
const TEMPLATE_24: Record<string, string> = {
  u: 'user', user: 'user', n: 'user | username', username: 'user | username', d: 'user | domain', domain: 'user | domain',
  s: 'protocol', service: 'protocol', r: 'remote_ip', rip: 'remote_ip', l: 'local_ip', lip: 'local_ip', m: 'mechanism',
  mech: 'mechanism', a: 'local_port', lport: 'local_port', b: 'remote_port', rport: 'remote_port', h: 'home', home: 'home',
  p: 'client_pid', pid: 'client_pid', w: 'password', password: 'password', c: 'secured', secured: 'secured', k: 'cert',
  cert: 'cert', session: 'session', orig_user: 'original_user', original_user: 'original_user', auth_user: 'auth_user',
  login_user: 'login_user', domain_first: 'domain_first', domain_last: 'domain_last', master_user: 'master_user',
  client_id: 'client_id', local_ip: 'local_ip', remote_ip: 'remote_ip', local_port: 'local_port', remote_port: 'remote_port',
  mechanism: 'mechanism', real_rip: 'real_remote_ip', real_lip: 'real_local_ip',
};

/** A 2.3 %-template in 2.4 syntax, or undefined when it uses what has no plain 2.4 form (widths, most modifiers). */
export function template24(tpl: string): string | undefined {
  let out = '';
  for (let i = 0; i < tpl.length; i++) {
    if (tpl[i] !== '%') {
      out += tpl[i];
      continue;
    }
    if (tpl[i + 1] === '%') {
      out += '%';
      i++;
      continue;
    }
    const m = /^%([LU]?)(?:\{([a-z_:]+)\}|([a-z]))/.exec(tpl.slice(i));
    if (!m) return undefined;
    const name = m[2] ?? m[3];
    let to = TEMPLATE_24[name];
    if (!to && /^(passdb|userdb|env):/.test(name)) to = name;
    if (!to) return undefined;
    if (m[1]) to += m[1] === 'L' ? ' | lower' : ' | upper';
    out += `%{${to}}`;
    i += m[0].length - 1;
  }
  return out;
}
