// The CSV test site (testing_csv_backend.lua + testing_csv_loader.lua) and the whole bundle through
// `authstudio serve`; plus the lists of known Nauthilus-same behaviours and out-of-scope scripts.
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import IORedis from 'ioredis';
import { LuaVm } from '../../engine/lua/vm';
import { testServices } from '../../test/helpers/lua-harness';
import { loadConfigFile } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';
import { spawnServe } from '../../test/helpers/spawn-serve';
import { USERS, BF_LIMIT } from './site';
import type { StandIns } from './standins';

type KeySpelling = (before: string, user?: string, after?: string) => string;

/**
 * Failures where Nauthilus itself does the same (key: "tag:script" or "script"), with why. A script listed here
 * still shows its failure in the table; it does not fail the run.
 */
export const KNOWN: Record<string, string> = {
  // key "3:<script>": every 3.x tag (line numbers of v3.0.1; v3.1.0-rc.6 has the same code, hook.go:953 there)
  '3:init/proxy-init.lua': "it defines no nauthilus_run_hook: Nauthilus 3 runs its top level (config, connection target, metrics), then fails the init script (lualib/hook/hook.go:800 \"entry function 'nauthilus_run_hook' is not defined\") and RunLuaInitScripts stops there (app/bootfx/boot.go:372)",
  '3:subject/soft_delay.lua': 'it reads acct:<tag><user>:longwindow (subject/soft_delay.lua:69), but 3.x environment/account_longwindow_metrics.lua writes acct:<tag><user>:proto:<protocol>:longwindow (its line 95): in Nauthilus the spray never makes the account risky either',
  // gopher-lua's os library has no environ (oslib.go: getenv only), nor does Nauthilus 1.10.12 add one; 1.12 uses nauthilus_util.getenv
  'v1.10.12:actions/haveibeenpwnd.lua': 'it calls os.environ("SMTP_SERVER") (its line 155), which Nauthilus 1.10 (gopher-lua os) lacks: the send_mail path raises in Nauthilus too, so the checker reports it',
};

/**
 * Serve-log errors where Nauthilus itself does the same (key "3" or a tag), matched on the logged error text.
 * Nauthilus 3 runs no subject source for a no-auth request (lualib/subject/subject.go:285: modes authenticated and
 * unauthenticated), yet PostLuaAction keeps subject_stage_expected true (core/auth.go:2707-2717), so
 * actions/test_context_chain.lua:173 raises for every no-auth lookup there too.
 */
export const KNOWN_SERVE: Record<string, Array<{ match: RegExp; why: string }>> = {
  3: [{ match: /test_context_chain\/action: context key 'test_stage_subject' is nil/, why: "a no-auth lookup runs no subject source, yet the action asserts the subject's context key (Nauthilus 3.0.1: subject.go:285 modes, auth.go:2717 (3.1.0-rc.6: 2863), test_context_chain.lua:173)" }],
};

/** What the table says next to a script that passes (key: script, or "1.10:"/"1.12:" + script for one release line). */
export const NOTES: Record<string, string> = {
  '1.10:filters/soft_delay.lua': 'Nauthilus-same: the filter returns one value (ACTION_RESULT_OK = 0), read as "reject" (gopher-lua ToBool(0) is true); the site runs it when_unauthenticated',
  'actions/haveibeenpwnd.lua': "its fixed breach-range host is answered by a local stand-in (AUTHSTUDIO_HTTP_STANDINS). Nauthilus-same: it never mails (init.lua's script answers \"send_email\", the action waits for \"send_mail\"; in 1.10 that path would also call os.environ, which gopher-lua lacks)",
  'hooks/distributed-brute-force-test.lua': 'check_detection raises (toboolean(nil)) until the global settings hash exists, in Nauthilus too: run after reset_protection',
  '1.12:hooks/distributed-brute-force-test.lua': "its pipeline rows use 1.10's run_script form, which Nauthilus 1.12.5 reads as (script, name) and fails on; AuthStudio takes both forms",
  'hooks/dynamic-textmap-demo.lua': 'its README says HEAD carries Content-Length; the script sets none and Go sends none, nor do we',
  'examples/otel_demo.lua': 'tracing off: returns at once (Nauthilus 1.12.5 with tracing off binds an empty nauthilus_opentelemetry table, where is_enabled() raises)',
};

/** Scripts the tool does not run, with why. */
export const OUT_OF_SCOPE: Record<string, string> = {};

