// nauthilus_ldap over ldapts against a real slapd: binary attribute values, filter escapes (bytes, not
// characters), multi-line filters and extensible matches, as Nauthilus 1.10 (go-ldap v3) hands them over.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua, testServices } from '../helpers/lua-harness';
import { ADMIN_DN, ADMIN_PW, READER_DN, READER_PW, SUFFIX, slapdMissing, startSlapd, type Slapd } from '../helpers/slapd';
import { LdapPools } from '../../engine/ldap/pools';
import { LdapConnection } from '../../engine/ldap/client';
import type { EngineServices } from '../../engine/lua/services';

const PHOTO = Buffer.from(Array.from({ length: 256 }, (_, i) => i)); // \0, invalid UTF-8: every byte value
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const USERS = [
  `dn: uid=jurgen,ou=people,${SUFFIX}`, 'objectClass: inetOrgPerson', 'uid: jurgen', `cn:: ${b64('Jürgen')}`, 'sn: Stern',
  `jpegPhoto:: ${PHOTO.toString('base64')}`, `description:: ${b64('\uFEFFbom first')}`, '',
  `dn: uid=star,ou=people,${SUFFIX}`, 'objectClass: inetOrgPerson', 'uid: star', 'cn: a*b(c)\\d', 'sn: Star', '',
  `dn: ou=many,${SUFFIX}`, 'objectClass: organizationalUnit', 'ou: many', '',
  ...Array.from({ length: 520 }, (_, i) => [`dn: uid=u${i},ou=many,${SUFFIX}`, 'objectClass: inetOrgPerson', `uid: u${i}`, `cn: U ${i}`, 'sn: U', '']).flat(),
].join('\n');

const skip = slapdMissing();

