// A script in each stage loops, allocates without bound, raises, waits on a dead host or sleeps: tempfail in time, VM replaced, others served, memory back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startFixture, jsonLogin, type EngineFixture } from '../helpers/engine-fixture';
import { TEMPFAIL_MESSAGE } from '../../engine/pipeline/pipeline';

const TIMEOUT_MS = 500; // lua_script_timeout of the fixture
const MARGIN_MS = 750; // scheduling slack on a busy 2-core CI machine (other test files run alongside)
const STAGES = ['feature', 'backend', 'filter', 'action', 'post', 'hook'] as const;
const KINDS = ['loop', 'alloc', 'raise', 'http', 'sleep'] as const;
type Stage = (typeof STAGES)[number];
type Kind = (typeof KINDS)[number];
const POOL: Record<Stage, string> = { feature: 'features', backend: 'backend:default', filter: 'filters', action: 'actions', post: 'actions', hook: 'hooks' };
const ERROR: Record<Kind, RegExp> = {
  loop: /ran longer than lua_script_timeout/, alloc: /not enough memory/, raise: /injected fault/,
  http: /ran longer than lua_script_timeout/, sleep: /ran longer than lua_script_timeout/,
};

let fx: EngineFixture;
let hang: net.Server;
const sockets = new Set<net.Socket>();
/** Per case: the fault's latency and the concurrent good requests' worst latency (for docs/reliability.md). */
const figures: Array<{ case: string; fault_ms: number; good_max_ms: number }> = [];

