// The workspace's target Nauthilus version: the top-level `nauthilus:` key (AuthStudio's own), else detected from
// the config file's layout. Reported by `check` and shown in the studio; the Lua names and request fields scripts see
// follow it (isNauthilus3 in engine/lua/services.ts), and so do the studio's completion and hover.

import { AuthStudioError } from '../errors/registry';
import { didYouMean } from './suggest';
import { NAUTHILUS_PROFILES, type ConfigLayout, type NauthilusProfile } from './types';
import type { Val } from './yaml-source';

/**
 * Reads `nauthilus:` from the original root. Unquoted `3.0` and `1.10` are YAML numbers: their text as written
 * counts. A 3.x layout defaults to "3.0" (the stable line; "3.1" when the file has 3.1's `plugins:` section).
 */
export function readProfile(root: Val, layout: ConfigLayout, uses31: boolean): { profile: NauthilusProfile; explicit: boolean; warnings: AuthStudioError[] } {
  const v = root.isMap ? root.child('nauthilus') : undefined;
  const detected: NauthilusProfile = layout === '3.x' ? (uses31 ? '3.1' : '3.0') : '1.10';
  if (v === undefined) return { profile: detected, explicit: false, warnings: [] };
  const text = v.sourceText;
  const profile = NAUTHILUS_PROFILES.find((p) => p === text);
  if (v.isNull || profile === undefined) {
    v.fail('AS_ERR_CONFIG_TYPE', `expected one of ${NAUTHILUS_PROFILES.map((p) => `"${p}"`).join(', ')} at nauthilus (the Nauthilus version this workspace targets), got ${v.describe()}${text ? didYouMean(text, NAUTHILUS_PROFILES) : ''}`);
    return { profile: detected, explicit: false, warnings: [] };
  }
  if (layout === '3.x' && profile.startsWith('1.')) {
    v.fail('AS_ERR_CONFIG_CONFLICT', `nauthilus: "${profile}" targets Nauthilus ${profile}, but this file uses the Nauthilus 3.x layout (runtime, storage, auth, ...), which ${profile} cannot read: set nauthilus: "3.0" or write the 1.x layout (server, lua, brute_force, ...)`);
  } else if (profile === '3.0' && uses31) {
    root.child('plugins')?.failAtKey('AS_ERR_CONFIG_CONFLICT', `"plugins" is a Nauthilus 3.1 section, but nauthilus: "3.0" targets Nauthilus 3.0: set nauthilus: "3.1" or remove it`);
  }
  const warnings: AuthStudioError[] = [];
  if (layout === '1.x' && profile.startsWith('3.')) {
    warnings.push(new AuthStudioError('AS_ERR_CONFIG_CONFLICT', `nauthilus: "${profile}" targets Nauthilus ${profile}, which does not read the 1.x layout of this file (AuthStudio does): convert it to runtime, storage and auth before deploying`, {
      path: 'nauthilus', location: v.location, severity: 'warning',
    }));
  }
  return { profile, explicit: true, warnings };
}
