// `server.features` (Nauthilus 1.x): the list of protection features that run. When it is absent AuthStudio runs
// each feature whose section is present; when it is there, only the listed ones run, as in Nauthilus.

import type { AuthStudioConfig } from './types';
import { AuthStudioError, type SourceLocation } from '../errors/registry';
import { list, oneOf, type Spec } from './schema';

/** Nauthilus 1.10's feature names (definitions.Feature*), in the order its docs list them. */
export const SERVER_FEATURES = ['tls_encryption', 'rbl', 'relay_domains', 'lua', 'backend_server_monitoring', 'brute_force'] as const;
export type ServerFeature = (typeof SERVER_FEATURES)[number];

const featureName = oneOf(SERVER_FEATURES);

/** `features: brute_force` or a list; "" is skipped and duplicates are harmless, as Nauthilus' processFeatures allows. */
export const serverFeatures: Spec<ServerFeature[]> = (v) => {
  const items = list<ServerFeature | ''>((iv) => (iv.scalar === '' ? '' : featureName(iv)), { scalarOk: true })(v);
  return items?.filter((f): f is ServerFeature => f !== '');
};

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

/**
 * Switches off what `server.features` does not list (Nauthilus 1.10 `FileSettings.HasFeature`): the sections stay
 * in `raw` for export, the engine no longer runs them, and each dropped section comes back as a warning.
 * `tls_encryption` listed without `cleartext_networks` refuses every login without TLS, as in Nauthilus.
 */
export function applyServerFeatures(
  config: AuthStudioConfig,
  features: readonly ServerFeature[] | undefined,
  locate: (keyPath: string) => SourceLocation | undefined = () => undefined,
): AuthStudioError[] {
  if (features === undefined) return [];
  const listed = new Set(features);
  const warnings: AuthStudioError[] = [];
  const drop = (feature: ServerFeature, section: string, present: boolean, off: () => void) => {
    if (listed.has(feature)) return;
    if (present) {
      warnings.push(new AuthStudioError('AS_ERR_CONFIG_CONFLICT', `${section} is configured but server.features does not list "${feature}": it does not run (Nauthilus 1.x runs only the features listed there)`, {
        location: locate(section) ?? { file: config.file }, path: section, severity: 'warning',
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
