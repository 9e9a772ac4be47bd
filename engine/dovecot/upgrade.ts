// `authstudio dovecot upgrade`: rewrite a Dovecot 2.3 Lua passdb/userdb script for Dovecot 2.4 and say, line by line,
// what was changed and what needs a person (2.4 facts: see http-settings-24.ts, req.ts and dispatch.lua).
import { HTTP_CLIENT_SETTINGS_24, HTTP_SETTING_RENAMES_23_TO_24, SSL_SETTINGS_24 } from './http-settings-24';
import { fieldStringToTable, literalValue, template24 } from './upgrade-lua-text';

export { fieldStringToTable, template24 } from './upgrade-lua-text';

/** One remark about a line of the script (1-based). */
export interface UpgradeNote {
  line: number;
  text: string;
}

export interface UpgradeResult {
  source: string;
  changed: UpgradeNote[];
  /** What the command could not rewrite safely: to be done by hand. */
  manual: UpgradeNote[];
}

/** 2.3 request fields and their 2.4 names (auth_request_var_expand_static_tab of each version). */
export const REQUEST_FIELD_RENAMES: Record<string, string> = {
  service: 'protocol', rip: 'remote_ip', lip: 'local_ip', mech: 'mechanism', rport: 'remote_port', lport: 'local_port',
  real_rip: 'real_remote_ip', real_lip: 'real_local_ip', real_rport: 'real_remote_port', real_lport: 'real_local_port',
  orig_user: 'original_user', pid: 'client_pid',
};

/** 2.3 fields 2.4 dropped, computed from req.user instead (2.3's username/domain split the user at the first "@"). */
const REQUEST_FIELD_EXPRESSIONS: Record<string, (req: string) => string> = {
  username: (req) => `${req}.user:match("^[^@]*")`,
  domain: (req) => `${req}.user:match("@(.*)$")`,
  orig_username: (req) => `${req}.original_user:match("^[^@]*")`,
  orig_domain: (req) => `${req}.original_user:match("@(.*)$")`,
  original_username: (req) => `${req}.original_user:match("^[^@]*")`,
  original_domain: (req) => `${req}.original_user:match("@(.*)$")`,
  auth_username: (req) => `${req}.auth_user:match("^[^@]*")`,
  auth_domain: (req) => `${req}.auth_user:match("@(.*)$")`,
  login_username: (req) => `${req}.login_user:match("^[^@]*")`,
  login_domain: (req) => `${req}.login_user:match("@(.*)$")`,
};

/** `N`, `"N"` of a 2.3 _msecs/_secs setting as a 2.4 interval string with a unit. */
function intervalValue(value: string, unit: 'ms' | 's'): string {
  const v = value.trim();
  if (/^\d+$/.test(v)) return `"${v}${unit}"`;
  const lit = literalValue(v);
  if (lit !== undefined && /^\d+$/.test(lit)) return `"${lit}${unit}"`;
  return `string.format("%d${unit}", ${v})`;
}

/** The code part of a line: everything before a `--` comment that is not inside a string. */
function codeEnd(line: string): number {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '-' && line[i + 1] === '-') return i;
  }
  return line.length;
}

const DROP = '\u0000drop';

