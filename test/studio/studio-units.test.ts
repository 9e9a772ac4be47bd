// The studio's building blocks on their own: path confinement, atomic saves, the watcher, presets, profiles, diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuthStudioError } from '../../engine/errors/registry';
import { Workspace } from '../../engine/studio/workspace';
import { FileWatcher } from '../../engine/studio/file-watcher';
import { buildWireRequest } from '../../engine/studio/presets';
import { compileProfile } from '../../engine/studio/traffic-profiles';
import { toDiagnostics, workspaceFile } from '../../engine/studio/diagnostics';
import { parseLine } from '../../engine/studio/log-tap';
import { hostScriptRoot } from '../../engine/studio/import';
import { maskRedisUrl } from '../../engine/studio/settings';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'as-unit-'));
}

test('workspace paths: normalised, and anything leaving the folder is refused', () => {
  const dir = tmp();
  try {
    const ws = new Workspace(dir);
    assert.equal(ws.paths.normalise('./features//a.lua'), 'features/a.lua');
    for (const bad of ['', '..', 'a/../../b', '/abs', 'C:/x', 'a\\b', 'a\u0000b', '.authstudio/settings.json', 123]) {
      assert.throws(() => ws.paths.resolve(bad), (e: AuthStudioError) => e.code === 'AS_ERR_PATH_REFUSED', String(bad));
    }
    fs.symlinkSync('/nonexistent/target', path.join(dir, 'dangling'));
    assert.throws(() => ws.paths.resolve('dangling/x.lua'), /points nowhere/);
    fs.mkdirSync(path.join(dir, 'real'));
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'alias'));
    assert.equal(ws.paths.resolve('alias/new.lua').abs, path.join(ws.root, 'real', 'new.lua'), 'a symlink that stays inside is followed');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('atomic saves: temp file and rename, mode kept, writing through an inner symlink updates its target', () => {
  const dir = tmp();
  try {
    const ws = new Workspace(dir);
    const a = ws.write('scripts/a.lua', 'one');
    fs.chmodSync(a.abs, 0o640);
    ws.write('scripts/a.lua', 'two');
    assert.equal(fs.readFileSync(a.abs, 'utf8'), 'two');
    assert.equal(fs.statSync(a.abs).mode & 0o777, 0o640);
    assert.deepEqual(fs.readdirSync(path.dirname(a.abs)), ['a.lua'], 'no temp file is left');
    fs.symlinkSync(a.abs, path.join(dir, 'link.lua'));
    ws.write('link.lua', 'three');
    assert.ok(fs.lstatSync(path.join(dir, 'link.lua')).isSymbolicLink(), 'the link stays a link');
    assert.equal(fs.readFileSync(a.abs, 'utf8'), 'three');
    assert.throws(() => ws.write('scripts/a.lua', 42 as unknown as string), /content must be a string/);
    assert.equal(fs.readFileSync(a.abs, 'utf8'), 'three', 'a refused save leaves the file as it was');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('file watcher: a burst is one batch; new folders, deletions are seen; temp and dot files are not', async () => {
  const dir = fs.realpathSync(tmp());
  fs.mkdirSync(path.join(dir, 'features'));
  fs.writeFileSync(path.join(dir, 'features', 'a.lua'), 'a');
  const batches: string[][] = [];
  let wake: (() => void) | undefined;
  const watcher = new FileWatcher(dir, (paths) => {
    batches.push(paths);
    wake?.();
  }, { debounceMs: 40 });
  // the watcher itself does not keep the process alive (persistent: false): the failure timer does meanwhile
  const next = () => new Promise<string[]>((resolve, reject) => {
    const have = batches.length;
    const timer = setTimeout(() => reject(new Error('no batch within 10 s')), 10_000);
    wake = () => {
      if (batches.length <= have) return;
      clearTimeout(timer);
      resolve(batches[batches.length - 1]);
    };
  });
  try {
    watcher.start();
    let batch = next();
    fs.writeFileSync(path.join(dir, 'features', 'a.lua'), 'a2');
    fs.writeFileSync(path.join(dir, 'features', '.a.lua.123.authstudio-tmp'), 'x');
    fs.writeFileSync(path.join(dir, 'features', 'b.lua'), 'b');
    fs.writeFileSync(path.join(dir, 'features', 'a.lua~'), 'backup');
    assert.deepEqual(await batch, ['features/a.lua', 'features/b.lua']);
    batch = next();
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.writeFileSync(path.join(dir, 'lib', 'x.lua'), 'x');
    const seen = await batch;
    assert.ok(seen.includes('lib/x.lua'), JSON.stringify(seen));
    batch = next();
    fs.rmSync(path.join(dir, 'features', 'b.lua'));
    assert.deepEqual(await batch, ['features/b.lua']);
    assert.equal(watcher.folderCount, 3);
  } finally {
    watcher.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('presets: nginx escapes the login, headers cannot carry line breaks, custom JSON bodies get a content type', () => {
  const nginx = buildWireRequest({ preset: 'nginx-imap', username: 'j doe@example.com', password: 'p%ss word' });
  assert.equal(nginx.headers['Auth-User'], 'j%20doe%40example.com');
  assert.equal(nginx.headers['Auth-Pass'], 'p%25ss%20word');
  assert.equal(nginx.headers['Auth-SSL'], 'on');
  assert.throws(() => buildWireRequest({ preset: 'nginx-imap', username: 'a', fields: { client_ip: '1.2.3.4\r\nX-Evil: 1' } }), /line breaks/);
  assert.throws(() => buildWireRequest({ preset: 'dovecot-imap', fields: { colour: 'red' } as never }), /unknown field "colour"/);
  const custom = buildWireRequest({ preset: 'custom', request: { url: '/api/v1/auth/json', body: { username: 'a' } } });
  assert.deepEqual({ method: custom.method, type: custom.headers['Content-Type'], body: custom.body }, { method: 'POST', type: 'application/json', body: '{"username":"a"}' });
  const sieve = JSON.parse(buildWireRequest({ preset: 'dovecot-sieve', username: 'a', password: 'b' }).body!);
  assert.deepEqual({ service: sieve.service, port: sieve.local_port }, { service: 'sieve', port: '4190' });
});

test('traffic profiles: addresses stay in the network, each user keeps one address, bad profiles are refused', () => {
  const attack = compileProfile({ kind: 'attacker-network', network: '203.0.113.77/24', users: ['a', 'b'], passwords: ['1', '2', '3'] });
  const tries = Array.from({ length: 600 }, (_, i) => attack.attempt(i));
  assert.ok(tries.every((t) => /^203\.0\.113\.(\d+)$/.test(t.client_ip) && Number(t.client_ip.split('.')[3]) >= 1 && Number(t.client_ip.split('.')[3]) <= 254));
  assert.deepEqual(tries.slice(0, 6).map((t) => `${t.username}:${t.password}`), ['a:1', 'b:1', 'a:2', 'b:2', 'a:3', 'b:3']);
  const users = compileProfile({ kind: 'users', users: [{ username: 'a', password: 'x' }, { username: 'b', password: 'y' }] });
  assert.equal(users.attempt(0).client_ip, users.attempt(2).client_ip);
  assert.notEqual(users.attempt(0).client_ip, users.attempt(1).client_ip);
  assert.match(users.attempt(0).client_ip, /^198\.51\.100\./, 'without a network, users log in from the documentation range');
  const office = compileProfile({ kind: 'users', network: '10.20.30.0/24', users: [{ username: 'a', password: 'x' }, { username: 'b', password: 'y' }] });
  assert.deepEqual([0, 1, 2].map((i) => office.attempt(i).client_ip), ['10.20.30.1', '10.20.30.2', '10.20.30.1'], 'legitimate users log in from the network given');
  assert.throws(() => compileProfile({ kind: 'users', network: '10.20.30.0', users: [{ username: 'a', password: 'x' }] }), /network must be an IPv4 network/);
  assert.throws(() => compileProfile({ kind: 'botnet' }), /unknown profile kind/);
  assert.throws(() => compileProfile({ kind: 'password-spray', users: [], password: 'x' }), /users must be a list/);
});

test('diagnostics: shortened Lua chunk names map back to workspace files; columns from "near" tokens', () => {
  const dir = fs.realpathSync(tmp());
  try {
    fs.mkdirSync(path.join(dir, 'features'));
    fs.writeFileSync(path.join(dir, 'features', 'blocklist.lua'), 'x = 1\n  return true,, 0\n');
    const abs = path.join(dir, 'features', 'blocklist.lua');
    assert.equal(workspaceFile(`...${abs.slice(-28)}`, dir, () => ['features/a.lua', 'features/blocklist.lua']), 'features/blocklist.lua');
    assert.equal(workspaceFile(path.join(dir, 'features', 'blocklist.lua'), dir), 'features/blocklist.lua');
    const [d] = toDiagnostics(new AuthStudioError('AS_ERR_LUA_SYNTAX', "unexpected symbol near ','", { location: { file: path.join(dir, 'features', 'blocklist.lua'), line: 2 } }), dir);
    assert.deepEqual(d, { file: 'features/blocklist.lua', line: 2, column: 14, message: "unexpected symbol near ','", code: 'AS_ERR_LUA_SYNTAX', severity: 'error' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('small helpers: log lines, Redis URL masking, the host script root of an imported config', () => {
  const line = parseLine('{"level":40,"time":1700000000000,"pid":1,"hostname":"h","session":"s1","msg":"auth","username":"bob","blocklist_ip":"203.0.113.9"}\n');
  assert.deepEqual(line, { time: 1700000000000, level: 'warn', msg: 'auth', session: 's1', fields: { username: 'bob', blocklist_ip: '203.0.113.9' } });
  assert.equal(parseLine('not json'), undefined);
  assert.equal(maskRedisUrl('redis://user:pa55@db.example:6379/2'), 'redis://user:***@db.example:6379/2');
  assert.equal(maskRedisUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  assert.equal(hostScriptRoot(['/etc/nauthilus/lua-plugins.d/features/a.lua', '/etc/nauthilus/lua-plugins.d/filters/b.lua']), '/etc/nauthilus/lua-plugins.d');
  assert.equal(hostScriptRoot(['/opt/lua/features/a.lua', '/opt/lua/filters/b.lua']), '/opt/lua');
  assert.equal(hostScriptRoot(['./features/a.lua']), undefined);
});
