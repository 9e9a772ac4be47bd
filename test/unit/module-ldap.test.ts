// nauthilus_ldap (Nauthilus 1.10 backend/ldap.go) against a real slapd started on a free loopback port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { runLua, testServices } from '../helpers/lua-harness';
import { ADMIN_DN, ADMIN_PW, READER_DN, READER_PW, SUFFIX, slapdMissing, startSlapd, type Slapd } from '../helpers/slapd';
import { LdapPools } from '../../engine/ldap/pools';
import type { LdapPoolConfig } from '../../engine/config/types';
import type { EngineServices } from '../../engine/lua/services';

const USERS = [
  `dn: uid=alice,ou=people,${SUFFIX}`, 'objectClass: inetOrgPerson', 'uid: alice', 'cn: Alice Liddell', 'sn: Liddell',
  'mail: alice@example.test', 'userPassword: alice-pw', '',
  `dn: uid=bob,ou=people,${SUFFIX}`, 'objectClass: inetOrgPerson', 'uid: bob', 'cn: Bob Builder', 'sn: Builder',
  'mail: bob@example.test', 'mail: b.builder@example.test', '',
  `dn: uid=carol,ou=people,${SUFFIX}`, 'objectClass: inetOrgPerson', 'uid: carol', 'cn: Carol', 'sn: Carol', '',
].join('\n');

function pool(name: string, uri: string, bindDn: string, bindPw: string): LdapPoolConfig {
  return {
    name, serverUris: [uri], bindDn, bindPw, startTls: false, tlsSkipVerify: false, lookupPoolSize: 2,
    connectTimeoutMs: 5000, bindTimeoutMs: 5000, searchTimeoutMs: 5000, modifyTimeoutMs: 5000, searchSizeLimit: 0, searchTimeLimitSec: 0,
    includeRawResult: true,
  };
}

const skip = slapdMissing();

