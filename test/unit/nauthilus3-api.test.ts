// Nauthilus 3.0 additions to existing modules and objects, with a 3.x profile (config.profile); 1.x unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua, testServices } from '../helpers/lua-harness';
import type { NauthilusProfile } from '../../engine/config/types';

function servicesFor(profile: NauthilusProfile | undefined) {
  const services = testServices();
  services.profile = profile;
  return services;
}

test('Nauthilus 3.0: url_partial_decode decodes valid %XX (any case, bytes), keeps invalid or cut escapes and "+"', async () => {
  const [a, b, c, d, e, err] = await runLua(`
    local r = require("nauthilus_http_request")
    local a = r.url_partial_decode("user%40example.org")
    local b = r.url_partial_decode("100%zz+%2b%2B")
    local c = r.url_partial_decode("%%41%4")
    local d = r.url_partial_decode("%C3%A4%e2%82%ac")
    local e, err = r.url_partial_decode("")
    return a, b, c, d, e, err`, { services: servicesFor('3.0') });
  assert.deepEqual([a, b, c, d, e, err], ['user@example.org', '100%zz+++', '%A%4', 'ä€', '', null]);
});

test('Nauthilus 3.0: backend result webauthn_credentials, groups and group_dns set a list of strings and read a copy', async () => {
  const [creds, groups, dns, empty, bad] = await runLua(`
    local b = nauthilus_backend_result.new()
    b:webauthn_credentials({ "c1", "c2" })
    b:groups({ "staff", 7, "admins" })
    b:group_dns({ "cn=staff,ou=groups,dc=example,dc=org" })
    local g = b:groups()
    g[1] = "changed"
    local ok, err = pcall(b.groups, b, "staff")
    return table.concat(b:webauthn_credentials(), ","), table.concat(b:groups(), ","), b:group_dns()[1],
      #nauthilus_backend_result.new():group_dns(), err`, { services: servicesFor('3.0') });
  assert.equal(creds, 'c1,c2');
  assert.equal(groups, 'staff,admins');
  assert.equal(dns, 'cn=staff,ou=groups,dc=example,dc=org');
  assert.equal(empty, 0);
  assert.match(String(bad), /bad argument #2 to 'groups' \(table expected, got string\)/);
});

test('Nauthilus 1.10: backend results have no groups method (1.x unchanged)', async () => {
  const [t] = await runLua('return type(nauthilus_backend_result.new().groups)', { services: servicesFor('1.10') });
  assert.equal(t, 'nil');
});
