// The studio's what-if before a save, over every transport: the recorded corpus through the live generation and
// the edited file, naming exactly the logins the edit would refuse, with both traces; nothing recorded, nothing to say.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TRANSPORTS, login, startStudio, ALICE } from './studio-fixture';

const keyHome = fs.mkdtempSync(path.join(os.tmpdir(), 'as-whatif-key-'));
process.env.AUTHSTUDIO_CONFIG_DIR = keyHome;
after(() => fs.rmSync(keyHome, { recursive: true, force: true }));

const SUSPEND_ALICE = (text: string) => text.replace('  if request.authenticated and request.username == "bob"',
  '  if request.authenticated and request.username == "alice" then\n    nauthilus_builtin.status_message_set("alice is suspended")\n    return nauthilus_builtin.FILTER_REJECT, nauthilus_builtin.FILTER_RESULT_OK\n  end\n  if request.authenticated and request.username == "bob"');
const FILTER = 'filters/no_pop3_for_bob.lua';

for (const transport of TRANSPORTS) {
  describe(`whatIf (${transport})`, () => {
    test('an edit that suspends alice refuses exactly her recorded logins that succeed today, with both traces', async () => {
      const h = await startStudio(transport);
      try {
        const original = fs.readFileSync(path.join(h.dir, FILTER), 'utf8');
        const none = await h.client.whatIf({ path: FILTER, content: SUSPEND_ALICE(original) });
        assert.equal(none.corpus, false, 'no corpus yet: nothing to compare');

        assert.deepEqual(await h.client.setRecording({ enabled: true, passwords: true }), { enabled: true, passwords: true, dir: '.authstudio/corpus', recorded: 0 });
        assert.equal((await login(h.studio, ALICE)).status, 200);
        assert.equal((await login(h.studio, { ...ALICE, protocol: 'smtp' })).status, 200);
        assert.equal((await login(h.studio, { username: 'bob', password: 'bob-secret', client_ip: '198.51.100.8', protocol: 'imap' })).status, 200);
        assert.equal((await login(h.studio, { ...ALICE, password: 'wrong-pw-123' })).status, 403);
        assert.equal((await h.client.getRecording()).recorded, 4);

        const r = await h.client.whatIf({ path: FILTER, content: SUSPEND_ALICE(original) });
        assert.equal(r.corpus, true);
        assert.equal(r.entries, 4);
        assert.equal(r.summary, 'this change refuses 2 logins that succeed today');
        assert.deepEqual(r.changed.map((c) => [c.index, c.username, c.protocol, c.before.decision, c.after.decision]), [[0, 'alice', 'imap', 'ok', 'fail'], [1, 'alice', 'smtp', 'ok', 'fail']]);
        const filterRecord = r.changed[0].after.trace?.find((s) => s.stage === 'filter');
        assert.equal(filterRecord?.status_message, 'alice is suspended');
        assert.ok(r.changed[0].before.trace?.some((s) => s.stage === 'filter' && s.result !== filterRecord?.result), 'the live trace is there too');
        // the file on disk (and so the live generation) is untouched by a what-if
        assert.equal(fs.readFileSync(path.join(h.dir, FILTER), 'utf8'), original);
        const same = await h.client.whatIf({ path: FILTER, content: original });
        assert.equal(same.changed.length, 0);
        assert.equal(same.summary, 'no change in 4 recorded requests');
        // the corpus holds no plaintext password
        const corpusDir = path.join(h.dir, '.authstudio', 'corpus');
        const text = fs.readdirSync(corpusDir).map((n) => fs.readFileSync(path.join(corpusDir, n), 'utf8')).join('');
        assert.ok(!text.includes('alice-secret') && !text.includes('wrong-pw-123'));
        assert.equal((await h.client.setRecording({ enabled: false })).enabled, false);
      } finally {
        await h.close();
      }
    });
  });
}
