// nauthilus_prometheus from real Lua: vectors in the engine's registry, missing metrics, wall-clock timers.
import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { runLua, testServices } from '../helpers/lua-harness';
import { startRedisServer, redisServerSettings, type RedisServer } from '../helpers/redis-server';
import { RedisStore } from '../../engine/redis/store';
import type { EngineServices } from '../../engine/lua/services';

/** Services whose logger keeps warnings, to check what a user would read in the log. */
function servicesWithLog(): { services: EngineServices; warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      warnings.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { services: { ...testServices(), logger: pino({ level: 'warn' }, sink) }, warnings };
}

const prom = (body: string, services: EngineServices) => runLua(`local p = require("nauthilus_prometheus")\n${body}`, { services });

describe('nauthilus_prometheus', () => {
  test('vectors created from Lua appear on /metrics with their labels and values', async () => {
    const services = testServices();
    await prom(`
      p.create_counter_vec("auth_checks_total", "Checks done", {"service", "status"})
      p.create_gauge_vec("auth_inflight", "Requests in flight", {"service"})
      p.create_histogram_vec("auth_lookup_seconds", "Lookup time", {"http"}, {0.5, 1})
      p.create_summary_vec("auth_size_bytes", "Sizes", {"kind"})
      p.increment_counter("auth_checks_total", {service = "imap", status = "ok"})
      p.increment_counter("auth_checks_total", {service = "imap", status = "ok"})
      p.touch_counter("auth_checks_total", {service = "pop3", status = "ok"})
      p.set_gauge("auth_inflight", 5, {service = "imap"})
      p.add_gauge("auth_inflight", 2, {service = "imap"})
      p.sub_gauge("auth_inflight", {service = "imap"}, 1)
      p.increment_gauge("auth_inflight", {service = "imap"})
      p.decrement_gauge("auth_inflight", {service = "pop3"})
      p.stop_timer(p.start_histogram_timer("auth_lookup_seconds", {http = "post"}))
      p.stop_timer(p.start_summary_timer("auth_size_bytes", {kind = "req"}))
      return 1`, services);
    const text = await services.metrics.metrics();
    assert.match(text, /# HELP auth_checks_total Checks done\n# TYPE auth_checks_total counter/);
    assert.match(text, /auth_checks_total\{service="imap",status="ok"\} 2/);
    assert.match(text, /auth_checks_total\{service="pop3",status="ok"\} 0/);
    assert.match(text, /auth_inflight\{service="imap"\} 7/);
    assert.match(text, /auth_inflight\{service="pop3"\} -1/);
    assert.match(text, /auth_lookup_seconds_bucket\{le="0.5",http="post"\} 1/);
    assert.match(text, /auth_lookup_seconds_count\{http="post"\} 1/);
    assert.match(text, /auth_size_bytes_count\{kind="req"\} 1/);
  });

  test('creating a vector again (another VM, a reload) reuses it; a different type is an error return', async () => {
    const services = testServices();
    const body = `
      local _, err = p.create_counter_vec("shared_total", "Shared", {"vm"})
      p.increment_counter("shared_total", {vm = "any"})
      return err`;
    assert.deepEqual(await prom(body, services), [null]);
    assert.deepEqual(await prom(body, services), [null]);
    assert.match(await services.metrics.metrics(), /shared_total\{vm="any"\} 2/);
    const res = await prom(`
      local _, e1 = p.create_gauge_vec("shared_total", "Now a gauge", {"vm"})
      local _, e2 = p.create_counter_vec("bad-name", "Bad", {})
      return e1, e2`, services);
    assert.equal(res[0], 'create_gauge_vec: metric "shared_total" already exists as a counter');
    assert.match(res[1] as string, /^create_counter_vec: Invalid metric name/);
  });

  test("the seed's blocklist metric calls run on metrics never created, warning once per metric", async () => {
    const { services, warnings } = servicesWithLog();
    const feature = `
      local N = "blocklist"
      local HCCR = "http_client_concurrent_requests_total"
      dynamic_loader("nauthilus_prometheus")
      local nauthilus_prometheus = require("nauthilus_prometheus")
      nauthilus_prometheus.increment_gauge(HCCR, { service = N })
      local timer = nauthilus_prometheus.start_histogram_timer(N .. "_duration_seconds", { http = "post" })
      nauthilus_prometheus.stop_timer(timer)
      nauthilus_prometheus.decrement_gauge(HCCR, { service = N })
      nauthilus_prometheus.increment_counter(N .. "_count", { country = "", status = "reject" })
      return timer == nil`;
    assert.deepEqual(await runLua(feature, { services }), [true]);
    assert.deepEqual(await runLua(feature, { services }), [true]);
    const names = warnings.map((w) => `${w.kind}:${w.metric}`).sort();
    assert.deepEqual(names, ['counter:blocklist_count', 'gauge:http_client_concurrent_requests_total', 'histogram:blocklist_duration_seconds']);
    assert.match(String(warnings[0].msg), /not found: create it with create_\w+_vec first/);
    assert.doesNotMatch(await services.metrics.metrics(), /blocklist/);
  });

  test('wrong arguments and label sets raise Lua errors at the script line', async () => {
    const services = testServices();
    const raises = async (body: string, pattern: RegExp) => {
      await assert.rejects(prom(`p.create_counter_vec("lbl_total", "L", {"a"})\n${body}\nreturn 1`, services), (e: Error & { format(): string }) => {
        assert.match(e.format(), pattern);
        return true;
      });
    };
    await raises('p.increment_counter(nil, {})', /^test\.lua:5: bad argument #1 to 'increment_counter' \(string expected, got nil\)/);
    await raises('p.increment_counter("lbl_total", "a")', /^test\.lua:5: bad argument #2 to 'increment_counter' \(table expected, got string\)/);
    await raises('p.increment_counter("lbl_total", {b = "x"})', /^test\.lua:5: increment_counter: metric "lbl_total" has labels \[a\], got \[b\]/);
    await raises('p.create_histogram_vec("h_s", "H", {"a"})\nlocal t = p.start_histogram_timer("h_s", {})', /^test\.lua:6: start_histogram_timer: metric "h_s" has labels \[a\], got \[\]/);
    await raises('p.stop_timer("not a timer")', /^test\.lua:5: bad argument #1 to 'stop_timer' \(timer expected, got string\)/);
    await raises('p.create_gauge_vec("g", "G", {"a"})\np.set_gauge("g", "x", {a = "1"})', /^test\.lua:6: bad argument #2 to 'set_gauge' \(number expected, got string\)/);
  });

  describe('timers', () => {
    let server: RedisServer;
    let store: RedisStore;
    before(async () => {
      server = await startRedisServer();
      store = new RedisStore(redisServerSettings(server));
    });
    after(async () => {
      await store.close();
      await server.stop();
    });

    test('measure wall time across async host calls', async () => {
      const services = testServices({ redis: store });
      // the Redis server, not this process, spends ~150 ms: the VM is suspended while it waits
      await runLua(`
        local p = require("nauthilus_prometheus")
        local r = require("nauthilus_redis")
        p.create_histogram_vec("wait_seconds", "Wait", {"op"})
        local t = p.start_histogram_timer("wait_seconds", {op = "busy"})
        local _, err = r.redis_run_script("default", [[
          local t = redis.call('TIME')
          local start = t[1] * 1000000 + t[2]
          repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start >= 150000
          return 1]], "", {}, {})
        p.stop_timer(t)
        if err then error(err) end
        return 1`, { services });
      const metric = await services.metrics.getSingleMetricAsString('wait_seconds');
      const sum = Number(/wait_seconds_sum\{op="busy"\} ([\d.e-]+)/.exec(metric)?.[1]);
      assert.ok(sum >= 0.15, `observed ${sum} s, expected at least the 0.15 s the server was busy`);
    });
  });
});
