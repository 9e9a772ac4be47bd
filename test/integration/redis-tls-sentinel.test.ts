// Redis over TLS and through Sentinel, against real redis-server processes: register_redis_pool's tls_* keys and
// sentinel / sentinel_replica modes, and the engine's own server.redis settings for both.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { runLua, testServices } from '../helpers/lua-harness';
import {
  startRedisServer, makeTestCertificates, redisTlsMissing, redisServerSettings, type RedisServer, type TestCertificates,
} from '../helpers/redis-server';
import { startSentinelGroup, type SentinelGroup } from '../helpers/redis-sentinel';
import { RedisStore } from '../../engine/redis/store';
import { parseConfigText } from '../../engine/config/load';

const load = (text: string) => parseConfigText(text, 'lua-plugins.d/authstudio.yml', { checkFiles: false, env: {} });

const tlsMissing = redisTlsMissing();

/** A plain ioredis connection to one server (its non-TLS port), for checking where values landed. */
function direct(server: RedisServer): Redis {
  return new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: false, maxRetriesPerRequest: 1 });
}

describe('register_redis_pool over TLS (real redis-server with --tls-port)', { skip: tlsMissing }, () => {
  let dir: string;
  let certs: TestCertificates;
  let server: RedisServer;
  let plain: Redis;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-redis-tls-'));
    certs = makeTestCertificates(dir);
    // clients must present a certificate signed by the test CA
    server = await startRedisServer({ tls: { ...certs, authClients: true } });
    plain = direct(server);
    await plain.set('tls:k', 'over-tls');
  });
  after(async () => {
    plain?.disconnect();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('Nauthilus 1.10: tls_enabled with tls_cert_file / tls_key_file connects with a client certificate', async () => {
    const services = testServices();
    try {
      const res = await runLua(`
        local r = require("nauthilus_redis")
        local ok, err = r.register_redis_pool("secure", "standalone", {
          address = "${server.tlsAddress}", tls_enabled = true,
          tls_cert_file = "${certs.clientCertFile}", tls_key_file = "${certs.clientKeyFile}", tls_ca_file = "${certs.caFile}",
        })
        local h = r.get_redis_connection("secure")
        local set, seterr = r.redis_set(h, "tls:k", "over-tls")
        return ok, err, set, seterr, (r.redis_get(h, "tls:k"))`, { services });
      assert.deepEqual(res, ['OK', null, 'OK', null, 'over-tls']);
      assert.equal(await plain.get('tls:k'), 'over-tls');
    } finally {
      await services.redis.close();
    }
  });

  test('Nauthilus 1.10: without a client certificate a server that demands one refuses the pool\'s commands', async () => {
    const services = testServices();
    try {
      const [ok, value, err] = await runLua(`
        local r = require("nauthilus_redis")
        local ok = r.register_redis_pool("nocert", "standalone", { address = "${server.tlsAddress}", tls_enabled = true, tls_ca_file = "${certs.caFile}" })
        local v, err = r.redis_get(r.get_redis_connection("nocert"), "tls:k")
        return ok, v, err`, { services }) as [string, unknown, string];
      assert.equal(ok, 'OK');
      assert.equal(value, null);
      assert.equal(typeof err, 'string');
      assert.ok(err.length > 0);
    } finally {
      await services.redis.close();
    }
  });

  test('Nauthilus 1.10: the server certificate is verified (system CAs unless tls_ca_file); tls_skip_verify accepts it', async () => {
    const services = testServices();
    try {
      const [unverifiedValue, unverifiedErr, skipped] = await runLua(`
        local r = require("nauthilus_redis")
        local client = { tls_cert_file = "${certs.clientCertFile}", tls_key_file = "${certs.clientKeyFile}" }
        r.register_redis_pool("untrusted", "standalone", { address = "${server.tlsAddress}", tls_enabled = true,
          tls_cert_file = client.tls_cert_file, tls_key_file = client.tls_key_file })
        r.register_redis_pool("skip", "standalone", { address = "${server.tlsAddress}", tls_enabled = true, tls_skip_verify = true,
          tls_cert_file = client.tls_cert_file, tls_key_file = client.tls_key_file })
        local v, err = r.redis_get(r.get_redis_connection("untrusted"), "tls:k")
        return v, err, (r.redis_get(r.get_redis_connection("skip"), "tls:k"))`, { services }) as [unknown, string, string];
      assert.equal(unverifiedValue, null);
      assert.match(unverifiedErr, /^redis: cannot connect: .*certificate/);
      assert.equal(skipped, 'over-tls');
    } finally {
      await services.redis.close();
    }
  });

  test('AuthStudio: an unreadable tls_cert_file fails register_redis_pool (Nauthilus logs it and connects without TLS)', async () => {
    const services = testServices();
    try {
      const res = await runLua(`
        local r = require("nauthilus_redis")
        return r.register_redis_pool("broken", "standalone", { address = "${server.tlsAddress}", tls_enabled = true,
          tls_cert_file = "${dir}/missing.pem", tls_key_file = "${certs.clientKeyFile}" })`, { services });
      assert.deepEqual(res, [null, `cannot read the Redis TLS certificate "${dir}/missing.pem": ENOENT`]);
    } finally {
      await services.redis.close();
    }
  });

  test('Nauthilus 1.10: tls_enabled = false (or not a boolean) keeps a plain connection', async () => {
    const services = testServices();
    try {
      const res = await runLua(`
        local r = require("nauthilus_redis")
        r.register_redis_pool("plain", "standalone", { address = "${server.address}", tls_enabled = "yes" })
        return (r.redis_get(r.get_redis_connection("plain"), "tls:k"))`, { services });
      assert.deepEqual(res, ['over-tls']);
    } finally {
      await services.redis.close();
    }
  });

  test('server.redis: rediss:// and the tls block (cert, key, ca_file) connect the engine over TLS', async () => {
    const cfg = load(`
server:
  redis:
    master:
      address: ${server.tlsAddress}
    tls:
      enabled: true
      cert: ${certs.clientCertFile}
      key: ${certs.clientKeyFile}
      ca_file: ${certs.caFile}
`);
    const settings = cfg.server.redis;
    assert.equal(settings.tls, true);
    const store = new RedisStore({ ...settings, commandTimeoutMs: 2000 });
    try {
      assert.equal(await store.client.get('tls:k'), 'over-tls');
    } finally {
      await store.close();
    }
  });
});

