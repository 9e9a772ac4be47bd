// Test helper: a real Dovecot on a free loopback port in a temp dir, driven over IMAP and doveadm: the host's
// Dovecot 2.3, or Debian 13's Dovecot 2.4 run with chroot in the root .ci/debian13-dovecot.sh builds.
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/free-port';

const LUA_MODULE = '/usr/lib/dovecot/modules/auth/libauthdb_lua.so';

/** Why Dovecot tests cannot run here, or undefined when they can (the setup of docs/dovecot.md needs root). */
export function dovecotUnavailable(): string | undefined {
  const which = (bin: string) => {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  };
  if (!which('dovecot') || !which('doveadm')) return 'dovecot is not installed (apt-get install dovecot-imapd dovecot-auth-lua; .ci/run does it)';
  if (!fs.existsSync(LUA_MODULE)) return `the Dovecot Lua auth module is missing (${LUA_MODULE}: apt-get install dovecot-auth-lua)`;
  if (!fs.existsSync('/usr/share/lua/5.4/cjson')) return 'lua-cjson is missing (apt-get install lua-cjson; .ci/run does it)';
  if (process.getuid?.() !== 0) return 'the test Dovecot runs as root (default_internal_user = root)';
  return undefined;
}

/** The Debian 13 root with Dovecot 2.4 (.ci/debian13-dovecot.sh builds it once per machine). */
export const DEBIAN13_ROOT = process.env.AUTHSTUDIO_DEBIAN13_ROOT ?? '/var/cache/authstudio/debian13-dovecot';

/** Why the Dovecot 2.4 tests cannot run here, or undefined when they can. */
export function dovecot24Unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the test Dovecot 2.4 runs as root with chroot';
  if (!fs.existsSync(path.join(DEBIAN13_ROOT, '.authstudio-ready'))) {
    return `no Debian 13 root with Dovecot 2.4 at ${DEBIAN13_ROOT} (run .ci/debian13-dovecot.sh; .ci/run does it)`;
  }
  if (!fs.existsSync(path.join(DEBIAN13_ROOT, LUA_MODULE.slice(1)))) return `the root at ${DEBIAN13_ROOT} has no Dovecot Lua auth module`;
  return undefined;
}

/**
 * How a Dovecot 2.4 test treats a missing root: skipped with the reason on a developer machine, a failure under
 * CI=true (CI builds the root, so a missing one is a broken setup, not a reason to pass).
 */
export function dovecot24Gate(): { skip: string | false; failure?: string } {
  const reason = dovecot24Unavailable();
  if (!reason) return { skip: false };
  if (process.env.CI === 'true') return { skip: false, failure: `CI=true but the Dovecot 2.4 tests cannot run: ${reason}` };
  return { skip: reason };
}

export interface PassdbSpec {
  /** The Lua script (driver = lua). */
  file: string;
  /** username_filter, to run several scripts in one Dovecot (e.g. `*@nc.test`). */
  usernameFilter?: string;
}

export interface DovecotOptions {
  passdbs: PassdbSpec[];
  /** Lua userdbs instead of the static userdb (Dovecot 2.3 userdbs have no username_filter: they answer everyone). */
  userdbs?: PassdbSpec[];
  /** import_environment entries (KEY=VALUE), e.g. AUTHSTUDIO_URL; `{dir}` in a value is the server's folder as Dovecot sees it. */
  env?: Record<string, string>;
  mechanisms?: string;
  /** Lines added to dovecot.conf (in the syntax of `version`). */
  extra?: string;
  /** 2.3 (default): the host's Dovecot. 2.4: Debian 13's, in DEBIAN13_ROOT with chroot; script files are copied in. */
  version?: '2.3' | '2.4';
  /** Dovecot 2.4: `lua_settings { k = v }` of each Lua passdb (script_init's argument). */
  luaSettings?: Record<string, string>;
}

