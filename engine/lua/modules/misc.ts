// `nauthilus_misc`: country names from ISO codes and a bounded random wait (tarpitting).
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LuaModule } from '../module';
import { checkArg, pair } from '../values';

/** gopher-lua's CheckNumber: a number, or a string holding one. */
function checkNumber(fn: string, n: number, v: unknown): number {
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  checkArg(fn, n, v, 'number');
  return v as number;
}

/** wait_random refuses a longer maximum: a script's stage timeout would end the call anyway. */
export const MAX_WAIT_MS = 60_000;

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

let byName: Map<string, string> | undefined;
/** English country names by lower-cased name, so a name given instead of a code is accepted too. */
function namesIndex(): Map<string, string> {
  if (byName) return byName;
  byName = new Map();
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const name = countryName(String.fromCharCode(a, b));
      if (name) byName.set(name.toLowerCase(), name);
    }
  }
  return byName;
}

function countryName(code: string): string | undefined {
  if (code === 'ZZ') return undefined; // "Unknown Region"
  try {
    return regionNames.of(code);
  } catch {
    return undefined;
  }
}

/** English name of a country given its ISO 3166-1 alpha-2 code (or its English name); "Unknown" otherwise. */
export function getCountryName(iso: string): string {
  const s = iso.trim();
  if (/^[A-Za-z]{2}$/.test(s)) return countryName(s.toUpperCase()) ?? 'Unknown';
  return namesIndex().get(s.toLowerCase()) ?? 'Unknown';
}

export const miscModule: LuaModule = {
  name: 'nauthilus_misc',
  legacyLoaderName: 'nauthilus_misc',
  summary: 'Country names from ISO codes; wait_random(min_ms, max_ms) for tarpitting.',
  install(host) {
    return {
      functions: {
        get_country_name: (iso: unknown) => {
          checkArg('get_country_name', 1, iso, 'string');
          return pair(getCountryName(iso as string), undefined);
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
