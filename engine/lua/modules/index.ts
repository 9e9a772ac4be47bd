// The registry of Lua host modules: one file per module, listed here explicitly.
import type { LuaModule } from '../module';
import { jsonModule } from './json';
import { utilModule } from './util';
import { contextModule } from './context';
import { redisModule } from './redis';
import { prometheusModule } from './prometheus';
import { httpModule } from './http';
import { httpRequestModule } from './http-request';
import { httpResponseModule } from './http-response';
import { passwordModule } from './password';
import { dnsModule } from './dns';
import { miscModule } from './misc';
import { dbModule } from './db';
import { tcpModule } from './tcp';
import { timeModule } from './time';
import { stringsModule } from './strings';
import { base64Module } from './base64';
import { cryptoModule } from './crypto';
import { cacheModule } from './cache';
import { mailModule } from './mail';
import { templateModule } from './template';
import { yamlModule } from './yaml';
import { gllHttpModule, gllHttpClientModule, gllHttpUtilModule } from './gll-http';
import { telegramModule } from './telegram';
import { backendModule } from './backend';
import { psnetModule } from './psnet';
import { softWhitelistModule } from './soft-whitelist';
import { bruteForceModule } from './brute-force';
import { ldapModule } from './ldap';
import { opentelemetryModule } from './opentelemetry';
import { cborModule } from './cbor';
import { policyModule } from './policy';
import { i18nModule } from './i18n';

import { gllStatsModule } from './gll-stats';
import { gllRuntimeModule } from './gll-runtime';
import { gllGoosModule } from './gll-goos';
import { gllIoutilModule } from './gll-ioutil';
import { gllLogModule, gllLogLevelModule } from './gll-log';
import { gllCmdModule } from './gll-cmd';
import { gllStorageModule } from './gll-storage';
import { gllCertUtilModule } from './gll-cert-util';
import { gllXmlpathModule } from './gll-xmlpath';
import { gllHexModule } from './gll-hex';
import { gllBitModule } from './gll-bit';
import { gllShellescapeModule } from './gll-shellescape';
import { gllHumanizeModule } from './gll-humanize';
import { gllFilepathModule } from './gll-filepath';
import { gllInspectModule } from './gll-inspect';
import { gllRegexpModule } from './gll-regexp';

/** Every module `require` can load, in documentation order. */
export const MODULES: LuaModule[] = [utilModule, contextModule, jsonModule, redisModule, prometheusModule, httpModule, httpRequestModule, httpResponseModule, passwordModule, dnsModule, miscModule, dbModule, tcpModule, timeModule, stringsModule, base64Module, cryptoModule, cacheModule, mailModule, templateModule, yamlModule, backendModule, psnetModule, ldapModule, softWhitelistModule, bruteForceModule, opentelemetryModule, cborModule, policyModule, i18nModule, gllHttpModule, gllHttpClientModule, gllHttpUtilModule, telegramModule, gllHexModule, gllBitModule, gllShellescapeModule, gllHumanizeModule, gllFilepathModule, gllInspectModule, gllRegexpModule, gllStatsModule, gllRuntimeModule, gllGoosModule, gllIoutilModule, gllLogModule, gllLogLevelModule, gllCmdModule, gllStorageModule, gllCertUtilModule, gllXmlpathModule];

/**
 * Nauthilus 1.x `dynamic_loader` names. Every name is accepted (3.x treats the call as a no-op);
 * the value is the module `require` then gives, or null when AuthStudio does not provide it.
 */
