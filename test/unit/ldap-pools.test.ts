// engine/ldap: the LDAP pools of an engine across a config reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LdapPools } from '../../engine/ldap/pools';
import type { LdapPoolConfig } from '../../engine/config/types';

const conf = (name: string, uri: string): LdapPoolConfig => ({
  name, serverUris: [uri], bindDn: '', bindPw: '', startTls: false, tlsSkipVerify: false, lookupPoolSize: 1,
  connectTimeoutMs: 1000, bindTimeoutMs: 1000, searchTimeoutMs: 1000, modifyTimeoutMs: 1000, searchSizeLimit: 0, searchTimeLimitSec: 0,
});

test('a reload keeps an unchanged LDAP pool (and its connections), replaces a changed one and closes a removed one', async () => {
  const pools = new LdapPools({ a: conf('a', 'ldap://127.0.0.1:1/'), b: conf('b', 'ldap://127.0.0.1:2/') });
  const a = pools.get('a');
  const b = pools.get('b');
  pools.configure({ a: conf('a', 'ldap://127.0.0.1:1/'), b: conf('b', 'ldap://127.0.0.1:3/'), c: conf('c', 'ldap://127.0.0.1:4/') });
  assert.equal(pools.get('a'), a);
  assert.notEqual(pools.get('b'), b);
  assert.deepEqual(pools.get('b')?.config.serverUris, ['ldap://127.0.0.1:3/']);
  await assert.rejects(b!.search('dc=x', 'sub', '(uid=a)', []), /pool b is closed/);
  pools.configure(undefined);
  assert.equal(pools.get('a'), undefined);
  await assert.rejects(a!.search('dc=x', 'sub', '(uid=a)', []), /pool a is closed/);
});
