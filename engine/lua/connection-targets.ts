// Connection targets of nauthilus_psnet (Nauthilus 1.10's connection manager): host:port targets scripts register,
// with the number of established TCP connections to each, counted from the system's TCP table every 5 s while
// `server.insights.monitor_connections` is on, and exported as the `generic_connections` gauge.
import fs from 'node:fs';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { resolveRecord, DEFAULT_DNS_TIMEOUT_MS } from './modules/dns';

/** Nauthilus counts every 5 s and re-resolves every target's name every minute. */
export const COUNT_INTERVAL_MS = 5000;
export const RESOLVE_INTERVAL_MS = 60_000;
/**
 * At most this many targets per thread (Nauthilus has no limit): each is a series on /metrics and a DNS lookup
 * a minute, so a script registering request data (a client IP per login) cannot grow them without bound.
 */
export const MAX_TARGETS = 256;

export interface ConnectionTarget { description: string; direction: string; count: number; ips: string[] }

/** One established TCP connection: local and remote address (IPv4-mapped IPv6 as dotted IPv4) and ports. */
export interface TcpConnection { localIp: string; localPort: number; remoteIp: string; remotePort: number }

/** Go's net.SplitHostPort: "host:port" or "[v6]:port"; undefined when the text is not of that form. */
export function splitHostPort(target: string): { host: string; port: string } | undefined {
  if (target.startsWith('[')) {
    const end = target.indexOf(']');
    if (end < 0 || target[end + 1] !== ':') return undefined;
    const host = target.slice(1, end);
    const port = target.slice(end + 2);
    return host.includes('[') || host.includes(']') || port.includes(':') ? undefined : { host, port };
  }
  const i = target.lastIndexOf(':');
  if (i < 0) return undefined;
  const host = target.slice(0, i);
  if (host.includes(':') || host.includes('[') || host.includes(']')) return undefined;
  return { host, port: target.slice(i + 1) };
}

export interface ConnectionTargetsOptions {
  logger: Logger;
  metrics?: Registry;
  dnsResolver?: string;
  dnsTimeoutMs?: number;
  /** Where the TCP table is read (tests); Linux's /proc/net/tcp and tcp6 by default. */
  tcpTables?: string[];
}

/** The targets of one engine thread (Nauthilus keeps one manager per process). */
export class ConnectionTargets {
  private readonly targets = new Map<string, ConnectionTarget>();
  private readonly gauge?: Gauge<string>;
  private timers: NodeJS.Timeout[] = [];
  private warnedUnreadable = false;
  private warnedFull = false;
  private readonly badPorts = new Set<string>();

  constructor(private readonly opts: ConnectionTargetsOptions) {
    if (opts.metrics) {
      const existing = opts.metrics.getSingleMetric('generic_connections') as Gauge<string> | undefined;
      this.gauge = existing ?? new Gauge({
        name: 'generic_connections', help: 'Current number of established connections to a target',
        labelNames: ['description', 'target', 'direction'], registers: [opts.metrics],
        // every pipeline thread counts the same system-wide connections: /metrics must not add them up
        aggregator: 'max',
      });
    }
  }

  /**
   * register_connection_target: resolve the host and keep the target (a target already registered with the same
   * direction is left as it is). A target that is not host:port or whose name does not resolve is logged and
   * not registered, as in Nauthilus.
   */
  async register(target: string, direction: string, description: string): Promise<void> {
    const known = this.targets.get(target);
    if (known && known.direction === direction) return;
    const hp = splitHostPort(target);
    if (!hp) {
      this.opts.logger.error({ target }, `psnet: cannot register connection target "${target}": not host:port`);
      return;
    }
    if (!known && this.targets.size >= MAX_TARGETS) {
      if (!this.warnedFull) this.opts.logger.error({ target }, `psnet: cannot register connection target "${target}": ${MAX_TARGETS} targets are registered already (the most a thread keeps)`);
      this.warnedFull = true;
      return;
    }
    let ips: string[];
    try {
      ips = await this.resolve(hp.host);
    } catch (e) {
      this.opts.logger.error({ target, error: (e as Error).message }, `psnet: unable to resolve DNS name "${hp.host}" of connection target "${target}"`);
      return;
    }
    this.targets.set(target, { description, direction, count: 0, ips });
  }

  /** get_connection_target: the last counted number of connections, undefined when the target is not registered. */
  count(target: string): number | undefined {
    return this.targets.get(target)?.count;
  }

  has(target: string): boolean {
    return this.targets.has(target);
  }

