// Message catalogs behind `nauthilus_i18n` (Nauthilus 3.0 core/localization: CatalogRegistry, EffectiveCatalog,
// Resolver): deployment overlays registered by init scripts, collected per init run and activated together once
// every init script succeeded; lookups by BCP 47 tag with Nauthilus's order of language preferences.
//
//   init scripts --register_catalog--> I18nSession (validated, pending) --commit--> I18nCatalogs.active
//   any script   --get_localized-----> resolve(key, fallback, preference) over the active catalog

/** One register_catalog call: messages of one language, under a namespace (for override logs). */
export interface CatalogOverlay {
  language: string;
  namespace: string;
  entries: Record<string, string>;
}

/** An entry an overlay replaced (Nauthilus logs each at info). */
export interface CatalogOverride {
  language: string;
  key: string;
  namespace: string;
  previousNamespace: string;
}

/** What get_localized returns (ResolvedStatusMessage). */
export interface ResolvedMessage {
  message: string;
  language: string;
  localized: boolean;
  i18n_key: string;
  fallback_used: boolean;
}

/** Where a language may come from, in Nauthilus's order (LanguagePreference). */
export interface LanguagePreference {
  explicit?: string;
  policy?: string;
  header?: string;
  default?: string;
}

/** definitions.DefaultLanguage */
export const DEFAULT_LANGUAGE = 'en';

/** The canonical form of a BCP 47 tag ("EN_us" -> "en-US"), or undefined when it is not one (language.Parse). */
export function canonicalTag(value: string): string | undefined {
  const text = value.trim().replace(/_/g, '-');
  if (text === '') return undefined;
  try {
    return Intl.getCanonicalLocales(text)[0];
  } catch {
    return undefined;
  }
}

const base = (tag: string) => tag.split('-')[0];

/** The effective catalog: overlays applied in order over an empty system catalog (AuthStudio ships no UI texts). */
export class I18nCatalog {
  private readonly entries = new Map<string, Map<string, { text: string; namespace: string }>>();

  /** Build from overlays; throws on a language that is not a BCP 47 tag. */
  static build(overlays: CatalogOverlay[]): { catalog: I18nCatalog; overrides: CatalogOverride[] } {
    const catalog = new I18nCatalog();
    const overrides: CatalogOverride[] = [];
    for (const o of overlays) {
      const tag = canonicalTag(o.language);
      if (!tag) throw new Error(`catalog language "${o.language}" is invalid: language: tag is not well-formed`);
      const namespace = o.namespace.trim();
      let messages = catalog.entries.get(tag);
      if (!messages) catalog.entries.set(tag, (messages = new Map()));
      for (const key of Object.keys(o.entries).sort()) {
        const k = key.trim();
        const previous = messages.get(k);
        if (previous) overrides.push({ language: tag, key: k, namespace, previousNamespace: previous.namespace });
        messages.set(k, { text: o.entries[key], namespace });
      }
    }
    return { catalog, overrides };
  }

