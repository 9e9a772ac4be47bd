// engine/config: server (address, backends, redis forms and --redis/--listen overrides, auth, limits), durations, sizes, policies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText, parseDuration, parseSize, type LoadOptions } from '../../engine/config/load';
import type { AuthStudioConfig } from '../../engine/config/types';
import { AuthStudioError } from '../../engine/errors/registry';

const FILE = 'authstudio.yml';
import { linesOf as linesOfText, yml } from '../helpers/config-text';

function load(text: string, opts: LoadOptions = {}): AuthStudioConfig {
  return parseConfigText(text, FILE, { checkFiles: false, env: {}, ...opts });
}

const linesOf = (text: string, opts: LoadOptions = {}) => linesOfText(text, opts, FILE);

test('server defaults', () => {
  const s = load('lua: {}\n').server;
  assert.deepEqual(s, {
    host: '127.0.0.1',
    port: 9080,
    backends: ['lua'],
    redis: { mode: 'mock', addresses: [], prefix: '', positiveCacheTtlSec: 3600, negativeCacheTtlSec: 3600 },
    luaScriptTimeoutMs: 10_000,
    maxConcurrentRequests: 1000,
    luaMemoryLimitBytes: 32 * 1024 * 1024,
    maxBodyBytes: 64 * 1024,
    luaAllowIo: false,
    authWaitSec: 0,
    passwordNonce: 'authstudio-default-password-nonce',
    trustedProxies: ['127.0.0.1', '::1'],
    logLevel: 'info',
    logFormat: 'json',
  });
  // an empty server: section gives the same
  assert.deepEqual(load('server:\n').server, s);
});

test('server.address: host:port, [v6]:port, and the --listen override', () => {
  assert.deepEqual(((c) => [c.host, c.port])(load('server: {address: "[::1]:9443"}\n').server), ['::1', 9443]);
  assert.deepEqual(((c) => [c.host, c.port])(load('server: {address: "0.0.0.0:80"}\n', { listenOverride: '127.0.0.1:0' }).server), ['127.0.0.1', 0]);
  assert.deepEqual(linesOf('server: {address: "localhost"}\n'), [`${FILE}:1:19: expected "host:port" at server.address, got the string "localhost": a port is missing: write "host:port"`]);
  assert.deepEqual(linesOf('server: {address: "::1:80"}\n'), // a valid IPv6 address without a port
    [`${FILE}:1:19: expected "host:port" at server.address, got the string "::1:80": a port is missing: write an IPv6 address in brackets with a port, such as "[::1:80]:9080"`]);
  assert.deepEqual(linesOf('', { listenOverride: 'nohost' }), ['--listen "nohost" is not HOST:PORT: a port is missing: write "host:port"']);
});

test('server.backends: plain names and Nauthilus {backend: x} items; duplicates and unknown kinds are errors', () => {
  assert.deepEqual(load('server: {backends: [cache, lua]}\n').server.backends, ['cache', 'lua']);
  assert.deepEqual(load(yml('server:', '  backends:', '    - backend: cache', '    - backend: lua')).server.backends, ['cache', 'lua']);
  assert.deepEqual(linesOf(yml('server:', '  backends:', '    - lua', '    - backend: lua', '    - backend: ldapp', '    - {backnd: cache}')), [
    `${FILE}:4:7: duplicate backend "lua" at server.backends[1] (first at server.backends[0], line 3)`,
    `${FILE}:5:16: expected one of "cache", "lua" at server.backends[2].backend, got the string "ldapp"`,
    `${FILE}:6:8: unknown key "backnd" at server.backends[3] (did you mean "backend"?)`,
  ]);
});

