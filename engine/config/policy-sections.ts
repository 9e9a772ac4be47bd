// Request policy sections: `brute_force`, `realtime_blackhole_lists`, `relay_domains` and `cleartext_networks`.

import { isIP } from 'node:net';
import type { BruteForceConfig, RblConfig, TolerationConfig } from './types';
import { andThen, bool, def, describedAs, duration, int, list, mapOf, opt, req, str, struct, type Spec } from './schema';
import { ipOrCidr } from './net';
import { msToSeconds } from './durations';

/** Defaults of the policy sections. */
export const POLICY_DEFAULTS = { rblThreshold: 10, rblReturnCode: '127.0.0.2', rblWeight: 0 } as const;

const domainName = str({ minLength: 1, pattern: /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/, patternText: 'a domain name' });
const ipList = list(ipOrCidr);
/** `soft_whitelist:` username -> IP addresses / CIDR networks (Nauthilus 1.10's config.SoftWhitelist). */
const softWhitelist = mapOf(list(ipOrCidr), (key, v) => (key === '' ? (v.typeError('a non-empty username'), false) : true));
const softWhitelistOf = (m: Record<string, string[]> | undefined) => (m && Object.keys(m).length > 0 ? { softWhitelist: m } : {});

/** Nauthilus 3.x bucket ban_time (validate "gt=0,max=8760h"); a 3.x key: unknown in a 1.x bucket. */
const banTime: Spec<number> = describedAs((v) => {
  if (!v.path.startsWith('auth.controls.brute_force.')) return v.failAtKey('AS_ERR_CONFIG_UNKNOWN_KEY', `unknown key "ban_time" at ${v.path.replace(/\.ban_time$/, '')} (a Nauthilus 3.x bucket key)`);
  const ms = duration({ positive: true })(v);
  if (ms === undefined) return undefined;
  return ms > 8760 * 3_600_000 ? v.typeError('a duration of at most 8760h') : ms;
}, { type: ['string', 'number'], description: 'a duration like "1h" (at most 8760h); Nauthilus 3.x only (auth.controls.brute_force.buckets)' });

const bucket = struct(
  {
    name: req(str({ minLength: 1 })),
    period: req(duration({ positive: true })),
    cidr: req(int({ min: 0, max: 128 })),
    ipv4: def(bool(), false),
    ipv6: def(bool(), false),
    failed_requests: req(int({ min: 1 })),
    filter_by_protocol: def(list(str({ minLength: 1 }), { scalarOk: true }), [] as string[]),
    ban_time: opt(banTime),
  },
  (b, v) => {
    if (!b.ipv4 && !b.ipv6) v.fail('AS_ERR_CONFIG_TYPE', `bucket "${b.name}" at ${v.where()} applies to no address family: set "ipv4: true" and/or "ipv6: true"`);
    else if (!b.ipv6 && b.cidr > 32) v.child('cidr')?.typeError('an integer from 0 to 32 for an IPv4-only bucket');
  },
);

/** Nauthilus' scale_factor: a number from 0.1 to 10. */
const scaleFactor: Spec<number> = describedAs((v) => {
  const n = v.scalar;
  if (typeof n !== 'number' || !(n >= 0.1 && n <= 10)) return v.typeError('a number from 0.1 to 10');
  return n;
}, { type: 'number', minimum: 0.1, maximum: 10, description: 'a number from 0.1 to 10' });
const percent = int({ min: 0, max: 100 });
const customToleration = struct({
  ip_address: req(ipOrCidr),
  tolerate_percent: req(percent),
  tolerate_ttl: req(duration({ positive: true })),
  adaptive_toleration: def(bool(), false),
  min_tolerate_percent: opt(percent),
  max_tolerate_percent: opt(percent),
  scale_factor: opt(scaleFactor),
});

/**
 * Nauthilus 3.x auth.controls.brute_force.protocols (its server.BruteForceProtocols): the protocols brute force
 * applies to. A 3.x key: in a 1.x brute_force section it is unknown.
 */
const bruteForceProtocols: Spec<string[]> = describedAs((v) => {
  if (!v.path.startsWith('auth.controls.brute_force.')) return v.failAtKey('AS_ERR_CONFIG_UNKNOWN_KEY', `unknown key "protocols" at ${v.path.replace(/\.protocols$/, '')} (a Nauthilus 3.x key of auth.controls.brute_force)`);
  return list(str({ minLength: 1 }), { scalarOk: true })(v);
}, { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }], description: 'protocols brute force applies to (a list); Nauthilus 3.x only (auth.controls.brute_force)' });

const bruteForceShape = struct({
  protocols: opt(bruteForceProtocols),
  ip_whitelist: def(ipList, [] as string[]),
  buckets: def(list(bucket, { unique: { key: (b) => b.name, at: 'name', what: 'bucket name' } }), []),
  ip_scoping: opt(struct({ rwp_ipv6_cidr: opt(int({ min: 1, max: 128 })), tolerations_ipv6_cidr: opt(int({ min: 1, max: 128 })) })),
  soft_whitelist: opt(softWhitelist),
  tolerate_percent: def(percent, 0),
  tolerate_ttl: opt(duration({ positive: true })),
  adaptive_toleration: def(bool(), false),
  min_tolerate_percent: opt(percent),
  max_tolerate_percent: opt(percent),
  scale_factor: opt(scaleFactor),
  custom_tolerations: def(list(customToleration), []),
});

