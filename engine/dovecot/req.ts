// The variables of a Dovecot 2.3 / 2.4 auth request (what `req.user`, `req.rip`, ... read) and %-variable expansion.
import crypto from 'node:crypto';
import os from 'node:os';
import type { DovecotAction, DovecotLogin, DovecotVersion } from './types';

/** SASL mechanisms that carry the plaintext password (Dovecot calls verify_plain for them). */
export const PLAINTEXT_MECHS = new Set(['PLAIN', 'LOGIN']);

function splitUser(user: string): { username: string; domain?: string; first?: string; last?: string } {
  const at = user.indexOf('@');
  if (at < 0) return { username: user };
  const parts = user.split('@');
  return { username: user.slice(0, at), domain: user.slice(at + 1), first: parts[1], last: parts[parts.length - 1] };
}

/**
 * The request variables as Dovecot sets them (observed on 2.3.19.1): the user lower-cased
 * (auth_username_format %Lu), ports as strings ("0" when unset), unset addresses nil, `cert` "",
 * `pid` "0", the password only for plaintext mechanisms of a passdb lookup.
 */
export function buildRequestVars(login: DovecotLogin, action: DovecotAction, version: DovecotVersion = '2.3'): Record<string, string> {
  if (version === '2.4') return buildRequestVars24(login, action);
  const orig = login.user;
  const user = orig.toLowerCase();
  const u = splitUser(user);
  const o = splitUser(orig);
  const mech = action === 'passdb' ? (login.mech ?? 'PLAIN').toUpperCase() : (login.mech ?? '').toUpperCase();
  const lport = String(login.localPort ?? 0);
  const rport = String(login.remotePort ?? 0);
  const secured = login.secured ?? (login.remoteIp && login.remoteIp === login.localIp ? 'secured' : '');
  const v: Record<string, string | undefined> = {
    user, username: u.username, domain: u.domain, domain_first: u.first, domain_last: u.last,
    service: login.service ?? 'imap', pid: '0', mech, mechanism: mech, secured, cert: '',
    lip: login.localIp, local_ip: login.localIp, real_lip: login.localIp, real_local_ip: login.localIp,
    rip: login.remoteIp, remote_ip: login.remoteIp, real_rip: login.remoteIp, real_remote_ip: login.remoteIp,
    lport, local_port: lport, real_lport: lport, real_local_port: lport,
    rport, remote_port: rport, real_rport: rport, real_remote_port: rport,
    session: login.session, client_id: login.clientId,
    orig_user: orig, original_user: orig, orig_username: o.username, original_username: o.username,
    orig_domain: o.domain, original_domain: o.domain,
    auth_user: orig, auth_username: o.username, auth_domain: o.domain,
  };
  if (action === 'passdb' && PLAINTEXT_MECHS.has(mech)) v.password = login.password ?? '';
  if (login.loginUser !== undefined) {
    // a master passdb lookup: req.user is the master user, req.login_user the user to log in as
    const l = splitUser(login.loginUser.toLowerCase());
    Object.assign(v, { login_user: login.loginUser.toLowerCase(), login_username: l.username, login_domain: l.domain });
  }
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = x;
  return out;
}

/**
 * Dovecot 2.4.1's request variables (auth_request_var_expand_static_tab): `protocol`, `remote_ip`, `mechanism`, ...;
 * the 2.3 names (service, rip, mech, lip, username, domain, orig_user, ...) are gone and read nil.
 */
function buildRequestVars24(login: DovecotLogin, action: DovecotAction): Record<string, string> {
  const orig = login.user;
  // auth_username_format's 2.4 default is %{user | lower}
  const user = orig.toLowerCase();
  const u = splitUser(user);
  const mech = action === 'passdb' ? (login.mech ?? 'PLAIN').toUpperCase() : (login.mech ?? '').toUpperCase();
  const secured = login.secured ?? (login.remoteIp && login.remoteIp === login.localIp ? 'secured' : '');
  const v: Record<string, string | undefined> = {
    user, protocol: login.service ?? 'imap', local_ip: login.localIp, remote_ip: login.remoteIp, client_pid: '0',
    mechanism: mech || undefined, secured, local_port: String(login.localPort ?? 0), remote_port: String(login.remotePort ?? 0),
    cert: '', session: login.session, real_local_ip: login.localIp, real_remote_ip: login.remoteIp,
    real_local_port: String(login.localPort ?? 0), real_remote_port: String(login.remotePort ?? 0),
    domain_first: u.first, domain_last: u.last, session_pid: '', original_user: orig, auth_user: orig,
    client_id: login.clientId, owner_user: user,
  };
  if (action === 'passdb' && PLAINTEXT_MECHS.has(mech)) v.password = login.password ?? '';
  if (login.loginUser !== undefined) v.login_user = login.loginUser.toLowerCase();
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = x;
  return out;
}

/** auth_request_var_expand_static_tab of 2.4.1: names var_expand knows (unset ones expand to ""). */
const VAR_KEYS_24 = new Set(`user protocol home local_ip remote_ip client_pid password id mechanism secured local_port remote_port
  cert login_user session real_local_ip real_remote_ip real_local_port real_remote_port domain_first domain_last master_user
  session_pid original_user auth_user local_name client_id ssl_ja3_hash owner_user`.split(/\s+/));

/**
 * Dovecot 2.4 expansion, the common part: `%{name}` and `%{name | filter | ...}` with lower, upper, username, domain;
 * `%%{` is `%{`, a lone `%` stays. An unknown name is an error. 2.4.1's lexer has a stray rule that swallows a
 * text run of exactly "y" (`%{user}y` gives the user; fixed in 2.4.4): reproduced.
 */