  /** The languages the catalog has, canonical and sorted. */
  tags(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** The namespace of the overlay that set an entry (undefined: none did). */
  namespaceOf(tag: string, key: string): string | undefined {
    return this.entries.get(tag)?.get(key)?.namespace;
  }

  lookup(tag: string, key: string): string | undefined {
    return this.entries.get(tag)?.get(key)?.text;
  }

  /** A supported tag for `value`: itself when there are no catalogs (Nauthilus's matcher has nothing to match). */
  private match(value: string | undefined): string | undefined {
    const tag = value === undefined ? undefined : canonicalTag(value);
    if (!tag) return undefined;
    const supported = this.tags();
    if (supported.length === 0 || supported.includes(tag)) return tag;
    // x/text's matcher also accepts the same base language (de-DE for de); it answers with the supported tag here
    return supported.find((s) => base(s) === base(tag));
  }

  /** Accept-Language: the first range (by q) that matches a supported tag. */
  private matchHeader(header: string | undefined): string | undefined {
    if (!header?.trim() || this.entries.size === 0) return undefined;
    const ranges = header.split(',').map((part, i) => {
      const [range, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([\d.]+)\s*$/.exec(p)).find(Boolean);
      return { range: range.trim(), q: q ? Number(q[1]) : 1, i };
    }).filter((r) => r.range && r.range !== '*' && r.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
    for (const r of ranges) {
      const m = this.match(r.range);
      if (m) return m;
    }
    return undefined;
  }

  /** Resolver.selectLanguage: explicit, policy, Accept-Language, preference default, runtime default. */
  selectLanguage(p: LanguagePreference, defaultLanguage = DEFAULT_LANGUAGE): string {
    return this.match(p.explicit) ?? this.match(p.policy) ?? this.matchHeader(p.header) ?? this.match(p.default)
      ?? this.match(defaultLanguage) ?? canonicalTag(defaultLanguage) ?? DEFAULT_LANGUAGE;
  }

  /** Resolver.ResolveStatusMessage: the catalog's message in the selected language, else the fallback text. */
  resolve(key: string, fallback: string, p: LanguagePreference, defaultLanguage = DEFAULT_LANGUAGE): ResolvedMessage {
    const k = key.trim();
    if (k === '') return { message: fallback, language: '', localized: false, i18n_key: k, fallback_used: true };
    const language = this.selectLanguage(p, defaultLanguage);
    const text = this.lookup(language, k);
    return text !== undefined
      ? { message: text, language, localized: true, i18n_key: k, fallback_used: false }
      : { message: fallback, language, localized: false, i18n_key: k, fallback_used: true };
  }
}

/** The catalogs of one engine thread: the active one, and the pending overlays of the init run in progress. */
export class I18nCatalogs {
  active = I18nCatalog.build([]).catalog;
  private overlays: CatalogOverlay[] = [];
  /** Nauthilus 3.1 auth.policy.localization.catalogs: layered over the init scripts' overlays. */
  private operator: CatalogOverlay[] = [];
  private session: CatalogOverlay[] | undefined;

  /** An init run starts: register_catalog collects into it until commit() or discard(). */
  begin(): void {
    this.session = [];
  }

  /** True while init scripts run (register_catalog is allowed). */
  get collecting(): boolean {
    return this.session !== undefined;
  }

  /** Validate an overlay against what is active and pending; returns the entries it overrides. */
  register(overlay: CatalogOverlay): CatalogOverride[] {
    if (!this.session) throw new Error('register_catalog is only available during startup Lua execution');
    const { catalog: before } = I18nCatalog.build([...this.overlays, ...this.session, ...this.operator]);
    I18nCatalog.build([overlay]); // throws on a bad language
    this.session.push(overlay);
    const language = canonicalTag(overlay.language)!;
    const namespace = overlay.namespace.trim();
    return Object.keys(overlay.entries).sort().flatMap((key) => {
      const previous = before.namespaceOf(language, key.trim());
      return previous === undefined ? [] : [{ language, key: key.trim(), namespace, previousNamespace: previous }];
    });
  }

  /** Every init script ran: the collected overlays become active together. */
  commit(): void {
    if (!this.session) return;
    this.overlays = [...this.overlays, ...this.session];
    this.active = I18nCatalog.build([...this.overlays, ...this.operator]).catalog;
    this.session = undefined;
  }

  /** An init script failed: nothing it (or the others) registered becomes active; the config's catalogs do. */
  discard(): void {
    this.session = undefined;
    this.active = I18nCatalog.build([...this.overlays, ...this.operator]).catalog;
  }

  /**
   * A new config generation: catalogs come from its init scripts and its own catalogs (`operator`) only. What is
   * active stays until its init run commits or fails, so requests served meanwhile (a reload) keep their messages.
   */
  reset(operator: CatalogOverlay[] = []): void {
    this.overlays = [];
    this.operator = operator;
    this.session = undefined;
  }
}
