// Scripts' runtime errors in the studio: simulated requests and real traffic reach the status and the
// runtimeErrors event, counted per place, with a traceback; a new version of the file or a clean run clears them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { RuntimeErrorsEvent } from '../../engine/api/contract';
import { TRANSPORTS, nextEvent, startStudio } from './studio-fixture';

const failing = (e: RuntimeErrorsEvent) => e.problems.some((p) => p.file === 'features/faults.lua');

for (const transport of TRANSPORTS) {
  describe(`runtime errors over ${transport}`, () => {
    test('a failing feature is listed once with a count, file:line and traceback; real traffic counts too; a save clears it', async () => {
      const h = await startStudio(transport, { listen: true });
      try {
        const first = nextEvent<RuntimeErrorsEvent>((l) => h.client.onRuntimeErrors(l), failing);
        const sim = await h.client.simulate({ preset: 'dovecot-imap', username: 'feature-error', password: 'x' });
        assert.equal(sim.decision, 'tempfail');
        const stage = sim.trace.find((s) => s.name === 'faults');
        assert.deepEqual(stage?.traceback?.map((f) => `${f.file}:${f.line}`), ['features/faults.lua:5']);
        assert.match(stage?.error ?? '', /^features\/faults\.lua:5: attempt to index a nil value/, 'the trace names the file as the workspace does');
        const event = await first;
        const [p] = event.problems;
        assert.equal(event.problems.length, 1);
        assert.deepEqual({ file: p.file, line: p.line, stage: p.stage, name: p.name, count: p.count }, { file: 'features/faults.lua', line: 5, stage: 'feature', name: 'faults', count: 1 });
        assert.match(p.message, /attempt to index a nil value/);

        // a request from outside the studio (real traffic on the auth endpoint) is counted on the same entry
        const counted = nextEvent<RuntimeErrorsEvent>((l) => h.client.onRuntimeErrors(l), (e) => e.problems[0]?.count === 2);
        const res = await fetch(`${h.url}/api/v1/auth/json`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'feature-error', password: 'x', client_ip: '192.0.2.7', protocol: 'imap' }),
        });
        assert.equal(res.status, 500);
        await counted;
        const status = await h.client.getStatus();
        assert.equal(status.runtime_errors?.length, 1);
        assert.equal(status.runtime_errors?.[0].count, 2);
        assert.ok((status.runtime_errors?.[0].last_seen ?? 0) >= (status.runtime_errors?.[0].first_seen ?? Infinity));

        // the file's next version goes live: the entry goes away
        const cleared = nextEvent<RuntimeErrorsEvent>((l) => h.client.onRuntimeErrors(l), (e) => !failing(e));
        const file = await h.client.readFile({ path: 'features/faults.lua' });
        const saved = await h.client.saveFile({ path: 'features/faults.lua', content: file.content.replace('return t.boom', 'return false, false, 0'), base_version: file.version });
        assert.equal(saved.reload?.ok, true);
        await cleared;
        assert.deepEqual((await h.client.getStatus()).runtime_errors, []);
      } finally {
        await h.close();
      }
    });
  });
}

describe('runtime errors: a clean run of the stage clears its entry', () => {
  test('after a failing request, one that passes the same feature without error clears it', async () => {
    const h = await startStudio('in-process');
    try {
      await h.client.simulate({ preset: 'dovecot-imap', username: 'feature-error', password: 'x' });
      await nextEvent<RuntimeErrorsEvent>((l) => h.client.onRuntimeErrors(l), failing).catch(() => undefined);
      assert.equal((await h.client.getStatus()).runtime_errors?.length, 1);
      const cleared = nextEvent<RuntimeErrorsEvent>((l) => h.client.onRuntimeErrors(l), (e) => e.problems.length === 0);
      const ok = await h.client.simulate({ preset: 'dovecot-imap', username: 'alice', password: 'alice-secret' });
      assert.equal(ok.decision, 'ok');
      await cleared;
      assert.deepEqual((await h.client.getStatus()).runtime_errors, []);
      assert.ok(fs.existsSync(path.join(h.dir, 'features', 'faults.lua')));
    } finally {
      await h.close();
    }
  });
});
