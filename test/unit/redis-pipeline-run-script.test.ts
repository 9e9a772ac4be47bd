// redis_pipeline's run_script rows in both releases' forms, on the embedded Redis and a real redis-server:
// Nauthilus 1.10 {"run_script", upload_name, {keys}, {args}} and Nauthilus 1.12 {"run_script", script, upload_name,
// {keys}, {args}} (redis_run_script's order). Our own scripts.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runLua, testServices, MOCK_REDIS } from '../helpers/lua-harness';
import { startRedisServer, redisServerSettings, type RedisServer } from '../helpers/redis-server';
import { RedisStore } from '../../engine/redis/store';

let server: RedisServer;
let real: RedisStore;
before(async () => {
  server = await startRedisServer();
  real = new RedisStore(redisServerSettings(server));
});
after(async () => {
  await real.close();
  await server.stop();
});

const UPLOAD = `
local r = require("nauthilus_redis")
local _, err = r.redis_upload_script("default", "return redis.call('INCRBY', KEYS[1], ARGV[1])", "add_to")
assert(err == nil, err)
`;

for (const kind of ['mock', 'real'] as const) {
  describe(`run_script rows on the ${kind === 'mock' ? 'embedded ioredis-mock' : 'real redis-server'}`, () => {
    let store: RedisStore;
    before(() => {
      store = kind === 'mock' ? new RedisStore(MOCK_REDIS) : real;
    });
    after(async () => {
      if (kind === 'mock') await store.close();
    });

    test('Nauthilus 1.10: redis_pipeline row {"run_script", upload_name, {keys}, {args}} runs the uploaded script', async () => {
      const services = testServices({ redis: store });
      const [v, ok] = await runLua(`${UPLOAD}
        local res, perr = r.redis_pipeline("default", "write", { {"run_script", "add_to", {"p10:a"}, {4}} })
        assert(perr == nil, perr)
        return res[1].value, res[1].ok`, { services });
      assert.deepEqual([v, ok], [4, true]);
    });

    test('Nauthilus 1.12: redis_pipeline row {"run_script", "", upload_name, {keys}, {args}} runs the uploaded script, an inline script runs as given', async () => {
      const services = testServices({ redis: store });
      const [byName, inline, second] = await runLua(`${UPLOAD}
        local res, perr = r.redis_pipeline("default", "write", {
          {"run_script", "", "add_to", {"p12:a"}, {5}},
          {"run_script", "return ARGV[1] .. KEYS[1]", "", {"k"}, {"v-"}},
          {"run_script", "", "add_to", {"p12:a"}, {2}},
        })
        assert(perr == nil, perr)
        return res[1].value, res[2].value, res[3].value`, { services });
      assert.deepEqual([byName, inline, second], [5, 'v-k', 7]);
    });

    test('Nauthilus 1.12: a run_script row naming no uploaded script fails the pipeline with "could not find script with name"', async () => {
      const services = testServices({ redis: store });
      const [res, err] = await runLua(`
        local r = require("nauthilus_redis")
        return r.redis_pipeline("default", "write", { {"run_script", "", "missing", {"k"}, {}} })`, { services });
      assert.equal(res, null);
      assert.match(String(err), /could not find script with name missing/);
    });
  });
}
