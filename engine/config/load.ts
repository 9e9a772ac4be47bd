// Public API of engine/config: load authstudio.yml, validate every key, and resolve it into an AuthStudioConfig.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AuthStudioError } from '../errors/registry';
import type { AuthStudioConfig } from './types';
import { opt, struct } from './schema';
import { ConfigContext, Val, parseYaml } from './yaml-source';
import { expandDocument } from './env-expand';
import { luaSection, emptyLuaConfig } from './lua-section';
import { defaultServerConfig, serverSection } from './server-section';
import { bruteForceSection, cleartextNetworksSection, rblSection, relayDomainsSection } from './policy-sections';
import { backendServerMonitoringSection } from './backend-servers-section';
import { ldapSection } from './ldap-section';
import { applyServerFeatures } from './server-features';
import { parseRedisString, withConnection } from './redis-section';
import { parseHostPort } from './net';
import { isNauthilus3Layout, materializeNauthilus3 } from './nauthilus3-layout';
import { readProfile } from './profile';
import { FEATURE_NAMING_3X } from './server-features';
import { NO_BRUTE_FORCE_PROTOCOLS_WARNING } from './brute-force-protocols';

export { parseDuration, parseSize } from './durations';

/** How a config is loaded. */
export interface LoadOptions {
  /** Variables for `${VAR}`; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** `--redis` on the command line: "mock" or a redis:// URL; replaces the file's connection (prefix and TTLs stay). */
  redisOverride?: string;
  /** `--listen HOST:PORT`; replaces `server.address`. */
  listenOverride?: string;
  /** Default true: every referenced script file must exist and be a file. */
  checkFiles?: boolean;
}

/**
 * Every problem found in a config, not just the first. `errors` are sorted by position;
 * `message` is their `file:line:column: message` lines, one per error.
 */
export class ConfigValidationError extends AuthStudioError {
  readonly errors: AuthStudioError[];

  constructor(errors: AuthStudioError[]) {
    const sorted = sortByPosition(errors);
    super(sorted[0]?.code ?? 'AS_ERR_CONFIG_TYPE', sorted.map((e) => e.format()).join('\n'));
    this.name = 'ConfigValidationError';
    this.errors = sorted;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), errors: this.errors.map((e) => e.toJSON()) };
  }
}

/** The whole 1.x config file (the 3.x layout is rewritten into it first). */
export const topLevel = struct({
  server: opt(serverSection),
  lua: opt(luaSection),
  brute_force: opt(bruteForceSection),
  realtime_blackhole_lists: opt(rblSection),
  relay_domains: opt(relayDomainsSection),
  cleartext_networks: opt(cleartextNetworksSection),
  backend_server_monitoring: opt(backendServerMonitoringSection),
  ldap: opt(ldapSection),
  // AuthStudio's own key (read by readProfile)
  nauthilus: opt((v: Val) => v),
});

/**
 * Reads and validates a config file. Relative script paths are resolved against the file's directory.
 * @throws ConfigValidationError listing every problem (also when the file cannot be read).
 */