describe('Redis Sentinel: a real group of 1 master, 1 replica and 2 sentinels', () => {
  let group: SentinelGroup;
  let master: Redis;
  let replica: Redis;
  before(async () => {
    group = await startSentinelGroup({ replicas: 1, sentinels: 2 });
    master = direct(group.master);
    replica = direct(group.replicas[0]);
  });
  after(async () => {
    master?.disconnect();
    replica?.disconnect();
    await group?.stop();
  });

  test('Nauthilus 1.10: a "sentinel" pool writes to and reads from the master the sentinels name', async () => {
    const services = testServices();
    try {
      const res = await runLua(`
        local r = require("nauthilus_redis")
        local ok = r.register_redis_pool("ha", "sentinel", { addresses = { "${group.sentinelAddresses.join('", "')}" }, master_name = "${group.masterName}" })
        local h = r.get_redis_connection("ha")
        local set, err = r.redis_set(h, "sentinel:k", "to-master")
        return ok, set, err, (r.redis_get(h, "sentinel:k"))`, { services });
      assert.deepEqual(res, ['OK', 'OK', null, 'to-master']);
      assert.equal(await master.get('sentinel:k'), 'to-master');
    } finally {
      await services.redis.close();
    }
  });

  test('Nauthilus 1.10: a "sentinel_replica" pool reads from a replica; writes answer READONLY (go-redis ReplicaOnly)', async () => {
    await master.set('replica:k', 'replicated');
    await master.wait(1, 2000);
    const services = testServices();
    try {
      const res = await runLua(`
        local r = require("nauthilus_redis")
        local ok = r.register_redis_pool("reads", "sentinel_replica", { addresses = { "${group.sentinelAddresses.join('", "')}" }, master_name = "${group.masterName}" })
        local h = r.get_redis_connection("reads")
        local v = r.redis_get(h, "replica:k")
        local set, err = r.redis_set(h, "replica:w", "x")
        return ok, v, set, err`, { services });
      assert.deepEqual(res, ['OK', 'replicated', null, "READONLY You can't write against a read only replica."]);
      // the pool's connection is open on the replica, not on the master
      const replicaClients = String(await replica.client('LIST'));
      assert.ok((replicaClients.match(/cmd=get|cmd=set/g) ?? []).length >= 1, replicaClients);
    } finally {
      await services.redis.close();
    }
  });

  test('server.redis: the sentinels block (master, addresses) connects the engine to the master', async () => {
    const cfg = load(`
server:
  redis:
    sentinels:
      master: ${group.masterName}
      addresses:
${group.sentinelAddresses.map((a) => `        - ${a}`).join('\n')}
`);
    const store = new RedisStore({ ...cfg.server.redis, commandTimeoutMs: 2000 });
    try {
      assert.equal(store.mode, 'sentinel');
      await store.client.set('engine:k', 'via-sentinel');
      assert.equal(await master.get('engine:k'), 'via-sentinel');
    } finally {
      await store.close();
    }
  });

  test('standalone settings still reach one server directly', async () => {
    const store = new RedisStore(redisServerSettings(group.master));
    try {
      assert.equal(await store.client.get('engine:k'), 'via-sentinel');
    } finally {
      await store.close();
    }
  });
});

