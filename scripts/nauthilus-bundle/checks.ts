// What each script Nauthilus ships says it does (read from its source), in our words, and how we see it done.
// The scenario below drives the whole site; each check then reads the answers, trace records, Redis and stand-ins.
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { USERS, BF_LIMIT } from './site';
import { errorsOf, logged, type Driver, type Observed } from './scenario';
import type { StandIns } from './standins';

export interface CheckContext {
  obs: Observed; s: StandIns; redis: Redis; metrics: string; tag: string;
  /** Lines the scripts printed (print_result) while the site ran. */
  printed: number;
  printedLines: string[];
  /** A Redis key as the release's scripts spell it: `key('hll:acct:', 'bob', ':ips:86400')`. */
  key: (before: string, user?: string, after?: string) => string;
}

/**
 * Key spelling of a bundle: 1.10 writes "ntc:" + name with the bare username; 1.12 (share/nauthilus_keys.lua)
 * writes request.redis_prefix ("nt:" by default) + name, the username led by its hash tag "{acm-<md5>}".
 */
export function keySpelling(hasKeysModule: boolean): CheckContext['key'] {
  return (before, user, after = '') => {
    if (!hasKeysModule) return `ntc:${before}${user ?? ''}${after}`;
    const tag = user ? `{acm-${createHash('md5').update(user).digest('hex')}}` : '';
    return `nt:${before}${user ? tag + user : ''}${after}`;
  };
}
/** undefined: does what it says; a string: what differs. */
export type Check = (c: CheckContext) => Promise<string | undefined> | string | undefined;

const alice = USERS[0];
const bob = USERS[1];
export const IP = {
  good: '81.2.69.10', wrong: '81.2.69.11', unknown: '81.2.69.12', blocked: '81.2.69.66', brute: '81.2.69.77',
  geoReject: '81.2.69.88', dovecot: '81.2.69.20', idp: '81.2.69.30', spray: (i: number) => `81.2.70.${10 + i}`,
};

/** The requests every run makes, in this order. */
export async function runScenario(d: Driver, v3 = false): Promise<void> {
  await d.login('good', { username: alice.username, password: alice.password, client_ip: IP.good });
  await d.login('good-dovecot', { username: alice.username, password: alice.password, client_ip: IP.dovecot },
    { 'X-Nauthilus-Service': 'Dovecot', 'X-Dovecot-Proxy-Target': 'session-1' });
  await d.login('wrong', { username: alice.username, password: 'nope', client_ip: IP.wrong });
  await d.login('unknown', { username: 'mallory', password: 'nope', client_ip: IP.unknown });
  await d.login('unknown-again', { username: 'mallory', password: 'nope', client_ip: IP.unknown });
  await d.login('blocked', { username: alice.username, password: alice.password, client_ip: IP.blocked });
  await d.login('geo-reject', { username: alice.username, password: alice.password, client_ip: IP.geoReject });
  // Nauthilus 3's subject/idp_policy.lua judges OIDC clients: the admin dashboard wants the admins group
  if (v3) await d.login('idp-admin-client', { username: alice.username, password: alice.password, client_ip: IP.idp, oidc_cid: 'admin-dashboard' });
  // bob's password is sprayed from many addresses: long-window metrics grow, soft delay and protection take note
  for (let i = 0; i < 8; i++) await d.login(`spray-${i}`, { username: bob.username, password: `guess-${i}`, client_ip: IP.spray(i) });
  // 1.12's soft_delay keeps an account's metrics 5 s in nauthilus_cache: the spray ran within them, so wait them out
  await new Promise((resolve) => setTimeout(resolve, 5500));
  await d.login('spray-late', { username: bob.username, password: 'guess-late', client_ip: IP.spray(9) });
  await d.login('bob-after-spray', { username: bob.username, password: bob.password, client_ip: IP.spray(20) });
  for (let i = 0; i <= BF_LIMIT + 1; i++) await d.login(`brute-${i}`, { username: alice.username, password: `brute-${i}`, client_ip: IP.brute });
  await d.login('brute-then-right', { username: alice.username, password: alice.password, client_ip: IP.brute });

  await d.hook('hello-world', 'GET', 'hello-world-request-dump?x=1', undefined, { 'X-Test': 'yes' });
  await d.hook('head-get GET', 'GET', 'http-head-get-demo');
  await d.hook('head-get HEAD', 'HEAD', 'http-head-get-demo');
  await d.hook('textmap GET', 'GET', 'dynamic-textmap-demo');
  await d.hook('textmap HEAD', 'HEAD', 'dynamic-textmap-demo');
  await d.hook('dbf-admin', 'POST', 'distributed-brute-force-admin?action=get_metrics');
  await d.hook('dbf-admin reset', 'POST', `distributed-brute-force-admin?action=reset_account&username=${bob.username}`);
  // check_detection reads ntc:multilayer:global:settings, which reset_protection writes (without it the hook
  // raises in Nauthilus too: nauthilus_util.toboolean(nil))
  await d.hook('dbf-admin reset-protection', 'POST', 'distributed-brute-force-admin?action=reset_protection');
  await d.hook('dbf-test', 'POST', `distributed-brute-force-test?action=check_detection&username=${bob.username}`);
  await d.hook('dbf-test simulate', 'POST', `distributed-brute-force-test?action=simulate_attack&username=${bob.username}&num_ips=3&country_code=DE`);
  await d.hook('ch-query', 'GET', 'clickhouse-query?action=recent&limit=5');
  await d.hook('session-cleaner', 'POST', 'dovecot-session-cleaner',
    JSON.stringify({ category: 'service:imap', level: 'info', start_time: '2026-01-01T00:00:00Z', end_time: '2026-01-01T00:00:01Z', event: 'imap_command_finished', hostname: 'dovecot1', fields: { user: alice.account, session: 'session-1', cmd_name: 'LOGOUT', tagged_reply_state: 'OK' } }),
    { 'content-type': 'application/json' });
}

