// Line coverage from the studio service: a run of the workspace's test suite (lcov written), and live collection
// from simulated requests and Dovecot runs on the engine's worker threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { CoverageReport } from '../../engine/api/contract';
import { startStudio } from './studio-fixture';

const fileOf = (r: CoverageReport, file: string) => {
  const f = r.files.find((x) => x.file === file);
  assert.ok(f, `${file} not in ${r.files.map((x) => x.file).join(', ')}`);
  return f;
};

test('the sample test suite with coverage: per-file lines and percentages, the same figures in lcov', async () => {
  const h = await startStudio('in-process', { fixture: 'lua-plugins.d' });
  try {
    const r = await h.client.runTestsWithCoverage();
    assert.equal(r.source, 'tests');
    assert.deepEqual({ failed: r.tests?.failed, passedSome: (r.tests?.passed ?? 0) > 0 }, { failed: 0, passedSome: true }, JSON.stringify(r.tests?.failures));
    const blocklist = fileOf(r, 'features/blocklist.lua');
    assert.ok(blocklist.covered > 0 && blocklist.covered <= blocklist.total);
    assert.equal(blocklist.percent, Math.round((1000 * blocklist.covered) / blocklist.total) / 10);
    assert.equal(blocklist.lines.length, blocklist.total);
    const source = fs.readFileSync(`${h.dir}/features/blocklist.lua`, 'utf8').split('\n');
    for (const l of blocklist.lines) assert.ok(!/^\s*(--.*)?$/.test(source[l.line - 1]), `line ${l.line} is blank or a comment: not executable`);
    assert.equal(fileOf(r, 'dovecot/authstudio-2.4.lua').covered, 0, 'a script no test runs is listed at 0 %');

    const lcov = fs.readFileSync(r.lcov_file!, 'utf8');
    const record = lcov.split('end_of_record').find((rec) => rec.includes('SF:features/blocklist.lua\n'))!;
    assert.match(record, new RegExp(`LF:${blocklist.total}\\nLH:${blocklist.covered}\\n`));
    for (const l of blocklist.lines) assert.ok(record.includes(`DA:${l.line},${l.hits}\n`), `DA:${l.line},${l.hits}`);
    assert.deepEqual(await h.client.getCoverage(), r, 'getCoverage returns the latest report');
  } finally {
    await h.close();
  }
});

test('live coverage: simulated requests and Dovecot runs count while collecting, nothing after stop', async () => {
  const h = await startStudio('in-process', { fixture: 'lua-plugins.d' });
  try {
    const started = await h.client.startCoverage();
    assert.equal(started.collecting, true);
    // loading the scripts (top-level lines, init scripts) already counts
    assert.equal((await h.client.simulate({ preset: 'dovecot-imap', username: 'alice', password: 'alice-secret' })).decision, 'ok');
    await h.client.runDovecot({ path: 'dovecot/nextcloud/auth-httpbasic.lua', user: 'alice', password: 'x', remote_ip: '198.51.100.7' }).catch(() => undefined);
    const during = await h.client.getCoverage();
    assert.equal(during.source, 'live');
    assert.ok(fileOf(during, 'backend/backend.lua').covered > fileOf(started, 'backend/backend.lua').covered, 'the backend ran on a worker thread and its lines were counted');
    assert.ok(fileOf(during, 'features/blocklist.lua').covered > fileOf(started, 'features/blocklist.lua').covered);
    assert.ok(fileOf(during, 'dovecot/nextcloud/auth-httpbasic.lua').covered > 0, 'the Dovecot run was counted');
    assert.equal(fileOf(during, 'hooks/login_history.lua').covered, fileOf(started, 'hooks/login_history.lua').covered, 'the hook was not called');

    const stopped = await h.client.stopCoverage();
    assert.equal(stopped.collecting, false);
    const hits = (r: CoverageReport) => fileOf(r, 'backend/backend.lua').lines.reduce((n, l) => n + l.hits, 0);
    await h.client.simulate({ preset: 'dovecot-imap', username: 'alice', password: 'alice-secret' });
    assert.equal(hits(await h.client.getCoverage()), hits(stopped), 'requests after stop are not counted');
    assert.equal((await h.client.getStatus()).healthy, true);
  } finally {
    await h.close();
  }
});