describe('Redis Sentinel with a password on the sentinels (1 master, 1 replica, 1 sentinel)', () => {
  let group: SentinelGroup;
  let master: Redis;
  before(async () => {
    group = await startSentinelGroup({ replicas: 1, sentinels: 1, sentinelPassword: 'sentinel-secret' });
    master = direct(group.master);
  });
  after(async () => {
    master?.disconnect();
    await group?.stop();
  });

  test('Nauthilus 1.10: register_redis_pool passes sentinel_username / sentinel_password to the sentinels', async () => {
    const services = testServices();
    try {
      const res = await runLua(`
        local r = require("nauthilus_redis")
        r.register_redis_pool("authed", "sentinel", { addresses = { "${group.sentinelAddresses[0]}" }, master_name = "${group.masterName}",
          sentinel_password = "sentinel-secret" })
        r.register_redis_pool("anonymous", "sentinel", { addresses = { "${group.sentinelAddresses[0]}" }, master_name = "${group.masterName}" })
        local set = r.redis_set(r.get_redis_connection("authed"), "auth:k", "v")
        local v, err = r.redis_get(r.get_redis_connection("anonymous"), "auth:k")
        return set, v, err`, { services }) as [string, unknown, string];
      assert.equal(res[0], 'OK');
      assert.equal(res[1], null);
      assert.match(res[2], /^redis: cannot connect: .*(NOAUTH|Authentication)/i);
      assert.equal(await master.get('auth:k'), 'v');
    } finally {
      await services.redis.close();
    }
  });

  test('server.redis: sentinels.password reaches the sentinels', async () => {
    const cfg = load(`
server:
  redis:
    sentinels:
      master: ${group.masterName}
      addresses: [${group.sentinelAddresses[0]}]
      password: sentinel-secret
`);
    const store = new RedisStore({ ...cfg.server.redis, commandTimeoutMs: 2000 });
    try {
      await store.client.set('engine:auth', 'ok');
      assert.equal(await master.get('engine:auth'), 'ok');
    } finally {
      await store.close();
    }
  });
});
