// Nauthilus 3.x additions to nauthilus_redis, against a real redis-server started on a free loopback port.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runLua, testServices } from '../helpers/lua-harness';
import { startRedisServer, redisServerSettings, type RedisServer } from '../helpers/redis-server';
import { RedisStore } from '../../engine/redis/store';

let server: RedisServer;
let store: RedisStore;
before(async () => {
  server = await startRedisServer();
  store = new RedisStore(redisServerSettings(server));
});
after(async () => {
  await store?.close();
  await server?.stop();
});

test('Nauthilus 3.1: redis_zrevrange_withscores returns { member, score } rows, highest score first', async () => {
  const services = testServices({ redis: store });
  services.profile = '3.1';
  const [rows, n, err] = await runLua(`
    local r = require("nauthilus_redis")
    r.redis_del("default", "z3")
    r.redis_zadd("default", "z3", { alice = 1.5, bob = 3, carol = 2 })
    local rows, err = r.redis_zrevrange_withscores("default", "z3", 0, 1)
    local out = {}
    for i, row in ipairs(rows) do out[i] = row.member .. "=" .. tostring(row.score) end
    local none = r.redis_zrevrange_withscores("default", "z3-missing", 0, -1)
    return table.concat(out, ","), #none, err`, { services });
  assert.equal(rows, 'bob=3,carol=2');
  assert.equal(n, 0);
  assert.equal(err, null);
});
