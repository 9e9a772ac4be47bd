// Network values in the config: IP addresses, CIDR networks and "host:port" endpoints, checked with node:net.

import { BlockList, isIP } from 'node:net';
import { describedAs, type Spec } from './schema';

/** A host and a port; `host` has no brackets (`::1`). */
export interface HostPort {
  host: string;
  port: number;
}

/** Why `s` is not an IP address or CIDR network, or undefined when it is one. */
export function ipOrCidrProblem(s: string): string | undefined {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) return `"${addr}" is not an IP address`;
  if (slash < 0) return undefined;
  const bits = s.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return `the prefix length of an IPv${family} network must be 0 to ${max}, got "${bits}"`;
  try {
    new BlockList().addSubnet(addr, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return `"${s}" is not a valid network`;
  }
  return undefined;
}

/**
 * Parses "host:port" or "[v6]:port". With `defaultPort`, a bare host (or bare IPv6 address) is accepted.
 * Returns an error text instead when the string is not an endpoint.
 */
export function parseHostPort(s: string, opts: { defaultPort?: number; allowPortZero?: boolean } = {}): HostPort | string {
  const text = s.trim();
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2];
    if (isIP(host) !== 6) return `"${host}" in brackets is not an IPv6 address`;
  } else if (isIP(text) === 6) {
    host = text;
    if (opts.defaultPort === undefined) return `a port is missing: write an IPv6 address in brackets with a port, such as "[${text}]:9080"`;
  } else {
    const colon = text.lastIndexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
    if (host.includes(':')) return 'write an IPv6 address in brackets: "[::1]:9080"';
  }
  if (host === '' || /[\s/]/.test(host)) return `"${host}" is not a host name or IP address`;
  if (portText === undefined) {
    if (opts.defaultPort === undefined) return 'a port is missing: write "host:port"';
    return { host, port: opts.defaultPort };
  }
  const min = opts.allowPortZero ? 0 : 1;
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < min || Number(portText) > 65535) return `the port must be a number from ${min} to 65535, got "${portText}"`;
  return { host, port: Number(portText) };
}

/** "host:port", with IPv6 hosts in brackets. */
export function formatHostPort(hp: HostPort): string {
  return isIP(hp.host) === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/** A spec for an IP address or CIDR network given as a string (kept as written, trimmed). */
export const ipOrCidr: Spec<string> = describedAs((v) => {
  const s = v.scalar;
  if (typeof s !== 'string') return v.typeError('an IP address or CIDR network such as "192.168.0.0/16"');
  const problem = ipOrCidrProblem(s.trim());
  if (problem) return v.typeError('an IP address or CIDR network', problem);
  return s.trim();
}, { type: 'string', description: 'an IP address or CIDR network such as "192.168.0.0/16"' });

/** A spec for "host:port" endpoints. */
export function hostPort(opts: { defaultPort?: number; allowPortZero?: boolean } = {}): Spec<HostPort> {
  const what = opts.defaultPort === undefined ? '"host:port"' : `"host:port" or "host" (port ${opts.defaultPort})`;
  return describedAs((v) => {
    const s = v.scalar;
    if (typeof s !== 'string') return v.typeError(what);
    const r = parseHostPort(s, opts);
    return typeof r === 'string' ? v.typeError(what, r) : r;
  }, { type: 'string', description: what });
}