describe('nauthilus_ldap against slapd', { skip }, () => {
  let slapd: Slapd;
  let services: EngineServices;

  before(async () => {
    slapd = await startSlapd(USERS);
    services = testServices();
    services.ldap = new LdapPools({
      __meta_default__: pool('__meta_default__', slapd.uri, READER_DN, READER_PW),
      writer: pool('writer', slapd.uri, ADMIN_DN, ADMIN_PW),
      badpw: pool('badpw', slapd.uri, READER_DN, 'wrong'),
      noraw: { ...pool('noraw', slapd.uri, READER_DN, READER_PW), includeRawResult: false },
    });
  });
  after(async () => {
    services?.ldap?.close();
    await slapd?.stop();
  });

  const lua = (body: string) => runLua(`local ldap = require("nauthilus_ldap")\n${body}`, { services });

  test('Nauthilus 1.10: ldap_search returns each requested attribute with its values and "dn" with the entry DNs', async () => {
    const [mail, dn, cn, err] = await lua(`
      local r, err = ldap.ldap_search({ pool_name = "default", session = "s1", basedn = "ou=people,${SUFFIX}",
        filter = "(|(uid=alice)(uid=bob))", scope = "sub", attributes = { "mail", "uid" } })
      table.sort(r.mail); table.sort(r.dn)
      return table.concat(r.mail, ","), table.concat(r.dn, ";"), tostring(r.cn), err`);
    assert.equal(mail, 'alice@example.test,b.builder@example.test,bob@example.test');
    assert.equal(dn, `uid=alice,ou=people,${SUFFIX};uid=bob,ou=people,${SUFFIX}`);
    assert.equal(cn, 'nil', 'attributes not asked for are not returned');
    assert.equal(err, null);
  });

  test('Nauthilus 1.10: ldap_search leaves out attributes the entry lacks; no match is an empty table, not an error', async () => {
    const [hasMail, uid, n, err] = await lua(`
      local r = ldap.ldap_search({ pool_name = "default", session = "s", basedn = "${SUFFIX}",
        filter = "(uid=carol)", scope = "sub", attributes = { "mail", "uid" } })
      local none, err = ldap.ldap_search({ pool_name = "default", session = "s", basedn = "${SUFFIX}",
        filter = "(uid=nobody)", scope = "sub", attributes = { "mail" } })
      return r.mail ~= nil, r.uid[1], next(none) == nil and 0 or 1, err`);
    assert.deepEqual([hasMail, uid, n, err], [false, "carol", 0, null]);
  });

  test('Nauthilus 1.10: ldap_search with raw_result = true (pool with include_raw_result) returns the entries with dn and all returned attributes', async () => {
    const [dn, mails, sn] = await lua(`
      local r = ldap.ldap_search({ pool_name = "default", session = "s", basedn = "${SUFFIX}",
        filter = "(uid=bob)", scope = "sub", attributes = { "mail", "sn" }, raw_result = true })
      return r[1].dn, #r[1].attributes.mail, r[1].attributes.sn[1]`);
    assert.deepEqual([dn, mails, sn], [`uid=bob,ou=people,${SUFFIX}`, 2, 'Builder']);
  });

  test('Nauthilus 1.10: raw_result = true on a pool without include_raw_result returns the attribute mapping', async () => {
    const [first, mail] = await lua(`
      local r = ldap.ldap_search({ pool_name = "noraw", session = "s", basedn = "${SUFFIX}",
        filter = "(uid=alice)", scope = "sub", attributes = { "mail" }, raw_result = true })
      return tostring(r[1]), r.mail[1]`);
    assert.deepEqual([first, mail], ['nil', 'alice@example.test']);
  });

  test('Nauthilus 1.10: ldap_search scopes base, one and sub ("" is sub); another scope raises "LDAP scope not detected"', async () => {
    const [base, one, sub, empty] = await lua(`
      local function count(scope, basedn)
        local r = ldap.ldap_search({ pool_name = "default", session = "s", basedn = basedn,
          filter = "(objectClass=*)", scope = scope, attributes = { "objectClass" } })
        return r.dn and #r.dn or 0
      end
      return count("base", "${SUFFIX}"), count("one", "${SUFFIX}"), count("sub", "ou=people,${SUFFIX}"), count("", "ou=people,${SUFFIX}")`);
    assert.deepEqual([base, one, sub, empty], [1, 2, 4, 4]);
    await assert.rejects(lua(`return ldap.ldap_search({ pool_name = "default", session = "s", basedn = "${SUFFIX}",
      filter = "(uid=a)", scope = "subtree", attributes = {} })`), /LDAP scope not detected: subtree/);
  });

  test('Nauthilus 1.10: ldap_search raises "<field> should be a string|table" for a missing or mistyped field', async () => {
    await assert.rejects(lua(`return ldap.ldap_search({ pool_name = "default", session = "s", filter = "(uid=a)", scope = "sub", attributes = {} })`),
      (e: { message: string; location?: { file?: string; line?: number } }) => e.message === 'basedn should be a string' && e.location?.file === 'test.lua' && e.location.line === 2);
    await assert.rejects(lua(`return ldap.ldap_search({ session = "s", basedn = "x", filter = "(uid=a)", scope = "sub", attributes = {} })`),
      /pool_name should be a string/);
    await assert.rejects(lua(`return ldap.ldap_search({ pool_name = "default", session = "s", basedn = "x", filter = "(uid=a)", scope = "sub", attributes = "mail" })`),
      /attributes should be a table/);
    await assert.rejects(lua(`return ldap.ldap_search({ pool_name = "default", session = "s", basedn = "x", filter = "(uid=a)", scope = "sub", attributes = {}, raw_result = 1 })`),
      /raw_result should be a boolean/);
  });

  test('Nauthilus 1.10: ldap_search returns nil and go-ldap\'s inner error for a bad filter, an empty table for a missing base, the whole "LDAP Result Code" text for bad bind credentials', async () => {
    const [r1, filterErr, r2, baseErr, r3, bindErr] = await lua(`
      local function s(pool, basedn, filter)
        return ldap.ldap_search({ pool_name = pool, session = "s", basedn = basedn, filter = filter, scope = "sub", attributes = { "uid" } })
      end
      local r1, e1 = s("default", "${SUFFIX}", "uid=alice")
      local r2, e2 = s("default", "ou=nowhere,${SUFFIX}", "(uid=alice)")
      local r3, e3 = s("badpw", "${SUFFIX}", "(uid=alice)")
      return r1, e1, r2, e2, r3, e3`);
    assert.equal(r1, null);
    assert.equal(filterErr, `ldap: filter does not start with an '('`);
    assert.deepEqual(r2, {}, 'ldappool treats "No Such Object" as a negative result');
    assert.equal(baseErr, null);
    assert.equal(r3, null);
    assert.match(String(bindErr), /^LDAP Result Code 49 "Invalid Credentials": /);
  });

  test('Nauthilus 1.10: ldap_search filters with &, !, presence, substrings and escapes', async () => {
    const [uids] = await lua(`
      local r = ldap.ldap_search({ pool_name = "default", session = "s", basedn = "${SUFFIX}",
        filter = "(&(objectClass=inetOrgPerson)(!(uid=carol))(mail=*@example.test)(sn=Lid*l))", scope = "sub", attributes = { "uid" } })
      return table.concat(r.uid, ",")`);
    assert.equal(uids, 'alice');
    const [n] = await lua(`
      local r = ldap.ldap_search({ pool_name = "default", session = "s", basedn = "${SUFFIX}",
        filter = "(cn=Alice\\\\20Liddell)", scope = "sub", attributes = { "uid" } })
      return r.uid and #r.uid or 0`);
    assert.equal(n, 1);
  });

  test('Nauthilus 1.10: ldap_modify replace, add and delete return "OK" and a search sees the change', async () => {
    const [ok1, ok2, mail, ok3, after] = await lua(`
      local dn = "uid=carol,ou=people,${SUFFIX}"
      local function m(op, attrs) return ldap.ldap_modify({ pool_name = "writer", session = "s", operation = op, dn = dn, attributes = attrs }) end
      local function get() return ldap.ldap_search({ pool_name = "default", session = "s", basedn = dn, filter = "(objectClass=*)", scope = "base", attributes = { "mail", "description" } }) end
      local ok1 = m("add", { mail = "carol@example.test" })
      local ok2 = m("replace", { description = 42 })
      local r = get()
      local ok3 = m("delete", { mail = "carol@example.test" })
      local r2 = get()
      return ok1, ok2, r.mail[1] .. "|" .. r.description[1], ok3, tostring(r2.mail)`);
    assert.deepEqual([ok1, ok2, mail, ok3, after], ['OK', 'OK', 'carol@example.test|42', 'OK', 'nil']);
  });

  test('Nauthilus 1.10: ldap_modify returns nil and the server\'s refusal; an unknown operation raises', async () => {
    const [r, err] = await lua(`return ldap.ldap_modify({ pool_name = "default", session = "s", operation = "replace",
      dn = "uid=alice,ou=people,${SUFFIX}", attributes = { mail = "x@example.test" } })`);
    assert.equal(r, null);
    assert.match(String(err), /^LDAP Result Code 50 "Insufficient Access Rights": /);
    await assert.rejects(lua(`return ldap.ldap_modify({ pool_name = "writer", session = "s", operation = "rename", dn = "x", attributes = {} })`),
      /unknown operation rename/);
    await assert.rejects(lua(`return ldap.ldap_modify({ pool_name = "writer", session = "s", operation = "add", attributes = {} })`),
      /dn should be a string/);
  });

  test('ldap_search on a pool that is not configured is an error return naming the pool (Nauthilus 1.10 would wait forever)', async () => {
    const [r, err] = await lua(`return ldap.ldap_search({ pool_name = "missing", session = "s", basedn = "x", filter = "(uid=a)", scope = "sub", attributes = {} })`);
    assert.equal(r, null);
    assert.equal(err, 'ldap: LDAP pool "missing" (ldap.optional_ldap_pools) is not configured');
  });
});