test('server.redis: "mock", a redis:// URL, and rediss://', () => {
  assert.equal(load('server: {redis: mock}\n').server.redis.mode, 'mock');
  assert.deepEqual(load('server: {redis: "redis://app:p%40ss@10.0.0.5:6380/2"}\n').server.redis, {
    mode: 'standalone',
    addresses: ['10.0.0.5:6380'],
    username: 'app',
    password: 'p@ss',
    database: 2,
    prefix: '',
    positiveCacheTtlSec: 3600,
    negativeCacheTtlSec: 3600,
  });
  const tls = load('server: {redis: "rediss://:pw@[::1]"}\n').server.redis;
  assert.deepEqual([tls.mode, tls.addresses, tls.username, tls.password, tls.tls], ['standalone', ['[::1]:6379'], undefined, 'pw', true]);
  assert.deepEqual(linesOf('server: {redis: "memcached://x"}\n'), [
    `${FILE}:1:17: expected "mock", a redis:// URL or a map at server.redis, got the string "memcached://x": expected "mock" or a URL such as "redis://127.0.0.1:6379/0"`,
  ]);
});

test('server.redis: the Nauthilus structure (master, sentinels, cluster), prefix and TTLs', () => {
  const standalone = load(
    yml('server:', '  redis:', '    master:', '      address: 127.0.0.1:6379', '    password: pw', '    database_number: 1', '    prefix: "as_"', '    positive_cache_ttl: 1h', '    negative_cache_ttl: 90s', '    pool_size: 10', '    idle_pool_size: 2', '    command_timeout: 2s'),
  ).server.redis;
  assert.deepEqual(standalone, {
    mode: 'standalone',
    addresses: ['127.0.0.1:6379'],
    password: 'pw',
    database: 1,
    prefix: 'as_',
    positiveCacheTtlSec: 3600,
    negativeCacheTtlSec: 90,
    commandTimeoutMs: 2000,
  });
  const sentinel = load(yml('server:', '  redis:', '    sentinels:', '      master: mymaster', '      addresses: ["10.0.0.1:26379", "10.0.0.2"]', '      password: spw', '    username: u')).server.redis;
  assert.deepEqual(sentinel, {
    mode: 'sentinel',
    addresses: ['10.0.0.1:26379', '10.0.0.2:6379'],
    sentinelMaster: 'mymaster',
    sentinelPassword: 'spw',
    username: 'u',
    prefix: '',
    positiveCacheTtlSec: 3600,
    negativeCacheTtlSec: 3600,
  });
  const cluster = load(yml('server:', '  redis:', '    cluster:', '      addresses: [a:7000, b:7001]')).server.redis;
  assert.deepEqual([cluster.mode, cluster.addresses], ['cluster', ['a:7000', 'b:7001']]);
  const mock = load(yml('server:', '  redis:', '    mock: true', '    prefix: p_')).server.redis;
  assert.deepEqual([mock.mode, mock.prefix], ['mock', 'p_']);
  assert.deepEqual(linesOf(yml('server:', '  redis:', '    master: {address: "h:1"}', '    cluster:', '      addresses: [a:1]')), [
    `${FILE}:4:5: server.redis names both "master" and "cluster": choose one Redis setup`,
  ]);
  assert.deepEqual(linesOf(yml('server:', '  redis:', '    sentinels: {addresses: []}')), [
    `${FILE}:3:16: missing required key "master" at server.redis.sentinels`,
    `${FILE}:3:28: expected a list of at least 1 item(s) at server.redis.sentinels.addresses, got a list`,
  ]);
});

test('--redis overrides mode, addresses and credentials but keeps prefix and TTLs', () => {
  const text = yml('server:', '  redis:', '    master: {address: "10.0.0.1:6379"}', '    password: filepw', '    database_number: 4', '    prefix: nt_', '    negative_cache_ttl: 10m');
  const toMock = load(text, { redisOverride: 'mock' }).server.redis;
  assert.deepEqual(toMock, { mode: 'mock', addresses: [], prefix: 'nt_', positiveCacheTtlSec: 3600, negativeCacheTtlSec: 600 });
  const toUrl = load('server: {redis: mock}\n', { redisOverride: 'redis://localhost:6390/5' }).server.redis;
  assert.deepEqual([toUrl.mode, toUrl.addresses, toUrl.database, toUrl.password], ['standalone', ['localhost:6390'], 5, undefined]);
  assert.deepEqual(linesOf('', { redisOverride: 'redis://h:1/x' }), ['--redis "redis://h:1/x": the database in a Redis URL must be a number, got "x"']);
});

