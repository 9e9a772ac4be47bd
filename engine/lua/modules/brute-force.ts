// `nauthilus_brute_force` (Nauthilus 1.10 lualib/bruteforce): custom tolerations and is_ip_address_blocked
// on the engine's own brute-force state (the counters `bf:<bucket>:<network>` of engine/protection/brute-force.ts).
import { LuaMultiReturn } from 'wasmoon';
import type { LuaModule } from '../module';
import { blockedBucketsOf } from '../../protection/brute-force';
import { Tolerations, type Toleration } from '../../protection/tolerations';
import { parseDuration } from '../../config/durations';
import { scopeIp } from './ip-scoper';

/** Go's time.ParseDuration, in ns; undefined where Go returns an error ("", "10", "1x"; "0" is fine). */
export function goParseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t !== text || t === '' || (/^[-+]?\d+(\.\d+)?$/.test(t) && !/^[-+]?0+$/.test(t))) return undefined;
  try {
    return Math.round(parseDuration(t) * 1e6);
  } catch {
    return undefined;
  }
}

/** Go's time.Duration.String(): "1h0m0s", "1m30s", "45s", "1.5s", "250ms", "0s". */
export function goDurationString(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  const a = Math.abs(ns);
  if (a < 1e3) return `${sign}${a}ns`;
  if (a < 1e6) return `${sign}${a / 1e3}µs`;
  if (a < 1e9) return `${sign}${a / 1e6}ms`;
  const h = Math.floor(a / 3.6e12);
  const m = Math.floor((a - h * 3.6e12) / 6e10);
  const s = (a - h * 3.6e12 - m * 6e10) / 1e9;
  return `${sign}${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

/** gopher-lua's LVAsString: strings and numbers as text, anything else "". */
const asString = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
/** gopher-lua's LVAsNumber then Go's uint8(): numbers and numeric strings, anything else 0; wraps at 256. */
function asPercent(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : 0;
  return ((Math.trunc(n) % 256) + 256) % 256;
}

function argError(fn: string, n: number, msg: string): Error {
  return new Error(`bad argument #${n} to ${fn} (${msg})`);
}

function checkTable(fn: string, v: unknown): Record<string, unknown> {
  if (v !== null && typeof v === 'object') return v as Record<string, unknown>;
  throw argError(fn, 1, `table expected, got ${v === undefined || v === null ? 'nil' : typeof v}`);
}

function checkString(fn: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw argError(fn, 1, `string expected, got ${v === undefined || v === null ? 'nil' : typeof v === 'object' ? 'table' : typeof v}`);
}

/** One toleration table {ip_address, tolerate_percent, tolerate_ttl} as Nauthilus reads it. */
function tolerationOf(fn: string, t: Record<string, unknown>): Toleration {
  const ttl = goParseDuration(asString(t.tolerate_ttl));
  if (ttl === undefined) throw argError(fn, 1, 'invalid tolerate_ttl format');
  return { ipAddress: asString(t.ip_address), toleratePercent: asPercent(t.tolerate_percent), tolerateTtlNs: ttl };
}

export const bruteForceModule: LuaModule = {
  name: 'nauthilus_brute_force',
  legacyLoaderName: 'nauthilus_brute_force',
  summary: 'Custom tolerations (set/get/delete, get_tolerate_map) and is_ip_address_blocked(ip) on the engine\'s brute-force buckets.',
  install(host) {
    const tolerations = new Tolerations(() => host.services.redis, () => host.services.bruteForceTolerations ?? []);
    return {
      functions: {
        set_custom_tolerations: async (list: unknown) => {
          const tbl = checkTable('set_custom_tolerations', list);
          const items = Array.isArray(tbl) ? tbl : Object.values(tbl);
          const parsed = items.map((it) => {
            if (it === null || typeof it !== 'object') throw argError('set_custom_tolerations', 1, 'each toleration must be a table');
            return tolerationOf('set_custom_tolerations', it as Record<string, unknown>);
          });
          await tolerations.replace(parsed);
          return LuaMultiReturn.from([]);
        },
        set_custom_toleration: async (t: unknown) => {
          await tolerations.setOne(tolerationOf('set_custom_toleration', checkTable('set_custom_toleration', t)));
          return LuaMultiReturn.from([]);
        },
        delete_custom_toleration: async (ip: unknown) => {
          await tolerations.delete(checkString('delete_custom_toleration', ip));
          return LuaMultiReturn.from([]);
        },
        get_custom_tolerations: async () => {
          const list = await tolerations.list();
          return LuaMultiReturn.from([list.map((t) => ({ ip_address: t.ipAddress, tolerate_percent: t.toleratePercent, tolerate_ttl: goDurationString(t.tolerateTtlNs) }))]);
        },
        // label -> count from `bf:TR:<address scoped for tolerations>`; a Redis error gives an empty table
        get_tolerate_map: async (ip: unknown) => {
          const addr = checkString('get_tolerate_map', ip);
          const out: Record<string, number> = {};
          try {
            const all = (await host.services.redis.client.hgetall(`bf:TR:${scopeIp(host.services.ipScoping, 'tolerations', addr)}`)) as Record<string, string>;
            for (const [k, v] of Object.entries(all)) if (/^[-+]?\d+$/.test(v)) out[k] = Number(v);
          } catch {
            // Nauthilus returns the empty map on a Redis error
          }
          return LuaMultiReturn.from([out]);
        },
        // nil when no bucket blocks the address, else the names of the buckets that do
        is_ip_address_blocked: async (ip: unknown) => {
          const addr = checkString('is_ip_address_blocked', ip);
          let names: string[] = [];
          try {
            names = await blockedBucketsOf(host.services.redis, host.services.bruteForceBuckets ?? [], addr);
          } catch (e) {
            host.services.logger.error({ err: (e as Error).message }, 'nauthilus_brute_force.is_ip_address_blocked: reading the bucket counters failed');
          }
          return LuaMultiReturn.from([names.length ? names : undefined]);
        },
      },
      async: ['set_custom_tolerations', 'set_custom_toleration', 'delete_custom_toleration', 'get_custom_tolerations', 'get_tolerate_map', 'is_ip_address_blocked'],
    };
  },
};
