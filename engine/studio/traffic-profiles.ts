// Traffic profiles: which user, password and client address the i-th request of a replay uses.
import type { TrafficProfile } from '../api/contract';
import { AuthStudioError } from '../errors/registry';

/** One request of a run. */
export interface TrafficAttempt {
  username: string;
  password: string;
  client_ip: string;
}

const MAX_LIST = 100_000;
/** Legitimate users log in from their own addresses in this documentation range. */
const USERS_NET = '198.51.100.0/24';
/** Botnets: addresses spread over the benchmarking range unless the profile names a network. */
const BOTNET_NET = '198.18.0.0/15';

function bad(path: string, message: string): never {
  throw new AuthStudioError('AS_ERR_BAD_REQUEST', message, { path: `profile.${path}` });
}

function strings(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_LIST) bad(path, `${path} must be a list of 1 to ${MAX_LIST} strings`);
  return v.map((s, i) => (typeof s === 'string' && s.length <= 4096 ? s : bad(`${path}[${i}]`, `${path}[${i}] must be a string`)));
}

function pairs(v: unknown, path: string): Array<{ username: string; password: string }> {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_LIST) bad(path, `${path} must be a list of 1 to ${MAX_LIST} {username, password}`);
  return v.map((p, i) => {
    const o = p as Record<string, unknown>;
    if (typeof o?.username !== 'string' || typeof o?.password !== 'string') bad(`${path}[${i}]`, `${path}[${i}] needs a username and a password (strings)`);
    return { username: o.username, password: o.password };
  });
}

/** An IPv4 network as its first address (a number) and size. */
function network(cidr: unknown, path: string): { base: number; size: number } {
  const m = typeof cidr === 'string' ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim()) : null;
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || bits < 8 || bits > 32) bad(path, `${path} must be an IPv4 network such as "203.0.113.0/24" (prefix /8 to /32)`);
  const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const size = 2 ** (32 - bits);
  return { base: Math.floor(addr / size) * size, size };
}

function addressIn(net: { base: number; size: number }, i: number): string {
  // skip the network and broadcast addresses where there are any
  const offset = net.size > 2 ? 1 + (i % (net.size - 2)) : i % net.size;
  const n = net.base + offset;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Checks a profile from the wire and returns a function giving the i-th attempt. */
export function compileProfile(profile: unknown): { kind: TrafficProfile['kind']; attempt: (i: number) => TrafficAttempt } {
  const p = profile as Record<string, unknown>;
  if (!p || typeof p !== 'object') bad('kind', 'profile must be an object with a kind');
  switch (p.kind) {
    case 'users': {
      const users = pairs(p.users, 'users');
      const net = network(p.network ?? USERS_NET, 'network');
      // each user keeps one address, as a real user on one device would
      return { kind: 'users', attempt: (i) => ({ ...users[i % users.length], client_ip: addressIn(net, i % users.length) }) };
    }
    case 'attacker-network': {
      const net = network(p.network, 'network');
      const users = strings(p.users, 'users');
      const passwords = strings(p.passwords, 'passwords');
      return {
        kind: 'attacker-network',
        attempt: (i) => ({ username: users[i % users.length], password: passwords[Math.floor(i / users.length) % passwords.length], client_ip: addressIn(net, i) }),
      };
    }
    case 'password-spray': {
      const users = strings(p.users, 'users');
      if (typeof p.password !== 'string') bad('password', 'password must be a string');
      const net = network(p.network ?? BOTNET_NET, 'network');
      const password = p.password;
      return { kind: 'password-spray', attempt: (i) => ({ username: users[i % users.length], password, client_ip: addressIn(net, i) }) };
    }
    case 'credential-stuffing': {
      const list = pairs(p.pairs, 'pairs');
      const net = network(p.network ?? BOTNET_NET, 'network');
      return { kind: 'credential-stuffing', attempt: (i) => ({ ...list[i % list.length], client_ip: addressIn(net, i) }) };
    }
    default:
      return bad('kind', `unknown profile kind "${String(p.kind).slice(0, 40)}" (use users, attacker-network, password-spray or credential-stuffing)`);
  }
}
