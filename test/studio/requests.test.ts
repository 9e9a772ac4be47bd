// The studio's request tools through the contract (in-process and HTTP): the hook runner, the Requests history of
// every served request (external curl-like clients included), saved requests run as a collection by the CLI's
// runner, environments, and "New hook" writing the config entry.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { StudioError, type ServedRequest } from '../../engine/api/contract';
import { runTestSuite } from '../../engine/testing/suite';
import { TRANSPORTS, editFile, nextEvent, startStudio, type StudioHarness } from './studio-fixture';

const sample = { fixture: 'lua-plugins.d', listen: true };

/** The newest history entry for which `pred` holds (the history is filled when the response has gone out). */
async function served(h: StudioHarness, pred: (e: ServedRequest) => boolean): Promise<ServedRequest> {
  const listed = (await h.client.listRequests()).find(pred);
  return listed ?? nextEvent<ServedRequest>((l) => h.client.onRequestServed(l), pred);
}

for (const transport of TRANSPORTS) {
  describe(`studio requests over ${transport}`, () => {
    test('the hook runner calls a hook through the engine and returns its answer and the trace of its script', async () => {
      const h = await startStudio(transport, sample);
      try {
        assert.deepEqual((await h.client.getStatus()).hooks, [{ location: 'login-history', method: 'GET', script: 'hooks/login_history.lua' }]);
        const r = await h.client.callHook({ method: 'GET', path: 'login-history?account=alice@example.com' });
        assert.equal(r.status, 200);
        assert.equal(JSON.parse(r.body).account, 'alice@example.com');
        assert.equal(r.trace.length, 1);
        assert.equal(r.trace[0].stage, 'hook');
        assert.equal(r.trace[0].name, 'login-history');
        assert.ok(r.events.some((e) => e.kind === 'redis' && /LRANGE/i.test(String(e.detail.cmd))), 'the LRANGE of the script is in its trace');
        assert.equal(r.request.url, '/api/v1/custom/login-history?account=alice@example.com');
        // a hook the config does not have: the engine's 404, no trace
        const missing = await h.client.callHook({ method: 'POST', path: '/api/v1/custom/login-history' });
        assert.equal(missing.status, 404);
        assert.deepEqual(missing.trace, []);
        await assert.rejects(h.client.callHook({ method: 'TRACE', path: 'login-history' }), (e: unknown) => e instanceof StudioError && e.code === 'AS_ERR_BAD_REQUEST' && /method must be one of/.test(e.message));
      } finally {
        await h.close();
      }
    });

    test('a hook and a login sent by an outside client (fetch, as curl would) appear in the Requests history with their traces', async () => {
      const h = await startStudio(transport, sample);
      try {
        const hookSeen = nextEvent<ServedRequest>((l) => h.client.onRequestServed(l), (e) => e.kind === 'hook');
        const res = await fetch(`${h.url}/api/v1/custom/login-history?account=bob@example.com`);
        assert.equal(res.status, 200);
        const hook = await hookSeen;
        assert.equal(hook.source, 'external');
        assert.equal(hook.url, '/api/v1/custom/login-history?account=bob@example.com');
        const detail = await h.client.getRequest({ id: hook.id });
        assert.equal(detail.trace[0]?.stage, 'hook');
        assert.match(detail.response.body, /bob@example\.com/);

        const login = await fetch(`${h.url}/api/v1/auth/json`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'alice', password: 'alice-secret', client_ip: '203.0.113.9', protocol: 'imap' }),
        });
        assert.equal(login.status, 403);
        const entry = await served(h, (e) => e.kind === 'login');
        assert.equal(entry.decision, 'fail');
        assert.equal(entry.username, 'alice');
        const d = await h.client.getRequest({ id: entry.id });
        assert.ok(d.trace.some((s) => s.stage === 'feature' && s.name === 'blocklist' && s.abort), 'the blocklist stage that refused it is in the trace');
        assert.equal(d.status_message, 'IP address blocked');
        // the studio's own calls (the simulator) are marked as such; its API calls are not engine requests
        await h.client.simulate({ preset: 'dovecot-imap', username: 'alice', password: 'alice-secret' });
        const list = await h.client.listRequests();
        assert.equal(list[0].source, 'studio');
        assert.equal(list[0].decision, 'ok');
        assert.ok(list.every((e) => !e.url.startsWith('/api/studio/')));
        assert.deepEqual((await h.client.listRequests({ since: list[1].id })).map((e) => e.id), [list[0].id]);
        await assert.rejects(h.client.getRequest({ id: 'r999999' }), (e: unknown) => e instanceof StudioError && e.code === 'AS_ERR_NOT_FOUND');
        assert.equal((await h.client.clearRequests()).cleared, list.length);
      } finally {
        await h.close();
      }
    });
  });
}