/**
 * examples/otel_demo.lua (Nauthilus 1.12) is a bare chunk: run its top level in a VM. It says it is a no-op when
 * tracing is disabled — AuthStudio's nauthilus_opentelemetry reports tracing off — so it must return quietly.
 */
export async function runExampleChunk(file: string, dir: string): Promise<{ errors: string[]; does?: string }> {
  const services = testServices({ baseDir: dir });
  const vm = await LuaVm.create({ poolName: 'example', services, memoryLimitBytes: 64 << 20, allowIo: false });
  try {
    await vm.loadScript(path.relative(dir, file), fs.readFileSync(file, 'utf8'), 5000);
    return { errors: [] };
  } catch (e) {
    return { errors: [(e as Error).message], does: 'its top level raised' };
  } finally {
    vm.close();
    await services.redis.close();
  }
}

export async function csvChecks(configFile: string, _s: StandIns): Promise<{ errors: string[]; failures: Record<string, string | undefined> }> {
  const config = loadConfigFile(configFile, { env: { ...process.env } });
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  const engine = await AuthEngine.create(config, { logger, env: { ...process.env } });
  const app = await buildHttpApp(engine);
  const errors: string[] = [];
  const login = async (username: string, password: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: { username, password, client_ip: '81.2.71.1', protocol: 'imap', ssl: 'on' } });
    const out = engine.lastTrace(String(res.headers['x-nauthilus-session']));
    for (const r of out?.trace ?? []) if (r.error) errors.push(r.error);
    return out;
  };
  try {
    const ok = await login(USERS[0].username, USERS[0].password);
    const expectedBad = await login('carol', 'carol-secret');
    const unknown = await login('nobody', 'x');
    const initFailed = lines.some((l) => /init script.*failed/.test(l));
    return {
      errors: initFailed ? [...errors, 'init script failed'] : errors,
      failures: {
        'backend/testing_csv_backend.lua': ok?.decision !== 'ok' ? `a CSV user with expected_ok=true was refused (${ok?.decision})`
          : expectedBad?.decision !== 'fail' ? 'a CSV user with expected_ok=false was accepted'
            : unknown?.decision !== 'fail' ? 'a user not in the CSV was accepted' : undefined,
        'init/testing_csv_loader.lua': initFailed ? 'the loader failed at start' : ok?.decision === 'ok' ? undefined : 'the CSV was not loaded',
      },
    };
  } finally {
    await app.close();
    await engine.close();
  }
}

export interface ServeResult { what: string; ok: boolean; note?: string; known?: string }

