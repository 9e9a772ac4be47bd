// Attack: clients choose metric labels (issue 13, finding 6). /metrics stays small and valid, the heap stays bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import path from 'node:path';
import pino from 'pino';
import { startFixture, FIXTURES, type EngineFixture } from '../helpers/engine-fixture';
import { loadConfigFile } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildAuthRequest } from '../../engine/pipeline/auth-request';

let fx: EngineFixture;
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

before(async () => {
  fx = await startFixture('faults/attack-metrics');
});
after(async () => {
  await fx?.close();
});

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*\})? (?:[-+]?(?:[0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?|Inf|NaN))$/;
const COMMENT = /^# (?:HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (?:counter|gauge|histogram|summary|untyped))$/;

/** Parse the Prometheus text format strictly; returns each metric family's label sets. */
function parseMetrics(text: string): Map<string, Set<string>> {
  const families = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      assert.match(line, COMMENT, `bad comment line in /metrics: ${JSON.stringify(line.slice(0, 200))}`);
      continue;
    }
    const m = SAMPLE.exec(line);
    assert.ok(m, `bad sample line in /metrics: ${JSON.stringify(line.slice(0, 200))}`);
    const name = m[1];
    if (!families.has(name)) families.set(name, new Set());
    families.get(name)!.add(m[2] ?? '');
  }
  return families;
}

const HOSTILE = ['imap', 'IMAP', 'x"y', 'a\\b', 'ünï', '{}', '', '#'];
const randomName = (i: number) => `${Math.random().toString(36).slice(2)}-${i}`;

test('20,000 logins with client-chosen protocols and user names: /metrics stays small and valid, the heap bounded', { timeout: 60_000 }, async (t) => {
  const warm = await fx.app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: { username: 'alice', password: 'alice-secret', protocol: 'imap', client_ip: '192.0.2.1' } });
  assert.equal(warm.statusCode, 200);
  for (let i = 0; i < 200; i++) await fx.engine.authenticate(request(i));
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const N = 20_000;
  let done = 0;
  // 16 concurrent clients, each a fresh protocol and user name on every request
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (done < N) {
      const i = done++;
      if (i % 10 === 0) {
        const r = await fx.app.inject({ method: 'POST', url: '/api/v1/auth/json', payload: { username: randomName(i), password: 'x', protocol: HOSTILE[i % HOSTILE.length] + randomName(i), client_ip: '192.0.2.1' } });
        assert.equal(r.statusCode, 403);
      } else {
        const out = await fx.engine.authenticate(request(i));
        assert.equal(out.decision, 'fail');
      }
    }
  }));
  gc();
  const grown = process.memoryUsage().heapUsed - heap0;

  const res = await fx.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  const bytes = Buffer.byteLength(res.body);
  const families = parseMetrics(res.body);
  const protocols = new Set([...(families.get('authstudio_auth_requests_total') ?? [])].map((l) => /protocol="((?:[^"\\]|\\.)*)"/.exec(l)?.[1]));
  assert.ok(bytes < 1_500_000, `/metrics is ${bytes} bytes after ${N} hostile logins`);
  assert.ok(protocols.has('imap'), `imap is counted under its own name: ${[...protocols].join(', ')}`);
  assert.ok(protocols.has('other'), 'unknown protocols are counted as "other"');
  assert.ok(protocols.size <= 16, `protocol label values are bounded: ${protocols.size}`);
  t.diagnostic(`/metrics ${bytes} bytes, ${protocols.size} protocol labels, heap +${Math.round(grown / 1048576)} MiB`);
  const byUser = families.get('attack_logins_by_user_total')?.size ?? 0;
  assert.ok(byUser > 0 && byUser <= 501, `a script metric keeps at most 500 label sets (+1 overflow): ${byUser}`);
  // the heap holds no per-request label state (bound generous for GC noise: before the fix it grew by ~100 MB)
  assert.ok(grown < 40 * 1024 * 1024, `heap grew by ${Math.round(grown / 1048576)} MiB`);
});

function request(i: number) {
  return buildAuthRequest({ username: randomName(i), password: 'wrong', protocol: randomName(i), client_ip: '192.0.2.1' }, 'auth', 'json');
}

test('worker threads: /metrics sums every thread and stays bounded (each thread keeps at most 500 label sets per script metric)', { timeout: 60_000 }, async () => {
  const config = loadConfigFile(path.join(FIXTURES, 'faults', 'attack-metrics', 'authstudio.yml'));
  const engine = await AuthEngine.create(config, { logger: pino({ level: 'silent' }), workers: 2 });
  try {
    const N = 6000;
    let done = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (done < N) {
        const i = done++;
        assert.equal((await engine.authenticate(request(i))).decision, 'fail');
      }
    }));
    const text = await engine.metricsText();
    const families = parseMetrics(text);
    const byUser = families.get('attack_logins_by_user_total')?.size ?? 0;
    assert.ok(byUser > 500 && byUser <= 2 * 501, `label sets over 2 threads: ${byUser}`);
    assert.ok((families.get('authstudio_auth_requests_total')?.size ?? 0) <= 3 * 16);
    assert.ok(Buffer.byteLength(text) < 3_000_000, `/metrics is ${Buffer.byteLength(text)} bytes`);
  } finally {
    await engine.close();
  }
});
