// nauthilus_brute_force against the embedded store and a real redis-server (Nauthilus 1.10 lualib/bruteforce).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runLua, testServices, MOCK_REDIS } from '../helpers/lua-harness';
import { startRedisServer, redisServerSettings, type RedisServer } from '../helpers/redis-server';
import { RedisStore } from '../../engine/redis/store';
import type { EngineServices } from '../../engine/lua/services';
import { goDurationString, goParseDuration } from '../../engine/lua/modules/brute-force';

let server: RedisServer;
before(async () => {
  server = await startRedisServer();
});
after(async () => {
  await server.stop();
});

const LOAD = 'dynamic_loader("nauthilus_brute_force")\nlocal bf = require("nauthilus_brute_force")\n';
const DUMP = `local function dump(list)
  local out = {}
  for _, t in ipairs(list) do out[#out + 1] = t.ip_address .. "=" .. t.tolerate_percent .. "/" .. t.tolerate_ttl end
  return table.concat(out, " ")
end
`;

for (const kind of ['embedded store', 'real redis-server'] as const) {
  describe(`nauthilus_brute_force on the ${kind}`, () => {
    let store: RedisStore;
    let services: EngineServices;
    before(() => {
      store = new RedisStore(kind === 'embedded store' ? MOCK_REDIS : redisServerSettings(server, { prefix: `bftest${process.pid}:` }));
      services = {
        ...testServices({ redis: store }),
        bruteForceBuckets: [
          { name: 'b4_24', periodSec: 3600, cidr: 24, ipv4: true, ipv6: false, failedRequests: 3, filterByProtocol: [] },
          { name: 'b4_32', periodSec: 600, cidr: 32, ipv4: true, ipv6: false, failedRequests: 10, filterByProtocol: [] },
          { name: 'b6_64', periodSec: 3600, cidr: 64, ipv4: false, ipv6: true, failedRequests: 3, filterByProtocol: [] },
        ],
      };
    });
    after(async () => {
      await store.client.del('bf:tolerations', 'bf:b4_24:192.0.2.0/24', 'bf:b4_32:192.0.2.9/32', 'bf:TR:192.0.2.9');
      await store.close();
    });

    test('Nauthilus 1.10: set_custom_tolerations replaces the list; get_custom_tolerations gives it back in order with Go duration text', async () => {
      const [list, n] = await runLua(`${LOAD}${DUMP}
        local n = select("#", bf.set_custom_tolerations({
          { ip_address = "192.0.2.0/24", tolerate_percent = 20, tolerate_ttl = "1h" },
          { ip_address = "2001:db8::1", tolerate_percent = "50", tolerate_ttl = "90s" },
          { ip_address = "198.51.100.7", tolerate_percent = 5, tolerate_ttl = "1.5s" },
        }))
        return dump(bf.get_custom_tolerations()), n`, { services });
      assert.equal(list, '192.0.2.0/24=20/1h0m0s 2001:db8::1=50/1m30s 198.51.100.7=5/1.5s');
      assert.equal(n, 0);
    });

    test('Nauthilus 1.10: set_custom_toleration replaces an entry in place and adds none to a non-empty list; delete_custom_toleration removes one', async () => {
      const [replaced, ignored, deleted, fresh] = await runLua(`${LOAD}${DUMP}
        bf.set_custom_toleration({ ip_address = "2001:db8::1", tolerate_percent = 70, tolerate_ttl = "2h30m" })
        local replaced = dump(bf.get_custom_tolerations())
        bf.set_custom_toleration({ ip_address = "203.0.113.1", tolerate_percent = 10, tolerate_ttl = "1h" })
        local ignored = dump(bf.get_custom_tolerations())
        bf.delete_custom_toleration("192.0.2.0/24")
        bf.delete_custom_toleration("2001:db8::1")
        bf.delete_custom_toleration("198.51.100.7")
        local deleted = #bf.get_custom_tolerations()
        bf.set_custom_toleration({ ip_address = "203.0.113.1", tolerate_percent = 10, tolerate_ttl = "1h" })
        return replaced, ignored, deleted, dump(bf.get_custom_tolerations())`, { services });
      assert.equal(replaced, '192.0.2.0/24=20/1h0m0s 2001:db8::1=70/2h30m0s 198.51.100.7=5/1.5s');
      assert.equal(ignored, replaced, 'Nauthilus 1.10 adds a new address only to an empty list');
      assert.equal(deleted, 0);
      assert.equal(fresh, '203.0.113.1=10/1h0m0s');
    });

    test('Nauthilus 1.10: a tolerate_ttl Go cannot parse raises "invalid tolerate_ttl format"; a non-table entry raises', async () => {
      await assert.rejects(runLua(`${LOAD} bf.set_custom_toleration({ ip_address = "192.0.2.1", tolerate_percent = 5, tolerate_ttl = "10" }) return 0`, { services }), /bad argument #1 to set_custom_toleration \(invalid tolerate_ttl format\)/);
      await assert.rejects(runLua(`${LOAD} bf.set_custom_tolerations({ { ip_address = "192.0.2.1", tolerate_percent = 5 } }) return 0`, { services }), /invalid tolerate_ttl format/);
      await assert.rejects(runLua(`${LOAD} bf.set_custom_tolerations({ "192.0.2.1" }) return 0`, { services }), /each toleration must be a table/);
      await assert.rejects(runLua(`${LOAD} bf.set_custom_tolerations("x") return 0`, { services }), /bad argument #1 to set_custom_tolerations \(table expected, got string\)/);
    });

    test('Nauthilus 1.10: is_ip_address_blocked reads the engine bucket counters bf:<bucket>:<network>: nil below the limits, the blocking buckets at them', async () => {
      const ask = async () => (await runLua(`${LOAD} local b = bf.is_ip_address_blocked("192.0.2.9") return b == nil and "nil" or table.concat(b, ",")`, { services }))[0];
      assert.equal(await ask(), 'nil');
      await store.client.set('bf:b4_24:192.0.2.0/24', '3');
      await store.client.set('bf:b4_32:192.0.2.9/32', '9');
      assert.equal(await ask(), 'b4_24');
      await store.client.set('bf:b4_32:192.0.2.9/32', '10');
      assert.equal(await ask(), 'b4_24,b4_32');
      const [empty] = await runLua(`${LOAD} return bf.is_ip_address_blocked("") == nil`, { services });
      assert.equal(empty, true);
    });

    test('Nauthilus 1.10: get_tolerate_map gives the integer fields of bf:TR:<address>, an empty table when there are none', async () => {
      const [none] = await runLua(`${LOAD} return next(bf.get_tolerate_map("192.0.2.9")) == nil`, { services });
      assert.equal(none, true);
      await store.client.hset('bf:TR:192.0.2.9', 'positive', '4', 'negative', '2', 'junk', 'x');
      const [pos, neg, junk] = await runLua(`${LOAD} local m = bf.get_tolerate_map("192.0.2.9") return m.positive, m.negative, m.junk == nil`, { services });
      assert.deepEqual([pos, neg, junk], [4, 2, true]);
    });
  });
}

test('Go time.ParseDuration and Duration.String (Nauthilus 1.10 tolerate_ttl)', () => {
  assert.equal(goParseDuration('1h'), 3.6e12);
  assert.equal(goParseDuration('0'), 0);
  assert.equal(goParseDuration('10'), undefined);
  assert.equal(goParseDuration(''), undefined);
  assert.equal(goParseDuration('1x'), undefined);
  assert.equal(goDurationString(0), '0s');
  assert.equal(goDurationString(250e6), '250ms');
  assert.equal(goDurationString(3.6e12 + 1.5e9), '1h0m1.5s');
});
