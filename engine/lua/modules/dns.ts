// `nauthilus_dns`: DNS lookups from scripts (A, AAAA, MX, NS, TXT, CNAME, PTR), with a timeout on every query.
import { traceReply } from './redis-trace';
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import type { LuaModule, ModuleHost } from '../module';
import { checkArg, pair } from '../values';
import { parseDuration } from '../../config/durations';

/** Per-query timeout when neither the script nor `server.dns.timeout` gives one (a single try, no retries). */
export const DEFAULT_DNS_TIMEOUT_MS = 2000;

const TYPES = ['A', 'AAAA', 'MX', 'NS', 'TXT', 'CNAME', 'PTR'] as const;
type RecordType = (typeof TYPES)[number];

/** An MX record as Nauthilus returns it. */
export interface MxRecord { host: string; pref: number }
/** What resolve() gives a script: a list of strings or MX records, or one string for CNAME. */
export type DnsAnswer = string | string[] | MxRecord[];

/** Go's resolver returns names fully qualified, with the trailing dot. */
const fqdn = (name: string) => (name.endsWith('.') ? name : name + '.');

const MESSAGES: Record<string, string> = {
  ENOTFOUND: 'no such host',
  ETIMEOUT: 'i/o timeout',
  ECONNREFUSED: 'connection refused',
  ESERVFAIL: 'server misbehaving',
  EREFUSED: 'query refused',
  EBADNAME: 'invalid domain name',
  ECANCELLED: 'i/o timeout',
};

async function query(resolver: Resolver, name: string, type: RecordType): Promise<DnsAnswer> {
  switch (type) {
    case 'A': return resolver.resolve4(name);
    case 'AAAA': return resolver.resolve6(name);
    case 'MX': return (await resolver.resolveMx(name)).map((r) => ({ host: fqdn(r.exchange), pref: r.priority }));
    case 'NS': return (await resolver.resolveNs(name)).map(fqdn);
    case 'TXT': return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    case 'CNAME': return fqdn((await resolver.resolveCname(name))[0] ?? name);
    case 'PTR': return (net.isIP(name) ? await resolver.reverse(name) : await resolver.resolvePtr(name)).map(fqdn);
  }
}

/**
 * Resolve one name. Resolves to the answer; an existing name without records of the type gives an empty
 * list (CNAME: the name itself); NXDOMAIN, timeouts and refused queries throw an Error with Go's wording.
 */
export async function resolveRecord(server: string | undefined, name: string, type: RecordType, timeoutMs: number): Promise<DnsAnswer> {
  const resolver = new Resolver({ timeout: Math.max(1, Math.round(timeoutMs)), tries: 1 });
  if (server) resolver.setServers([server]);
  let timer: NodeJS.Timeout | undefined;
  // c-ares keeps its own timer; this one is the fence if it ever does not fire
  const fence = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      resolver.cancel();
      reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' }));
    }, timeoutMs + 250);
  });
  try {
    return await Promise.race([query(resolver, name, type), fence]);
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code === 'ENODATA') return type === 'CNAME' ? fqdn(name) : [];
    throw new Error(`lookup ${name} (${type}): ${MESSAGES[code] ?? ((e as Error).message || code)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** `server.dns.timeout` when the engine passes it on (EngineServices has no field for it yet). */
function configuredTimeout(host: ModuleHost): number {
  const ms = host.services.dnsTimeoutMs;
  return typeof ms === 'number' && ms > 0 ? ms : DEFAULT_DNS_TIMEOUT_MS;
}

function optionsTimeout(options: unknown, fallbackMs: number): number {
  const t = (options as { timeout?: unknown } | undefined)?.timeout;
  if (t === undefined || t === null) return fallbackMs;
  const ms = parseDuration(t as string | number);
  if (!(ms > 0)) throw new Error(`invalid timeout ${JSON.stringify(t)}`);
  return ms;
}

export const dnsModule: LuaModule = {
  name: 'nauthilus_dns',
  legacyLoaderName: 'nauthilus_dns',
  summary: 'DNS lookups: resolve(name, type) for A, AAAA, MX, NS, TXT, CNAME and PTR.',
  install(host: ModuleHost) {
    return {
      functions: {
        resolve: (name: unknown, type: unknown, options: unknown) => {
          checkArg('resolve', 1, name, 'string');
          checkArg('resolve', 2, type, 'string', 'nil');
          checkArg('resolve', 3, options, 'table', 'nil');
          const t = ((type as string | undefined) ?? 'A').toUpperCase() as RecordType;
          if (!TYPES.includes(t)) return Promise.resolve(pair(undefined, `unsupported record type: ${t}`));
          let timeoutMs: number;
          try {
            timeoutMs = optionsTimeout(options, configuredTimeout(host));
          } catch {
            return Promise.resolve(pair(undefined, `resolve: invalid timeout (use a duration like "2s" or seconds)`));
          }
          const started = performance.now();
          const record = (detail: Record<string, unknown>) =>
            host.call?.record('dns', { name, type: t, ...detail, duration_ms: Math.round(performance.now() - started) });
          return resolveRecord(host.services.dnsResolver, name as string, t, timeoutMs).then(
            (answer) => {
              record({ answers: Array.isArray(answer) ? answer.length : 1, ...(host.call?.recordEvents ? { values: traceReply(answer) } : {}) });
              return pair(answer, undefined);
            },
            (e: Error) => {
              record({ error: e.message });
              return pair(undefined, e.message);
            },
          );
        },
      },
      async: ['resolve'],
    };
  },
};