test('durations: Go syntax, bare numbers as seconds, conversions to ms and seconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('2h45m30.5s'), 9_930_500);
  assert.equal(parseDuration('-1m'), -60_000);
  assert.equal(parseDuration('1500us'), 1.5);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration(45), 45_000);
  assert.equal(parseDuration('45'), 45_000);
  for (const bad of ['', '10x', 'h', '1h 30m', '1d', 'ms', '1.2.3s']) {
    assert.throws(() => parseDuration(bad, 'server.auth_wait'), (e: unknown) => e instanceof AuthStudioError && e.code === 'AS_ERR_CONFIG_TYPE' && e.path === 'server.auth_wait', bad);
  }
  const s = load(yml('server:', '  lua_script_timeout: 1.5s', '  auth_wait: 2500ms', '  jwt_auth: {token_expiry: 30m}')).server;
  assert.equal(s.luaScriptTimeoutMs, 1500);
  assert.equal(s.authWaitSec, 3); // rounded up to whole seconds
  assert.equal(s.jwtAuth?.tokenExpirySec, 1800);
  assert.equal(load('server: {lua_script_timeout: 3}\n').server.luaScriptTimeoutMs, 3000);
  assert.deepEqual(linesOf(yml('server:', '  lua_script_timeout: 10 seconds', '  auth_wait: -1s')), [
    `${FILE}:2:23: expected a duration like "30s", "10m" or "1h30m" at server.lua_script_timeout, got the string "10 seconds"`,
    `${FILE}:3:14: expected a non-negative duration at server.auth_wait, got the string "-1s"`,
  ]);
});

test('sizes: IEC and SI units, bare bytes', () => {
  assert.equal(parseSize('32MiB'), 33_554_432);
  assert.equal(parseSize('512KiB'), 524_288);
  assert.equal(parseSize('1GB'), 1_000_000_000);
  assert.equal(parseSize('1.5kib'), 1536);
  assert.equal(parseSize('64k'), 65_536);
  assert.equal(parseSize(4096), 4096);
  assert.equal(parseSize('100'), 100);
  assert.throws(() => parseSize('12XB'), AuthStudioError);
  const s = load(yml('server:', '  lua_memory_limit: 16MiB', '  max_body_size: 1048576')).server;
  assert.deepEqual([s.luaMemoryLimitBytes, s.maxBodyBytes], [16 * 1024 * 1024, 1_048_576]);
  assert.deepEqual(linesOf('server: {max_body_size: 0}\n'), [`${FILE}:1:25: expected a size like "32MiB", "512KiB", "1GB" or a number of bytes of at least 1 byte(s) at server.max_body_size, got the number 0`]);
});

