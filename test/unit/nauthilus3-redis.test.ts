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

test('Nauthilus 3.0: redis_encrypt/redis_decrypt pass text through without a secret; with one they round-trip ChaCha20-Poly1305 base64', async () => {
  const plain = testServices({ redis: store });
  const [enabled, enc, dec, empty] = await runLua(`
    local r = require("nauthilus_redis")
    return r.redis_is_encryption_enabled("default"), r.redis_encrypt("default", "secret text"), r.redis_decrypt("default", "abc"), r.redis_encrypt("default", "")`, { services: plain });
  assert.deepEqual([enabled, enc, dec, empty], [false, 'secret text', 'abc', '']);

  const withSecret = new RedisStore({ ...redisServerSettings(server), encryptionSecret: 'a-secret-of-16-chars+' });
  try {
    const services = testServices({ redis: withSecret });
    const [on, c1, c2, back, notB64, err] = await runLua(`
      local r = require("nauthilus_redis")
      local c1 = r.redis_encrypt("default", "ünïcode 42")
      local c2 = r.redis_encrypt(nil, "ünïcode 42")
      local back, err = r.redis_decrypt("default", c1)
      return r.redis_is_encryption_enabled("default"), c1, c2, back, r.redis_decrypt("default", "not base64!"), err`, { services });
    assert.equal(on, true);
    assert.match(String(c1), /^[A-Za-z0-9+/]+=*$/);
    assert.notEqual(c1, c2, 'a random nonce each time');
    assert.equal(Buffer.from(String(c1), 'base64').length, 12 + Buffer.byteLength('ünïcode 42') + 16);
    assert.equal(back, 'ünïcode 42');
    assert.equal(notB64, 'not base64!');
    assert.equal(err, null);
  } finally {
    await withSecret.close();
  }
});