export const LEGACY_LOADER_NAMES: Record<string, string | null> = {
  nauthilus_context: 'nauthilus_context',
  nauthilus_redis: 'nauthilus_redis',
  nauthilus_prometheus: 'nauthilus_prometheus',
  nauthilus_gluahttp: 'glua_http',
  nauthilus_gll_json: 'json',
  nauthilus_password: 'nauthilus_password',
  nauthilus_http_request: 'nauthilus_http_request',
  nauthilus_http_response: 'nauthilus_http_response',
  nauthilus_gll_db: 'db',
  nauthilus_gll_tcp: 'tcp',
  nauthilus_gll_time: 'time',
  nauthilus_gll_strings: 'strings',
  nauthilus_gll_base64: 'base64',
  nauthilus_gll_crypto: 'crypto',
  nauthilus_gluacrypto: 'crypto',
  nauthilus_gll_template: 'template',
  nauthilus_gll_yaml: 'yaml',
  nauthilus_gll_hex: 'hex',
  nauthilus_gll_bit: 'bit',
  nauthilus_gll_humanize: 'humanize',
  nauthilus_gll_inspect: 'inspect',
  nauthilus_gll_argparse: null,
  nauthilus_gll_cert_util: 'cert_util',
  nauthilus_gll_cmd: 'cmd',
  nauthilus_gll_filepath: 'filepath',
  nauthilus_gll_goos: 'goos',
  nauthilus_gll_http: 'http',
  nauthilus_gll_telegram: 'telegram',
  nauthilus_gll_ioutil: 'ioutil',
  nauthilus_gll_log: 'log',
  nauthilus_gll_pb: null,
  nauthilus_gll_pprof: null,
  nauthilus_gll_regexp: 'regexp',
  nauthilus_gll_runtime: 'runtime',
  nauthilus_gll_shellescape: 'shellescape',
  nauthilus_gll_stats: 'stats',
  nauthilus_gll_storage: 'storage',
  nauthilus_gll_xmlpath: 'xmlpath',
  nauthilus_gll_zabbix: null,
  nauthilus_gll_chef: null,
  nauthilus_gll_cloudwatch: null,
  nauthilus_gll_plugin: null,
  nauthilus_gll_prometheus: null,
  nauthilus_gll_tac: null,
  nauthilus_gll_aws_cloudwatch: null,
  nauthilus_gll_aws_dynamodb: null,
  nauthilus_gll_aws_s3: null,
  nauthilus_gll_aws_ses: null,
  nauthilus_gll_aws_sqs: null,
  nauthilus_dns: 'nauthilus_dns',
  nauthilus_misc: 'nauthilus_misc',
  nauthilus_cache: 'nauthilus_cache',
  nauthilus_mail: 'nauthilus_mail',
  nauthilus_ldap: 'nauthilus_ldap',
  nauthilus_psnet: 'nauthilus_psnet',
  nauthilus_soft_whitelist: 'nauthilus_soft_whitelist',
  nauthilus_neural: null,
  nauthilus_brute_force: 'nauthilus_brute_force',
  nauthilus_otel: null,
  nauthilus_util: 'nauthilus_util',
  nauthilus_backend: 'nauthilus_backend',
  nauthilus_backend_result: 'nauthilus_backend_result',
  nauthilus_builtin: 'nauthilus_builtin',
};

/**
 * Further `require` names of a module: Nauthilus 1.12 preloads gluacrypto as "glua_crypto" too (luapool/runtime.go);
 * each name loads its own copy of the module, as a Go preload does.
 */
export const REQUIRE_ALIASES: Record<string, string> = { glua_crypto: 'crypto' };

const byName = new Map<string, LuaModule>();
for (const m of MODULES) {
  if (byName.has(m.name)) throw new Error(`duplicate Lua module ${m.name}`);
  byName.set(m.name, m);
}
for (const [alias, target] of Object.entries(REQUIRE_ALIASES)) byName.set(alias, byName.get(target)!);

/** Every name `require` takes: the modules' names and their aliases. */
export function requireNames(): string[] {
  return [...byName.keys()];
}

export function moduleByName(name: string): LuaModule | undefined {
  return byName.get(name);
}

/** True when `name` is a dynamic_loader name Nauthilus 1.x or 3.x knows. */
export function resolveLegacyLoaderName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(LEGACY_LOADER_NAMES, name) || byName.has(name);
}