test('auth, logging, dns and the other server keys', () => {
  const s = load(
    yml(
      'server:',
      '  basic_auth: {enabled: true, username: admin, password: pw}',
      '  jwt_auth:',
      '    enabled: true',
      '    secret_key: "0123456789abcdef0123456789abcdef"',
      '    refresh_token: true',
      '    users:',
      '      - {username: ops, password: 12345678, roles: [admin]}',
      '  lua_allow_io: true',
      '  password_nonce: n0nce',
      '  dns: {resolver: 9.9.9.9, timeout: 3s}',
      '  log: {level: DEBUG, json: false}',
    ),
  ).server;
  assert.deepEqual(s.basicAuth, { enabled: true, username: 'admin', password: 'pw' });
  assert.deepEqual(s.jwtAuth, { enabled: true, secretKey: '0123456789abcdef0123456789abcdef', tokenExpirySec: 3600, refreshToken: true, users: [{ username: 'ops', password: '12345678', roles: ['admin'] }] });
  assert.deepEqual([s.luaAllowIo, s.passwordNonce, s.dnsResolver, s.dnsTimeoutMs, s.logLevel, s.logFormat], [true, 'n0nce', '9.9.9.9:53', 3000, 'debug', 'default']);
  // (the secret_key length is checked only once the rest of jwt_auth is valid: see the next assertion)
  assert.deepEqual(linesOf(yml('server:', '  basic_auth: {enabled: true, username: admin}', '  jwt_auth:', '    enabled: true', '    secret_key: short', '    users: [{username: u, password: short}]', '  log: {level: verbose}')), [
    `${FILE}:2:15: server.basic_auth is enabled but "password" is missing or empty`,
    `${FILE}:6:37: expected a string of at least 8 characters at server.jwt_auth.users[0].password, got 5 characters`,
    `${FILE}:7:16: expected one of "debug", "info", "warn", "error" at server.log.level, got the string "verbose"`,
  ]);
  // the secret_key check runs once the users are valid
  assert.deepEqual(linesOf(yml('server:', '  jwt_auth:', '    enabled: true', '    secret_key: short')), [`${FILE}:4:17: expected a secret_key of at least 32 characters at server.jwt_auth.secret_key, got 5`]);
});

test('brute_force buckets', () => {
  const bf = load(
    yml('brute_force:', '  ip_whitelist: [127.0.0.1, "10.0.0.0/8", "::1/128"]', '  buckets:', '    - {name: b1, period: 10m, cidr: 24, ipv4: true, failed_requests: 10, filter_by_protocol: [imap]}', '    - {name: b2, period: 1h, cidr: 64, ipv6: true, failed_requests: 20}'),
  ).bruteForce;
  assert.deepEqual(bf, {
    ipWhitelist: ['127.0.0.1', '10.0.0.0/8', '::1/128'],
    buckets: [
      { name: 'b1', periodSec: 600, cidr: 24, ipv4: true, ipv6: false, failedRequests: 10, filterByProtocol: ['imap'] },
      { name: 'b2', periodSec: 3600, cidr: 64, ipv4: false, ipv6: true, failedRequests: 20, filterByProtocol: [] },
    ],
  });
  assert.deepEqual(
    linesOf(
      yml(
        'brute_force:',
        '  ip_whitelist: [300.1.1.1]',
        '  buckets:',
        '    - {name: a, period: 10m, cidr: 40, ipv4: true, failed_requests: 10}',
        '    - {name: b, period: 10m, cidr: 24, failed_requests: 10}',
        '    - {name: a, period: 10m, cidr: 24, ipv4: true, failed_requests: 0}',
        '    - {name: c, cidr: 129, ipv6: true, failed_requests: 1}',
      ),
    ),
    [
      `${FILE}:2:18: expected an IP address or CIDR network at brute_force.ip_whitelist[0], got the string "300.1.1.1": "300.1.1.1" is not an IP address`,
      `${FILE}:4:36: expected an integer from 0 to 32 for an IPv4-only bucket at brute_force.buckets[0].cidr, got the number 40`,
      `${FILE}:5:7: bucket "b" at brute_force.buckets[1] applies to no address family: set "ipv4: true" and/or "ipv6: true"`,
      `${FILE}:6:69: expected an integer >= 1 at brute_force.buckets[2].failed_requests, got the number 0`,
      `${FILE}:7:7: missing required key "period" at brute_force.buckets[3]`,
      `${FILE}:7:23: expected an integer from 0 to 128 at brute_force.buckets[3].cidr, got the number 129`,
    ],
  );
});

