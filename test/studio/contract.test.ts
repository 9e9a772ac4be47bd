// One contract suite, run against every transport (in-process and HTTP + Server-Sent Events): workspace files,
// path confinement, hot reload with diagnostics, external edits, the simulator, logs and the Redis key browser.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StudioError, type LogLine, type ReloadResult, type FilesChangedEvent } from '../../engine/api/contract';
import { ALICE, TRANSPORTS, editFile, login, nextEvent, startStudio, type StudioHarness } from './studio-fixture';

const BLOCKLIST = 'features/blocklist.lua';
const BLOCK_ALL = 'function nauthilus_call_feature(r)\n  nauthilus_builtin.status_message_set("closed for maintenance")\n  return true, true, 0\nend\n';
const SYNTAX_ERROR = '-- broken on line 3\nfunction nauthilus_call_feature(r)\n  return true,, 0\nend\n';

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<StudioError> {
  let err: unknown;
  await assert.rejects(p, (e: unknown) => ((err = e), true));
  assert.ok(err instanceof StudioError, `expected a StudioError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (message) assert.match(err.message, message);
  return err;
}

/** A login the way a client of this transport sends it: over the socket for HTTP, through inject() in-process. */
async function loginVia(h: StudioHarness, fields: Record<string, string>) {
  if (!h.url) return login(h.studio, fields);
  const res = await fetch(`${h.url}/api/v1/auth/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fields) });
  await res.arrayBuffer();
  return { status: res.status, authStatus: res.headers.get('auth-status') ?? '' };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const transport of TRANSPORTS) {
  describe(`studio contract over ${transport}`, () => {
    test('status, file list and reading; stale saves are refused', async () => {
      const h = await startStudio(transport);
      try {
        const status = await h.client.getStatus();
        assert.equal(status.healthy, true);
        assert.equal(status.config_file, 'authstudio.yml');
        assert.deepEqual({ mode: status.redis.mode, target: status.redis.target, ok: status.redis.ok }, { mode: 'mock', target: 'embedded', ok: true });
        const files = await h.client.listFiles();
        assert.ok(files.some((f) => f.path === BLOCKLIST && f.kind === 'file'));
        assert.ok(files.some((f) => f.path === 'features' && f.kind === 'directory'));
        const file = await h.client.readFile({ path: BLOCKLIST });
        assert.match(file.content, /nauthilus_call_feature/);
        assert.match(file.version, /^[0-9a-f]{16}$/);
        await rejectsWith(h.client.readFile({ path: 'features/nope.lua' }), 'AS_ERR_NOT_FOUND');
        fs.appendFileSync(path.join(h.dir, BLOCKLIST), '-- edited elsewhere\n');
        await rejectsWith(h.client.saveFile({ path: BLOCKLIST, content: BLOCK_ALL, base_version: file.version }), 'AS_ERR_FILE_CONFLICT', /changed on disk/);
        assert.match(fs.readFileSync(path.join(h.dir, BLOCKLIST), 'utf8'), /edited elsewhere/, 'the other edit survives');
      } finally {
        await h.close();
      }
    });

    test('create, rename and delete files and folders; each change is announced', async () => {
      const h = await startStudio(transport);
      try {
        const announced = nextEvent<FilesChangedEvent>((l) => h.client.onFilesChanged(l), (e) => e.paths.includes('notes/todo.md'));
        const created = await h.client.createFile({ path: 'notes/todo.md', content: 'check the RBL' });
        assert.equal(created.reload, undefined, 'a note is not a script: no reload');
        assert.equal((await announced).source, 'studio');
        await rejectsWith(h.client.createFile({ path: 'notes/todo.md' }), 'AS_ERR_FILE_EXISTS', /already exists/);
        await h.client.createFile({ path: 'lib', kind: 'directory' });
        assert.ok(fs.statSync(path.join(h.dir, 'lib')).isDirectory());
        await h.client.renameFile({ from: 'notes/todo.md', to: 'notes/done.md' });
        assert.equal((await h.client.readFile({ path: 'notes/done.md' })).content, 'check the RBL');
        await rejectsWith(h.client.readFile({ path: 'notes/todo.md' }), 'AS_ERR_NOT_FOUND');
        const script = await h.client.createFile({ path: 'features/extra.lua', content: 'function nauthilus_call_feature(r) return false, false, 0 end\n' });
        assert.equal(script.reload?.ok, true, 'a new script triggers a reload');
        await rejectsWith(h.client.deleteFile({ path: 'notes' }), 'AS_ERR_BAD_REQUEST', /not empty/);
        await h.client.deleteFile({ path: 'notes', recursive: true });
        assert.equal(fs.existsSync(path.join(h.dir, 'notes')), false);
        const left = fs.readdirSync(path.join(h.dir, 'features'));
        assert.deepEqual(left.filter((n) => n.startsWith('.')), [], 'atomic saves leave no temp files behind');
      } finally {
        await h.close();
      }
    });

    test('paths escaping the workspace are refused: "..", absolute, symlinks out, the settings folder', async () => {
      const h = await startStudio(transport);
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'as-outside-'));
      try {
        fs.writeFileSync(path.join(outside, 'secret.txt'), 'top secret');
        fs.symlinkSync(outside, path.join(h.dir, 'link'));
        fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(h.dir, 'secret-link.txt'));
        for (const p of ['../outside.lua', 'features/../../x.lua', '/etc/passwd', '.authstudio/settings.json', 'link/secret.txt', 'secret-link.txt']) {
          await rejectsWith(h.client.readFile({ path: p }), 'AS_ERR_PATH_REFUSED', /refused/);
        }
        await rejectsWith(h.client.saveFile({ path: '../evil.lua', content: 'x' }), 'AS_ERR_PATH_REFUSED', /outside the workspace/);
        await rejectsWith(h.client.saveFile({ path: 'link/evil.lua', content: 'x' }), 'AS_ERR_PATH_REFUSED', /symlink/);
        await rejectsWith(h.client.renameFile({ from: BLOCKLIST, to: '/tmp/stolen.lua' }), 'AS_ERR_PATH_REFUSED');
        await rejectsWith(h.client.deleteFile({ path: 'link/secret.txt' }), 'AS_ERR_PATH_REFUSED');
        assert.equal(fs.existsSync(path.join(h.dir, '..', 'evil.lua')), false);
        assert.deepEqual(fs.readdirSync(outside), ['secret.txt'], 'nothing was written outside');
        assert.equal(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8'), 'top secret');
        const listed = (await h.client.listFiles()).map((f) => f.path);
        assert.ok(!listed.some((p) => p.startsWith('link') || p.startsWith('secret-link')), 'links leading out are not listed');
      } finally {
        await h.close();
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });

    test('a good save changes the very next decision: saveFile answers once the new version serves (reload-to-serve figures printed)', async (t) => {
      const h = await startStudio(transport);
      try {
        const original = (await h.client.readFile({ path: BLOCKLIST })).content;
        const figures: number[] = [];
        const engineMs: number[] = [];
        for (let i = 0; i < 7; i++) {
          const blockAll = i % 2 === 0;
          const t0 = performance.now();
          const saved = await h.client.saveFile({ path: BLOCKLIST, content: blockAll ? BLOCK_ALL : original });
          const served = await loginVia(h, ALICE);
          figures.push(performance.now() - t0);
          assert.equal(saved.reload?.ok, true);
          engineMs.push(saved.reload!.duration_ms);
          assert.equal(served.status, blockAll ? 403 : 200);
          if (blockAll) assert.equal(served.authStatus, 'closed for maintenance');
        }
        const best = Math.min(...figures);
        t.diagnostic(`reload-to-serve over ${transport}: ${figures.map((f) => f.toFixed(1)).join(', ')} ms (best ${best.toFixed(1)}, median ${median(figures).toFixed(1)} ms); reload itself ${engineMs.map((f) => f.toFixed(1)).join(', ')} ms`);
        // speed is not asserted here (test files share the cores): the 100 ms target is checked by `npm run bench`'s
        // hot-reload run, which reports when the new version serves
      } finally {
        await h.close();
      }
    });

    test('a save with a syntax error keeps the old script serving and reports file and line', async () => {
      const h = await startStudio(transport);
      try {
        const failed = nextEvent<ReloadResult>((l) => h.client.onReload(l), (r) => !r.ok);
        const saved = await h.client.saveFile({ path: BLOCKLIST, content: SYNTAX_ERROR });
        assert.equal(saved.reload?.ok, false);
        const [d] = saved.reload!.diagnostics;
        assert.deepEqual({ file: d.file, line: d.line, code: d.code }, { file: BLOCKLIST, line: 3, code: 'AS_ERR_LUA_SYNTAX' });
        assert.match(d.message, /unexpected symbol near ','/);
        assert.equal(typeof d.column, 'number');
        assert.deepEqual((await failed).diagnostics, saved.reload!.diagnostics, 'clients get the same diagnostics as an event');
        assert.equal(fs.readFileSync(path.join(h.dir, BLOCKLIST), 'utf8'), SYNTAX_ERROR, 'the text is saved even though it does not compile');
        const status = await h.client.getStatus();
        assert.equal(status.healthy, false);
        assert.equal(status.diagnostics[0].line, 3);
        assert.equal((await h.client.simulate({ preset: 'dovecot-imap', username: 'alice', password: 'alice-secret' })).decision, 'ok', 'the old version serves');
        const blocked = await h.client.simulate({ preset: 'dovecot-imap', username: 'alice', password: 'alice-secret', fields: { client_ip: '203.0.113.9' } });
        assert.equal(blocked.status_message, 'IP address blocked', 'the old blocklist still blocks');
        const fixed = await h.client.saveFile({ path: BLOCKLIST, content: BLOCK_ALL });
        assert.equal(fixed.reload?.ok, true);
        assert.equal((await h.client.getStatus()).healthy, true);
      } finally {
        await h.close();
      }
    });

    test('a workspace that does not load still opens with its diagnostics; fixing it in the studio makes it serve', async () => {
      const h = await startStudio(transport, { fixture: 'bad-script' });
      try {
        const status = await h.client.getStatus();
        assert.equal(status.healthy, false);
        assert.equal(status.last_reload?.trigger, 'startup');
        const d = status.diagnostics[0];
        assert.equal(d.file, 'features/broken.lua');
        assert.equal(d.code, 'AS_ERR_LUA_SYNTAX');
        const fixed = (await h.client.readFile({ path: 'features/broken.lua' })).content.replace('return true, true, 0\n', 'return true, true, 0\n  end\n');
        const saved = await h.client.saveFile({ path: 'features/broken.lua', content: fixed });
        assert.equal(saved.reload?.ok, true, JSON.stringify(saved.reload?.diagnostics));
        assert.equal((await h.client.getStatus()).healthy, true);
        assert.equal((await login(h.studio, ALICE)).status, 403, 'the fixed feature now serves (it triggers for everyone)');
      } finally {
        await h.close();
      }
    });

    test('a config change is validated first: an unknown key is reported with line:column, a valid change applies', async () => {
      const h = await startStudio(transport);
      try {
        const config = (await h.client.readFile({ path: 'authstudio.yml' })).content;
        assert.equal((await login(h.studio, { username: 'bob', password: 'bob-secret', protocol: 'pop3' })).status, 403);
        const typo = config.replace('  lua_script_timeout: 500ms\n', '  lua_script_timeout: 500ms\n  max_concurent_requests: 10\n');
        const bad = await h.client.saveFile({ path: 'authstudio.yml', content: typo });
        assert.equal(bad.reload?.ok, false);
        const d = bad.reload!.diagnostics[0];
        const line = typo.split('\n').findIndex((l) => l.includes('max_concurent_requests')) + 1;
        assert.deepEqual({ file: d.file, line: d.line, column: d.column, code: d.code }, { file: 'authstudio.yml', line, column: 3, code: 'AS_ERR_CONFIG_UNKNOWN_KEY' });
        const withoutFilter = config.replace(/  filters:\n    - name: no-pop3-for-bob\n      script_path: \.\/filters\/no_pop3_for_bob\.lua\n/, '');
        assert.notEqual(withoutFilter, config);
        const good = await h.client.saveFile({ path: 'authstudio.yml', content: withoutFilter });
        assert.equal(good.reload?.ok, true);
        assert.equal((await login(h.studio, { username: 'bob', password: 'bob-secret', protocol: 'pop3' })).status, 200, 'the filter is gone without restarting the listener');
      } finally {
        await h.close();
      }
    });

    test('an external edit (another editor, a new folder) is picked up and reloaded', async (t) => {
      const h = await startStudio(transport);
      try {
        const reloaded = nextEvent<ReloadResult>((l) => h.client.onReload(l), (r) => r.trigger === 'external');
        const announced = nextEvent<FilesChangedEvent>((l) => h.client.onFilesChanged(l), (e) => e.source === 'external' && e.paths.includes(BLOCKLIST));
        const t0 = performance.now();
        fs.writeFileSync(path.join(h.dir, BLOCKLIST), BLOCK_ALL);
        const r = await reloaded;
        t.diagnostic(`external edit to reload done over ${transport}: ${(performance.now() - t0).toFixed(1)} ms (watcher debounce included)`);
        assert.equal(r.ok, true);
        assert.deepEqual(r.files, [BLOCKLIST]);
        await announced;
        assert.equal((await login(h.studio, ALICE)).authStatus, 'closed for maintenance');

        const inNewFolder = nextEvent<FilesChangedEvent>((l) => h.client.onFilesChanged(l), (e) => e.paths.includes('lualib/helpers.lua'));
        fs.mkdirSync(path.join(h.dir, 'lualib'));
        fs.writeFileSync(path.join(h.dir, 'lualib', 'helpers.lua'), 'return {}\n');
        assert.equal((await inNewFolder).source, 'external');
      } finally {
        await h.close();
      }
    });

    test('simulator: presets go through the real HTTP path and return trace, Redis commands, log lines and response', async () => {
      const h = await startStudio(transport, {
        edit: (dir) => editFile(dir, 'backend/backend.lua', '  nauthilus_builtin.custom_log_add("backend_user", request.username)\n',
          '  nauthilus_builtin.custom_log_add("backend_user", request.username)\n  require("nauthilus_util").print_result({ log_format = "json" }, { caller = "backend.lua", message = "looked up " .. request.username })\n'),
      });
      try {
        const ids = (await h.client.listPresets()).map((p) => p.id);
        for (const id of ['dovecot-imap', 'dovecot-pop3', 'dovecot-sieve', 'dovecot-lmtp', 'dovecot-submission', 'nginx-imap', 'nginx-pop3', 'nginx-smtp', 'postfix-submission', 'custom']) {
          assert.ok(ids.includes(id as never), `preset ${id}`);
        }
        const imap = await h.client.simulate({ preset: 'dovecot-imap', username: 'alice', password: 'alice-secret' });
        assert.equal(imap.decision, 'ok');
        assert.equal(imap.status, 200);
        assert.equal(imap.headers['auth-user'], 'alice@example.test');
        assert.equal((imap.body as { ok: boolean }).ok, true);
        const sent = JSON.parse(imap.request.body!) as Record<string, string>;
        assert.deepEqual({ service: sent.service, local_port: sent.local_port, ssl: sent.ssl, method: sent.method }, { service: 'imap', local_port: '993', ssl: '1', method: 'plain' });
        assert.ok(imap.request.headers['X-Dovecot-Session']);
        assert.deepEqual(imap.trace.map((s) => `${s.stage}:${s.name}`), ['feature:blocklist', 'feature:faults', 'backend:lua', 'filter:no-pop3-for-bob', 'post_action:audit']);
        assert.equal(imap.trace[2].logs.backend_user, 'alice');
        const redis = imap.events.filter((e) => e.kind === 'redis');
        assert.ok(redis.some((e) => e.stage === 'post_action' && JSON.stringify(e.detail).includes('audit:alice:true')), JSON.stringify(imap.events));
        assert.ok(imap.events.some((e) => e.kind === 'log' && JSON.stringify(e.detail).includes('looked up alice')), 'script log lines are in the trace');

        const nginx = await h.client.simulate({ preset: 'nginx-imap', username: 'alice', password: 'wrong' });
        assert.deepEqual({ decision: nginx.decision, status: nginx.status, method: nginx.request.method, url: nginx.request.url }, { decision: 'fail', status: 200, method: 'GET', url: '/api/v1/auth/nginx' });
        assert.equal(nginx.headers['auth-status'], 'Invalid login or password');

        const smtp = await h.client.simulate({ preset: 'nginx-smtp', username: 'bob', password: 'bob-secret', fields: { client_ip: '203.0.113.5' } });
        assert.equal(smtp.decision, 'fail');
        assert.equal(smtp.headers['auth-error-code'], '535 5.7.8');
        assert.equal(smtp.trace.find((s) => s.name === 'blocklist')?.triggered, true);
        // Nauthilus 1.10 (core/features.go processFeatureAction): the lua actions see request.feature "lua"
        assert.equal(smtp.trace.find((s) => s.name === 'note-block')?.logs.blocked_by, 'lua');

        const postfix = await h.client.simulate({ preset: 'postfix-submission', username: 'bob', password: 'bob-secret' });
        assert.equal(postfix.decision, 'ok');
        assert.deepEqual({ service: JSON.parse(postfix.request.body!).service, port: JSON.parse(postfix.request.body!).local_port }, { service: 'smtp', port: '587' });

        const pop3 = await h.client.simulate({ preset: 'dovecot-pop3', username: 'bob', password: 'bob-secret' });
        assert.deepEqual({ decision: pop3.decision, status: pop3.status, msg: pop3.status_message }, { decision: 'fail', status: 403, msg: 'POP3 is disabled for this account' });

        const lmtp = await h.client.simulate({ preset: 'dovecot-lmtp', username: 'bob' });
        assert.equal(lmtp.decision, 'ok');
        assert.equal(lmtp.request.url, '/api/v1/auth/json?mode=no-auth');
        assert.equal(JSON.parse(lmtp.request.body!).password, undefined);

        const custom = await h.client.simulate({ preset: 'custom', request: { url: '/api/v1/auth/header', headers: { 'Auth-User': 'alice', 'Auth-Pass': 'alice-secret', 'Client-IP': '198.51.100.7', 'Auth-Protocol': 'imap' } } });
        assert.equal(custom.decision, 'ok');
        assert.equal(custom.headers['x-nauthilus-uid'], '1001');
        await rejectsWith(h.client.simulate({ preset: 'custom', request: { url: '/api/studio/call/deleteFile' } }), 'AS_ERR_BAD_REQUEST', /auth endpoint/);
        await rejectsWith(h.client.simulate({ preset: 'imap4' as never }), 'AS_ERR_BAD_REQUEST', /unknown preset/);
      } finally {
        await h.close();
      }
    });

    test('logs: request log lines with custom_log_add output arrive live', async () => {
      const h = await startStudio(transport);
      try {
        const line = nextEvent<LogLine>((l) => h.client.onLog(l), (l) => l.msg === 'auth' && l.fields.username === 'alice');
        const sim = await h.client.simulate({ preset: 'dovecot-imap', username: 'alice', password: 'alice-secret' });
        const got = await line;
        assert.equal(got.level, 'info');
        assert.equal(got.session, sim.session);
        assert.deepEqual({ result: got.fields.result, backend_user: got.fields.backend_user, filter_account: got.fields.filter_account }, { result: 'ok', backend_user: 'alice', filter_account: 'alice@example.test' });
      } finally {
        await h.close();
      }
    });

    test('redis key browser on the embedded store: scan, type, TTL, value, delete, flush', async () => {
      const h = await startStudio(transport);
      try {
        await h.client.simulate({ preset: 'dovecot-imap', username: 'alice', password: 'alice-secret' });
        await h.client.simulate({ preset: 'dovecot-imap', username: 'alice', password: 'alice-secret' });
        const page = await h.client.scanKeys({ pattern: 'audit:*' });
        assert.equal(page.cursor, '0');
        assert.deepEqual(page.keys, [{ key: 'audit:alice:true', type: 'string', ttl: -1 }]);
        const v = await h.client.getKey({ key: 'audit:alice:true' });
        assert.deepEqual({ value: v.value, type: v.type, truncated: v.truncated }, { value: '2', type: 'string', truncated: false });
        assert.deepEqual(await h.client.deleteKey({ key: 'audit:alice:true' }), { deleted: true });
        await rejectsWith(h.client.getKey({ key: 'audit:alice:true' }), 'AS_ERR_NOT_FOUND');
        await h.client.simulate({ preset: 'dovecot-imap', username: 'bob', password: 'wrong' });
        const flushed = await h.client.flushNamespace();
        assert.ok(flushed.deleted >= 1);
        assert.deepEqual((await h.client.scanKeys()).keys, []);
      } finally {
        await h.close();
      }
    });
  });
}