/** `brute_force:` converted to `BruteForceConfig` (periods in seconds, rounded up). */
export const bruteForceSection: Spec<BruteForceConfig> = andThen(bruteForceShape, (b) => ({
  ipWhitelist: b.ip_whitelist,
  ...(b.protocols ? { protocols: b.protocols } : {}),
  buckets: b.buckets.map((x) => ({
    name: x.name,
    periodSec: msToSeconds(x.period),
    cidr: x.cidr,
    ipv4: x.ipv4,
    ipv6: x.ipv6,
    failedRequests: x.failed_requests,
    filterByProtocol: x.filter_by_protocol,
    ...(x.ban_time !== undefined ? { banTimeSec: msToSeconds(x.ban_time) } : {}),
  })),
  ...(b.ip_scoping ? { ipScoping: { rwpIpv6Cidr: b.ip_scoping.rwp_ipv6_cidr, tolerationsIpv6Cidr: b.ip_scoping.tolerations_ipv6_cidr } } : {}),
  ...softWhitelistOf(b.soft_whitelist),
  ...(b.tolerate_ttl !== undefined || b.custom_tolerations.length > 0 ? { tolerations: tolerationsOf(b) } : {}),
}));

/** The toleration settings of a brute_force section (when it sets tolerate_ttl or custom_tolerations). */
function tolerationsOf(b: NonNullable<ReturnType<typeof bruteForceShape>>): TolerationConfig {
  return {
    percent: b.tolerate_percent,
    ttlNs: (b.tolerate_ttl ?? 0) * 1e6,
    adaptive: b.adaptive_toleration,
    // Nauthilus' getters: 0 (unset) means 10 %, 50 % and 1.0
    minPercent: b.min_tolerate_percent || 10,
    maxPercent: b.max_tolerate_percent || 50,
    scaleFactor: b.scale_factor || 1,
    custom: b.custom_tolerations.map((t) => ({
      ipAddress: t.ip_address,
      toleratePercent: t.tolerate_percent,
      tolerateTtlNs: t.tolerate_ttl * 1e6,
      adaptive: t.adaptive_toleration,
      minPercent: t.min_tolerate_percent ?? 0,
      maxPercent: t.max_tolerate_percent ?? 0,
      scaleFactor: t.scale_factor ?? 0,
    })),
  };
}

const returnCode = andThen(str({ minLength: 1 }), (s, v) => (isIP(s) === 4 ? s : v.typeError('an IPv4 address such as "127.0.0.2"')));

const rblList = struct(
  {
    name: req(str({ minLength: 1 })),
    rbl: req(andThen(domainName, (s) => s.replace(/\.$/, '').toLowerCase())),
    ipv4: def(bool(), false),
    ipv6: def(bool(), false),
    return_code: opt(returnCode),
    // Nauthilus 1.10 config/rbl.go (and 3.x): return_codes, any of which (or return_code) marks a listing
    return_codes: opt(list(returnCode)),
    weight: def(int(), POLICY_DEFAULTS.rblWeight),
    allow_failure: def(bool(), false),
  },
  (l, v) => {
    if (!l.ipv4 && !l.ipv6) v.fail('AS_ERR_CONFIG_TYPE', `list "${l.name}" at ${v.where()} applies to no address family: set "ipv4: true" and/or "ipv6: true"`);
  },
);

const rblShape = struct({
  threshold: def(int({ min: 0 }), POLICY_DEFAULTS.rblThreshold),
  lists: def(list(rblList, { unique: { key: (l) => l.name, at: 'name', what: 'list name' } }), []),
  ip_whitelist: def(ipList, [] as string[]),
  soft_whitelist: opt(softWhitelist),
});

/** `realtime_blackhole_lists:` converted to `RblConfig`. */
export const rblSection: Spec<RblConfig> = andThen(rblShape, (r) => ({
  threshold: r.threshold,
  ipWhitelist: r.ip_whitelist,
  lists: r.lists.map((l) => ({
    name: l.name,
    rbl: l.rbl,
    ipv4: l.ipv4,
    ipv6: l.ipv6,
    returnCode: l.return_code ?? l.return_codes?.[0] ?? POLICY_DEFAULTS.rblReturnCode,
    returnCodes: l.return_code === undefined && l.return_codes === undefined ? [POLICY_DEFAULTS.rblReturnCode] : [...new Set([...(l.return_code === undefined ? [] : [l.return_code]), ...(l.return_codes ?? [])])],
    weight: l.weight,
    allowFailure: l.allow_failure,
  })),
  ...softWhitelistOf(r.soft_whitelist),
}));

/** `relay_domains:` -> `{staticDomains}`, lower-cased, without trailing dots, de-duplicated. */
export const relayDomainsSection: Spec<{ staticDomains: string[]; softWhitelist?: Record<string, string[]> }> = andThen(struct({ static: opt(list(domainName)), soft_whitelist: opt(softWhitelist) }), (r) => ({
  staticDomains: [...new Set((r.static ?? []).map((d) => d.replace(/\.$/, '').toLowerCase()))],
  ...softWhitelistOf(r.soft_whitelist),
}));

/** `cleartext_networks:` a list of IP addresses and CIDR networks. */
export const cleartextNetworksSection: Spec<string[]> = ipList;