test('ldap_search against a server that is down returns an error and the VM goes on', { skip }, async () => {
  const slapd = await startSlapd('');
  const services = testServices();
  services.ldap = new LdapPools({ __meta_default__: pool('__meta_default__', slapd.uri, READER_DN, READER_PW) });
  await slapd.stop();
  try {
    const [r, err, after] = await runLua(`local ldap = require("nauthilus_ldap")
      local r, err = ldap.ldap_search({ pool_name = "default", session = "s", basedn = "${SUFFIX}", filter = "(uid=a)", scope = "sub", attributes = {} })
      return r, err, "still running"`, { services });
    assert.equal(r, null);
    assert.match(String(err), /^LDAP Result Code 200 "Network Error": .*ECONNREFUSED/);
    assert.equal(after, 'still running');
  } finally {
    services.ldap.close();
  }
});

test('ldap_search with no ldap: section says the default pool is not configured', async () => {
  const [r, err] = await runLua(`return require("nauthilus_ldap").ldap_search({ pool_name = "default", session = "s", basedn = "x", filter = "(uid=a)", scope = "sub", attributes = {} })`);
  assert.equal(r, null);
  assert.equal(err, 'ldap: the default LDAP pool (ldap.config) is not configured');
});

if (skip) test(`nauthilus_ldap slapd tests skipped: ${skip}`, { skip }, () => undefined);