export interface DovecotServer {
  port: number;
  dir: string;
  conf: string;
  /** The path Dovecot sees for a script given in the options (inside the root for 2.4). */
  scriptPath(file: string): string;
  /** Log lines written since the last call (timestamps stripped). */
  takeLog(): string[];
  /**
   * `a LOGIN user pass` (after `ID ("x-originating-ip" ip)` when given): the tagged answer without the tag.
   * Dovecot delays the next login from an address that failed (auth penalty, ~4 s): use fresh addresses.
   */
  imapLogin(user: string, password: string, originatingIp?: string): Promise<string>;
  /** `a AUTHENTICATE CRAM-MD5` with a correct answer for `password`. */
  imapCramMd5(user: string, password: string, originatingIp?: string): Promise<string>;
  /** `doveadm user -x service=imap user`: the userdb fields, or the failure (exit 67: unknown, 75: temporary). */
  userLookup(user: string): Promise<{ status: 'ok' | 'unknown' | 'tempfail'; fields: Record<string, string> }>;
  /** `doveadm auth test -x service=imap [-x rip=IP] user pass`. */
  authTest(user: string, password: string, rip?: string): Promise<{ ok: boolean; fields: Record<string, string> }>;
  stop(): Promise<void>;
}

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** One IMAP exchange: `steps(send, next)` drives it; resolves with the tagged `a` answer. */
function imapSession(port: number, steps: (send: (line: string) => void, line: string) => boolean | void): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`IMAP exchange on port ${port} did not finish in 20 s; got: ${buf}`));
    }, 20_000);
    const send = (line: string) => sock.write(line + '\r\n');
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const tagged = /^a (.*)$/.exec(line) ?? /^(\* BYE .*)$/.exec(line);
        if (tagged) {
          clearTimeout(timer);
          sock.end('z LOGOUT\r\n');
          resolve(tagged[1]);
          return;
        }
        steps(send, line);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Start Dovecot with the given Lua passdbs and a static userdb (the verified setup of spec/dovecot.md). */
