// engine/config: error reporting (key paths, line:column, suggestions, all errors at once), YAML errors, ${VAR} expansion.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ConfigValidationError, loadConfigFile, parseConfigText } from '../../engine/config/load';
import { FILE, errorsOf, linesOf, workspace, yml } from '../helpers/config-text';


test('an unknown key at the top level is reported with path, line and column and a suggestion', () => {
  const errs = errorsOf(yml('server:', '  address: 127.0.0.1:9080', 'brute_forse:', '  buckets: []'));
  assert.equal(errs.length, 1);
  assert.equal(errs[0].code, 'AS_ERR_CONFIG_UNKNOWN_KEY');
  assert.equal(errs[0].path, 'brute_forse');
  assert.equal(errs[0].format(), `${FILE}:3:1: unknown key "brute_forse" at the top level (did you mean "brute_force"?)`);
});

test('an unknown key inside server.redis is reported at its key', () => {
  const lines = linesOf(yml('server:', '  redis:', '    master:', '      address: 127.0.0.1:6379', '    pasword: secret'));
  assert.deepEqual(lines, [`${FILE}:5:5: unknown key "pasword" at server.redis (did you mean "password"?)`]);
  const errs = errorsOf(yml('server:', '  redis:', '    master:', '      address: 127.0.0.1:6379', '      adress: x'));
  assert.equal(errs[0].path, 'server.redis.master.adress');
  assert.equal(errs[0].format(), `${FILE}:5:7: unknown key "adress" at server.redis.master (did you mean "address"?)`);
});

test('a typo in lua.features[0] gets a suggestion and no extra "missing" error', () => {
  const errs = errorsOf(yml('lua:', '  features:', '    - name: demo', '      scirpt_path: ./demo.lua'));
  assert.equal(errs.length, 1);
  assert.equal(errs[0].path, 'lua.features[0].scirpt_path');
  assert.equal(errs[0].format(), `${FILE}:4:7: unknown key "scirpt_path" at lua.features[0] (did you mean "script_path"?)`);
});

test('an unknown key with no close known key gets no suggestion', () => {
  assert.deepEqual(linesOf(yml('lua:', '  features: []', '  completely_different: 1')), [`${FILE}:3:3: unknown key "completely_different" at lua`]);
});

test('a missing required key is reported at the map that lacks it', () => {
  const errs = errorsOf(yml('lua:', '  actions:', '    - type: post', '      script_path: a.lua'));
  assert.equal(errs[0].code, 'AS_ERR_CONFIG_MISSING');
  assert.equal(errs[0].path, 'lua.actions[0]');
  assert.equal(errs[0].format(), `${FILE}:3:7: missing required key "name" at lua.actions[0]`);
  const empty = errorsOf(yml('lua:', '  features:', '    - name: a', '      script_path:'));
  assert.equal(empty[0].format(), `${FILE}:4:7: required key "script_path" at lua.features[0] has no value`);
});

test('all problems are reported at once, in file order', () => {
  const text = yml(
    'lua:', //                                   1
    '  features:', //                            2
    '    - name: ok', //                         3
    '      script_path: a.lua', //               4
    '      extra: 1', //                         5
    '  config:', //                              6
    '    number_of_workers: 0', //               7
    'server:', //                                8
    '  max_concurrent_requests: many', //        9
    '  backends: lua', //                        10
    'cleartext_networks: [10.0.0.0/33]', //     11
  );
  const e = (() => {
    try {
      parseConfigText(text, FILE, { checkFiles: false, env: {} });
    } catch (err) {
      return err;
    }
    return undefined;
  })();
  assert.ok(e instanceof ConfigValidationError);
  assert.deepEqual(e.errors.map((x) => x.code), ['AS_ERR_CONFIG_UNKNOWN_KEY', 'AS_ERR_CONFIG_TYPE', 'AS_ERR_CONFIG_TYPE', 'AS_ERR_CONFIG_TYPE', 'AS_ERR_CONFIG_TYPE']);
  assert.deepEqual(e.message.split('\n'), [
    `${FILE}:5:7: unknown key "extra" at lua.features[0]`,
    `${FILE}:7:24: expected an integer >= 1 at lua.config.number_of_workers, got the number 0`,
    `${FILE}:9:28: expected an integer >= 1 at server.max_concurrent_requests, got the string "many"`,
    `${FILE}:10:13: expected a list at server.backends, got the string "lua"`,
    `${FILE}:11:22: expected an IP address or CIDR network at cleartext_networks[0], got the string "10.0.0.0/33": the prefix length of an IPv4 network must be 0 to 32, got "33"`,
  ]);
  assert.equal(e.code, 'AS_ERR_CONFIG_UNKNOWN_KEY');
});

test('a string where a list is expected names the expected type; empty list items are errors', () => {
  assert.deepEqual(linesOf(yml('lua:', '  features: demo')), [`${FILE}:2:13: expected a list at lua.features, got the string "demo"`]);
  assert.deepEqual(linesOf(yml('lua:', '  features:', '    -', '    - 3')), [
    `${FILE}:3:6: expected a map at lua.features[0], got no value`,
    `${FILE}:4:7: expected a map at lua.features[1], got the number 3`,
  ]);
  // aliases are followed
  const cfg = parseConfigText(yml('lua:', '  optional_lua_backends:', '    b1: &w {number_of_workers: 3}', '    b2: *w'), FILE, { checkFiles: false });
  assert.deepEqual(cfg.lua.optionalBackends, { b1: { numberOfWorkers: 3 }, b2: { numberOfWorkers: 3 } });
});

