// Host functions behind the `dovecot` global, req objects and dovecot.http (the Lua side calls these).
import fs from 'node:fs';
import path from 'node:path';
import { LuaMultiReturn } from 'wasmoon';
import type { DovecotCall } from './call';
import { standInFor, standInIn } from '../lua/http-stand-ins';
import { httpUrlError, submitHttp, type HttpSubmitSpec } from './dovecot-http';
import { dovecotPasswordVerify } from './password';
import { mountInLuaFs } from './dovecot-vm';
import { expandTemplate, varExpand, varExpand24, type ExpandContext } from './req';
import { parseHttpClientSettings24 } from './http-settings-24';
import { PASSDB_RESULTS, USERDB_RESULTS, type DovecotLogLine, type DovecotSettings } from './types';

/** Debian's liblua5.4 default package.path (what a Dovecot script starts with). */
export const DEBIAN_LUA_PATH = [
  '/usr/local/share/lua/5.4/?.lua', '/usr/local/share/lua/5.4/?/init.lua', '/usr/local/lib/lua/5.4/?.lua',
  '/usr/local/lib/lua/5.4/?/init.lua', '/usr/share/lua/5.4/?.lua', '/usr/share/lua/5.4/?/init.lua', './?.lua', './?/init.lua',
].join(';');

/** Host files a script may read (`require`, `dofile`), with the configured path map and fallbacks. */
export class ScriptFiles {
  constructor(private readonly scriptDir: string, private readonly pathMap: Record<string, string> = {}) {}

  /** The host path for a path as the script names it: mapped, relative (to the script's folder here), or as is. */
  map(p: string): { file: string; how: 'mapped' | 'relative' | 'real' } {
    const entries = Object.entries(this.pathMap).sort((a, b) => b[0].length - a[0].length);
    for (const [from, to] of entries) {
      const f = from.replace(/\/+$/, '');
      if (p === f || p.startsWith(f + '/')) return { file: path.join(path.resolve(this.scriptDir, to), p.slice(f.length)), how: 'mapped' };
    }
    if (!path.isAbsolute(p)) return { file: path.resolve(this.scriptDir, p), how: 'relative' };
    return { file: p, how: 'real' };
  }

  /**
   * package.searchers[2]. The script's folder is not Dovecot's working directory, so the templates are tried
   * in three rounds: absolute ones (mapped or as they are); then absolute folders that do not exist on this
   * host, looked up next to the script (the seed's /etc/dovecot/lua); then relative ones ("./?.lua"),
   * against the script's folder. Anything found in the last two rounds is reported in the notes.
   */
  findModule(call: DovecotCall, name: string, packagePath: string): LuaMultiReturn {
    const rel = String(name).replace(/\./g, '/');
    const templates = String(packagePath).split(';').filter(Boolean);
    const found = (src: string, file: string, note?: string) => {
      if (note) call.note(note);
      return LuaMultiReturn.from([src, '@' + file]);
    };
    for (const tpl of templates) {
      const file = tpl.replace(/\?/g, rel);
      const m = this.map(file);
      const src = m.how === 'relative' ? undefined : this.read(m.file);
      if (src !== undefined) return found(src, file);
    }
    for (const tpl of templates) {
      const dir = tpl.slice(0, tpl.indexOf('?'));
      if (DEBIAN_LUA_PATH.split(';').includes(tpl) || !path.isAbsolute(dir) || fs.existsSync(dir) || this.map(tpl).how === 'mapped') continue;
      const local = path.join(this.scriptDir, tpl.slice(dir.length).replace(/\?/g, rel));
      const src = this.read(local);
      const file = tpl.replace(/\?/g, rel);
      if (src !== undefined) return found(src, file, `require("${name}"): ${dir} does not exist on this host; read ${local} for ${file}`);
    }
    for (const tpl of templates) {
      const file = tpl.replace(/\?/g, rel);
      const m = this.map(file);
      const src = m.how === 'relative' ? this.read(m.file) : undefined;
      if (src !== undefined) {
        return found(src, file, `require("${name}"): read ${m.file} through ${tpl}; Dovecot resolves relative paths against its own working directory, not the script's folder`);
      }
    }
    return LuaMultiReturn.from([undefined, templates.map((t) => `\n\tno file '${t.replace(/\?/g, rel)}'`).join('')]);
  }

  /** loadfile/dofile: the file's source, or Lua's "cannot open" message. */
  readFile(name: string): LuaMultiReturn {
    const src = this.read(this.map(String(name)).file);
    if (src === undefined) return LuaMultiReturn.from([undefined, `cannot open ${name}: No such file or directory`]);
    return LuaMultiReturn.from([src, '@' + name]);
  }

  /**
   * io.open / io.lines: copy the host file (path map applied, relative names next to the script) into the
   * Lua file system under the name the script used. Reads see the host file; writes stay in memory.
   * Returns Lua's error text and errno when the host file cannot be read for a mode that needs it.
   */
  stage(call: DovecotCall, name: string, mode: string): LuaMultiReturn {
    const m = this.map(name);
    const target = path.posix.resolve('/', name);
    const reads = mode.startsWith('r') || mode.startsWith('a') || mode.includes('+');
    let bytes: Buffer | undefined;
    if (reads) {
      try {
        if (fs.statSync(m.file).isDirectory()) {
          if (mode.startsWith('r') && !mode.includes('+')) return LuaMultiReturn.from([`${name}: Is a directory`, 21]);
        } else bytes = fs.readFileSync(m.file);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EACCES') return LuaMultiReturn.from([`${name}: Permission denied`, 13]);
        // not on the host: Lua opens what the script wrote to memory before, or reports ENOENT itself
        if (mode.startsWith('r')) return LuaMultiReturn.from([undefined, target]);
      }
    }
    if (m.how !== 'real') call.note(`io.open("${name}"): read ${m.file}`);
    if (!mode.startsWith('r') || mode.includes('+')) call.note(`io.open("${name}", "${mode}"): writes stay in the harness' memory; a real Dovecot writes the file (as its auth user)`);
    mountInLuaFs(target, bytes ?? new Uint8Array());
    return LuaMultiReturn.from([undefined, target]);
  }