before(async () => {
  // accepts connections and never answers (a dead backend service)
  hang = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(hang.address() as net.AddressInfo).port}/never`;
  fx = await startFixture('faults/stages', { env: { HANG_URL: url } });
  baseline = await memory();
});
after(async () => {
  await fx?.close();
  for (const s of sockets) s.destroy();
  await new Promise((r) => hang.close(r));
  console.log('lua-fault figures', JSON.stringify(figures));
});

let baseline: Memory;

interface Memory {
  /** Lua heap bytes per live VM, by pool (after a warm-up that ran every pool). */
  perVm: Record<string, number>;
  vms: number;
  rss: number;
}

/** Run every pool once (good requests), then read the pools' Lua heap and the process RSS. */
async function memory(): Promise<Memory> {
  for (let i = 0; i < 3; i++) {
    await alice();
    await jsonLogin(fx.app, { username: 'action-ok', password: 'x', client_ip: '198.51.100.9' }).then((r) => fx.engine.lastTrace(String(r.headers['x-nauthilus-session']))?.postActions);
    await fx.app.inject({ method: 'GET', url: '/api/v1/custom/fault-ok' });
  }
  const perVm: Record<string, number> = {};
  let vms = 0;
  for (const [name, st] of Object.entries(fx.engine.poolStats())) {
    perVm[name] = Math.round(st.memoryBytes / st.vms);
    vms += st.vms;
  }
  return { perVm, vms, rss: process.memoryUsage().rss };
}

const replaced = (pool: string) => fx.engine.poolStats()[pool].replaced;
const alice = async () => {
  const t0 = performance.now();
  const r = await jsonLogin(fx.app, { username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' });
  return { status: r.statusCode, ms: performance.now() - t0 };
};

/** Send the faulty request; returns the HTTP answer and the engine's outcome (with post actions settled). */
async function faulty(stage: Stage, kind: Kind) {
  if (stage === 'hook') {
    const r = await fx.app.inject({ method: 'GET', url: `/api/v1/custom/fault-${kind}` });
    return { status: r.statusCode, body: r.body, authStatus: undefined, trace: undefined, post: undefined };
  }
  const r = await jsonLogin(fx.app, { username: `${stage}-${kind}`, password: 'whatever', client_ip: '198.51.100.8' });
  const out = fx.engine.lastTrace(String(r.headers['x-nauthilus-session']));
  return { status: r.statusCode, body: r.body, authStatus: r.headers['auth-status'], trace: out, post: undefined as unknown };
}

/** CPU-bound faults run inside the wasm VM on the Node thread: nothing else runs until the timeout hook fires. */
const CPU_BOUND = new Set<Kind>(['loop', 'alloc']);
const tick = () => new Promise((r) => setImmediate(r));

for (const stage of STAGES) {
  for (const kind of KINDS) {
    test(`${stage} ${kind}: answered within lua_script_timeout, VM replaced, other logins served meanwhile`, async () => {
      const pool = POOL[stage];
      const before = replaced(pool);
      const t0 = performance.now();
      let faultDone = 0;
      const pending = faulty(stage, kind).then(async (f) => {
        faultDone = performance.now();
        // a post action runs after the answer: its end is when the fault is over
        const records = stage === 'post' ? await f.trace!.postActions : [];
        return { ...f, records, overAt: performance.now() };
      });
      // start the good logins once the faulty script occupies its VM (or, for CPU-bound faults, right after it ran)
      for (let i = 0; i < 200 && fx.engine.poolStats()[pool].busy === 0 && faultDone === 0; i++) await tick();
      const goods = Array.from({ length: 6 }, () => alice().then((g) => ({ ...g, at: performance.now() })));
      const f = await pending;
      const good = await Promise.all(goods);
      const faultMs = f.overAt - t0;
      figures.push({ case: `${stage}/${kind}`, fault_ms: Math.round(faultMs), good_max_ms: Math.round(Math.max(...good.map((g) => g.ms))) });

      assert.deepEqual(good.map((g) => g.status), good.map(() => 200), 'concurrent good logins succeed');
      assert.ok(faultMs < TIMEOUT_MS + MARGIN_MS, `the fault took ${Math.round(faultMs)} ms`);
      if (CPU_BOUND.has(kind)) {
        assert.ok(Math.max(...good.map((g) => g.ms)) < TIMEOUT_MS + MARGIN_MS, 'good logins wait at most the timeout');
      } else if (kind !== 'raise') {
        // the faulty script waits on a host: the others are answered while it waits
        assert.ok(good.every((g) => g.at < f.overAt), 'good logins were answered before the fault ended');
      }
      if (stage === 'post') {
        const rec = f.records.find((r) => r.name === 'post-faults');
        assert.equal(rec?.result, 'error');
        assert.match(rec!.error!, ERROR[kind]);
      }
      if (stage === 'hook') {
        assert.equal(f.status, 500);
        assert.equal(JSON.parse(f.body).error, 'hook failed');
      } else if (stage === 'action' || stage === 'post') {
        // actions never change the decision: the feature's block (action-*) or the unknown user (post-*) fails
        assert.equal(f.status, 403);
        if (stage === 'action') {
          const rec = f.trace!.trace.find((r) => r.stage === 'action');
          assert.equal(rec?.result, 'error');
          assert.match(rec!.error!, ERROR[kind]);
        }
      } else {
        assert.equal(f.status, 500);
        assert.equal(f.authStatus, TEMPFAIL_MESSAGE);
        assert.equal(f.trace!.decision, 'tempfail');
        assert.match(f.trace!.error!, ERROR[kind]);
        assert.equal(f.trace!.trace.at(-1)?.stage, stage, 'the failing stage is the last in the trace');
      }
      assert.equal(replaced(pool), before + 1, `the ${pool} VM was replaced`);
      // the pool serves again at full size
      assert.deepEqual((await Promise.all(Array.from({ length: 4 }, () => alice()))).map((g) => g.status), [200, 200, 200, 200]);
    });
  }
}

test('memory returns to its level: pools hold fresh VMs of the same size, RSS stops growing across fault rounds', async () => {
  const rounds: number[] = [];
  for (let round = 0; round < 4; round++) {
    for (const stage of STAGES) await faulty(stage, 'alloc').then((f) => f.trace?.postActions);
    rounds.push(process.memoryUsage().rss);
  }
  const now = await memory();
  const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
  console.log('memory figures', JSON.stringify({
    before: { perVm: baseline.perVm, vms: baseline.vms, rss_mib: mib(baseline.rss) },
    after: { perVm: now.perVm, vms: now.vms, rss_mib: mib(now.rss) },
    rss_per_round_mib: rounds.map(mib),
  }));
  for (const [pool, bytes] of Object.entries(baseline.perVm)) {
    const ratio = now.perVm[pool] / bytes;
    assert.ok(ratio > 0.5 && ratio < 1.5, `${pool}: ${bytes} bytes per VM before, ${now.perVm[pool]} after`);
  }
  // wasm memory never shrinks, so the first round may grow RSS; later rounds reuse it
  assert.ok(rounds[3] - rounds[0] < 16 * 1048576, `RSS grew ${mib(rounds[3] - rounds[0])} MiB from round 1 to round 4`);
});

test('a script allocating without bound while it loads (top level, init scripts) is stopped by lua_memory_limit', async () => {
  const { LuaVm } = await import('../../engine/lua/vm');
  const { testServices } = await import('../helpers/lua-harness');
  const vm = await LuaVm.create({ poolName: 'load', services: testServices(), memoryLimitBytes: 8 << 20, allowIo: false });
  const rss = process.memoryUsage().rss;
  try {
    await assert.rejects(vm.loadScript('top.lua', 'local t = {} for i = 1, 1e9 do t[i] = string.rep("z", 1024) .. i end', 1000), /not enough memory/);
  } finally {
    vm.close();
    console.log('load-time allocation figures', JSON.stringify({ rss_growth_mib: Math.round((process.memoryUsage().rss - rss) / 1048576) }));
  }
});
