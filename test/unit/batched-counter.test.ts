// The engine's per-login counters (engine/monitoring/batched-counter.ts): increments summed in plain numbers and
// handed to prom-client when metrics are read. A scrape must see every login before it, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { BatchedCounter } from '../../engine/monitoring/batched-counter';

test('/metrics counts every login made before each scrape exactly once, per series, across scrapes', async () => {
  const registry = new Registry();
  const c = new BatchedCounter({ name: 'authstudio_auth_requests_total', help: 'h', labelNames: ['decision', 'protocol'], registers: [registry] });
  const value = async (decision: string, protocol: string) => {
    const m = new RegExp(`^authstudio_auth_requests_total\\{decision="${decision}",protocol="${protocol}"\\} (\\S+)$`, 'm').exec(await registry.metrics());
    return m ? Number(m[1]) : undefined;
  };
  for (let i = 0; i < 3; i++) c.inc('ok\0imap', { decision: 'ok', protocol: 'imap' });
  c.inc('fail\0smtp', { decision: 'fail', protocol: 'smtp' });
  assert.equal(await value('ok', 'imap'), 3);
  assert.equal(await value('fail', 'smtp'), 1);
  // nothing new: the same totals (not added twice)
  assert.equal(await value('ok', 'imap'), 3);
  c.inc('ok\0imap', { decision: 'ok', protocol: 'imap' }, 2);
  assert.equal(await value('ok', 'imap'), 5);
  assert.equal(await value('fail', 'smtp'), 1);
  // the JSON form the worker threads' registries are merged from reads the same totals
  const json = await registry.getMetricsAsJSON();
  assert.deepEqual(json[0].values.map((v) => [v.labels, v.value]), [[{ decision: 'ok', protocol: 'imap' }, 5], [{ decision: 'fail', protocol: 'smtp' }, 1]]);
});