test('Nauthilus 1.10 brute_force tolerations: tolerate_percent, tolerate_ttl, adaptive_toleration, custom_tolerations', () => {
  const bucket = '    - {name: b1, period: 10m, cidr: 24, ipv4: true, failed_requests: 10}';
  const bf = load(yml(
    'brute_force:', '  buckets:', bucket, '  tolerate_percent: 20', '  tolerate_ttl: 30m', '  adaptive_toleration: true', '  max_tolerate_percent: 60',
    '  custom_tolerations:', '    - {ip_address: 192.0.2.0/24, tolerate_percent: 50, tolerate_ttl: 1h}',
    '    - {ip_address: "2001:db8::1", tolerate_percent: 5, tolerate_ttl: 10m, adaptive_toleration: true, scale_factor: 0.5}',
  )).bruteForce;
  assert.deepEqual(bf?.tolerations, {
    percent: 20, ttlNs: 1800e9, adaptive: true, minPercent: 10, maxPercent: 60, scaleFactor: 1,
    custom: [
      { ipAddress: '192.0.2.0/24', toleratePercent: 50, tolerateTtlNs: 3600e9, adaptive: false, minPercent: 0, maxPercent: 0, scaleFactor: 0 },
      { ipAddress: '2001:db8::1', toleratePercent: 5, tolerateTtlNs: 600e9, adaptive: true, minPercent: 0, maxPercent: 0, scaleFactor: 0.5 },
    ],
  });
  // without tolerate_ttl and custom tolerations there is nothing to apply
  assert.equal(load(yml('brute_force:', '  buckets:', bucket, '  tolerate_percent: 20')).bruteForce?.tolerations, undefined);
  assert.deepEqual(
    linesOf(yml('brute_force:', '  buckets:', bucket, '  tolerate_percent: 101', '  scale_factor: 20', '  custom_tolerations:', '    - {ip_address: nowhere, tolerate_percent: 5}')).length,
    4,
  );
});

test('realtime_blackhole_lists, relay_domains and cleartext_networks', () => {
  const cfg = load(
    yml(
      'realtime_blackhole_lists:',
      '  threshold: 5',
      '  lists:',
      '    - {name: spamhaus, rbl: ZEN.spamhaus.org., ipv4: true, ipv6: true, weight: 10, allow_failure: true}',
      '    - {name: dnswl, rbl: list.dnswl.org, ipv4: true, return_code: 127.0.10.0, weight: -10}',
      '  ip_whitelist: ["192.168.0.0/16"]',
      'relay_domains:',
      '  static: [Example.COM, example.org]',
      'cleartext_networks: [127.0.0.0/8, "::1"]',
    ),
  );
  assert.deepEqual(cfg.rbl, {
    threshold: 5,
    ipWhitelist: ['192.168.0.0/16'],
    lists: [
      { name: 'spamhaus', rbl: 'zen.spamhaus.org', ipv4: true, ipv6: true, returnCode: '127.0.0.2', returnCodes: ['127.0.0.2'], weight: 10, allowFailure: true },
      { name: 'dnswl', rbl: 'list.dnswl.org', ipv4: true, ipv6: false, returnCode: '127.0.10.0', returnCodes: ['127.0.10.0'], weight: -10, allowFailure: false },
    ],
  });
  assert.deepEqual(cfg.relayDomains, { staticDomains: ['example.com', 'example.org'] });
  assert.deepEqual(cfg.cleartextNetworks, ['127.0.0.0/8', '::1']);
  assert.equal(load('lua: {}\n').rbl, undefined);
  assert.equal(load('realtime_blackhole_lists: {}\n').rbl?.threshold, 10);
  assert.deepEqual(linesOf(yml('realtime_blackhole_lists:', '  lists:', '    - {name: x, rbl: "bad zone", ipv4: true, return_code: nope}', 'relay_domains:', '  dynamic: []', 'cleartext_networks: "10.0.0.0/8"')), [
    `${FILE}:3:22: expected a domain name at realtime_blackhole_lists.lists[0].rbl, got the string "bad zone"`,
    `${FILE}:3:59: expected an IPv4 address such as "127.0.0.2" at realtime_blackhole_lists.lists[0].return_code, got the string "nope"`,
    `${FILE}:5:3: unknown key "dynamic" at relay_domains`,
    `${FILE}:6:21: expected a list at cleartext_networks, got the string "10.0.0.0/8"`,
  ]);
});
