// What each script of a Nauthilus 3.x bundle says it does, where it differs from its 1.x form (the other 3.x
// environment/ and subject/ scripts are checked as their 1.x features/ and filters/ forms are, see v1Name).
import { createHash } from 'node:crypto';
import { CHECKS, IP, type Check, type CheckContext } from './checks';
import { OBSERVED_POLICY, PASSWORD_NONCE } from './site-v3';
import { USERS } from './site';

const alice = USERS[0];
const bob = USERS[1];
const fail = (cond: boolean, what: string) => (cond ? undefined : what);
const first = (...r: Array<string | undefined>) => r.find((x) => x !== undefined);
const L = (c: CheckContext, label: string) => c.obs.logins.find((l) => l.label === label)!;
const session = (c: CheckContext, label: string) => String(L(c, label).headers['x-nauthilus-session'] ?? '');

/** The JSON lines a script printed through nauthilus_util.log_* for one caller. */
function printed(c: CheckContext, caller: string): Array<Record<string, unknown>> {
  return c.printedLines.map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      return {};
    }
  }).filter((j) => j.caller === caller);
}

/** The test_context_chain stage of `caller` said `message` for the good login's session. */
const chain = (caller: string, message: string): Check => (c) => {
  const s = session(c, 'good');
  const lines = printed(c, caller).filter((j) => j.session === s);
  return fail(lines.some((j) => j.message === message), `${caller} did not log "${message}" for the good login (${lines.map((j) => j.message).join(' | ') || 'nothing'})`);
};

export const CHECKS3: Record<string, Check> = {
  // the row carries password_hash: generate_password_hash of the password, SHA-256 of nonce NUL password in hex, of
  // which 3.0 gives the first 8 digits and 3.1 all 64, which 3.1's clickhouse.lua checks and cuts to 8
  'actions/clickhouse.lua': async (c) => {
    const general = await CHECKS['actions/clickhouse.lua'](c);
    if (general) return general;
    const want = createHash('sha256').update(`${PASSWORD_NONCE}\0${alice.password}`).digest('hex').slice(0, 8);
    const rows = c.s.clickhouse.requests.filter((r) => r.method === 'POST').flatMap((r) => r.body.split('\n')).filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>).filter((j) => j.username === alice.username && j.client_ip === IP.good);
    return fail(rows.some((j) => j.password_hash === want), `the good login's row has no password_hash ${want} (${JSON.stringify(rows.map((j) => j.password_hash))})`);
  },
  // 3.x counts by environment (the label was "feature" in 1.x); the blocklist hit comes from policy_facts
  'actions/analytics.lua': (c) => first(
    fail(/analytics_count\{environment="blocklist"\} [1-9]/.test(c.metrics), 'no analytics_count{environment="blocklist"} for the blocklisted login'),
    fail(/analytics_count\{environment="brute_force"\} [1-9]/.test(c.metrics), 'no analytics_count{environment="brute_force"} for the brute-force blocks'),
  ),
  // 3.x keys the per-account windows by protocol: hll:acct:<tag><user>:proto:<protocol>:ips:86400
  'environment/account_longwindow_metrics.lua': async (c) => first(
    fail(Number(await c.redis.pfcount(c.key('hll:acct:', bob.username, ':proto:imap:ips:86400'))) >= 8, 'no per-account, per-protocol unique-IP HyperLogLog for the sprayed account'),
    fail(Number(await c.redis.hget(c.key('acct:', bob.username, ':proto:imap:longwindow'), 'fails_24h') ?? 0) >= 5, 'no per-protocol long-window snapshot with the failures'),
  ),
  // the environment source sets two context keys, the subject source checks them and sets two more, the action all four
  'environment/test_context_chain.lua': chain('test_context_chain/environment', 'Environment context values set successfully'),
  'subject/test_context_chain.lua': chain('test_context_chain/subject', 'Environment context verified and subject context values set successfully'),
  'actions/test_context_chain.lua': chain('test_context_chain/action', 'Full context chain verified successfully (environment -> subject -> action)'),
  // the registry declares lua.plugin.blocklist.matched: a policy on it compiles and is selected for the blocklisted login
  'policy/registry.lua': (c) => {
    const rec = L(c, 'blocked').trace.find((r) => r.stage === 'policy' && r.name === OBSERVED_POLICY);
    const good = L(c, 'good').trace.find((r) => r.stage === 'policy' && r.name === OBSERVED_POLICY);
    return first(
      fail(rec?.policy?.decision === 'deny', `the observed policy on lua.plugin.blocklist.matched was not selected for the blocklisted login (${L(c, 'blocked').trace.filter((r) => r.stage === 'policy').map((r) => r.name).join(', ') || 'no policy record'})`),
      fail(good === undefined, 'the observed policy was selected for a login the blocklist did not match'),
    );
  },
  // emit_public: the fact is a policy attribute, a custom log "policy_fact_<ns>_<key>" and stored under policy_facts
  'share/nauthilus_policy_facts.lua': (c) => {
    const blocked = L(c, 'blocked');
    const logged = blocked.trace.filter((r) => r.name === 'blocklist').map((r) => r.logs.policy_fact_blocklist_matched);
    const attrs = blocked.trace.find((r) => r.stage === 'policy')?.policy?.attributes ?? {};
    return first(
      fail(logged.includes('true'), `no policy_fact_blocklist_matched=true custom log on the blocklisted login (${JSON.stringify(logged)})`),
      fail(attrs['lua.plugin.blocklist.matched'] === true, `lua.plugin.blocklist.matched is not true among the policy attributes (${JSON.stringify(attrs['lua.plugin.blocklist.matched'])})`),
    );
  },
  // Nauthilus 3.1: success/failure counters per client IP and per country the GeoIP policy service named
  'subject/geoip_reputation.lua': async (c) => first(
    fail(Number(await c.redis.hget(c.key(`geoip:reputation:ip:${IP.good}`), 'success')) >= 1, `no success counted for the good login's address in ${c.key(`geoip:reputation:ip:${IP.good}`)}`),
    fail(Number(await c.redis.hget(c.key(`geoip:reputation:ip:${IP.spray(0)}`), 'failure')) >= 1, 'no failure counted for a sprayed address'),
    fail(printed(c, 'geoip_reputation.lua').some((j) => j.message === 'GeoIP reputation updated' && j.outcome === 'success'), 'no "GeoIP reputation updated" log for a successful login'),
  ),
  // without native GeoIP data (a Go plugin, absent here) attach() hands over rt.geoip_info of subject/geoip.lua: the
  // reputation then counts the country the policy service answered (DE)
  'share/nauthilus_geoip_bridge.lua': async (c) => fail(Number(await c.redis.hget(c.key('geoip:reputation:country:DE'), 'success')) >= 1, `no success counted for the policy service's country in ${c.key('geoip:reputation:country:DE')}`),
  // only OIDC clients are judged: a plain IMAP login passes, an admin client without the admins group is rejected
  'subject/idp_policy.lua': (c) => first(
    fail(L(c, 'good').decision === 'ok', 'a login without an OIDC client was refused'),
    fail(L(c, 'idp-admin-client').decision === 'fail', `an admin-dashboard login without the admins group was accepted (${L(c, 'idp-admin-client').decision})`),
    fail(/requires membership in: admins, sre-team/.test(L(c, 'idp-admin-client').trace.map((r) => r.logs.idp_policy_rejected_reason ?? '').join(' ')), 'no idp_policy_rejected_reason naming the groups'),
  ),
};