describe('nauthilus_ldap values and filters against slapd', { skip }, () => {
  let slapd: Slapd;
  let services: EngineServices;

  before(async () => {
    slapd = await startSlapd(USERS);
    services = testServices();
    services.ldap = new LdapPools({
      __meta_default__: {
        name: '__meta_default__', serverUris: [slapd.uri], bindDn: READER_DN, bindPw: READER_PW, startTls: false, tlsSkipVerify: false,
        lookupPoolSize: 1, connectTimeoutMs: 5000, bindTimeoutMs: 5000, searchTimeoutMs: 5000, modifyTimeoutMs: 5000,
        searchSizeLimit: 0, searchTimeLimitSec: 0, includeRawResult: true,
      },
      writer: {
        name: 'writer', serverUris: [slapd.uri], bindDn: ADMIN_DN, bindPw: ADMIN_PW, startTls: false, tlsSkipVerify: false,
        lookupPoolSize: 1, connectTimeoutMs: 5000, bindTimeoutMs: 5000, searchTimeoutMs: 5000, modifyTimeoutMs: 5000,
        searchSizeLimit: 0, searchTimeLimitSec: 0,
      },
    });
  });
  after(async () => {
    services?.ldap?.close();
    await slapd?.stop();
  });

  const lua = (body: string) => runLua(`local ldap = require("nauthilus_ldap")
    local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
    local function search(filter, attrs, raw)
      local r, err = ldap.ldap_search({ pool_name = "default", session = "s", basedn = "ou=people,${SUFFIX}", filter = filter,
        scope = "sub", attributes = attrs or { "uid" }, raw_result = raw })
      if err then error(err) end
      return r
    end
    ${body}`, { services });

  test('Nauthilus 1.10: a binary attribute (jpegPhoto) reaches Lua as its raw bytes, in the mapping and in raw_result', async () => {
    const [len, mapped, raw, text] = await lua(`
      local r = search("(uid=jurgen)", { "jpegPhoto", "cn" })
      local e = search("(uid=jurgen)", { "jpegPhoto" }, true)
      return #r.jpegPhoto[1], hex(r.jpegPhoto[1]), hex(e[1].attributes.jpegPhoto[1]), r.cn[1]`);
    assert.equal(len, 256);
    assert.equal(mapped, PHOTO.toString('hex'));
    assert.equal(raw, PHOTO.toString('hex'));
    assert.equal(text, 'Jürgen', 'text values stay text');
  });

  test('Nauthilus 1.10: ldap_modify writes a binary Lua string as its bytes; a search reads the same bytes back', async () => {
    const [ok, back, text] = await lua(`
      local bytes = {}
      for i = 255, 0, -1 do bytes[#bytes + 1] = string.char(i) end
      local ok, err = ldap.ldap_modify({ pool_name = "writer", session = "s", operation = "replace",
        dn = "uid=star,ou=people,${SUFFIX}", attributes = { jpegPhoto = table.concat(bytes), description = "Grüße" } })
      if err then error(err) end
      local r = search("(uid=star)", { "jpegPhoto", "description" })
      return ok, hex(r.jpegPhoto[1]), r.description[1]`);
    assert.equal(ok, 'OK');
    assert.equal(back, Buffer.from(PHOTO).reverse().toString('hex'));
    assert.equal(text, 'Grüße');
  });

  test('Nauthilus 1.10: a requested value keeps a leading byte order mark (bytes as the server sent them)', async () => {
    const [d] = await lua(`return hex(search("(uid=jurgen)", { "description" }).description[1]):sub(1, 6)`);
    assert.equal(d, 'efbbbf');
  });

  test('Nauthilus 1.10 (go-ldap CompileFilter): \\xx escapes are bytes: UTF-8 sequences, substrings and escaped specials match', async () => {
    const [a, b, c, d] = await lua(`
      local function uid(f) local r = search(f) return r.uid and table.concat(r.uid, ",") or "-" end
      return uid("(cn=J\\\\c3\\\\bcrgen)"), uid("(cn=Jürgen)"), uid("(cn=J\\\\c3\\\\bc*n)"), uid("(cn=a\\\\2ab\\\\28c\\\\29\\\\5cd)")`);
    assert.deepEqual([a, b, c, d], ['jurgen', 'jurgen', 'jurgen', 'star']);
  });

  test('Nauthilus 1.10: line breaks and the blanks around them are removed from a filter (RemoveCRLFFromQueryOrFilter)', async () => {
    const [u, err] = await lua(`
      local _, err = ldap.ldap_search({ pool_name = "default", session = "s", basedn = "${SUFFIX}", filter = "  (uid=jurgen)", scope = "sub", attributes = {} })
      return search([[(&
        (objectClass=inetOrgPerson)
        (uid=jurgen)
      )]]).uid[1], err`);
    assert.equal(u, 'jurgen');
    assert.equal(err, "ldap: filter does not start with an '('", 'blanks without a line break stay (go-ldap refuses them)');
  });

  test('Nauthilus 1.10 (go-ldap CompileFilter): extensible matches with a rule and with :dn:', async () => {
    const [exact, wrongCase, dn] = await lua(`
      local function n(f) local r = search(f) return r.uid and #r.uid or 0 end
      return n("(uid:caseExactMatch:=jurgen)"), n("(uid:caseExactMatch:=JURGEN)"), n("(&(objectClass=inetOrgPerson)(ou:dn:=people))")`);
    assert.deepEqual([exact, wrongCase, dn], [1, 0, 2]);
  });

  test('Nauthilus 1.10: more entries than search_size_limit is an error (go-ldap "Size Limit Exceeded", its inner text), not a partial result', async () => {
    const pools = new LdapPools({
      __meta_default__: { ...services.ldap!.get('__meta_default__')!.config, searchSizeLimit: 1 },
      two: { ...services.ldap!.get('__meta_default__')!.config, name: 'two', searchSizeLimit: 2 },
    });
    try {
      const [r, err, two] = await runLua(`local ldap = require("nauthilus_ldap")
        local function s(p) return ldap.ldap_search({ pool_name = p, session = "s", basedn = "ou=people,${SUFFIX}",
          filter = "(objectClass=inetOrgPerson)", scope = "sub", attributes = { "uid" } }) end
        local r, err = s("default")
        local two = s("two")
        return r, err, #two.uid`, { services: { ...services, ldap: pools } });
      assert.equal(r, null);
      assert.equal(typeof err, 'string');
      assert.equal(two, 2, 'exactly as many entries as the limit is no error');
    } finally {
      pools.close();
    }
  });

  test('Nauthilus 1.10 searches without paging: more entries than the server\'s size limit (slapd: 500) is an error, not a partial list', async () => {
    const [r, err, fits] = await runLua(`local ldap = require("nauthilus_ldap")
      local function s(f) return ldap.ldap_search({ pool_name = "default", session = "s", basedn = "ou=many,${SUFFIX}", filter = f, scope = "one", attributes = { "uid" } }) end
      local r, err = s("(objectClass=inetOrgPerson)")
      local fits = s("(uid=u1*)")
      return r, err, #fits.uid`, { services });
    assert.equal(r, null);
    assert.equal(typeof err, 'string');
    assert.equal(fits, 111, 'u1, u10..u19, u100..u199');
  });

  test('a closed connection refuses requests (ldapts never redials it unbound); the pool goes on with another', async () => {
    const c = await LdapConnection.open({ uri: slapd.uri, timeoutMs: 5000 });
    await c.bind(READER_DN, READER_PW, 5000);
    c.close();
    await assert.rejects(c.search(SUFFIX, 'base', '(objectClass=*)', [], 0, 0, 5000), /connection closed/);
    const [u] = await lua('return search("(uid=star)").uid[1]');
    assert.equal(u, 'star');
  });
});

if (skip) test(`nauthilus_ldap value tests skipped: ${skip}`, { skip }, () => undefined);