/** The whole bundle as a Nauthilus site, through `authstudio serve` and real HTTP. */
export async function serveRun(configFile: string, s: StandIns, env: Record<string, string>, key: KeySpelling, known: Array<{ match: RegExp; why: string }> = []): Promise<ServeResult[]> {
  const out: ServeResult[] = [];
  const redis = new IORedis(s.redis.url, { maxRetriesPerRequest: 1 });
  const serve = await spawnServe(['--config', configFile], env);
  const alice = USERS[0];
  const post = async (payload: Record<string, string>, query = '') => {
    const res = await fetch(`${serve.url}/api/v1/auth/json${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ protocol: 'imap', ssl: 'on', ...payload }) });
    return { status: res.status, headers: res.headers, body: await res.text() };
  };
  const step = async (what: string, f: () => Promise<string | undefined>) => {
    try {
      const note = await f();
      if (note === 'known') return; // pushed by f, with why
      out.push({ what, ok: note === undefined, note });
    } catch (e) {
      out.push({ what, ok: false, note: (e as Error).message.slice(0, 200) });
    }
  };
  try {
    await step('good login ok', async () => {
      const r = await post({ username: alice.username, password: alice.password, client_ip: '81.2.72.1' });
      if (r.status === 200 && r.headers.get('auth-status') === 'OK') return undefined;
      const why = serve.lines.filter((l) => /"level":(40|50)/.test(l) && !/resolve DNS name/.test(l)).pop() ?? '';
      return `HTTP ${r.status} ${r.body.slice(0, 120)} ${why.slice(0, 400)}`;
    });
    await step('wrong password refused', async () => {
      const r = await post({ username: alice.username, password: 'wrong', client_ip: '81.2.72.2' });
      return r.status === 403 ? undefined : `HTTP ${r.status} ${r.body.slice(0, 120)}`;
    });
    await step(`brute force blocks after ${BF_LIMIT} failures`, async () => {
      const before = s.haproxy.lines.length;
      for (let i = 0; i < BF_LIMIT + 1; i++) await post({ username: alice.username, password: `w${i}`, client_ip: '81.2.72.3' });
      const r = await post({ username: alice.username, password: alice.password, client_ip: '81.2.72.3' });
      if (r.status === 200) return 'the right password still logs in from the blocked address';
      if (r.headers.get('x-nauthilus-bruteforce') !== 'true') return 'no X-Nauthilus-Bruteforce header on the blocked answer';
      return s.haproxy.lines.length > before ? undefined : 'bruteforce.lua did not tell HAProxy';
    });
    await step('no-auth lookup finds the user', async () => {
      const r = await post({ username: alice.username, client_ip: '81.2.72.4' }, '?mode=no-auth');
      return r.status === 200 ? undefined : `HTTP ${r.status} ${r.body.slice(0, 120)}`;
    });
    await step('list-accounts lists the MariaDB accounts', async () => {
      const r = await post({}, '?mode=list-accounts');
      return r.status === 200 && r.body.includes(alice.account) ? undefined : `HTTP ${r.status} ${r.body.slice(0, 120)}`;
    });
    await step('hooks answer (hello-world, head-get, textmap, dbf-admin)', async () => {
      for (const [m, loc] of [['GET', 'hello-world-request-dump'], ['GET', 'http-head-get-demo'], ['HEAD', 'http-head-get-demo'], ['GET', 'dynamic-textmap-demo'], ['POST', 'distributed-brute-force-admin']]) {
        const r = await fetch(`${serve.url}/api/v1/custom/${loc}`, { method: m });
        if (r.status >= 400) return `${m} ${loc}: HTTP ${r.status} ${(await r.text()).slice(0, 120)}`;
      }
      return undefined;
    });
    await step('Dovecot login records its session, the disconnect event clears it (monitoring + dovecot-session-cleaner)', async () => {
      const target = '81.2.72.9:51000';
      const r = await fetch(`${serve.url}/api/v1/auth/json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Nauthilus-Service': 'Dovecot', 'X-Dovecot-Proxy-Target': target },
        body: JSON.stringify({ username: alice.username, password: alice.password, client_ip: '81.2.72.9', protocol: 'imap', ssl: 'on' }),
      });
      if (r.status !== 200) return `Dovecot login: HTTP ${r.status}`;
      const sessions = key('DS:', undefined, alice.account);
      const accounts = key('DS_ACCOUNT');
      if (await redis.hget(sessions, target) !== '127.0.0.1') return `no session ${target} in ${sessions} after the login`;
      if (await redis.hget(accounts, target) !== alice.account) return `no ${target} in ${accounts} after the login`;
      const ev = await fetch(`${serve.url}/api/v1/custom/dovecot-session-cleaner`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ categories: ['service:imap-login'], event: 'proxy_session_finished', fields: { user: alice.account, remote_ip: '81.2.72.9', remote_port: 51000 } }),
      });
      if (ev.status >= 400) return `cleaner: HTTP ${ev.status} ${(await ev.text()).slice(0, 120)}`;
      if (await redis.hget(sessions, target) !== null) return `session ${target} still in ${sessions} after the disconnect event`;
      return (await redis.hget(accounts, target)) === null ? undefined : `${target} still in ${accounts}`;
    });
    await step('no Lua error in the serve log', async () => {
      // (a connection target's DNS name that does not resolve here is the machine's network, not a script's doing)
      const bad = serve.lines.filter((l) => (/"level":(50|60)/.test(l) && !/unable to resolve DNS name/.test(l)) || /(script|action|hook|feature|filter).* failed/.test(l));
      const unknown = bad.filter((l) => !known.some((k) => k.match.test(l)));
      if (bad.length && !unknown.length) {
        const why = known.filter((k) => bad.some((l) => k.match.test(l))).map((k) => k.why).join('; ');
        out.push({ what: 'no Lua error in the serve log', ok: false, known: why, note: errorText(bad[0]) });
        return 'known';
      }
      return unknown.length ? errorText(unknown[0]) : undefined;
    });
  } finally {
    await serve.stop();
    redis.disconnect();
  }
  return out;
}

/** A serve log line as "<stage name>: <error>" when it is a JSON record with one, else its start. */
function errorText(line: string): string {
  try {
    const j = JSON.parse(line) as Record<string, unknown>;
    const who = j.action ?? j.script ?? j.hook ?? j.feature ?? j.filter;
    if (j.err || j.error) return `${who ? `${String(who)}: ` : ''}${String(j.err ?? j.error)}`.slice(0, 240);
  } catch {
    // not JSON
  }
  return line.slice(0, 240);
}