const L = (c: CheckContext, label: string) => c.obs.logins.find((l) => l.label === label)!;
const H = (c: CheckContext, label: string) => c.obs.hooks.find((h) => h.label === label)!;
const fail = (cond: boolean, what: string) => (cond ? undefined : what);
const first = (...r: Array<string | undefined>) => r.find((x) => x !== undefined);
const hookOk = (c: CheckContext, label: string) => fail(H(c, label).status < 400, `${label}: HTTP ${H(c, label).status} ${H(c, label).body.slice(0, 160)}`);

export const CHECKS: Record<string, Check> = {
  'features/blocklist.lua': (c) => first(
    fail(c.s.blocklist.requests.some((r) => r.body.includes(IP.good)), 'the blocklist service was not asked about the client'),
    fail(L(c, 'blocked').decision === 'fail' && L(c, 'blocked').statusMessage === 'IP address blocked', `a blocklisted client was not refused with "IP address blocked" (${L(c, 'blocked').decision}, ${L(c, 'blocked').statusMessage})`),
    fail(L(c, 'good').decision === 'ok', 'a client not on the list was refused'),
  ),
  'features/account_longwindow_metrics.lua': async (c) => first(
    fail(Number(await c.redis.pfcount(c.key('hll:acct:', bob.username, ':ips:86400'))) >= 8, 'no per-account unique-IP HyperLogLog for the sprayed account'),
    fail(Number(await c.redis.hget(c.key('acct:', bob.username, ':longwindow'), 'fails_24h') ?? 0) >= 5, 'no long-window snapshot with the failures'),
  ),
  'features/failed_login_hotspot.lua': (c) => fail(logged(c.obs, 'failed_login_hotspot', 'failed_login_count').length > 0, 'no failed_login_count logged for a user in ntc:top_failed_logins'),
  'features/global_pattern_monitoring.lua': async (c) => fail((await c.redis.keys(c.key('multilayer:global:*'))).length > 0, `no ${c.key('multilayer:global:*')} keys written`),
  'features/security_metrics.lua': (c) => fail(/security_unique_ips_per_user\{/.test(c.metrics), 'no security_unique_ips_per_user series on /metrics'),
  'filters/account_centric_monitoring.lua': async (c) => fail((await c.redis.keys(c.key('multilayer:account:*'))).length > 0, `no ${c.key('multilayer:account:*')} keys written`),
  'filters/account_protection_mode.lua': (c) => fail(L(c, 'bob-after-spray').decision === 'ok', 'protection mode refused a login while PROTECT_ENFORCE_REJECT is off (dry run)'),
  'filters/soft_delay.lua': (c) => fail(logged(c.obs, 'soft_delay', 'soft_delay_delay_ms').some((v) => Number(v) > 0), 'no soft delay applied to the sprayed account'),
  'filters/geoip.lua': (c) => first(
    fail(c.s.geoip.requests.some((r) => r.body.includes(IP.good)), 'the policy service was not asked'),
    fail(L(c, 'geo-reject').decision === 'fail' && L(c, 'geo-reject').statusMessage === 'Policy violation', `a policy reject did not refuse with "Policy violation" (${L(c, 'geo-reject').decision}, ${L(c, 'geo-reject').statusMessage})`),
    fail(c.s.geoip.requests.some((r) => r.url.includes('info=1')), 'the post action did not ask for info=1'),
  ),
  'filters/monitoring.lua': (c) => first(
    fail(String(L(c, 'good-dovecot').attributes['Proxy-Host'] ?? '') === '127.0.0.1', `no Proxy-Host of the live backend server for a Dovecot login (${JSON.stringify(L(c, 'good-dovecot').attributes['Proxy-Host'])})`),
  ),
  'actions/bruteforce.lua': (c) => fail(c.s.haproxy.lines.some((l) => l.startsWith('add map generic.map') && l.includes('block_imap')), `no "add map" on the HAProxy runtime API (${c.s.haproxy.lines.join(' | ')})`),
  'actions/bruteforce_header.lua': (c) => {
    const blocked = c.obs.logins.filter((l) => l.label.startsWith('brute') && l.headers['x-nauthilus-bruteforce'] === 'true');
    return fail(blocked.length > 0, 'no X-Nauthilus-Bruteforce header once brute force triggered');
  },
  // rejected logins count by what caused them (init.lua creates the counter): the blocklisted one and brute force
  'actions/analytics.lua': (c) => first(
    fail(/analytics_count\{feature="blocklist"\} [1-9]/.test(c.metrics), 'no analytics_count{feature="blocklist"} for the blocklisted login'),
    fail(/analytics_count\{feature="brute_force"\} [1-9]/.test(c.metrics), 'no analytics_count{feature="brute_force"} for the brute-force blocks'),
  ),
  'actions/clickhouse.lua': (c) => {
    const inserts = c.s.clickhouse.requests.filter((r) => r.method === 'POST' && decodeURIComponent(r.url).includes('INSERT'));
    return first(
      fail(inserts.length > 0, 'no INSERT posted to ClickHouse'),
      fail(inserts.some((r) => String(r.headers.authorization ?? '').startsWith('Basic ')), 'the insert carried no Basic authorization'),
      fail(inserts.some((r) => r.body.split('\n').some((line) => line.includes('"username"'))), 'the insert body has no JSONEachRow row with a username'),
    );
  },
  'actions/dynamic_response.lua': (c) => fail(logged(c.obs, 'dynamic_response', 'dynamic_response_response').length > 0, 'no dynamic_response_response logged'),
  'actions/failed_login_tracker.lua': async (c) => fail(Number(await c.redis.zscore(c.key('top_failed_logins'), 'mallory')) >= 2, 'the unknown user is not counted in ntc:top_failed_logins'),
  'actions/haveibeenpwnd.lua': async (c) => {
    const sha = createHash('sha1').update(alice.password).digest('hex');
    const asked = c.s.hibp.requests.filter((r) => r.url === `/range/${sha.slice(0, 5)}`);
    const stored = await c.redis.hget(`${c.key('HAVEIBEENPWND:')}${createHash('md5').update(alice.account).digest('hex')}`, sha.slice(0, 5));
    return first(
      fail(asked.length > 0, "the breach-range API was not asked for the password hash's first five characters"),
      fail(stored === '3', `the count the API gave (3) was not stored in Redis (found ${stored})`),
      fail(logged(c.obs, 'haveibeenpwnd', 'haveibeenpwnd_result').includes('leaked'), 'a password the API knows as leaked was not logged as leaked'),
    );
  },
  'actions/telegram.lua': (c) => {
    const sent = c.s.telegram.requests.filter((r) => r.url.includes('/sendMessage'));
    return first(
      fail(sent.length > 0, 'no sendMessage to the Telegram API'),
      fail(sent.some((r) => {
        const form = new URLSearchParams(r.body);
        return r.url.startsWith('/bot123456:bundle-token/') && form.get('chat_id') === '4242' && (form.get('text') ?? '').includes(`ACCOUNT ${alice.account}`);
      }), 'sendMessage without the bot token, chat id or account'),
      // its source sends only when authentication failed and an account is known
      fail(!sent.some((r) => (new URLSearchParams(r.body).get('text') ?? '').includes(`IP ${IP.good}\n`)), 'a message was sent for a successful login'),
    );
  },
  'backend/backend.lua': (c) => first(
    fail(L(c, 'good').decision === 'ok' && L(c, 'good').attributes.account === alice.account, 'the MariaDB user could not log in with the account attribute'),
    fail(L(c, 'wrong').decision === 'fail', 'a wrong password was accepted'),
    fail(L(c, 'unknown').decision === 'fail', 'an unknown user was accepted'),
  ),
  // it uploads the Redis scripts the others run by name and prints their SHA1s: each must be loaded in Redis
  'init/init.lua': async (c) => {
    if (c.obs.logs.some((l) => /init script.*failed/.test(String(l.msg)))) return 'the init script failed';
    const report = c.printedLines.map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return {}; } })
      .find((j) => j.caller === 'init.lua' && j.status === 'finished');
    if (!report) return 'no "finished" result printed by init.lua';
    const shas = Object.values(report).filter((v): v is string => typeof v === 'string' && /^[0-9a-f]{40}$/.test(v));
    const loaded = (await c.redis.call('SCRIPT', 'EXISTS', ...shas)) as number[];
    return fail(shas.length >= 5 && loaded.every((x) => x === 1), `uploaded scripts not all in Redis (${shas.length} reported, loaded ${JSON.stringify(loaded)})`);
  },
  'hooks/hello-world-request-dump.lua': (c) => first(hookOk(c, 'hello-world'), fail(/X-Test|x-test/.test(H(c, 'hello-world').body), 'the dump does not show the request header')),
  'hooks/http-head-get-demo.lua': (c) => first(hookOk(c, 'head-get GET'), hookOk(c, 'head-get HEAD'),
    fail(H(c, 'head-get GET').body.length > 0 && H(c, 'head-get HEAD').body.length === 0, 'GET without a body or HEAD with one'),
    fail(String(H(c, 'head-get GET').headers['content-type'] ?? '').startsWith('text/plain'), 'GET is not text/plain')),
  'hooks/dynamic-textmap-demo.lua': (c) => first(hookOk(c, 'textmap GET'), hookOk(c, 'textmap HEAD'),
    fail(H(c, 'textmap GET').body.length > 0 && H(c, 'textmap HEAD').body.length === 0, 'GET without a body or HEAD with one'),
    // the script sets no Content-Length itself (its README says HEAD has one): Go's server sends none for a HEAD
    // answer with no body written, so Nauthilus's HEAD answer has none
    fail(H(c, 'textmap HEAD').headers['content-length'] === undefined, `HEAD answer with a Content-Length (${H(c, 'textmap HEAD').headers['content-length']})`),
    fail(/^W\/"v\d+-\d+"$/.test(String(H(c, 'textmap GET').headers.etag)) && H(c, 'textmap GET').headers.etag === H(c, 'textmap HEAD').headers.etag, 'GET and HEAD do not carry the same weak ETag')),
  'hooks/distributed-brute-force-admin.lua': (c) => first(hookOk(c, 'dbf-admin'), hookOk(c, 'dbf-admin reset'),
    fail(/"status":"success"/.test(H(c, 'dbf-admin').body) && /"metrics"/.test(H(c, 'dbf-admin').body), 'get_metrics did not answer success with metrics'),
    fail(/Account reset successfully/.test(H(c, 'dbf-admin reset').body), 'reset_account did not answer success')),
  'hooks/distributed-brute-force-test.lua': (c) => first(hookOk(c, 'dbf-test'), hookOk(c, 'dbf-test simulate'),
    fail(/"status":"success"/.test(H(c, 'dbf-test simulate').body), `simulate_attack did not answer success: ${H(c, 'dbf-test simulate').body.slice(0, 160)}`)),
  'hooks/clickhouse-query.lua': (c) => first(hookOk(c, 'ch-query'),
    fail(c.s.clickhouse.requests.some((r) => /SELECT/i.test(decodeURIComponent(r.url) + r.body)), 'no SELECT sent to ClickHouse'),
    fail(/alice/.test(H(c, 'ch-query').body), 'the rows ClickHouse answered are not in the hook answer')),
  'hooks/dovecot-session-cleaner.lua': (c) => hookOk(c, 'session-cleaner'),
  // the scripts log through its print_result (JSON lines on stdout)
  'share/nauthilus_util.lua': (c) => fail(c.printed > 0, 'no print_result line was printed'),
  // account keys carry the account's hash tag {acm-<md5(username)>}
  'share/nauthilus_keys.lua': async (c) => {
    const tag = `{acm-${createHash('md5').update(bob.username).digest('hex')}}`;
    return fail((await c.redis.keys(`*${tag.replace(/[{}]/g, '\\$&')}${bob.username}*`)).length > 0, `no key with ${tag}${bob.username}`);
  },
};

/** The 1.x path of a 3.x script whose check is the same: environment/ sources were features/, subject/ ones filters/. */
export function v1Name(script: string): string {
  return script.replace(/^environment\//, 'features/').replace(/^subject\//, 'filters/');
}

/** Stage names under which a script's records appear (config names: the file's base name). */
export function recordNames(script: string): string[] {
  const base = script.replace(/^.*\//, '').replace(/\.lua$/, '');
  if (script.startsWith('backend/')) return ['lua', 'backend', base];
  // Nauthilus 3.x: environment and subject sources are the engine's feature and filter stages
  if (script.startsWith('environment/')) return [`feature:${base}`];
  // (subject/geoip.lua is also the site's geoip post action)
  if (script.startsWith('subject/')) return base === 'geoip' ? [`filter:${base}`, `post_action:${base}`] : [`filter:${base}`];
  if (script.startsWith('actions/')) return [`action:${base}`, `post_action:${base}`];
  return [base];
}

export function runErrors(obs: Observed, script: string): string[] {
  return recordNames(script).flatMap((n) => errorsOf(obs, n));
}
