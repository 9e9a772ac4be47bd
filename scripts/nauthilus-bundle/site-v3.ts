// The site configuration of a Nauthilus 3.x bundle, in the 3.x layout a Nauthilus 3 site writes (runtime, storage,
// auth): environment/ and subject/ scripts as auth.policy.attribute_sources.lua, actions as obligation targets,
// hooks under auth.controls.lua, policy/registry.lua as a registry script, share/ on the package path.
import fs from 'node:fs';
import path from 'node:path';
import { BF_LIMIT, HOOK_METHODS, type SiteOptions } from './site';

/** storage.redis.password_nonce of a 3.x site: generate_password_hash hashes nonce NUL password with it. */
export const PASSWORD_NONCE = 'fidelity-site-nonce';

/** The observed policy of a 3.x site: deny what blocklist.lua says it matched. */
export const OBSERVED_POLICY = 'deny_blocklisted';

/** Which backend a 3.x site runs: 'proxy' is backend/proxy_backend.lua with init/proxy-init.lua. */
export type Backend3 = SiteOptions['backend'] | 'proxy';

/** Write the 3.x site's authstudio.yml next to lua-plugins.d and return its path. */
export function writeSiteConfig3(o: Omit<SiteOptions, 'backend'> & { backend: Backend3; profile?: '3.0' | '3.1' }): string {
  const has = (s: string) => o.scripts.includes(s);
  const rel = (s: string) => `./lua-plugins.d/${s}`;
  const name = (s: string) => path.basename(s, '.lua');
  const under = (dir: string) => o.scripts.filter((s) => s.startsWith(`${dir}/`));
  const backend = { mysql: 'backend/backend.lua', csv: 'backend/testing_csv_backend.lua', proxy: 'backend/proxy_backend.lua' }[o.backend];
  const init = { mysql: ['init/init.lua'], csv: ['init/testing_csv_loader.lua'], proxy: ['init/proxy-init.lua'] }[o.backend].filter(has);
  const full = o.backend === 'mysql';
  const lines: string[] = [
    // AuthStudio's own key: the release the site targets (3.1 changes generate_password_hash, string sets ...)
    `nauthilus: "${o.profile ?? '3.0'}"`,
    'runtime:',
    '  servers:',
    '    http:',
    '      address: 127.0.0.1:0',
    '  timeouts:',
    '    lua_script: 20s',
    // AuthStudio's own key: Nauthilus 3 always gives scripts io (testing_csv_loader.lua reads the CSV with it)
    '  lua_allow_io: true',
    'observability:',
    '  log:',
    '    level: info',
    '    json: true',
    'storage:',
    '  redis:',
    '    primary:',
    `      address: ${o.redisAddress}`,
    `    password_nonce: ${PASSWORD_NONCE}`,
    'auth:',
    '  backends:',
    '    order: [lua]',
    '    lua:',
    '      backend:',
    '        default:',
    `          backend_script_path: ${rel(backend)}`,
    '          init_script_paths:',
    ...init.map((i) => `            - ${rel(i)}`),
    '          package_path: "./lua-plugins.d/share/?.lua;./lua-plugins.d/backend/?.lua;./lua-plugins.d/init/?.lua"',
    '          number_of_workers: 1',
  ];
  if (full) {
    lines.push(
      '  controls:',
      '    enabled: [brute_force, lua]',
      '    brute_force:',
      // Nauthilus 3.0 checks brute force only for the protocols listed here (none without the list)
      '      protocols: [imap, pop3, smtp, submission, sieve, http]',
      '      buckets:',
      `        - { name: b_1h_32, period: 1h, cidr: 32, ipv4: true, failed_requests: ${BF_LIMIT} }`,
      '    lua:',
      '      hooks:',
    );
    for (const h of under('hooks')) {
      for (const m of HOOK_METHODS[name(h)] ?? ['GET']) lines.push(`        - { http_location: ${name(h)}, http_method: ${m}, script_path: ${rel(h)} }`);
    }
    lines.push(
      '  services:',
      '    enabled: [backend_health_checks]',
      '    backend_health_checks:',
      '      targets:',
      `        - { protocol: imap, host: 127.0.0.1, port: ${o.imapPort} }`,
      '  policy:',
    );
    if (has('policy/registry.lua')) {
      // the registry declares the lua.plugin.* attributes; one observed policy reads what blocklist.lua emits, with
      // the check that produces it, as Nauthilus 3's compiler requires (observe: the standard rules still decide).
      // Once one lua.environment check is configured, Nauthilus 3 runs only the environment sources that have one
      // (policy/collection/scripts.go scriptPlan): every source gets its check, in the order written
      lines.push('    registry_scripts:', `      - ${rel('policy/registry.lua')}`);
      if (has('environment/blocklist.lua')) {
        lines.push('    mode: observe', '    checks:');
        for (const f of under('environment')) {
          lines.push(`      - { name: ${name(f)}, type: lua.environment, stage: pre_auth, config_ref: auth.policy.attribute_sources.lua.environment.${name(f)} }`);
        }
        lines.push(
          '    policies:',
          `      - { name: ${OBSERVED_POLICY}, stage: pre_auth, require_checks: [blocklist], if: { attribute: lua.plugin.blocklist.matched, is: true }, then: { decision: deny } }`,
        );
      }
    }
    lines.push('    attribute_sources:', '      lua:', '        environment:');
    for (const f of under('environment')) lines.push(`          - { name: ${name(f)}, script_path: ${rel(f)} }`);
    lines.push('        subject:');
    for (const f of under('subject')) lines.push(`          - { name: ${name(f)}, script_path: ${rel(f)} }`);
    lines.push('    obligation_targets:', '      lua:', '        actions:');
    for (const a of ['actions/bruteforce.lua', 'actions/bruteforce_header.lua'].filter(has)) {
      lines.push(`          - { type: brute_force, name: ${name(a)}, script_path: ${rel(a)} }`);
    }
    for (const a of under('actions').filter((s) => !/bruteforce/.test(s))) lines.push(`          - { type: post, name: ${name(a)}, script_path: ${rel(a)} }`);
    // subject/geoip.lua also defines nauthilus_call_action (the "info" request): a post action, as its source describes
    if (has('subject/geoip.lua')) lines.push(`          - { type: post, name: geoip, script_path: ${rel('subject/geoip.lua')} }`);
  } else {
    lines.push('  controls:', '    enabled: [lua]');
  }
  const file = path.join(path.dirname(o.bundle), `authstudio-${o.backend}.yml`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
