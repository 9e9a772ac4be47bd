// What the Lua checker knows of a host API (generated/host-api.ts, written by scripts/gen-lint-api.js from the data the
// engine and the Dovecot harness report), and the view of one profile. No imports: the studio bundles it too.

/** A field of a host module: its Lua type, the profiles that have it, its documented argument count. */
export interface HostMember {
  type: string;
  profiles: string[];
  /** The Nauthilus versions that have it, when they differ from `profiles` (AuthStudio lacks it under one of them). */
  nauthilus?: string[];
  /** [min, max] arguments (max -1: any number); absent when the docs do not say. */
  args?: [number, number];
}

/** A host module (`nauthilus_builtin`, `nauthilus_redis`, `dovecot.auth`): a global or what `require` returns. */
export interface HostModule {
  /** Present without require. */
  global: boolean;
  profiles: string[];
  /** The Nauthilus versions that have it, when they differ from `profiles`. */
  nauthilus?: string[];
  members: Record<string, HostMember>;
}

/** A global a script sees without defining it (the base library, the 5.1 shims, host globals). */
export interface HostGlobal {
  type: string;
  profiles: string[];
  /** For a base library table (string, math, ...): member -> the profiles that have it. */
  members?: Record<string, string[]>;
}

export interface HostApiData {
  flavour: 'nauthilus' | 'dovecot';
  /** Every profile, oldest first. */
  profiles: string[];
  globals: Record<string, HostGlobal>;
  /** Keyed by the dotted path a script reaches them by (`dovecot.auth`) or their require name. */
  modules: Record<string, HostModule>;
}

/** Whether a profiled item is there under `profile` (no profile: under any). */
export function providedUnder(profiles: string[], profile: string | undefined): boolean {
  return profile === undefined || profiles.includes(profile);
}