export async function startDovecot(opts: DovecotOptions): Promise<DovecotServer> {
  const v24 = opts.version === '2.4';
  if (v24) fs.mkdirSync(path.join(DEBIAN13_ROOT, 'tmp'), { recursive: true });
  // for 2.4 the folder is inside the root; `inner` is how Dovecot (chrooted) names it
  const dir = fs.mkdtempSync(path.join(v24 ? path.join(DEBIAN13_ROOT, 'tmp') : os.tmpdir(), 'authstudio-dovecot-'));
  const inner = v24 ? dir.slice(DEBIAN13_ROOT.length) : dir;
  fs.mkdirSync(path.join(dir, 'run'));
  fs.mkdirSync(path.join(dir, 'home'));
  const port = await freePort();
  const logPath = path.join(dir, 'dovecot.log');
  // 2.4: each script's folder is copied into the root (scripts read files next to them with io.open / require)
  const mapped = new Map<string, string>();
  const scriptPath = (file: string): string => {
    if (!v24) return file;
    const known = mapped.get(file);
    if (known) return known;
    const src = path.dirname(file);
    const dest = path.join(dir, 'scripts', String(mapped.size));
    fs.mkdirSync(dest, { recursive: true });
    for (const f of fs.readdirSync(src)) if (fs.statSync(path.join(src, f)).isFile()) fs.copyFileSync(path.join(src, f), path.join(dest, f));
    const inside = path.join(inner, 'scripts', String(mapped.size), path.basename(file));
    mapped.set(file, inside);
    return inside;
  };
  opts = { ...opts, env: Object.fromEntries(Object.entries(opts.env ?? {}).map(([k, v]) => [k, v.replaceAll('{dir}', inner)])) };
  const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
  const conf = path.join(dir, 'dovecot.conf');
  fs.writeFileSync(conf, (v24 ? config24 : config23)(opts, { dir: inner, port, logPath: path.join(inner, 'dovecot.log'), env, scriptPath }));
  // the daemon keeps inherited pipes open: give it files, or waiting for the start would never end
  const errFile = path.join(dir, 'start.err');
  const errFd = fs.openSync(errFile, 'w');
  const innerConf = path.join(inner, 'dovecot.conf');
  const run = (bin: string, args: string[]): [string, string[]] => (v24 ? ['chroot', [DEBIAN13_ROOT, bin, ...args]] : [bin, args]);
  try {
    execFileSync(...run('dovecot', ['-c', innerConf]), { stdio: ['ignore', 'ignore', errFd] });
  } catch (e) {
    throw new Error(`dovecot did not start: ${fs.readFileSync(errFile, 'utf8') || (e as Error).message}`);
  } finally {
    fs.closeSync(errFd);
  }
  await waitForGreeting(port);
  let logOffset = 0;
  const server: DovecotServer = {
    port, dir, conf, scriptPath,
    takeLog() {
      const text = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : '';
      const fresh = text.slice(logOffset);
      logOffset = text.length;
      return fresh.split('\n').filter(Boolean).map((l) => l.replace(/^\w{3} \d\d \d\d:\d\d:\d\d /, ''));
    },
    imapLogin(user, password, originatingIp) {
      let greeted = false;
      return imapSession(port, (send, line) => {
        if (!greeted && line.startsWith('* OK')) {
          greeted = true;
          if (originatingIp) send(`i ID ("x-originating-ip" ${quote(originatingIp)})`);
          send(`a LOGIN ${quote(user)} ${quote(password)}`);
        }
      });
    },
    imapCramMd5(user, password, originatingIp) {
      let greeted = false;
      return imapSession(port, (send, line) => {
        if (!greeted && line.startsWith('* OK')) {
          greeted = true;
          if (originatingIp) send(`i ID ("x-originating-ip" ${quote(originatingIp)})`);
          send('a AUTHENTICATE CRAM-MD5');
        } else if (line.startsWith('+ ')) {
          const challenge = Buffer.from(line.slice(2), 'base64').toString('latin1');
          const digest = crypto.createHmac('md5', password).update(challenge, 'latin1').digest('hex');
          send(Buffer.from(`${user} ${digest}`).toString('base64'));
        }
      });
    },
    userLookup(user) {
      return new Promise((resolve) => {
        execFile(...run('doveadm', ['-c', innerConf, 'user', '-x', 'service=imap', user]), (err, stdout) => {
          const fields: Record<string, string> = {};
          const code = err ? Number((err as { code?: number }).code) : 0;
          for (const line of code === 0 ? stdout.split('\n').slice(1) : []) {
            const m = /^(\S+)\t(.*)$/.exec(line);
            if (m) fields[m[1]] = m[2];
          }
          resolve({ status: code === 0 ? 'ok' : code === 67 ? 'unknown' : 'tempfail', fields });
        });
      });
    },
    authTest(user, password, rip) {
      const args = ['-c', innerConf, 'auth', 'test', '-x', 'service=imap', ...(rip ? ['-x', `rip=${rip}`] : []), user, password];
      return new Promise((resolve) => {
        execFile(...run('doveadm', args), (err, stdout) => {
          const fields: Record<string, string> = {};
          let inFields = false;
          for (const line of stdout.split('\n')) {
            if (line === 'extra fields:') inFields = true;
            else if (inFields && line.startsWith('  ') && line.trim()) {
              const kv = line.trim();
              const eq = kv.indexOf('=');
              fields[eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? '' : kv.slice(eq + 1);
            }
          }
          resolve({ ok: !err && /auth succeeded/.test(stdout), fields });
        });
      });
    },
    async stop() {
      const pidFile = path.join(dir, 'run', 'master.pid');
      const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').trim()) : undefined;
      // SIGTERM to the master (what `doveadm stop` sends), without blocking the event loop
      try {
        if (pid) process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      if (pid && !(await exited(pid, 5000))) process.kill(pid, 'SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

interface ConfPlaces {
  dir: string;
  port: number;
  logPath: string;
  env: string;
  scriptPath(file: string): string;
}

function commonConf(opts: DovecotOptions, p: ConfPlaces): string[] {
  return [
    `base_dir = ${p.dir}/run`, `state_dir = ${p.dir}/run`, `log_path = ${p.logPath}`,
    'protocols = imap', 'listen = 127.0.0.1', 'ssl = no',
    `auth_mechanisms = ${opts.mechanisms ?? 'plain login'}`, 'auth_failure_delay = 0', 'auth_verbose = yes',
    'default_internal_user = root', 'default_internal_group = root', 'default_login_user = dovenull',
    'login_trusted_networks = 127.0.0.0/8',
    // 2.4 made import_environment a list of KEY = VALUE
    ...(!p.env ? [] : opts.version === '2.4'
      ? ['import_environment {', ...Object.entries(opts.env ?? {}).map(([k, v]) => `  ${k} = ${v}`), '}']
      : [`import_environment = TZ ${p.env}`]),
    'service imap-login {', '  inet_listener imap {', `    port = ${p.port}`, '  }', '}',
  ];
}

/** Dovecot 2.3 syntax: `passdb { driver = lua  args = file=... blocking=yes }`. */
function config23(opts: DovecotOptions, p: ConfPlaces): string {
  const passdbs = opts.passdbs.map((db) => [
    'passdb {', '  driver = lua', `  args = file=${p.scriptPath(db.file)} blocking=yes`,
    ...(db.usernameFilter ? [`  username_filter = ${db.usernameFilter}`] : []), '}',
  ].join('\n'));
  const userdbs = (opts.userdbs ?? []).map((db) => ['userdb {', '  driver = lua', `  args = file=${p.scriptPath(db.file)} blocking=yes`, '}'].join('\n'));
  return [
    ...commonConf(opts, p), 'disable_plaintext_auth = no',
    ...passdbs, ...userdbs,
    ...(userdbs.length ? [] : ['userdb {', '  driver = static', `  args = uid=1000 gid=1000 home=${p.dir}/home/%u allow_all_users=yes`, '}']),
    opts.extra ?? '', '',
  ].join('\n');
}

/** Dovecot 2.4 syntax: `passdb NAME { driver = lua  lua_file = ...  lua_settings { } }`, named filters for username_filter. */
function config24(opts: DovecotOptions, p: ConfPlaces): string {
  const settings = Object.entries(opts.luaSettings ?? {}).map(([k, v]) => `    ${k} = ${v}`);
  const passdbs = opts.passdbs.map((db, i) => [
    `passdb lua${i} {`, '  driver = lua', `  lua_file = ${p.scriptPath(db.file)}`,
    ...(db.usernameFilter ? [`  username_filter = ${db.usernameFilter}`] : []),
    ...(settings.length ? ['  lua_settings {', ...settings, '  }'] : []), '}',
  ].join('\n'));
  const userdbs = (opts.userdbs ?? []).map((db, i) => [`userdb lua${i} {`, '  driver = lua', `  lua_file = ${p.scriptPath(db.file)}`, '}'].join('\n'));
  return [
    'dovecot_config_version = 2.4.1', 'dovecot_storage_version = 2.4.1',
    // auth_internal_failure_delay (new in 2.4, default 2 s) would slow every temporary failure down
    ...commonConf(opts, p), 'auth_allow_cleartext = yes', 'auth_internal_failure_delay = 0',
    ...passdbs, ...userdbs,
    ...(userdbs.length ? [] : ['userdb static {', '  fields {', '    uid = 1000', '    gid = 1000', `    home = ${p.dir}/home/%{user}`, '  }', '  userdb_static_allow_all_users = yes', '}']),
    opts.extra ?? '', '',
  ].join('\n');
}

async function waitForGreeting(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.setTimeout(2000, () => {
        s.destroy();
        resolve(false);
      });
      s.once('data', (d) => {
        s.destroy();
        // an auth process that failed to start makes the login process greet with `* BYE Auth process broken`
        resolve(/^\* (OK|BYE)/.test(d.toString()));
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Dovecot did not answer on port ${port} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function exited(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