/** A TCP server that answers every connection's first bytes with `reply`. */
async function fakeServer(reply: Buffer | undefined): Promise<{ uri: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined); // the client hangs up mid-answer: that is the point
    if (reply) s.once('data', () => s.write(reply));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    uri: `ldap://127.0.0.1:${(server.address() as net.AddressInfo).port}/`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

test('ldap_search against a server that does not speak LDAP, or announces a huge answer, is an error return; the VM goes on', async () => {
  const http = await fakeServer(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
  // a SEQUENCE announcing 4 GiB - 1: the client must not wait to buffer it
  const huge = await fakeServer(Buffer.concat([Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), Buffer.alloc(64 * 1024)]));
  const services = testServices();
  services.ldap = new LdapPools({
    __meta_default__: pool('__meta_default__', http.uri, '', ''),
    huge: pool('huge', huge.uri, '', ''),
  });
  try {
    const [r1, e1, r2, e2, after] = await runLua(`local ldap = require("nauthilus_ldap")
      local function s(p) return ldap.ldap_search({ pool_name = p, session = "s", basedn = "dc=x", filter = "(uid=a)", scope = "sub", attributes = {} }) end
      local r1, e1 = s("default")
      local r2, e2 = s("huge")
      return r1, e1, r2, e2, "still running"`, { services });
    assert.equal(r1, null);
    assert.equal(e1, 'ldap: the server does not speak LDAP');
    assert.equal(r2, null);
    assert.equal(e2, `ldap: a response of more than ${64 * 1024 * 1024} bytes`);
    assert.equal(after, 'still running');
  } finally {
    services.ldap.close();
    await http.close();
    await huge.close();
  }
});

