// Nauthilus 3.1 `auth.policy.localization.catalogs` (config/schema_v2.go PolicyLocalizationConfig, config/file.go
// validatePolicyLocalizationCatalogs, v3.1.0-rc.6): message catalogs the operator declares in the config. They are
// layered over what init scripts register (nauthilus_i18n.register_catalog): the config's entry wins.
import type { Val } from '../config/yaml-source';
import { canonicalTag, type CatalogOverlay } from '../lua/i18n-catalog';

const MAX_CATALOGS = 32;
const MAX_ENTRIES = 1024;
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** The catalogs under auth.policy.localization; problems reported at their key paths (entries of a bad catalog are dropped). */
export function parsePolicyCatalogs(v: Val): CatalogOverlay[] {
  const list = v.child('catalogs');
  if (list === undefined || list.isNull) return [];
  if (!list.isSeq) return (list.typeError('a list of catalogs (language, namespace, entries)'), []);
  const items = list.items();
  if (items.length > MAX_CATALOGS) return (list.fail('AS_ERR_CONFIG_TYPE', `${list.path} has ${items.length} catalogs: at most ${MAX_CATALOGS}`), []);
  const out: CatalogOverlay[] = [];
  const seen = new Set<string>();
  for (const iv of items) {
    if (!iv.isMap) { iv.typeError('a catalog (language, namespace, entries)'); continue; }
    const text = (k: string) => {
      const s = iv.child(k)?.scalar;
      return typeof s === 'string' ? s.trim() : typeof s === 'number' ? String(s) : '';
    };
    const namespace = text('namespace');
    const languageText = text('language');
    if (!namespace || bytes(namespace) > 64) { (iv.child('namespace') ?? iv).fail('AS_ERR_CONFIG_TYPE', `${iv.path}.namespace is required (printable, at most 64 characters)`); continue; }
    if (!languageText || languageText.length > 35) { (iv.child('language') ?? iv).fail('AS_ERR_CONFIG_TYPE', `${iv.path}.language is required (at most 35 characters)`); continue; }
    const language = canonicalTag(languageText);
    if (!language) { iv.child('language')!.fail('AS_ERR_CONFIG_TYPE', `${iv.path}.language must be a valid BCP 47 language tag`); continue; }
    if (seen.has(`${namespace}\0${language}`)) { iv.fail('AS_ERR_CONFIG_CONFLICT', `${iv.path} duplicates an existing namespace and language catalog`); continue; }
    seen.add(`${namespace}\0${language}`);
    const ev = iv.child('entries');
    if (!ev || !ev.isMap || ev.entries().length === 0) { (ev ?? iv).fail('AS_ERR_CONFIG_MISSING', `${iv.path}.entries is required (message key: text)`); continue; }
    if (ev.entries().length > MAX_ENTRIES) { ev.fail('AS_ERR_CONFIG_TYPE', `${ev.path} has more than ${MAX_ENTRIES} messages`); continue; }
    const entries: Record<string, string> = {};
    let ok = true;
    for (const e of [...ev.entries()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
      const msg = e.val.scalar;
      const at = `${ev.path}.${e.key}`;
      const problem = e.key.trim() === '' ? `${ev.path}: message key must not be blank`
        : bytes(e.key) > 256 ? `${at}: message key must not exceed 256 bytes`
          : typeof msg !== 'string' || msg.trim() === '' ? `${at}: message must not be blank`
            : bytes(msg) > 4096 ? `${at}: message must not exceed 4096 bytes` : undefined;
      if (problem) { e.val.fail('AS_ERR_CONFIG_TYPE', problem); ok = false; break; }
      entries[e.key] = msg as string;
    }
    if (ok) out.push({ language, namespace, entries });
  }
  return out;
}