  private async resolve(host: string): Promise<string[]> {
    if (net.isIP(host)) return [host];
    if (host === '') throw new Error('no such host');
    const timeoutMs = this.opts.dnsTimeoutMs ?? DEFAULT_DNS_TIMEOUT_MS;
    if (!this.opts.dnsResolver) {
      let timer: NodeJS.Timeout | undefined;
      const fence = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('i/o timeout')), timeoutMs)));
      try {
        return (await Promise.race([lookup(host, { all: true, verbatim: true }), fence])).map((a) => a.address);
      } finally {
        clearTimeout(timer);
      }
    }
    const [v4, v6] = await Promise.allSettled([
      resolveRecord(this.opts.dnsResolver, host, 'A', timeoutMs), resolveRecord(this.opts.dnsResolver, host, 'AAAA', timeoutMs),
    ]);
    const ips = [v4, v6].flatMap((r) => (r.status === 'fulfilled' ? (r.value as string[]) : []));
    if (ips.length === 0) throw (v4.status === 'rejected' ? v4.reason : new Error('no such host'));
    return ips;
  }

  /** Count established connections for every target from `connections` (Nauthilus's UpdateCounts). */
  updateCounts(connections: TcpConnection[] | undefined = this.readConnections()): void {
    if (!connections) return;
    for (const [target, info] of this.targets) {
      const portText = splitHostPort(target)?.port ?? '';
      const port = Number(portText);
      if (!/^\d+$/.test(portText) || port > 0xffffffff) {
        // Nauthilus logs this at every count; once per target is enough to act on
        if (!this.badPorts.has(target)) this.opts.logger.error({ target }, `psnet: invalid port number for connection target "${target}"`);
        this.badPorts.add(target);
        continue;
      }
      let count = 0;
      for (const c of connections) {
        const [ip, p] = info.direction === 'local' ? [c.localIp, c.localPort] : [c.remoteIp, c.remotePort];
        for (const want of info.ips) if ((want === '0.0.0.0' || want === '::' || want === ip) && p === port) count++;
      }
      info.count = count;
      this.gauge?.set({ description: info.description, target, direction: info.direction }, count);
    }
  }

  /** Established TCP connections of the system (IPv4 and IPv6); undefined, logged once, where there is no /proc. */
  readConnections(): TcpConnection[] | undefined {
    const out: TcpConnection[] = [];
    let read = 0;
    for (const file of this.opts.tcpTables ?? ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text: string;
      try {
        text = fs.readFileSync(file, 'latin1');
      } catch {
        continue;
      }
      read++;
      out.push(...parseTcpTable(text));
    }
    if (read === 0) {
      if (!this.warnedUnreadable) this.opts.logger.error('psnet: cannot read the TCP table (/proc/net/tcp): connection counts stay 0 on this system');
      this.warnedUnreadable = true;
      return undefined;
    }
    return out;
  }

  /** Re-resolve every target's name (addresses behind a name change). */
  async refreshAddresses(): Promise<void> {
    for (const [target, info] of this.targets) {
      const hp = splitHostPort(target);
      if (!hp) continue;
      try {
        info.ips = await this.resolve(hp.host);
      } catch {
        // keep the last addresses, as Nauthilus does
      }
    }
  }

  /** Start counting (every 5 s) and re-resolving (every minute), as Nauthilus does with monitor_connections. */
  start(): void {
    if (this.timers.length) return;
    this.timers = [
      setInterval(() => this.updateCounts(), COUNT_INTERVAL_MS),
      setInterval(() => void this.refreshAddresses(), RESOLVE_INTERVAL_MS),
    ];
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }
}

/** Established connections from the text of /proc/net/tcp or /proc/net/tcp6 (state 01). */
export function parseTcpTable(text: string): TcpConnection[] {
  const out: TcpConnection[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '01') continue;
    const local = parseEndpoint(f[1]);
    const remote = parseEndpoint(f[2]);
    if (local && remote) out.push({ localIp: local.ip, localPort: local.port, remoteIp: remote.ip, remotePort: remote.port });
  }
  return out;
}

/** "0100007F:0050" (IPv4, little-endian words) or 32 hex digits (IPv6, four little-endian words) and a hex port. */
function parseEndpoint(s: string): { ip: string; port: number } | undefined {
  const [hex, portHex] = s.split(':');
  if (!hex || !portHex) return undefined;
  const port = parseInt(portHex, 16);
  const bytes: number[] = [];
  for (let w = 0; w < hex.length / 8; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(parseInt(word.slice(b * 2, b * 2 + 2), 16));
  }
  if (bytes.length === 4) return { ip: bytes.join('.'), port };
  if (bytes.length !== 16) return undefined;
  // Go prints an IPv4-mapped address as dotted IPv4
  if (bytes.slice(0, 10).every((x) => x === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return { ip: bytes.slice(12).join('.'), port };
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return { ip: compressV6(words), port };
}

/** RFC 5952 text of eight hex words (longest run of two or more zero words becomes ::), as Go prints it. */
function compressV6(words: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}
