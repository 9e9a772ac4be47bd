// `server.features` (Nauthilus 1.x): the list of protection features that run. When it is absent AuthStudio runs
// each feature whose section is present; when it is there, only the listed ones run, as in Nauthilus.

import type { AuthStudioConfig } from './types';
import { AuthStudioError, type SourceLocation } from '../errors/registry';
import { describedAs, list, oneOf, type Spec } from './schema';

/** Nauthilus 1.10's feature names (definitions.Feature*), in the order its docs list them. */
export const SERVER_FEATURES = ['tls_encryption', 'rbl', 'relay_domains', 'lua', 'backend_server_monitoring', 'brute_force'] as const;
export type ServerFeature = (typeof SERVER_FEATURES)[number];

const featureName = oneOf(SERVER_FEATURES);

/** `features: brute_force` or a list; "" is skipped and duplicates are harmless, as Nauthilus' processFeatures allows. */
export const serverFeatures: Spec<ServerFeature[]> = describedAs((v) => {
  const items = list<ServerFeature | ''>((iv) => (iv.scalar === '' ? '' : featureName(iv)), { scalarOk: true })(v);
  return items?.filter((f): f is ServerFeature => f !== '');
}, { anyOf: [{ type: 'array', items: { type: 'string', enum: [...SERVER_FEATURES, ''] } }, { type: 'string' }], description: `the features to switch on: a list of ${SERVER_FEATURES.join(', ')}` });

/** The features a config's sections switch on when `server.features` is absent (what an export writes out). */
export function featuresOfSections(config: AuthStudioConfig): ServerFeature[] {
  const on: Record<ServerFeature, boolean> = {
    tls_encryption: config.cleartextNetworks !== undefined,
    rbl: config.rbl !== undefined,
    relay_domains: config.relayDomains !== undefined,
    lua: config.lua.features.length > 0,
    backend_server_monitoring: config.backendServerMonitoring !== undefined,
    brute_force: config.bruteForce !== undefined,
  };
  return SERVER_FEATURES.filter((f) => on[f]);
}

/** How warnings name sections, lists and features: the 1.x names, or those of the layout the user wrote. */
export interface FeatureNaming {
  /** The section's key path as written (argument: its 1.x path). */
  section(path: string): string;
  /** The list that switches `feature` on. */
  list(feature: ServerFeature): string;
  /** The feature's name in that list. */
  name(feature: ServerFeature): string;
  /** "Nauthilus 1.x" or "Nauthilus 3.x". */
  version: string;
}

const NAMING_1X: FeatureNaming = { section: (p) => p, list: () => 'server.features', name: (f) => f, version: 'Nauthilus 1.x' };

// Nauthilus 3.x (config/schema_v2.go applyAuthSection): auth.controls.enabled and auth.services.enabled
const SECTIONS_3X: Record<string, string> = {
  brute_force: 'auth.controls.brute_force',
  realtime_blackhole_lists: 'auth.controls.rbl',
  relay_domains: 'auth.controls.relay_domains',
  backend_server_monitoring: 'auth.services.backend_health_checks',
  'lua.features': 'auth.policy.attribute_sources.lua.environment',
  cleartext_networks: 'auth.controls.tls_encryption.allow_cleartext_networks',
};

/** Names in a Nauthilus 3.x file. */
export const FEATURE_NAMING_3X: FeatureNaming = {
  section: (p) => SECTIONS_3X[p] ?? p,
  list: (f) => (f === 'backend_server_monitoring' ? 'auth.services.enabled' : 'auth.controls.enabled'),
  name: (f) => (f === 'backend_server_monitoring' ? 'backend_health_checks' : f),
  version: 'Nauthilus 3.x',
};

/**
 * Switches off what `server.features` does not list (Nauthilus 1.10 `FileSettings.HasFeature`): the sections stay
 * in `raw` for export, the engine no longer runs them, and each dropped section comes back as a warning.
 * `tls_encryption` listed without `cleartext_networks` refuses every login without TLS, as in Nauthilus.
 */
export function applyServerFeatures(
  config: AuthStudioConfig,
  features: readonly ServerFeature[] | undefined,
  locate: (keyPath: string) => SourceLocation | undefined = () => undefined,
  naming: FeatureNaming = NAMING_1X,
): AuthStudioError[] {
  if (features === undefined) return [];
  const listed = new Set(features);
  const warnings: AuthStudioError[] = [];
  const drop = (feature: ServerFeature, section: string, present: boolean, off: () => void) => {
    if (listed.has(feature)) return;
    if (present) {
      const shown = naming.section(section);
      warnings.push(new AuthStudioError('AS_ERR_CONFIG_CONFLICT', `${shown} is configured but ${naming.list(feature)} does not list "${naming.name(feature)}": it does not run (${naming.version} runs only the features listed there)`, {
        location: locate(section) ?? { file: config.file }, path: shown, severity: 'warning',
      }));
    }
    off();
  };
  drop('brute_force', 'brute_force', config.bruteForce !== undefined, () => delete config.bruteForce);
  drop('rbl', 'realtime_blackhole_lists', config.rbl !== undefined, () => delete config.rbl);
  drop('relay_domains', 'relay_domains', config.relayDomains !== undefined, () => delete config.relayDomains);
  drop('backend_server_monitoring', 'backend_server_monitoring', config.backendServerMonitoring !== undefined, () => delete config.backendServerMonitoring);
  drop('lua', 'lua.features', config.lua.features.length > 0, () => (config.lua.features = []));
  if (listed.has('tls_encryption')) config.cleartextNetworks ??= [];
  else drop('tls_encryption', 'cleartext_networks', config.cleartextNetworks !== undefined, () => delete config.cleartextNetworks);
  return warnings;
}
