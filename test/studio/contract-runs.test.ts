// The contract suite, part two (every transport): traffic runs, the Redis switch, export and import from the service.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { StudioError, type RedisStatus, type TrafficSummary } from '../../engine/api/contract';
import { loadConfigFile } from '../../engine/config/load';
import { openStudio } from '../../engine/studio/open-studio';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { TRANSPORTS, editFile, nextEvent, startStudio } from './studio-fixture';

let redis: RedisServer;
/** The private server needs a password: a studio secret that must never leak into status or exports. */
const PASSWORD = 's3cret-pw';
let url: string;
before(async () => {
  redis = await startRedisServer();
  const admin = new Redis(redis.port, '127.0.0.1');
  await admin.config('SET', 'requirepass', PASSWORD);
  admin.disconnect();
  url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}/0`;
});
after(async () => {
  await redis.stop();
});

const PREFIX = 'studio-test:';
const withPrefix = (dir: string) => editFile(dir, 'authstudio.yml', '  redis: mock\n', `  redis:\n    mock: true\n    prefix: "${PREFIX}"\n`);

for (const transport of TRANSPORTS) {
  describe(`studio contract over ${transport}: runs, Redis, export`, () => {
    test('traffic: progress events and a correct summary per decision', async () => {
      const h = await startStudio(transport);
      try {
        const progress: TrafficSummary[] = [];
        const off = h.client.onTrafficProgress((p) => progress.push(p));
        const done = nextEvent<TrafficSummary>((l) => h.client.onTrafficDone(l));
        const users = [{ username: 'alice', password: 'alice-secret' }, { username: 'bob', password: 'not-bobs' }];
        const run = await h.client.startTraffic({ profile: { kind: 'users', users }, count: 200, concurrency: 8 });
        assert.equal(run.state, 'running');
        const summary = await done;
        off();
        assert.equal(summary.run_id, run.run_id);
        assert.deepEqual({ state: summary.state, total: summary.total, sent: summary.sent, completed: summary.completed }, { state: 'done', total: 200, sent: 200, completed: 200 });
        assert.deepEqual(summary.by_decision, { ok: 100, fail: 100, tempfail: 0 });
        assert.deepEqual(summary.by_status_message, { 'Invalid login or password': 100 });
        assert.ok(progress.length >= 10, `progress events: ${progress.length}`);
        const completed = progress.map((p) => p.completed);
        assert.deepEqual(completed, [...completed].sort((a, b) => a - b), 'progress only grows');
        assert.equal(completed[completed.length - 1], 200);
        assert.deepEqual(await h.client.getTraffic({ run_id: run.run_id }), summary);

        const attack = await h.client.startTraffic({ profile: { kind: 'attacker-network', network: '203.0.113.0/24', users: ['alice', 'bob'], passwords: ['123456', 'password'] }, count: 40, preset: 'nginx-imap' });
        const attacked = await h.client.getTraffic({ run_id: attack.run_id, wait: true });
        assert.deepEqual(attacked.by_decision, { ok: 0, fail: 40, tempfail: 0 });
        assert.deepEqual(attacked.by_status_message, { 'IP address blocked': 40 });

        const stuffing = await h.client.startTraffic({ profile: { kind: 'credential-stuffing', pairs: [{ username: 'alice', password: 'alice-secret' }, { username: 'carol', password: 'x' }] }, count: 10 });
        assert.deepEqual((await h.client.getTraffic({ run_id: stuffing.run_id, wait: true })).by_decision, { ok: 5, fail: 5, tempfail: 0 });
        await assert.rejects(h.client.startTraffic({ profile: { kind: 'password-spray', users: ['a'], password: 'p', network: '300.1.1.0/24' }, count: 1 }), (e: StudioError) => e.code === 'AS_ERR_BAD_REQUEST' && /network/.test(e.message));
      } finally {
        await h.close();
      }
    });

    test('traffic: a rate-limited run can be cancelled', async () => {
      const h = await startStudio(transport);
      try {
        const first = nextEvent<TrafficSummary>((l) => h.client.onTrafficProgress(l));
        const run = await h.client.startTraffic({ profile: { kind: 'password-spray', users: ['alice', 'bob'], password: 'Summer2024!' }, count: 100_000, rate: 40 });
        assert.ok((await first).completed > 0);
        const done = nextEvent<TrafficSummary>((l) => h.client.onTrafficDone(l));
        const cancelled = await h.client.cancelTraffic({ run_id: run.run_id });
        assert.equal(cancelled.state, 'cancelled');
        assert.ok(cancelled.completed < 100_000 && cancelled.completed === cancelled.sent, JSON.stringify(cancelled));
        assert.equal(cancelled.by_decision.fail, cancelled.completed);
        assert.equal((await done).state, 'cancelled');
      } finally {
        await h.close();
      }
    });

    test('redis: switch to a real Redis at runtime (tested first), browse it, flush only the namespace, saved in the settings', async () => {
      const h = await startStudio(transport, { edit: withPrefix });
      const direct = new Redis({ port: redis.port, host: '127.0.0.1', password: PASSWORD });
      try {
        await direct.set('foreign:key', 'not ours');
        const dead = await h.client.testRedis({ url: 'redis://127.0.0.1:1' });
        assert.equal(dead.ok, false);
        await assert.rejects(h.client.switchRedis({ url: 'redis://127.0.0.1:1' }), (e: StudioError) => e.code === 'AS_ERR_REDIS');
        assert.equal((await h.client.getRedis()).mode, 'mock', 'a failed switch keeps the running store');
        assert.equal((await h.client.testRedis({ url: redis.url })).ok, false, 'a wrong password fails the test');
        assert.equal((await h.client.testRedis({ url })).ok, true);

        const changed = nextEvent<RedisStatus>((l) => h.client.onRedisChanged(l));
        const status = await h.client.switchRedis({ url });
        assert.deepEqual(status, { mode: 'standalone', target: `redis://127.0.0.1:${redis.port}`, prefix: PREFIX, ok: true, saved: true, kept_embedded_keys: 0 });
        assert.deepEqual(await changed, status);
        const settings = path.join(h.dir, '.authstudio', 'settings.json');
        assert.equal(JSON.parse(fs.readFileSync(settings, 'utf8')).redis.url, url);
        assert.equal(fs.statSync(settings).mode & 0o777, 0o600);

        await h.client.simulate({ preset: 'dovecot-imap', username: 'alice', password: 'alice-secret' });
        assert.equal(await direct.get(`${PREFIX}audit:alice:true`), '1', 'scripts now write to the real Redis');
        const page = await h.client.scanKeys({ pattern: '*' });
        assert.deepEqual(page.keys.map((k) => k.key), ['audit:alice:true'], 'keys are shown without the prefix; foreign keys are not');
        assert.deepEqual(await h.client.flushNamespace(), { deleted: 1 });
        assert.equal(await direct.get('foreign:key'), 'not ours', 'flush leaves keys outside the namespace');
        assert.equal(await direct.exists(`${PREFIX}audit:alice:true`), 0);

        const reopened = await openStudio({ workspace: h.dir, listen: '127.0.0.1:0', watch: false, routes: false });
        try {
          assert.equal(reopened.engine.services.redis.mode, 'standalone', 'the saved choice is used on the next start');
        } finally {
          await reopened.close();
        }
        assert.equal((await h.client.switchRedis({ url: 'mock', save: false })).mode, 'mock');
      } finally {
        await direct.flushall();
        direct.disconnect();
        await h.close();
      }
    });

    test('redis: a brute-force block on the embedded store survives a switch to a real Redis and back; the real Redis gets none of it', async () => {
      const bucket = (dir: string) => {
        withPrefix(dir);
        fs.appendFileSync(path.join(dir, 'authstudio.yml'), '\nbrute_force:\n  buckets:\n    - { name: keep_net, period: 1h, cidr: 24, ipv4: true, failed_requests: 2 }\n');
      };
      const h = await startStudio(transport, { edit: bucket });
      const direct = new Redis({ port: redis.port, host: '127.0.0.1', password: PASSWORD });
      const login = (password: string) => h.client.simulate({ preset: 'dovecot-imap', username: 'alice', password, fields: { client_ip: '198.51.100.7' } });
      try {
        for (let i = 0; i < 3; i++) assert.equal((await login(`guess-${i}`)).decision, 'fail');
        assert.equal((await login('alice-secret')).decision, 'fail', 'the network is blocked on the embedded store');
        const embeddedKeys = (await h.client.scanKeys({ pattern: '*' })).keys.map((k) => k.key).sort();
        assert.ok(embeddedKeys.includes('bf:keep_net:198.51.100.0/24'), embeddedKeys.join(', '));

        const real = await h.client.switchRedis({ url, save: false });
        assert.equal(real.kept_embedded_keys, embeddedKeys.length, 'the status says the embedded keys are kept');
        assert.equal((await login('alice-secret')).decision, 'ok', 'the real Redis knows no block');
        assert.deepEqual(await direct.keys(`${PREFIX}bf:*`), [], 'nothing of the embedded store was copied to the real Redis');

        const back = await h.client.switchRedis({ url: 'mock', save: false });
        assert.equal(back.mode, 'mock');
        assert.equal(back.kept_embedded_keys, undefined);
        assert.equal((await login('alice-secret')).decision, 'fail', 'the block is there again');
        const keysBack = (await h.client.scanKeys({ pattern: '*' })).keys.map((k) => k.key).sort();
        assert.ok(embeddedKeys.every((k) => keysBack.includes(k)), `${embeddedKeys.join(', ')} / ${keysBack.join(', ')}`);
      } finally {
        await direct.flushall();
        direct.disconnect();
        await h.close();
      }
    });

    test('export from the service: rewritten paths, every script, a README; studio secrets only when asked', async () => {
      const h = await startStudio(transport);
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'as-export-'));
      try {
        await h.client.switchRedis({ url });
        const report = await h.client.exportBundle({ out });
        assert.equal(report.prefix, '/etc/nauthilus/lua-plugins.d');
        const text = fs.readFileSync(path.join(out, 'nauthilus.yml'), 'utf8');
        assert.match(text, /script_path: \/etc\/nauthilus\/lua-plugins.d\/features\/blocklist.lua/);
        assert.match(text, /address: 127\.0\.0\.1:6379/);
        assert.ok(!text.includes(PASSWORD), 'the studio Redis password stays out');
        for (const f of ['features/blocklist.lua', 'features/faults.lua', 'filters/no_pop3_for_bob.lua', 'actions/note_block.lua', 'actions/audit.lua', 'hooks/status.lua', 'backend/backend.lua']) {
          assert.ok(fs.existsSync(path.join(out, f)), f);
        }
        assert.match(fs.readFileSync(path.join(out, 'README.md'), 'utf8'), /features\/blocklist\.lua.*\/etc\/nauthilus\/lua-plugins\.d\/features\/blocklist\.lua/);
        const withSecrets = await h.client.exportBundle({ out, include_secrets: true });
        assert.match(fs.readFileSync(withSecrets.config, 'utf8'), new RegExp(`address: 127\\.0\\.0\\.1:${redis.port}[\\s\\S]*password: ${PASSWORD}`));
        await assert.rejects(h.client.exportBundle({ out: h.dir }), (e: StudioError) => e.code === 'AS_ERR_BAD_REQUEST');
        await assert.rejects(h.client.exportBundle({ out: 'relative/dir' }), (e: StudioError) => e.code === 'AS_ERR_BAD_REQUEST');
      } finally {
        await h.close();
        fs.rmSync(out, { recursive: true, force: true });
      }
    });

    test('convertConfig and exportBundle({ format }): the workspace in the other layout, with what did not carry over', async () => {
      const h = await startStudio(transport);
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'as-export-'));
      try {
        const r = await h.client.convertConfig({ to: '3.x' });
        assert.equal(r.from, '1.x');
        assert.match(r.yaml, /^runtime:/m);
        assert.match(r.yaml, /name: standard_default_deny/);
        assert.ok(r.notes.some((n) => n.kind === 'changed' && n.path === 'lua.actions[0]'), JSON.stringify(r.notes));
        assert.equal(fs.readFileSync(path.join(h.dir, 'authstudio.yml'), 'utf8').includes('runtime:'), false, 'nothing is written');
        const report = await h.client.exportBundle({ out, format: '3.x' });
        assert.match(fs.readFileSync(report.config, 'utf8'), /^auth:/m);
        assert.ok(report.warnings.some((w) => /written in the Nauthilus 3\.x layout/.test(w)));
        await assert.rejects(h.client.convertConfig({ to: '2.x' as '3.x' }), (e: StudioError) => e.code === 'AS_ERR_BAD_REQUEST');
        await assert.rejects(h.client.exportBundle({ out, format: '2.x' as '3.x' }), (e: StudioError) => e.code === 'AS_ERR_BAD_REQUEST');
      } finally {
        await h.close();
        fs.rmSync(out, { recursive: true, force: true });
      }
    });

    test('import: a Nauthilus config naming /etc/nauthilus paths becomes a workspace with relative paths', async () => {
      const h = await startStudio(transport);
      const host = fs.mkdtempSync(path.join(os.tmpdir(), 'as-nauthilus-host-'));
      const into = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'as-import-')), 'ws');
      try {
        // what a production host has: /etc/nauthilus/nauthilus.yml and /etc/nauthilus/lua-plugins.d/...
        fs.cpSync(h.dir, path.join(host, 'lua-plugins.d'), { recursive: true });
        const config = fs.readFileSync(path.join(h.dir, 'authstudio.yml'), 'utf8').replace(/\.\/(features|filters|actions|hooks|backend)\//g, '/etc/nauthilus/lua-plugins.d/$1/');
        fs.writeFileSync(path.join(host, 'nauthilus.yml'), config);
        const report = await h.client.importConfig({ config: path.join(host, 'nauthilus.yml'), into, scripts_root: path.join(host, 'lua-plugins.d') });
        assert.deepEqual(report.missing, []);
        assert.deepEqual(report.diagnostics, []);
        assert.equal(report.files.length, 7);
        const imported = loadConfigFile(report.config_file);
        assert.equal(imported.lua.features[0].script.path, path.join(into, 'features', 'blocklist.lua'));
        assert.match(fs.readFileSync(report.config_file, 'utf8'), /script_path: \.\/features\/blocklist\.lua/);
        await assert.rejects(h.client.importConfig({ config: path.join(host, 'nauthilus.yml'), into }), (e: StudioError) => /not empty/.test(e.message));
      } finally {
        await h.close();
        fs.rmSync(host, { recursive: true, force: true });
        fs.rmSync(path.dirname(into), { recursive: true, force: true });
      }
    });
  });
}