export function loadConfigFile(file: string, opts: LoadOptions = {}): AuthStudioConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(e)})`;
    throw new ConfigValidationError([new AuthStudioError('AS_ERR_CONFIG_FILE', `config file ${why}`, { location: { file }, cause: e })]);
  }
  return parseConfigText(text, file, opts);
}

/**
 * Validates config text as if read from `file` (used for locations and as the base of relative paths).
 * @throws ConfigValidationError listing every problem.
 */
export function parseConfigText(text: string, file: string, opts: LoadOptions = {}): AuthStudioConfig {
  const { doc, lineCounter, errors } = parseYaml(text, file);
  if (errors.length) throw new ConfigValidationError(errors);

  const absFile = path.resolve(file);
  const baseDir = path.dirname(absFile);
  const ctx = new ConfigContext(file, doc, lineCounter, baseDir, opts.checkFiles ?? true);
  expandDocument(ctx, text, opts.env ?? process.env);

  const original = Val.root(ctx);
  const v3 = isNauthilus3Layout(original) ? materializeNauthilus3(original) : undefined;
  const layout = v3 ? '3.x' : '1.x';
  const { profile, explicit, warnings: profileWarnings } = readProfile(original, layout, v3?.uses31 ?? false);
  const root = v3?.root ?? original;
  const top = topLevel(root);
  const server = top?.server ?? defaultServerConfig();
  // Nauthilus 1.x has no cache flush callback (3.0 added lua.config.cache_flush_script_path)
  const flushKey = root.child('lua')?.child('config')?.child('cache_flush_script_path');
  if (flushKey && profile.startsWith('1.')) flushKey.failAtKey('AS_ERR_CONFIG_CONFLICT', `"cache_flush_script_path" at ${flushKey.path} is a Nauthilus 3.x key, but this workspace targets Nauthilus ${profile}: set nauthilus: "3.0" or remove it`);

  if (opts.listenOverride !== undefined) {
    const hp = parseHostPort(opts.listenOverride, { allowPortZero: true });
    if (typeof hp === 'string') ctx.errors.push(cliError('--listen', `"${opts.listenOverride}" is not HOST:PORT: ${hp}`));
    else Object.assign(server, { host: hp.host, port: hp.port });
  }
  if (opts.redisOverride !== undefined) {
    const conn = parseRedisString(opts.redisOverride);
    if (typeof conn === 'string') ctx.errors.push(cliError('--redis', `"${opts.redisOverride}": ${conn}`));
    else server.redis = withConnection(server.redis, conn);
  }

  if (ctx.errors.length || top === undefined) {
    throw new ConfigValidationError(ctx.errors.length ? ctx.errors : [new AuthStudioError('AS_ERR_CONFIG_TYPE', 'invalid configuration', { location: { file } })]);
  }

  const config: AuthStudioConfig = {
    file: absFile,
    baseDir,
    server,
    lua: top.lua ?? emptyLuaConfig(),
    cleartextNetworks: top.cleartext_networks,
    raw: doc.toJS() ?? {},
    profile,
    profileExplicit: explicit,
    layout,
  };
  if (top.brute_force) config.bruteForce = top.brute_force;
  // Nauthilus 3.0 (core/bruteforce.go): without auth.controls.brute_force.protocols no protocol is checked
  if (v3 && config.bruteForce && !config.bruteForce.protocols) config.bruteForce.protocols = [];
  // Nauthilus 1.x (core/bruteforce.go): server.brute_force_protocols; without it AuthStudio checks every protocol
  const bfWarnings: AuthStudioError[] = [];
  if (!v3 && config.bruteForce) {
    if (server.bruteForceProtocols) config.bruteForce.protocols = server.bruteForceProtocols;
    else {
      const at = root.child('brute_force');
      bfWarnings.push(new AuthStudioError('AS_ERR_CONFIG_CONFLICT', NO_BRUTE_FORCE_PROTOCOLS_WARNING, {
        location: at ? ctx.locate(at.keyOffset ?? at.offset) : { file }, path: 'server.brute_force_protocols', severity: 'warning',
      }));
    }
  }
  // Nauthilus 3.0 definitions.DefaultBanTime: a bucket without ban_time bans for 8h
  if (v3 && config.bruteForce) for (const b of config.bruteForce.buckets) b.banTimeSec ??= 8 * 3600;
  if (top.realtime_blackhole_lists) config.rbl = top.realtime_blackhole_lists;
  if (top.relay_domains) config.relayDomains = top.relay_domains;
  if (top.backend_server_monitoring) config.backendServerMonitoring = top.backend_server_monitoring;
  if (top.ldap) config.ldapPools = top.ldap;
  if (v3?.policy) config.policy = v3.policy;
  const featureWarnings = applyServerFeatures(config, server.features, (keyPath) => {
    let v: Val | undefined = root;
    for (const k of keyPath.split('.')) v = v?.child(k);
    return v === undefined ? undefined : ctx.locate(v.keyOffset ?? v.offset);
  }, v3 ? FEATURE_NAMING_3X : undefined);
  const warnings = [...profileWarnings, ...(v3?.warnings ?? []), ...featureWarnings, ...bfWarnings];
  if (warnings.length) config.warnings = warnings;
  return config;
}

function cliError(option: string, message: string): AuthStudioError {
  return new AuthStudioError('AS_ERR_CLI_USAGE', `${option} ${message}`, { path: option });
}

function sortByPosition(errors: AuthStudioError[]): AuthStudioError[] {
  const key = (e: AuthStudioError): [number, number] => [e.location?.line ?? 0, e.location?.column ?? 0];
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const [la, ca] = key(a.e);
      const [lb, cb] = key(b.e);
      return la - lb || ca - cb || a.i - b.i;
    })
    .map((x) => x.e);
}
