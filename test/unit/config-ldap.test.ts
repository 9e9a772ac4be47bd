// engine/config: the `ldap:` section (Nauthilus 1.10 config/ldap.go) that nauthilus_ldap's pools come from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocument } from 'yaml';
import { parseConfigText } from '../../engine/config/load';
import { replaceSecrets } from '../../engine/studio/export-secrets';
import { linesOf as linesOfText, yml } from '../helpers/config-text';

const FILE = 'authstudio.yml';
const linesOf = (text: string) => linesOfText(text, {}, FILE);
const load = (text: string) => parseConfigText(text, FILE, { checkFiles: false, env: {} });

test('Nauthilus 1.10: ldap.config is the default pool, ldap.optional_ldap_pools the named ones, with defaults', () => {
  const c = load(yml(
    'ldap:',
    '  config:',
    '    server_uri: ldap://127.0.0.1:389/',
    '    bind_dn: cn=reader,dc=example,dc=test',
    '    bind_pw: secret',
    '    lookup_pool_size: 4',
    '    search_timeout: 5s',
    '    search_size_limit: 50',
    '    number_of_workers: 10',
    '  optional_ldap_pools:',
    '    writer:',
    '      server_uri: [ldaps://ldap1.example.test, ldap://ldap2.example.test:10389]',
    '      starttls: true',
    '      tls_skip_verify: true',
    '      lookup_pool_size: 1',
    '      include_raw_result: true',
    '  search:',
    '    - protocol: [imap]',
    '      cache_name: imap',
  ));
  const d = c.ldapPools?.__meta_default__;
  assert.deepEqual(d && { uris: d.serverUris, dn: d.bindDn, pw: d.bindPw, size: d.lookupPoolSize, search: d.searchTimeoutMs, limit: d.searchSizeLimit, modify: d.modifyTimeoutMs },
    { uris: ['ldap://127.0.0.1:389/'], dn: 'cn=reader,dc=example,dc=test', pw: 'secret', size: 4, search: 5000, limit: 50, modify: 30000 });
  const w = c.ldapPools?.writer;
  assert.deepEqual(w && { uris: w.serverUris, startTls: w.startTls, skip: w.tlsSkipVerify, dn: w.bindDn, raw: w.includeRawResult }, {
    uris: ['ldaps://ldap1.example.test', 'ldap://ldap2.example.test:10389'], startTls: true, skip: true, dn: '', raw: true,
  });
  assert.equal(d?.includeRawResult, false, 'include_raw_result is off unless set (Nauthilus 1.10)');
  assert.equal(load(yml('server: {}')).ldapPools, undefined);
});

test('ldap: wrong values are reported with their key path and position', () => {
  assert.deepEqual(linesOf(yml(
    'ldap:',
    '  config:',
    '    server_uri: http://127.0.0.1/',
    '    lookup_pool_size: 0',
    '    search_timeout: 11m',
    '    bind_pwd: x',
    '  optional_ldap_pools:',
    '    default:',
    '      server_uri: ldap://127.0.0.1/',
    '      lookup_pool_size: 1',
    '    other:',
    '      lookup_pool_size: 1',
  )), [
    `${FILE}:3:17: expected an ldap:// or ldaps:// URI such as "ldap://127.0.0.1:389/" at ldap.config.server_uri, got the string "http://127.0.0.1/"`,
    `${FILE}:4:23: expected an integer >= 1 at ldap.config.lookup_pool_size, got the number 0`,
    `${FILE}:5:21: expected a duration of at most 10m at ldap.config.search_timeout, got the string "11m"`,
    `${FILE}:6:5: unknown key "bind_pwd" at ldap.config (did you mean "bind_pw"?)`,
    `${FILE}:9:7: "default" is the name of the default pool (ldap.config) at ldap.optional_ldap_pools.default: choose another name`,
    `${FILE}:12:7: missing required key "server_uri" at ldap.optional_ldap_pools.other`,
  ]);
  assert.deepEqual(linesOf(yml('ldap:', '  optional_ldap_pools: {}')), [
    `${FILE}:2:3: missing required key "config" at ldap`,
  ]);
});

test('an exported workspace refers to the LDAP bind_pw of every pool by variable instead of writing it', () => {
  const doc = parseDocument(yml('ldap:', '  config: {server_uri: "ldap://a/", lookup_pool_size: 1, bind_pw: s3cret}',
    '  optional_ldap_pools:', '    writer: {server_uri: "ldap://a/", lookup_pool_size: 1, bind_pw: t0p}'));
  assert.deepEqual(replaceSecrets(doc), [
    { variable: 'NAUTHILUS_LDAP_CONFIG_BIND_PW', key: 'ldap.config.bind_pw' },
    { variable: 'NAUTHILUS_LDAP_OPTIONAL_LDAP_POOLS_WRITER_BIND_PW', key: 'ldap.optional_ldap_pools.writer.bind_pw' },
  ]);
  assert.doesNotMatch(doc.toString(), /s3cret|t0p/);
});