export function varExpand24(tpl: string, ctx: ExpandContext): string | { error: string } {
  let out = '';
  const tokens = tpl.match(/%\{[^}]*\}|%%\{|%|[^%]+/g) ?? [];
  for (const tok of tokens) {
    if (tok === '%%{') out += '%{';
    else if (tok === '%') out += '%';
    else if (tok === 'y') continue;
    else if (!tok.startsWith('%{')) out += tok;
    else {
      const [name, ...filters] = tok.slice(2, -1).split('|').map((x) => x.trim());
      let value: string | undefined;
      if (name.startsWith('passdb:')) value = ctx.passdb[name.slice(7)];
      else if (name.startsWith('userdb:')) value = ctx.userdb[name.slice(7)];
      else if (name.startsWith('env:')) value = ctx.env[name.slice(4)];
      else if (VAR_KEYS_24.has(name)) value = ctx.vars[name];
      else return { error: `var_expand(${tpl}) failed: Unknown variable '${name}'` };
      value ??= '';
      for (const f of filters) {
        if (f === 'lower') value = value.toLowerCase();
        else if (f === 'upper') value = value.toUpperCase();
        else if (f === 'username') value = value.split('@')[0];
        else if (f === 'domain') value = value.includes('@') ? value.slice(value.indexOf('@') + 1) : '';
      }
      out += value;
    }
  }
  return out;
}

const SHORT_KEYS: Record<string, string> = {
  u: 'user', n: 'username', d: 'domain', s: 'service', h: 'home', l: 'lip', r: 'rip', p: 'pid', w: 'password',
  m: 'mech', c: 'secured', a: 'lport', b: 'rport', k: 'cert',
};
const MODIFIERS = 'LUERXNMHDT';

/** Where var_expand looks things up besides the request variables. */
export interface ExpandContext {
  vars: Record<string, string>;
  passdb: Record<string, string>;
  userdb: Record<string, string>;
  env: Record<string, string | undefined>;
}

/** auth_request_var_expand_static_tab's long keys (aliases included), as req.lua lists them. */
const VAR_KEYS = new Set(`user username domain service home lip rip pid password mech secured lport rport cert
  login_user login_username login_domain session real_lip real_rip real_lport real_rport domain_first domain_last
  master_user session_pid orig_user orig_username orig_domain auth_user auth_username auth_domain local_name
  client_id local_ip remote_ip local_port remote_port real_local_ip real_remote_ip real_local_port
  real_remote_port mechanism original_user original_username original_domain`.split(/\s+/));

function lookup(key: string, ctx: ExpandContext): string {
  if (VAR_KEYS.has(key)) return ctx.vars[key] ?? '';
  if (key.startsWith('passdb:')) return ctx.passdb[key.slice(7)] ?? '';
  if (key.startsWith('userdb:')) return ctx.userdb[key.slice(7)] ?? '';
  if (key.startsWith('env:')) return ctx.env[key.slice(4)] ?? '';
  if (key === 'hostname') return os.hostname();
  return `UNSUPPORTED_VARIABLE_${key}`;
}

function modify(value: string, mods: string): string {
  let v = value;
  for (const m of mods) {
    if (m === 'L') v = v.toLowerCase();
    else if (m === 'U') v = v.toUpperCase();
    else if (m === 'R') v = [...v].reverse().join('');
    else if (m === 'T') v = v.replace(/\s+$/, '');
    else if (m === 'E') v = v.replace(/[\\"']/g, (c) => `\\${c}`);
    else if (m === 'X') v = Number.parseInt(v, 10).toString(16);
    else if (m === 'M') v = crypto.createHash('md5').update(v).digest('hex');
  }
  return v;
}

/** Dovecot 2.3 %-expansion: `%u`, `%{user}`, modifiers (`%Lu`), substrings (`%3n`, `%1.2n`), `%%`. */
export function varExpand(tpl: string, ctx: ExpandContext): string {
  let out = '';
  for (let i = 0; i < tpl.length; i++) {
    const ch = tpl[i];
    if (ch !== '%') {
      out += ch;
      continue;
    }
    if (tpl[i + 1] === '%') {
      out += '%';
      i++;
      continue;
    }
    let j = i + 1;
    let mods = '';
    while (j < tpl.length && MODIFIERS.includes(tpl[j])) mods += tpl[j++];
    const width = /^(-?\d+)(?:\.(\d+))?/.exec(tpl.slice(j));
    if (width) j += width[0].length;
    let key: string;
    const close = tpl[j] === '{' ? tpl.indexOf('}', j) : -1;
    if (close > j) {
      key = tpl.slice(j + 1, close);
      j = close;
    } else if (j >= tpl.length) {
      break;
    } else if (SHORT_KEYS[tpl[j]]) {
      key = SHORT_KEYS[tpl[j]];
    } else {
      // an unknown letter (or a "{" without "}") is a one-character variable Dovecot does not know
      out += `UNSUPPORTED_VARIABLE_${tpl[j]}`;
      i = j;
      continue;
    }
    let value = modify(lookup(key, ctx), mods);
    if (width) {
      const a = Number(width[1]);
      if (width[2] !== undefined) value = value.slice(a, a + Number(width[2]));
      else value = a < 0 ? value.slice(a) : value.slice(0, a);
    }
    out += value;
    i = j;
  }
  return out;
}

/** passdb/userdb template "k=v k2": pairs with values expanded; a key without `=` has no value (nil in Lua). */
export function expandTemplate(tpl: string, ctx: ExpandContext): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const part of tpl.split(' ')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    out.push([part.slice(0, eq), varExpand(part.slice(eq + 1), ctx)]);
  }
  return out;
}