  private read(file: string): string | undefined {
    try {
      if (!fs.statSync(file).isFile()) return undefined;
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  }
}

const LEVELS = new Set<DovecotLogLine['level']>(['debug', 'info', 'warning', 'error']);

/**
 * The `__dv_host` table: every JS function the harness' Lua side calls. `current()` is the call in progress
 * (calls into one script never overlap).
 */
export function hostFunctions(current: () => DovecotCall, files: ScriptFiles, settings: DovecotSettings): Record<string, unknown> {
  const env = settings.env ?? process.env;
  const expandCtx = (): ExpandContext => {
    const c = current();
    return { vars: c.vars, passdb: c.passdbFields, userdb: c.userdbFields, env };
  };
  const v24 = settings.dovecot === '2.4';
  return {
    version: settings.dovecot ?? '2.3',
    // an empty Lua table arrives as {} rather than []
    http_settings_24: (list: Array<[string, string | undefined]>) => parseHttpClientSettings24((Array.isArray(list) ? list : []).map((kv) => [String(kv[0]), kv[1] ?? undefined])),
    constants: () => ({ ...PASSDB_RESULTS, ...USERDB_RESULTS }),
    // like liblua's setpath: LUA_PATH_5_4 or LUA_PATH, with ";;" standing for the default path
    default_package_path: () => {
      const p = env.LUA_PATH_5_4 ?? env.LUA_PATH;
      return p === undefined ? DEBIAN_LUA_PATH : p.replace(';;', `;${DEBIAN_LUA_PATH};`).replace(/^;|;$/g, '');
    },
    log: (level: string, kind: string, msg: string) => {
      const c = current();
      const lvl = LEVELS.has(level as DovecotLogLine['level']) ? (level as DovecotLogLine['level']) : 'info';
      if (kind === 'global') c.log.global(lvl, String(msg));
      else c.log.request(lvl, String(msg));
    },
    print: (line: string) => {
      current().stdout.push(String(line));
    },
    getenv: (name: string) => env[String(name)] ?? undefined,
    find_module: (name: string, packagePath: string) => files.findModule(current(), name, packagePath),
    read_file: (name: string) => files.readFile(name),
    stage_file: (name: string, mode: string) => files.stage(current(), String(name), String(mode)),
    http_url_error: (url: string) => httpUrlError(String(url)),
    http_submit: async (spec: HttpSubmitSpec) => {
      const c = current();
      const headers = Array.isArray(spec.headers) ? spec.headers.map((h) => [String(h[0]), String(h[1])] as [string, string]) : [];
      const debug = spec.settings?.debug === true;
      if (debug) c.log.global('debug', `http-client: request ${spec.method} ${spec.url}: Submitted`);
      const sendTo = standInUrl(String(spec.url), settings.urlMap, env);
      if (sendTo) c.note(`${String(spec.url)} was answered by the stand-in at ${sendTo}`);
      const r = await submitHttp({ ...spec, headers, ...(sendTo ? { sendTo } : {}) }, c.abort.signal);
      c.http.push(r.call);
      if (debug) c.log.global('debug', `http-client: request ${spec.method} ${spec.url}: Got ${r.status} response: ${r.reason}`);
      return { status: r.status, reason: r.reason, headers: r.headers, payload: r.payload };
    },
    var_expand: (tpl: string) => (v24 ? varExpand24 : varExpand)(String(tpl), expandCtx()),
    template: (tpl: string) => expandTemplate(String(tpl), expandCtx()),
    extra_field: (kind: string, key: string) => {
      const c = current();
      return (kind === 'userdb' ? c.userdbFields : c.passdbFields)[String(key)] ?? undefined;
    },
    password_verify: async (crypted?: string, plain?: string) => {
      const c = current();
      const r = await dovecotPasswordVerify(crypted ?? undefined, plain ?? undefined, c.vars.orig_user ?? c.vars.original_user ?? c.vars.user ?? '');
      if (r.note) c.note(r.note);
      return r.err === undefined ? { ret: r.ret } : { ret: r.ret, err: r.err };
    },
  };
}

/**
 * Where a request really goes: the harness' `urlMap` (the studio's stand-ins) or AUTHSTUDIO_HTTP_STANDINS of the
 * environment, as for the engine's HTTP modules; undefined when no stand-in covers the URL's origin.
 */
export function standInUrl(url: string, urlMap: Record<string, string> | undefined, env: Record<string, string | undefined>): string | undefined {
  let u: URL;
  try {
    u = new URL(url.startsWith('//') ? `http:${url}` : url);
  } catch {
    return undefined;
  }
  const mapped = urlMap && Object.keys(urlMap).length ? standInIn(u, new Map(Object.entries(urlMap).map(([k, v]) => [new URL(k).origin, new URL(v)]))) : undefined;
  return (mapped ?? standInFor(u, (name) => env[name]))?.toString();
}