/** Rewrite a Dovecot 2.3 script's source for Dovecot 2.4 (line numbers in the notes are those of the 2.3 script). */
export function upgradeScript(source: string): UpgradeResult {
  const lines = source.split('\n');
  const changed: UpgradeNote[] = [];
  const manual: UpgradeNote[] = [];
  // the names the auth_* entry points give their request argument, plus the usual ones
  const reqNames = new Set(['req', 'request']);
  for (const m of source.matchAll(/function\s+auth_(?:passdb_lookup|password_verify|userdb_lookup)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)/g)) reqNames.add(m[1]);
  const reqAlt = [...reqNames].join('|');
  const fieldRe = new RegExp(`\\b(${reqAlt})\\.([A-Za-z_][A-Za-z0-9_]*)\\b(?!\\s*\\()`, 'g');
  // `return status, desc` with a variable: its "k=v" string assignments become tables (2.4 wants a table with OK;
  // an error text stays a string, which 2.4 still takes with the other statuses)
  const returnedVars = new Set<string>();
  for (const m of source.matchAll(/^\s*return\s+[A-Za-z_][\w.]*\s*,\s*([A-Za-z_]\w*)\s*$/gm)) if (m[1] !== 'nil') returnedVars.add(m[1]);
  const assignRe = returnedVars.size ? new RegExp(`^(\\s*(?:local\\s+)?(${[...returnedVars].join('|')})\\s*=\\s*)(["'].*["'])\\s*$`) : undefined;
  let inHttpClient = 0;
  let httpDepth = 0;

  lines.forEach((full, idx) => {
    const n = idx + 1;
    const cut = codeEnd(full);
    let code = full.slice(0, cut);
    const comment = full.slice(cut);

    // request fields
    code = code.replace(fieldRe, (whole, req: string, field: string) => {
      if (REQUEST_FIELD_RENAMES[field]) {
        changed.push({ line: n, text: `${req}.${field} -> ${req}.${REQUEST_FIELD_RENAMES[field]} (renamed in 2.4; the old name reads nil)` });
        return `${req}.${REQUEST_FIELD_RENAMES[field]}`;
      }
      if (REQUEST_FIELD_EXPRESSIONS[field]) {
        const expr = REQUEST_FIELD_EXPRESSIONS[field](req);
        changed.push({ line: n, text: `${req}.${field} -> ${expr} (2.4 has no ${field} field)` });
        return expr;
      }
      return whole;
    });

    // var_expand / response_from_template: 2.4 replaced %-variables with %{name | filter}
    const tpl = /:(var_expand|response_from_template)\s*\(\s*(["'])((?:\\.|(?!\2).)*)\2\s*\)/.exec(code);
    const converted = tpl ? template24(tpl[3]) : undefined;
    if (tpl && converted !== undefined && tpl[1] === 'var_expand') {
      if (converted !== tpl[3]) {
        code = code.replace(tpl[0], `:var_expand(${tpl[2]}${converted}${tpl[2]})`);
        changed.push({ line: n, text: `var_expand template "${tpl[3]}" -> "${converted}" (2.4 syntax)` });
      }
    } else if (/:(var_expand|response_from_template)\s*\(/.test(code)) {
      const fn = /:(var_expand|response_from_template)/.exec(code)![1];
      manual.push({ line: n, text: `${fn}(): Dovecot 2.4 templates use %{name} and filters (%{user | username}, %{protocol}); %u, %n, %d, %s and the 2.3 names do not expand, an unknown %{name} raises "Unknown variable"` });
    }

    // return STATUS, "k=v ..." (2.4 takes a table on OK) / return NON_OK, {...} (2.4 takes nil or a string)
    // `return STATUS, SECOND`, also after `then` and before a closing `end` on the same line
    const ret = /^(.*?\breturn\s+)([^,]+?),\s*(.+?)(\s+end)?\s*$/.exec(code);
    const tail = ret?.[4] ?? '';
    if (ret && /RESULT_[A-Z_]+/.test(ret[2])) {
      const isOk = /RESULT_OK\b/.test(ret[2]);
      const second = ret[3];
      if (isOk && /^["']/.test(second)) {
        const table = fieldStringToTable(second);
        if (table) {
          code = `${ret[1]}${ret[2]}, ${table}${tail}`;
          changed.push({ line: n, text: `string result ${second} -> table ${table} (2.4 refuses strings with OK: "invalid return value (expected nil or table, got string)")` });
        } else {
          manual.push({ line: n, text: `string result ${second}: turn it into a table of fields by hand (2.4 refuses strings with OK)` });
        }
      } else if (isOk && !/^(\{|nil\b)/.test(second) && !(/^[A-Za-z_]\w*$/.test(second) && new RegExp(`\\b${second}\\s*=\\s*\\{`).test(source))) {
        manual.push({ line: n, text: `result ${second}: make sure it is a table (or nil), not a "k=v" string (2.4 refuses strings with OK)` });
      } else if (!isOk && /^\{/.test(second)) {
        const empty = /^\{\s*\}$/.test(second);
        code = `${ret[1]}${ret[2]}, nil${tail}`;
        changed.push({ line: n, text: `${second} with ${ret[2].trim()} -> nil (2.4 takes nil or an error string unless OK: "invalid error return value")${empty ? '' : '; the fields were dropped'}` });
      }
    }

    const assign = assignRe?.exec(code);
    const lit = assign ? literalValue(assign[3]) : undefined;
    if (assign && lit !== undefined && lit.split(' ').filter(Boolean).every((w) => /^[A-Za-z_][\w-]*(=.*)?$/.test(w)) && lit.includes('=')) {
      const table = fieldStringToTable(assign[3])!;
      code = `${assign[1]}${table}`;
      changed.push({ line: n, text: `${assign[2]} = ${assign[3]} -> ${table} (returned as the fields; 2.4 refuses strings with OK)` });
    }

    // dovecot.http.client settings (a table constructor that may span lines)
    const clientCall = /dovecot\.http\.client\s*(\(\s*)?\{/.exec(code);
    if (clientCall) {
      inHttpClient = 1;
      httpDepth = 0;
    } else if (/dovecot\.http\.client\s*\(/.test(code)) {
      manual.push({ line: n, text: 'dovecot.http.client(settings): check the settings table by hand (2.4 names: request_max_attempts, request_timeout = "5s", no _msecs keys, no debug)' });
    }
    if (inHttpClient) {
      // on the opening line only the part inside the braces holds settings
      const from = clientCall ? clientCall.index + clientCall[0].length : 0;
      const head = code.slice(0, from);
      code = head + code.slice(from).replace(/\b([a-z_]+)\s*=\s*([^,;}]+?)\s*([,;]|(?=\})|$)/g, (whole, key: string, value: string, sep: string) => {
        if (!(key in HTTP_SETTING_RENAMES_23_TO_24) && !(key in HTTP_CLIENT_SETTINGS_24) && !(key in SSL_SETTINGS_24) && key !== 'event_parent') {
          changed.push({ line: n, text: `http client setting ${key} removed (2.3 ignored unknown settings; 2.4 refuses them: "Invalid HTTP client setting: ${key} is unknown setting")` });
          return '';
        }
        if (!(key in HTTP_SETTING_RENAMES_23_TO_24)) {
          if (/^(true|false)$/.test(value.trim())) {
            manual.push({ line: n, text: `http client setting ${key} = ${value}: 2.4 reads setting values as strings; a boolean crashes the auth worker (write "yes"/"no")` });
          }
          return whole;
        }
        const to = HTTP_SETTING_RENAMES_23_TO_24[key];
        if (key === 'no_auto_redirect' || key === 'no_auto_retry') {
          const target = key.slice(3);
          const v = value.trim() === 'true' ? '"no"' : value.trim() === 'false' ? '"yes"' : undefined;
          if (!v) {
            manual.push({ line: n, text: `http client setting ${key} = ${value}: 2.4 has ${target} = "yes"/"no" instead` });
            return whole;
          }
          changed.push({ line: n, text: `http client setting ${key} = ${value} -> ${target} = ${v}` });
          return `${target} = ${v}${sep}`;
        }
        if (to === null) {
          changed.push({ line: n, text: `http client setting ${key} removed (2.4 has no ${key}: "Invalid HTTP client setting: ${key} is unknown setting")` });
          return '';
        }
        const v = key.endsWith('_msecs') ? intervalValue(value, 'ms') : key.endsWith('_secs') ? intervalValue(value, 's') : value.trim();
        changed.push({ line: n, text: `http client setting ${key} = ${value.trim()} -> ${to} = ${v}` });
        return `${to} = ${v}${sep}`;
      });
      for (const ch of code) {
        if (ch === '{') httpDepth++;
        else if (ch === '}') httpDepth--;
      }
      if (httpDepth <= 0) inHttpClient = 0;
    }

    if (/^\s*function\s+script_init\s*\(\s*\)/.test(code)) {
      code = code.replace(/script_init\s*\(\s*\)/, 'script_init(args)');
      changed.push({ line: n, text: 'script_init() -> script_init(args) (2.4 passes the passdb\'s lua_settings { } as a table; its return value is ignored, raise an error to stop the service)' });
    }
    // a line that only held a removed setting goes away
    lines[idx] = !code.trim() && full.trim() && !comment ? DROP : code.replace(/\s+$/, (s) => (comment ? s : '')) + comment;
  });
  return { source: lines.filter((l) => l !== DROP).join('\n'), changed, manual };
}

/** The passdb/userdb blocks of each version for a script at `file`. */
export function configSnippets(file: string, userdb = false): { '2.3': string; '2.4': string } {
  return {
    '2.3': [`passdb {\n  driver = lua\n  args = file=${file} blocking=yes\n}`, ...(userdb ? [`userdb {\n  driver = lua\n  args = file=${file} blocking=yes\n}`] : [])].join('\n'),
    '2.4': [`passdb lua {\n  lua_file = ${file}\n}`, ...(userdb ? [`userdb lua {\n  lua_file = ${file}\n}`] : [])].join('\n'),
  };
}
