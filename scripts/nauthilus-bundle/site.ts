// The bundle extracted from a Nauthilus tag, and the AuthStudio configuration that enables it the way a Nauthilus
// site would: every feature, filter, action and hook, init/init.lua, nauthilus_util on package.path.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { generateHash } from '../../engine/lua/modules/password-schemes';
import type { StandIns } from './standins';

export const PLUGINS = 'server/lua-plugins.d';

/** Copy `server/lua-plugins.d` of `tag` out of a bare git dir (or a checkout dir, tag ignored) into a temp dir. */
export function extractBundle(source: string, tag: string): string {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `nauthilus-bundle-${tag.replace(/[^\w.-]/g, '_')}-`));
  const dest = path.join(out, 'lua-plugins.d');
  const checkout = path.join(source, PLUGINS);
  if (fs.existsSync(checkout)) {
    fs.cpSync(checkout, dest, { recursive: true });
    return dest;
  }
  const files = execFileSync('git', ['--git-dir', source, 'ls-tree', '-r', '--name-only', tag, PLUGINS], { encoding: 'utf8' })
    .split('\n').filter(Boolean);
  if (!files.length) throw new Error(`no ${PLUGINS} in ${tag}`);
  for (const f of files) {
    const target = path.join(dest, path.relative(PLUGINS, f));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, execFileSync('git', ['--git-dir', source, 'show', `${tag}:${f}`], { maxBuffer: 64 << 20 }));
  }
  return dest;
}

