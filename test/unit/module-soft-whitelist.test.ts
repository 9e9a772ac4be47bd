// nauthilus_soft_whitelist against the embedded store and a real redis-server (Nauthilus 1.10 lualib/softallow.go).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runLua, testServices, MOCK_REDIS } from '../helpers/lua-harness';
import { startRedisServer, redisServerSettings, type RedisServer } from '../helpers/redis-server';
import { RedisStore } from '../../engine/redis/store';
import type { EngineServices } from '../../engine/lua/services';
import { SoftWhitelist, inNetworks } from '../../engine/protection/soft-whitelist';

let server: RedisServer;
before(async () => {
  server = await startRedisServer();
});
after(async () => {
  await server.stop();
});

const LOAD = 'dynamic_loader("nauthilus_soft_whitelist")\nlocal sw = require("nauthilus_soft_whitelist")\n';

for (const kind of ['embedded store', 'real redis-server'] as const) {
  describe(`nauthilus_soft_whitelist on the ${kind}`, () => {
    let store: RedisStore;
    let services: EngineServices;
    before(() => {
      store = new RedisStore(kind === 'embedded store' ? MOCK_REDIS : redisServerSettings(server, { prefix: `swtest${process.pid}:` }));
      services = { ...testServices({ redis: store }), softWhitelistSeeds: { brute_force: { alice: ['192.0.2.0/24'] } } };
    });
    after(async () => {
      await store.client.del('sw:brute_force', 'sw:rbl', 'sw:relay_domains');
      await store.close();
    });

    test('Nauthilus 1.10: soft_whitelist_get starts from the config section; set appends a CIDR, one nil value back', async () => {
      const [before, n, setErr, after] = await runLua(`${LOAD}
        local before = sw.soft_whitelist_get("alice", "brute_force")
        local n = select("#", sw.soft_whitelist_set("alice", "198.51.100.0/24", "brute_force"))
        local err = sw.soft_whitelist_set("alice", "2001:db8::/32", "brute_force")
        return table.concat(before, " "), n, err == nil, table.concat(sw.soft_whitelist_get("alice", "brute_force"), " ")`, { services });
      assert.equal(before, '192.0.2.0/24');
      assert.equal(n, 1);
      assert.equal(setErr, true);
      assert.equal(after, '192.0.2.0/24 198.51.100.0/24 2001:db8::/32');
    });

    test('Nauthilus 1.10: soft_whitelist_set ignores a plain address, an invalid network and an empty username; an unknown feature returns "invalid feature category"', async () => {
      const [err, bob, empty, relay] = await runLua(`${LOAD}
        local err = sw.soft_whitelist_set("bob", "10.0.0.0/8", "lua")
        sw.soft_whitelist_set("bob", "10.0.0.1", "rbl")
        sw.soft_whitelist_set("bob", "10.0.0.0/33", "rbl")
        sw.soft_whitelist_set("", "10.0.0.0/8", "rbl")
        sw.soft_whitelist_set("bob", "10.0.0.0/8", "relay_domains")
        return err, #sw.soft_whitelist_get("bob", "rbl"), #sw.soft_whitelist_get("", "rbl"), sw.soft_whitelist_get("bob", "relay_domains")[1]`, { services });
      assert.equal(err, 'invalid feature category');
      assert.equal(bob, 0);
      assert.equal(empty, 0);
      assert.equal(relay, '10.0.0.0/8', 'features keep separate lists');
    });

    test('Nauthilus 1.10: soft_whitelist_delete removes the first equal entry, also one from the config; returns nothing, also for an unknown feature', async () => {
      const [n, unknown, left, gone, missing] = await runLua(`${LOAD}
        sw.soft_whitelist_set("carol", "203.0.113.0/24", "rbl")
        sw.soft_whitelist_set("carol", "198.51.100.0/24", "rbl")
        local n = select("#", sw.soft_whitelist_delete("carol", "203.0.113.0/24", "rbl"))
        local unknown = select("#", sw.soft_whitelist_delete("carol", "198.51.100.0/24", "nope"))
        local left = table.concat(sw.soft_whitelist_get("carol", "rbl"), " ")
        sw.soft_whitelist_delete("alice", "192.0.2.0/24", "brute_force")
        local gone = table.concat(sw.soft_whitelist_get("alice", "brute_force"), " ")
        sw.soft_whitelist_delete("nobody", "192.0.2.0/24", "brute_force")
        return n, unknown, left, gone, #sw.soft_whitelist_get("nobody", "brute_force")`, { services });
      assert.equal(n, 0);
      assert.equal(unknown, 0);
      assert.equal(left, '198.51.100.0/24');
      assert.equal(gone, '198.51.100.0/24 2001:db8::/32', 'the config entry went, what the first test added stays');
      assert.equal(missing, 0);
    });

    test('Nauthilus 1.10: the engine sees what a script set (one store for scripts and checks)', async () => {
      await runLua(`${LOAD} sw.soft_whitelist_set("dave", "198.51.100.0/24", "relay_domains") return 0`, { services });
      const engineSide = new SoftWhitelist(() => store, {});
      assert.equal(await engineSide.covers('relay_domains', 'dave', '198.51.100.77'), true);
      assert.equal(await engineSide.covers('relay_domains', 'dave', '198.51.101.1'), false);
      assert.equal(await engineSide.covers('relay_domains', 'Dave', '198.51.100.77'), false, 'usernames match exactly');
      assert.equal(await engineSide.covers('rbl', 'dave', '198.51.100.77'), false);
    });
  });
}

test('gopher-lua CheckString (Nauthilus 1.10): a missing argument raises naming the function and argument', async () => {
  await assert.rejects(runLua(`${LOAD} return sw.soft_whitelist_set(nil, "10.0.0.0/8", "rbl")`), /bad argument #1 to soft_whitelist_set \(string expected, got nil\)/);
  await assert.rejects(runLua(`${LOAD} return sw.soft_whitelist_get("x", {})`), /bad argument #2 to soft_whitelist_get \(string expected, got table\)/);
});

test('Nauthilus 1.10 util.IsInNetwork: CIDR entries by containment, plain addresses by equal text, bad entries skipped', () => {
  assert.equal(inNetworks(['192.0.2.0/24'], '192.0.2.9'), true);
  assert.equal(inNetworks(['192.0.2.9'], '192.0.2.9'), true);
  assert.equal(inNetworks(['bogus', '2001:db8::/32'], '2001:db8::5'), true);
  assert.equal(inNetworks(['192.0.2.0/24'], ''), false);
  assert.equal(inNetworks(['192.0.2.0/24'], '192.0.3.1'), false);
});