describe('saved requests and collections', () => {
  test('a login saved with its outcome passes; with the script broken it fails naming the stage that decided', async () => {
    const h = await startStudio('in-process', sample);
    try {
      const sim = await h.client.simulate({ preset: 'dovecot-imap', username: 'alice', password: 'alice-secret', fields: { client_ip: '198.51.100.20' } as never });
      assert.equal(sim.decision, 'ok');
      assert.equal(sim.decided_by, 'backend:lua');
      const saved = await h.client.saveRequest({
        name: 'Alice from the office', login: { request: { username: 'alice', password: 'alice-secret', client_ip: '198.51.100.20', protocol: 'imap' } },
        expect: { decision: sim.decision, status: sim.status, decided_by: sim.decided_by },
      });
      assert.equal(saved.path, 'tests/alice-from-the-office.test.yml');
      const listed = await h.client.listSavedRequests();
      assert.ok(listed.some((s) => s.file === saved.path && s.kind === 'request' && s.name === 'Alice from the office'));
      await assert.rejects(h.client.saveRequest({ name: 'Alice from the office', login: { request: { username: 'x' } }, expect: {} }), (e: unknown) => e instanceof StudioError && e.code === 'AS_ERR_FILE_EXISTS');

      const pass = await h.client.runCollection({ files: [saved.path] });
      assert.deepEqual([pass.passed, pass.failed], [1, 0]);
      // the same file runs in `authstudio test` with the same result
      const cli = await runTestSuite({ workspace: h.dir, files: [saved.path], write: () => undefined });
      assert.equal(cli.passed, 1);

      editFile(h.dir, 'features/blocklist.lua', '{ "203.0.113." }', '{ "203.0.113.", "198.51.100.20" }');
      const fail = await h.client.runCollection({ files: [saved.path] });
      assert.deepEqual([fail.passed, fail.failed], [0, 1]);
      assert.ok(fail.cases[0].failures.includes('decided by: expected backend:lua, got feature:blocklist'), fail.cases[0].failures.join('\n'));
      assert.ok(fail.cases[0].failures.includes('decision: expected ok, got fail'));
      assert.match(fail.cases[0].trace ?? '', /blocklist/);
    } finally {
      await h.close();
    }
  });

  test('environments: {{name}} takes the chosen environment\'s value; an unknown one is named', async () => {
    const h = await startStudio('in-process', sample);
    try {
      fs.writeFileSync(path.join(h.dir, 'tests', 'environments.yml'), 'office: { ip: 198.51.100.7 }\nblocked: { ip: 203.0.113.50 }\n');
      fs.writeFileSync(path.join(h.dir, 'tests', 'by-env.test.yml'), 'name: alice by environment\nrequest: { username: alice, password: alice-secret, client_ip: "{{ip}}" }\nexpect: { decision: ok }\n');
      assert.deepEqual((await h.client.getEnvironments()).environments, { office: { ip: '198.51.100.7' }, blocked: { ip: '203.0.113.50' } });
      const office = await h.client.runCollection({ files: ['tests/by-env.test.yml'], environment: 'office' });
      assert.equal(office.passed, 1);
      const blocked = await h.client.runCollection({ files: ['tests/by-env.test.yml'], environment: 'blocked' });
      assert.deepEqual(blocked.cases[0].failures, ['decision: expected ok, got fail']);
      const none = await h.client.runCollection({ files: ['tests/by-env.test.yml'] });
      assert.match(none.cases[0].failures[0], /\{\{ip\}\} is not a variable of the chosen environment/);
      await assert.rejects(h.client.runCollection({ environment: 'prod' }), /no environment "prod" in tests\/environments\.yml \(it has office, blocked\)/);
    } finally {
      await h.close();
    }
  });

  test('a saved hook call passes, and fails when the hook answers otherwise', async () => {
    const h = await startStudio('in-process', sample);
    try {
      const r = await h.client.callHook({ method: 'GET', path: 'login-history' });
      const saved = await h.client.saveRequest({ name: 'history needs an account', hook: { method: 'GET', path: 'login-history' }, expect: { status: r.status, body: r.body.replace(/"session":"[^"]*"/, '"session":"x"') } });
      const run = await h.client.runCollection({ files: [saved.path] });
      assert.equal(run.failed, 1, 'the session differs per call');
      assert.match(run.cases[0].failures[0], /^body: expected/);
      await h.client.saveRequest({ name: 'history needs an account', hook: { method: 'GET', path: 'login-history' }, expect: { status: 200 }, overwrite: true });
      assert.equal((await h.client.runCollection({ files: [saved.path] })).passed, 1);
    } finally {
      await h.close();
    }
  });

  test('addHook writes the method and location into the config and the hook answers after the reload', async () => {
    const h = await startStudio('in-process', sample);
    try {
      fs.writeFileSync(path.join(h.dir, 'hooks', 'ping.lua'), 'function nauthilus_run_hook(logging, session)\n  return { pong = true }\nend\n');
      const r = await h.client.addHook({ location: 'ping', method: 'post', script: 'hooks/ping.lua' });
      assert.equal(r.reload?.ok, true);
      const text = fs.readFileSync(path.join(h.dir, 'authstudio.yml'), 'utf8');
      assert.match(text, /http_location: ping\n\s+http_method: POST\n\s+script_path: \.\/hooks\/ping\.lua/);
      assert.match(text, /http_location: login-history/, 'the existing hook stays');
      const call = await h.client.callHook({ method: 'POST', path: 'ping' });
      assert.deepEqual(JSON.parse(call.body), { pong: true });
      await assert.rejects(h.client.addHook({ location: 'ping', method: 'POST', script: 'hooks/ping.lua' }), /already has a hook for POST ping/);
    } finally {
      await h.close();
    }
  });
});
