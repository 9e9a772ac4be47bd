// `nauthilus_i18n` (Nauthilus 3.0, server/lualib/i18n.go, v3.0.1): get_localized{ i18n_key, fallback, language }
// resolves a message in the engine's catalogs (any script); register_catalog{ language, namespace, entries } adds
// deployment messages, only while init scripts run (they become active together once every init script ran).
// A 3.x profile's module: under 1.x `require("nauthilus_i18n")` finds no host module.
import type { LuaModule, ModuleHost } from '../module';
import { I18nCatalogs } from '../i18n-catalog';

/** checkSingleTableArgument */
function singleTable(fn: string, args: unknown[]): Record<string, unknown> {
  const t = args[0];
  if (args.length !== 1 || t === null || typeof t !== 'object') throw new Error(`${fn} expects exactly one table argument`);
  return t as Record<string, unknown>;
}

/** requiredI18NStringField: a string that is not blank, trimmed. */
function required(t: Record<string, unknown>, field: string): string {
  const v = t[field];
  if (typeof v !== 'string' || v.trim() === '') throw new Error(`${field} must be a non-empty string`);
  return v.trim();
}

/** optionalI18NStringField: absent is "", a non-string is an error. */
function optional(t: Record<string, unknown>, field: string): string {
  const v = t[field];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new Error(`${field} must be a string when provided`);
  return v.trim();
}

/** i18nEntriesFromTable: string keys (not blank) to string values, at least one. */
function entriesOf(v: unknown): Record<string, string> {
  if (v === null || typeof v !== 'object') throw new Error('entries must be a table');
  if (Array.isArray(v)) throw new Error(v.length ? 'entries keys must be strings' : 'entries must contain at least one message');
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v as Record<string, unknown>)) {
    if (/^\d+$/.test(k)) throw new Error('entries keys must be strings');
    if (typeof value !== 'string') throw new Error('entries values must be strings');
    if (k.trim() === '') throw new Error('entries keys must be non-empty strings');
    out[k.trim()] = value;
  }
  if (Object.keys(out).length === 0) throw new Error('entries must contain at least one message');
  return out;
}

/** The catalogs of the engine thread these services belong to (made on first use). */
export function catalogsOf(host: Pick<ModuleHost, 'services'>): I18nCatalogs {
  return (host.services.i18n ??= new I18nCatalogs());
}

export const i18nModule: LuaModule = {
  name: 'nauthilus_i18n',
  summary: 'Nauthilus 3.0: localized messages (get_localized) from catalogs that init scripts register (register_catalog).',
  install(host) {
    return {
      functions: {
        get_localized: (...args: unknown[]) => {
          const t = singleTable('get_localized', args);
          const key = required(t, 'i18n_key');
          const fallback = required(t, 'fallback');
          const language = optional(t, 'language');
          return catalogsOf(host).active.resolve(key, fallback, { explicit: language || undefined });
        },
        register_catalog: (...args: unknown[]) => {
          const catalogs = catalogsOf(host);
          if (!catalogs.collecting || (host.poolName !== 'init' && host.poolName !== 'check')) throw new Error('register_catalog is only available during startup Lua execution');
          const t = singleTable('register_catalog', args);
          const language = required(t, 'language');
          const namespace = optional(t, 'namespace');
          const entries = entriesOf(t.entries);
          for (const o of catalogs.register({ language, namespace, entries })) {
            host.services.logger.info({ language: o.language, i18n_key: o.key, namespace: o.namespace, previous_namespace: o.previousNamespace },
              'deployment localization catalog entry overrides an existing entry');
          }
        },
      },
    };
  },
};
