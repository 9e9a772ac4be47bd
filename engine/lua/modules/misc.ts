// `nauthilus_misc`: country names from ISO codes, a bounded random wait (tarpitting), IP scoping.
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LuaModule } from '../module';
import { checkArg } from '../values';
import { COUNTRY_CODES } from './country-codes';
import { scopeIp } from './ip-scoper';

/** gopher-lua's CheckNumber: a number, or a string holding one. */
function checkNumber(fn: string, n: number, v: unknown): number {
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  checkArg(fn, n, v, 'number');
  return v as number;
}

/** wait_random refuses a longer maximum: a script's stage timeout would end the call anyway. */
export const MAX_WAIT_MS = 60_000;

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** Nauthilus's key for a lookup: the text before any "(", letters only, upper-cased (" d.e " is "DE"). */
function lookupKey(text: string): string {
  const cut = text.indexOf('(');
  return (cut >= 0 ? text.slice(0, cut) : text).replace(/\P{L}/gu, '').toUpperCase();
}

let index: Map<string, string> | undefined;
/** Country names by code (alpha-2, alpha-3 and other codes) and by English name, keyed with lookupKey. */
function countryIndex(): Map<string, string> {
  if (index) return index;
  index = new Map();
  const add = (key: string, name: string) => {
    if (key && !index!.has(key)) index!.set(key, name);
  };
  for (const [name, codes] of COUNTRY_CODES) for (const code of codes.split(' ')) add(code, name);
  for (const [name, codes] of COUNTRY_CODES) {
    add(lookupKey(name), name);
    // the English name Intl gives for the alpha-2 code ("South Korea" for "Republic of Korea")
    const alpha2 = codes.split(' ').find((c) => c.length === 2 && index!.get(c) === name);
    const intl = alpha2 ? safeRegionName(alpha2) : undefined;
    if (intl) add(lookupKey(intl), name);
  }
  return index;
}

function safeRegionName(code: string): string | undefined {
  try {
    return regionNames.of(code);
  } catch {
    return undefined;
  }
}

/**
 * Nauthilus 1.10's get_country_name: the English name for an ISO 3166-1 alpha-2 or alpha-3 code (or a
 * country's English name), case and punctuation ignored; "Unknown" otherwise.
 */
export function getCountryName(iso: string): string {
  return countryIndex().get(lookupKey(iso)) ?? 'Unknown';
}

export const miscModule: LuaModule = {
  name: 'nauthilus_misc',
  legacyLoaderName: 'nauthilus_misc',
  summary: 'Country names from ISO codes; wait_random(min_ms, max_ms) for tarpitting; scoped_ip(ctx, ip).',
  install(host) {
    return {
      functions: {
        get_country_name: (iso: unknown) => {
          checkArg('get_country_name', 1, iso, 'string', 'number');
          // one value, as in Nauthilus
          return getCountryName(String(iso));
        },
        // scoped_ip(ctx, ip) or scoped_ip(ip): the address, or its network when the context has a CIDR
        scoped_ip: (...args: unknown[]) => {
          const two = args.length >= 2;
          const ctx = two && args[0] !== undefined && args[0] !== null ? args[0] : 'lua_generic';
          const ip = two ? args[1] : args[0];
          if (two) checkArg('scoped_ip', 1, ctx, 'string', 'number');
          checkArg('scoped_ip', two ? 2 : 1, ip, 'string', 'number');
          return scopeIp(host.services.ipScoping, String(ctx), String(ip));
        },
        // Nauthilus 1.10: returns the milliseconds waited, or a single nil (no error text) when the range is
        // invalid (negative, min >= max, or empty once truncated to whole milliseconds); numeric strings count
        wait_random: (minMs: unknown, maxMs: unknown) => {
          const lo = checkNumber('wait_random', 1, minMs);
          const hi = checkNumber('wait_random', 2, maxMs);
          if (lo < 0 || hi < 0 || lo >= hi || Math.trunc(hi) - Math.trunc(lo) <= 0) return Promise.resolve(undefined);
          if (hi > MAX_WAIT_MS) {
            host.services.logger.warn({ pool: host.poolName, max_ms: hi }, `wait_random: max_ms above ${MAX_WAIT_MS} is refused (nil)`);
            return Promise.resolve(undefined);
          }
          const ms = crypto.randomInt(Math.trunc(lo), Math.trunc(hi));
          const signal = host.call?.abortSignal?.signal;
          return sleep(ms, undefined, signal ? { signal } : undefined).then(() => ms, () => undefined);
        },
      },
      async: ['wait_random'],
    };
  },
};
