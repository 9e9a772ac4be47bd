// nauthilus_misc.scoped_ip: an address reduced to its configured network, per context (Nauthilus 1.10's ip scoper).
import net from 'node:net';
import type { AuthStudioConfig } from '../../config/types';
import type { IpScoping } from '../services';
import { networkOf } from '../../pipeline/auth-request';

/** The scoping CIDRs a configuration sets (lua.config.ip_scoping_v*_cidr, brute_force.ip_scoping.*). */
export function ipScopingOf(config: AuthStudioConfig): IpScoping {
  return {
    luaV4: config.lua.config.ipScopingV4Cidr,
    luaV6: config.lua.config.ipScopingV6Cidr,
    rwpV6: config.bruteForce?.ipScoping?.rwpIpv6Cidr,
    tolerationsV6: config.bruteForce?.ipScoping?.tolerationsIpv6Cidr,
  };
}

type ScopeContext = 'repeating_wrong_password' | 'tolerations' | 'lua_generic';

/** Context names scripts pass: "rwp" and "repeating_wrong_password", "tolerations"; anything else is "lua_generic". */
function contextOf(name: string): ScopeContext {
  if (name === 'rwp' || name === 'repeating_wrong_password') return 'repeating_wrong_password';
  if (name === 'tolerations') return 'tolerations';
  return 'lua_generic';
}

/** Go's net.ParseIP: dotted IPv4 (no leading zeros) or IPv6 without a zone; 4 when it has an IPv4 form. */
function family(ip: string): 0 | 4 | 6 {
  if (ip.includes('%')) return 0;
  const f = net.isIP(ip);
  if (f === 6 && /^(0{0,4}:){0,5}:?(ffff:)(\d+\.\d+\.\d+\.\d+|[0-9a-f]{1,4}:[0-9a-f]{1,4})$/i.test(ip)) {
    // IPv4-mapped (::ffff:a.b.c.d): Go treats it as IPv4, but formats the network from the IPv6 text
    return 4;
  }
  return f as 0 | 4 | 6;
}

/**
 * What scoped_ip(ctx, ip) returns: the network "a.b.c.0/24" or "2001:db8::/64" when the context has a CIDR for
 * the address family (IPv4 only for "lua_generic"), otherwise the address as given; text that is not an IP
 * address comes back unchanged.
 */
export function scopeIp(scoping: IpScoping | undefined, contextName: string, ip: string): string {
  if (ip === '') return ip;
  const f = family(ip);
  if (f === 0) return ip;
  const ctx = contextOf(contextName);
  const s = scoping ?? {};
  let cidr: number | undefined;
  if (f === 6) cidr = ctx === 'repeating_wrong_password' ? s.rwpV6 : ctx === 'tolerations' ? s.tolerationsV6 : s.luaV6;
  else cidr = ctx === 'lua_generic' ? s.luaV4 : undefined;
  const max = f === 6 ? 128 : 32;
  if (!cidr || cidr < 1 || cidr > max) return ip;
  return networkOf(ip, cidr);
}