test('YAML syntax errors are AS_ERR_CONFIG_YAML with line:column', () => {
  const errs = errorsOf(yml('lua:', '  features:', '    - name: a', '   bad: [1, 2'));
  assert.ok(errs.length >= 1);
  assert.ok(errs.every((x) => x.code === 'AS_ERR_CONFIG_YAML'));
  assert.equal(errs[0].location?.file, FILE);
  assert.ok((errs[0].location?.line ?? 0) >= 4, errs[0].format());
  const dup = errorsOf(yml('server:', '  address: 1.2.3.4:1', '  address: 1.2.3.4:2'));
  assert.deepEqual(dup.map((x) => x.format()), [`${FILE}:3:3: duplicate key: map keys must be unique`]);
});

test('the top level must be a map; an empty file gives the defaults', () => {
  assert.deepEqual(linesOf('- a\n- b\n'), [`${FILE}:1:1: expected a map at the top level, got a list`]);
  const cfg = parseConfigText('', FILE, { checkFiles: false });
  assert.equal(cfg.server.port, 9080);
  assert.deepEqual(cfg.lua.features, []);
  assert.equal(cfg.cleartextNetworks, undefined, 'no cleartext_networks key: the TLS check is off');
  assert.deepEqual(cfg.raw, {});
});

test('${VAR} expands in any string scalar; $${ is a literal ${; raw holds the expanded values', () => {
  const text = yml(
    'server:',
    '  address: ${HOST}:${PORT}',
    '  password_nonce: "n-${NONCE}-$${LITERAL}"',
    '  redis:',
    '    master:',
    '      address: ${REDIS_ADDR}',
    '    password: ${REDIS_PW}',
    '    database_number: ${DB}',
    'lua:',
    '  config:',
    '    number_of_workers: ${WORKERS}',
  );
  const env = { HOST: '0.0.0.0', PORT: '8080', NONCE: 'xyz', REDIS_ADDR: 'redis.local:6380', REDIS_PW: 's3cr$t', DB: '3', WORKERS: '4' };
  const cfg = parseConfigText(text, FILE, { env, checkFiles: false });
  assert.equal(cfg.server.host, '0.0.0.0');
  assert.equal(cfg.server.port, 8080);
  assert.equal(cfg.server.passwordNonce, 'n-xyz-${LITERAL}');
  assert.deepEqual(cfg.server.redis.addresses, ['redis.local:6380']);
  assert.equal(cfg.server.redis.password, 's3cr$t');
  assert.equal(cfg.server.redis.database, 3);
  assert.equal(cfg.lua.config.numberOfWorkers, 4);
  const raw = cfg.raw as { server: { address: string; password_nonce: string } };
  assert.equal(raw.server.address, '0.0.0.0:8080');
  assert.equal(raw.server.password_nonce, 'n-xyz-${LITERAL}');
});

test('an unset ${VAR} is AS_ERR_CONFIG_ENV at the reference, without follow-up errors', () => {
  const errs = errorsOf(yml('server:', '  redis:', '    master:', '      address: ${REDIS_ADDR}', '    password: "pre-${REDIS_PW}"'), { env: { REDIS_ADDR: 'localhost:6379' } });
  assert.equal(errs.length, 1);
  assert.equal(errs[0].code, 'AS_ERR_CONFIG_ENV');
  assert.equal(errs[0].path, 'server.redis.password');
  assert.equal(errs[0].format(), `${FILE}:5:20: environment variable REDIS_PW is not set (referenced as \${REDIS_PW})`);
  // an unset variable in a number field: only the ENV error, not also "expected an integer"
  const num = errorsOf(yml('server:', '  max_concurrent_requests: ${MAX}'));
  assert.deepEqual(num.map((x) => x.format()), [`${FILE}:2:28: environment variable MAX is not set (referenced as \${MAX})`]);
  const bad = errorsOf(yml('server:', '  password_nonce: a${not-a-name}'));
  assert.equal(bad[0].code, 'AS_ERR_CONFIG_ENV');
  assert.equal(bad[0].location?.column, 20);
});

test('env defaults to process.env', () => {
  process.env.AUTHSTUDIO_TEST_NONCE = 'from-process-env';
  try {
    const cfg = parseConfigText(yml('server:', '  password_nonce: ${AUTHSTUDIO_TEST_NONCE}'), FILE, { checkFiles: false });
    assert.equal(cfg.server.passwordNonce, 'from-process-env');
  } finally {
    delete process.env.AUTHSTUDIO_TEST_NONCE;
  }
});

test('loadConfigFile on a missing file is AS_ERR_CONFIG_FILE', () => {
  const file = path.join(workspace(), 'nope.yml');
  assert.throws(() => loadConfigFile(file), (e: unknown) => e instanceof ConfigValidationError && e.code === 'AS_ERR_CONFIG_FILE' && e.message === `${file}: config file does not exist`);
});

test('ConfigValidationError serialises every error', () => {
  try {
    parseConfigText(yml('bogus: 1', 'lua: {x: 1}'), FILE, { checkFiles: false });
    assert.fail('should not load');
  } catch (e) {
    assert.ok(e instanceof ConfigValidationError);
    const json = e.toJSON() as { code: string; errors: { code: string; path: string; location: unknown }[] };
    assert.equal(json.code, 'AS_ERR_CONFIG_UNKNOWN_KEY');
    assert.deepEqual(json.errors.map((x) => [x.path, x.location]), [
      ['bogus', { file: FILE, line: 1, column: 1 }],
      ['lua.x', { file: FILE, line: 2, column: 7 }],
    ]);
  }
});
