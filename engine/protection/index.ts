// Build the built-in checks and the password cache a configuration asks for, in pipeline order.
import type { AuthStudioConfig } from '../config/types';
import type { RedisStore } from '../redis/store';
import type { BuiltinCheck } from '../pipeline/extensions';
import { BruteForceProtection } from './brute-force';
import { RedisPasswordCache } from './password-cache';
import { TlsCheck } from './tls-check';
import { RelayDomainsCheck } from './relay-domains';
import { RblCheck } from './rbl';
import { SoftWhitelist, softWhitelistSeedsOf } from './soft-whitelist';

export interface Protection {
  checks: BuiltinCheck[];
  bruteForce?: BruteForceProtection;
  passwordCache?: RedisPasswordCache;
}

/** brute_force (before features), then tls_encryption, relay_domains, rbl (after features), as Nauthilus orders them. */
export function buildProtection(config: AuthStudioConfig, redis: () => RedisStore): Protection {
  const s = config.server;
  const out: Protection = { checks: [] };
  const soft = new SoftWhitelist(redis, softWhitelistSeedsOf(config));
  if (config.bruteForce && config.bruteForce.buckets.length > 0) {
    out.bruteForce = new BruteForceProtection(config.bruteForce, redis, s.passwordNonce, soft);
    out.checks.push(out.bruteForce);
  }
  if (config.cleartextNetworks) out.checks.push(new TlsCheck(config.cleartextNetworks));
  if (config.relayDomains && config.relayDomains.staticDomains.length > 0) out.checks.push(new RelayDomainsCheck(config.relayDomains.staticDomains, soft));
  if (config.rbl && config.rbl.lists.length > 0) out.checks.push(new RblCheck(config.rbl, s.dnsResolver, s.dnsTimeoutMs, soft));
  if (s.backends.includes('cache')) out.passwordCache = new RedisPasswordCache(redis, s.passwordNonce, s.redis.positiveCacheTtlSec);
  return out;
}