describe('nauthilus_ldap over TLS (ldaps:// and StartTLS) against slapd', { skip: slapdMissing({ tls: true }) }, () => {
  let slapd: Slapd;
  let services: EngineServices;

  before(async () => {
    slapd = await startSlapd(USERS, { tls: true });
    const tlsPool = (name: string, uri: string, more: Partial<LdapPoolConfig>) => ({ ...pool(name, uri, READER_DN, READER_PW), ...more });
    services = testServices();
    services.ldap = new LdapPools({
      ldaps: tlsPool('ldaps', slapd.ldapsUri!, { tlsCaCert: slapd.certFile }),
      starttls: tlsPool('starttls', slapd.uri, { startTls: true, tlsCaCert: slapd.certFile }),
      untrusted: tlsPool('untrusted', slapd.ldapsUri!, {}),
      starttls_untrusted: tlsPool('starttls_untrusted', slapd.uri, { startTls: true }),
      skipverify: tlsPool('skipverify', slapd.ldapsUri!, { tlsSkipVerify: true }),
    });
  });
  after(async () => {
    services?.ldap?.close();
    await slapd?.stop();
  });

  test('Nauthilus 1.10: ldap_search over ldaps:// and StartTLS with tls_ca_cert; an untrusted certificate fails unless tls_skip_verify', async () => {
    const [a, b, c, cerr, d, e, eerr] = await runLua(`local ldap = require("nauthilus_ldap")
      local function uid(p)
        return ldap.ldap_search({ pool_name = p, session = "s", basedn = "${SUFFIX}", filter = "(uid=alice)", scope = "sub", attributes = { "uid" } })
      end
      local a = uid("ldaps")
      local b = uid("starttls")
      local c, cerr = uid("untrusted")
      local d = uid("skipverify")
      local e, eerr = uid("starttls_untrusted")
      return a.uid[1], b.uid[1], c, cerr, d.uid[1], e, eerr`, { services });
    assert.deepEqual([a, b, c, d], ['alice', 'alice', null, 'alice']);
    assert.match(String(cerr), /^LDAP Result Code 200 "Network Error": .*self[- ]signed certificate/);
    assert.deepEqual([e, String(eerr).match(/self[- ]signed certificate/) !== null], [null, true], 'StartTLS really negotiates TLS');
  });
});

test('Nauthilus 1.10: ldap_search against a server that never answers returns go-ldap\'s "ldap: connection timed out" after search_timeout', async () => {
  const silent = await fakeServer(undefined);
  const services = testServices();
  services.ldap = new LdapPools({ __meta_default__: { ...pool('__meta_default__', silent.uri, '', ''), searchTimeoutMs: 300 } });
  try {
    const started = Date.now();
    const [r, err] = await runLua(`return require("nauthilus_ldap").ldap_search({ pool_name = "default", session = "s", basedn = "dc=x", filter = "(uid=a)", scope = "sub", attributes = {} })`, { services });
    assert.equal(r, null);
    assert.equal(err, 'ldap: connection timed out');
    assert.ok(Date.now() - started < 5000, 'the search timeout applies, not the script timeout');
  } finally {
    services.ldap.close();
    await silent.close();
  }
});

test('Nauthilus 1.10: RFC 4515 filters that do not compile return go-ldap\'s CompileFilter texts', async () => {
  const services = testServices();
  services.ldap = new LdapPools({ __meta_default__: pool('__meta_default__', 'ldap://127.0.0.1:1/', '', '') });
  try {
    const [a, b, c, d] = await runLua(`local ldap = require("nauthilus_ldap")
      local function e(f) local _, err = ldap.ldap_search({ pool_name = "default", session = "s", basedn = "dc=x", filter = f, scope = "sub", attributes = {} }) return err end
      return e("(uid=a)(uid=b)"), e("(uid=a"), e("(uid=" .. string.char(92) .. "zz)"), e("")`, { services });
    assert.deepEqual([a, b, c, d], [
      'ldap: finished compiling filter with extra at end: (uid=b)',
      'ldap: unexpected end of filter',
      'ldap: invalid characters for escape in filter: encoding/hex: invalid byte: U+007A \'z\'',
      'ldap: filter does not start with an \'(\'',
    ]);
  } finally {
    services.ldap.close();
  }
});