/** The scripts of a bundle, relative to lua-plugins.d (README files left out). */
export function bundleScripts(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.lua')) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** Users of the site: username, password, account. */
export const USERS = [
  { username: 'alice', password: 'alice-secret', account: 'alice@example.test', uniqueid: 'u-1001', display: 'Alice' },
  { username: 'bob', password: 'bob-secret', account: 'bob@example.test', uniqueid: 'u-1002', display: 'Bob' },
];

/** backend.lua reads `nauthilus:nauthilus@tcp(127.0.0.1)/nauthilus`: that database, user and table, our rows. */
export async function prepareMariaDb(): Promise<void> {
  const root = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  try {
    await root.query('CREATE DATABASE IF NOT EXISTS nauthilus');
    await root.query("CREATE USER IF NOT EXISTS 'nauthilus'@'localhost' IDENTIFIED BY 'nauthilus'");
    await root.query("CREATE USER IF NOT EXISTS 'nauthilus'@'127.0.0.1' IDENTIFIED BY 'nauthilus'");
    await root.query("GRANT ALL ON nauthilus.* TO 'nauthilus'@'localhost'");
    await root.query("GRANT ALL ON nauthilus.* TO 'nauthilus'@'127.0.0.1'");
    await root.query('DROP TABLE IF EXISTS nauthilus.nauthilus');
    await root.query(`CREATE TABLE nauthilus.nauthilus (
      username VARCHAR(255) NOT NULL PRIMARY KEY, account VARCHAR(255) NOT NULL, password VARCHAR(255) NOT NULL,
      totp_secret VARCHAR(255) NOT NULL DEFAULT '', uniqueid VARCHAR(255) NOT NULL DEFAULT '', display_name VARCHAR(255) NOT NULL DEFAULT '')`);
    for (const u of USERS) {
      await root.query('INSERT INTO nauthilus.nauthilus (username, account, password, uniqueid, display_name) VALUES (?, ?, ?, ?, ?)',
        [u.username, u.account, await generateHash(u.password, 'SSHA256'), u.uniqueid, u.display]);
    }
  } finally {
    await root.end();
  }
}

/** Removes what prepareMariaDb made: the shared MariaDB keeps nothing of a run. */
export async function dropMariaDb(): Promise<void> {
  const root = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  try {
    await root.query('DROP DATABASE IF EXISTS nauthilus');
    await root.query("DROP USER IF EXISTS 'nauthilus'@'localhost', 'nauthilus'@'127.0.0.1'");
  } finally {
    await root.end();
  }
}

/** The CSV testing_csv_loader.lua reads: username, password, expected_ok and one extra attribute column. */
export function writeCsv(dir: string): string {
  const file = path.join(dir, 'logins.csv');
  fs.writeFileSync(file, ['username,password,client_ip,expected_ok,account', ...USERS.map((u) => `${u.username},${u.password},,true,${u.account}`), 'carol,carol-secret,,false,carol@example.test', ''].join('\n'));
  return file;
}

/** Brute-force bucket of the site: 5 failures per client /32 in an hour. */
export const BF_LIMIT = 5;

export interface SiteOptions {
  bundle: string;
  scripts: string[];
  /** 'mysql': backend/backend.lua; 'csv': testing_csv_backend.lua with init/testing_csv_loader.lua. */
  backend: 'mysql' | 'csv';
  redisAddress: string;
  /** Port of the IMAP stand-in backend_server_monitoring checks. */
  imapPort: number;
  /** Run filters/soft_delay.lua only for failed logins (see writeSiteConfig). */
  softDelayUnauthenticatedOnly?: boolean;
}

/** Write the site's authstudio.yml next to lua-plugins.d and return its path. */
export function writeSiteConfig(o: SiteOptions): string {
  const has = (s: string) => o.scripts.includes(s);
  const rel = (s: string) => `./lua-plugins.d/${s}`;
  const name = (s: string) => path.basename(s, '.lua');
  const lines: string[] = [
    'server:',
    '  address: 127.0.0.1:0',
    '  backends: [lua]',
    '  redis:',
    '    master:',
    `      address: ${o.redisAddress}`,
    '  lua_script_timeout: 20s',
    '  lua_allow_io: true',
    '  log:',
    '    level: info',
    '    json: true',
    'brute_force:',
    '  buckets:',
    `    - { name: b_1h_32, period: 1h, cidr: 32, ipv4: true, failed_requests: ${BF_LIMIT} }`,
    'backend_server_monitoring:',
    '  backend_servers:',
    `    - { protocol: imap, host: 127.0.0.1, port: ${o.imapPort} }`,
    'lua:',
  ];
  if (o.backend === 'mysql') {
    lines.push('  features:');
    for (const f of o.scripts.filter((s) => s.startsWith('features/'))) lines.push(`    - { name: ${name(f)}, script_path: ${rel(f)} }`);
    lines.push('  filters:');
    for (const f of o.scripts.filter((s) => s.startsWith('filters/'))) {
      // monitoring.lua says it should not run unauthenticated "per config"
      let when = name(f) === 'monitoring' ? ', when_authenticated: true' : '';
      // Nauthilus 1.10's soft_delay.lua ends with one value (ACTION_RESULT_OK = 0), which Nauthilus reads as "reject"
      // (gopher-lua ToBool(0) is true): a 1.10 site can only run it where a reject changes nothing
      if (name(f) === 'soft_delay' && o.softDelayUnauthenticatedOnly) when = ', when_unauthenticated: true';
      lines.push(`    - { name: ${name(f)}, script_path: ${rel(f)}${when} }`);
    }
    lines.push('  actions:');
    for (const a of ['actions/bruteforce.lua', 'actions/bruteforce_header.lua'].filter(has)) {
      lines.push(`    - { type: brute_force, name: ${name(a)}, script_path: ${rel(a)} }`);
    }
    const post = o.scripts.filter((s) => s.startsWith('actions/') && !/bruteforce/.test(s));
    for (const a of post) lines.push(`    - { type: post, name: ${name(a)}, script_path: ${rel(a)} }`);
    // geoip.lua also defines nauthilus_call_action (the "info" request): a post action, as its source describes
    if (has('filters/geoip.lua')) lines.push(`    - { type: post, name: geoip, script_path: ${rel('filters/geoip.lua')} }`);
    lines.push('  custom_hooks:');
    for (const h of o.scripts.filter((s) => s.startsWith('hooks/'))) {
      const methods = HOOK_METHODS[name(h)] ?? ['GET'];
      for (const m of methods) lines.push(`    - { http_location: ${name(h)}, http_method: ${m}, script_path: ${rel(h)} }`);
    }
  }
  lines.push('  config:');
  if (o.backend === 'mysql') {
    lines.push(`    backend_script_path: ${rel('backend/backend.lua')}`, '    init_script_paths:', `      - ${rel('init/init.lua')}`);
  } else {
    lines.push(`    backend_script_path: ${rel('backend/testing_csv_backend.lua')}`, '    init_script_paths:', `      - ${rel('init/testing_csv_loader.lua')}`);
  }
  lines.push('    package_path: "./lua-plugins.d/share/?.lua;./lua-plugins.d/backend/?.lua;./lua-plugins.d/init/?.lua"');
  lines.push('    number_of_workers: 1');
  const file = path.join(path.dirname(o.bundle), `authstudio-${o.backend}.yml`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Hooks' methods as their README and source comments configure them. */
export const HOOK_METHODS: Record<string, string[]> = {
  'clickhouse-query': ['GET'],
  'distributed-brute-force-admin': ['POST'],
  'distributed-brute-force-test': ['POST'],
  'dovecot-session-cleaner': ['POST'],
  'dynamic-textmap-demo': ['GET', 'HEAD'],
  'hello-world-request-dump': ['GET'],
  'http-head-get-demo': ['GET', 'HEAD'],
};

/** The environment the scripts read (names from their sources), pointed at the stand-ins. */
export function siteEnv(s: StandIns, csvFile: string): Record<string, string> {
  return {
    BLOCKLIST_URL: `${s.blocklist.url}/`,
    BLOCKLIST_SERVICE_ENDPOINT: `127.0.0.1:${s.blocklist.port}`,
    GEOIP_POLICY_URL: `${s.geoip.url}/`,
    GEOIP_POLICY_SERVICE_ENDPOINT: `127.0.0.1:${s.geoip.port}`,
    CLICKHOUSE_INSERT_URL: `${s.clickhouse.url}/?query=INSERT%20INTO%20nauthilus.logins%20FORMAT%20JSONEachRow`,
    CLICKHOUSE_SELECT_BASE: `${s.clickhouse.url}/`,
    CLICKHOUSE_TABLE: 'nauthilus.logins',
    CLICKHOUSE_USER: 'ch-user',
    CLICKHOUSE_PASSWORD: 'ch-pass',
    CLICKHOUSE_BATCH_SIZE: '1',
    AUTHSTUDIO_TELEGRAM_API: s.telegram.url,
    // the breach-range API's host is fixed in haveibeenpwnd.lua: its requests go to the local stand-in
    AUTHSTUDIO_HTTP_STANDINS: `https://api.pwnedpasswords.com=${s.hibp.url}`,
    TELEGRAM_PASSWORD: '123456:bundle-token',
    TELEGRAM_CHAT_ID: '4242',
    HAPROXY_STATS: `127.0.0.1:${s.haproxy.port}`,
    HAPROXY_SMTP_MAP: 'smtp.map',
    HAPROXY_GENERIC_MAP: 'generic.map',
    SMTP_USE_LMTP: 'false',
    SMTP_SERVER: '127.0.0.1',
    SMTP_PORT: String(s.smtp.port),
    SMTP_HELO_NAME: 'bundle.test',
    SMTP_TLS: 'false',
    SMTP_STARTTLS: 'false',
    SMTP_MAIL_FROM: 'nauthilus@example.test',
    ADMIN_EMAIL_ADDRESSES: 'admin@example.test',
    SSP_WEBSITE: 'https://ssp.example.test',
    TESTING_CSV: csvFile,
    SOFT_DELAY_MIN_MS: '1',
    SOFT_DELAY_MAX_MS: '5',
    INIT_REDIS_WAIT_TIMEOUT_SEC: '5',
    SECURITY_METRICS_PER_USER_ENABLED: 'true',
    SECURITY_METRICS_SAMPLE_RATE: '1',
  };
}

/** True when the bundle's filters/soft_delay.lua ends its filter with the one-value action result (Nauthilus 1.10). */
export function softDelayReturnsOneValue(bundle: string): boolean {
  const file = path.join(bundle, 'filters', 'soft_delay.lua');
  if (!fs.existsSync(file)) return false;
  const body = fs.readFileSync(file, 'utf8');
  const lastReturn = [...body.matchAll(/^\s*return\s+(.+)$/gm)].pop();
  return !!lastReturn && /ACTION_RESULT_OK\s*$/.test(lastReturn[1]);
}
