// Attack review (issue 13, findings 9 and 4) against `authstudio serve` as a process: a script stuck in a C call the
// count hook cannot stop (string.find on a pathological pattern), or a __gc finalizer that never returns at a
// reload. /ping answers within 50 ms throughout, the stuck login answers tempfail shortly after its timeout,
// its worker thread is replaced and good logins keep working; SIGTERM finishes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { spawnServe, type ServeProcess } from '../helpers/spawn-serve';
import { workspace, yml } from '../helpers/config-text';
import { TEMPFAIL_MESSAGE } from '../../engine/pipeline/pipeline';
import { WATCHDOG_GRACE_MS } from '../../engine/workers/watchdog';

const TIMEOUT_MS = 500;
const GRACE_MS = WATCHDOG_GRACE_MS;
const PING_MAX_MS = 50;
// about 20 s of backtracking in one C call (measured: 3,000 "a" against ".-.-b" takes 38 s)
const PATHOLOGICAL = 'string.find(string.rep("a", 2500), ".-.-b")';

const BACKEND = `
function nauthilus_backend_verify_password(request)
  if request.username == "stuck" then ${PATHOLOGICAL} end
  local b = nauthilus_backend_result.new()
  if request.username == "alice" then
    b:user_found(true)
    b:account_field("account")
    b:attributes({ account = "alice@example.test" })
    b:authenticated(request.password == "alice-secret")
  end
  return 0, b
end
`;
const HOOK = `
function nauthilus_run_hook()
  ${PATHOLOGICAL}
  return { done = true }
end
`;
// a finalizer that never returns, on every VM of the feature pool: a reload closes those VMs
const GC_FEATURE = `
KEEP = setmetatable({}, { __gc = function() while true do end end })
function nauthilus_call_feature(request)
  KEEP2 = setmetatable({}, { __gc = function() while true do end end })
  return false, false, 0
end
`;

function ws(): string {
  return workspace({
    'authstudio.yml': yml(
      'server:', '  address: 127.0.0.1:0', '  backends: [lua]', '  redis: mock', '  log: {level: info}', `  lua_script_timeout: ${TIMEOUT_MS}ms`,
      'lua:', '  features:', '    - {name: gc, script_path: ./gc.lua}',
      '  custom_hooks:', '    - { http_location: stuck, http_method: GET, script_path: ./hook.lua }',
      '  config:', '    backend_script_path: ./backend.lua', '    number_of_workers: 2',
    ),
    'backend.lua': BACKEND,
    'hook.lua': HOOK,
    'gc.lua': GC_FEATURE,
  });
}

const servers: ServeProcess[] = [];
after(async () => {
  for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
});

/** One raw HTTP/1.1 request on a fresh connection; resolves with the status line and the time it took. */
function raw(url: string, request: string): Promise<{ status: number; head: string; body: string; ms: number }> {
  const { hostname, port } = new URL(url);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), hostname, () => sock.write(request));
    let data = '';
    sock.setEncoding('utf8');
    sock.on('data', (d) => (data += d));
    sock.on('error', reject);
    sock.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      const split = data.indexOf('\r\n\r\n');
      resolve({ status, head: data.slice(0, split), body: data.slice(split + 4), ms: performance.now() - t0 });
    });
  });
}

const ping = (url: string) => raw(url, 'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
function login(url: string, username: string, password: string) {
  const body = JSON.stringify({ username, password, client_ip: '198.51.100.7', protocol: 'imap' });
  return raw(url, `POST /api/v1/auth/json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * /ping must answer within 50 ms while a script misbehaves. The watched-for fault stalled /ping for 15.6 s; on a
 * shared 2-core CI machine (one core busy with the stuck script until its thread is ended, other jobs on the other)
 * the OS scheduler alone delays some pings, so: at least 90 % under 50 ms, none over 500 ms.
 */
function assertPingsFast(pings: number[]): void {
  const slow = pings.filter((ms) => ms >= PING_MAX_MS);
  const detail = `${slow.length} of ${pings.length} pings >= ${PING_MAX_MS} ms: ${pings.map(Math.round).join(',')}`;
  // one slow ping is scheduling noise even in a short sample (a reload can finish after a single ping)
  assert.ok(slow.length <= Math.max(1, Math.floor(pings.length * 0.1)) && Math.max(0, ...pings) < 500, detail);
}

/** Ping every 10 ms until `until` settles; returns every ping's latency. */
async function pingWhile(url: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const out: number[] = [];
  while (!done) {
    const p = await ping(url);
    assert.equal(p.status, 200);
    out.push(p.ms);
    await new Promise((r) => setTimeout(r, 10));
  }
  return out;
}

test('issue 13 #9: serve (default --workers) with a login stuck in string.find: /ping < 50 ms throughout, tempfail after the timeout, worker replaced', async () => {
  const srv = await spawnServe(['--config', path.join(ws(), 'authstudio.yml')]);
  servers.push(srv);
  assert.equal((await login(srv.url, 'alice', 'alice-secret')).status, 200);
  for (let round = 0; round < 2; round++) {
    const t0 = performance.now();
    const stuck = login(srv.url, 'stuck', 'x').then((r) => ({ ...r, at: performance.now() - t0 }));
    const pings = await pingWhile(srv.url, stuck);
    console.log("ping figures", JSON.stringify({ max_ms: Math.round(Math.max(...pings)), n: pings.length }));
    const s = await stuck;
    assert.equal(s.status, 500, s.body);
    assert.match(s.head, new RegExp(`^Auth-Status: ${TEMPFAIL_MESSAGE}$`, 'mi'));
    assert.match(s.body, /temporary failure/);
    assert.ok(s.at < TIMEOUT_MS + GRACE_MS + 1000, `the stuck login answered after ${Math.round(s.at)} ms`);
    assert.ok(pings.length > 5, `pinged ${pings.length} times`);
    assertPingsFast(pings);
    // the thread was replaced: good and bad logins get their right answers
    const after = await Promise.all([login(srv.url, 'alice', 'alice-secret'), login(srv.url, 'alice', 'wrong')]);
    assert.deepEqual(after.map((r) => r.status), [200, 403]);
  }
  await srv.waitFor((lines) => lines.filter((l) => l.includes('stuck in a script past its timeout')).length >= 2);
  assert.equal(await srv.stop(), 0, srv.stderr());
});

test('issue 13 #9: serve --workers 1 with a custom hook stuck in string.find: /ping stays fast, the hook fails, the next hook and login work', async () => {
  const srv = await spawnServe(['--config', path.join(ws(), 'authstudio.yml'), '--workers', '1']);
  servers.push(srv);
  const t0 = performance.now();
  const stuck = raw(srv.url, 'GET /api/v1/custom/stuck HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n').then((r) => ({ ...r, at: performance.now() - t0 }));
  const pings = await pingWhile(srv.url, stuck);
  const s = await stuck;
  assert.equal(s.status, 500);
  assert.match(s.body, /hook failed/);
  assert.ok(s.at < TIMEOUT_MS + GRACE_MS + 1000, `the stuck hook answered after ${Math.round(s.at)} ms`);
  assertPingsFast(pings);
  // the only worker was replaced: logins wait for it at most briefly and are answered right
  assert.equal((await login(srv.url, 'alice', 'alice-secret')).status, 200);
  assert.equal((await login(srv.url, 'alice', 'wrong')).status, 403);
  assert.equal(await srv.stop(), 0, srv.stderr());
});

test('issue 13 #4: a __gc finalizer that never returns does not hang a reload or SIGTERM; /ping answers throughout', async () => {
  const srv = await spawnServe(['--config', path.join(ws(), 'authstudio.yml')]);
  servers.push(srv);
  for (let i = 0; i < 4; i++) assert.equal((await login(srv.url, 'alice', 'alice-secret')).status, 200);
  for (let i = 0; i < 2; i++) {
    const before = srv.lines.filter((l) => l.includes('"reloaded"')).length;
    srv.child.kill('SIGHUP');
    const reloaded = srv.waitFor((lines) => lines.filter((l) => l.includes('"reloaded"')).length > before, 10000);
    const pings = await pingWhile(srv.url, reloaded);
    await reloaded;
    assertPingsFast(pings);
    assert.equal((await login(srv.url, 'alice', 'alice-secret')).status, 200);
    assert.equal((await ping(srv.url)).status, 200);
  }
  const t0 = performance.now();
  assert.equal(await srv.stop(), 0, srv.stderr());
  assert.ok(performance.now() - t0 < 5000, `SIGTERM took ${Math.round(performance.now() - t0)} ms`);
});

test('issue 13 #9: the studio runs scripts on a worker thread: /ping and the studio API stay fast while a login is stuck in string.find', async () => {
  const { openStudio } = await import('../../engine/studio/open-studio');
  const studio = await openStudio({ workspace: ws(), watch: false });
  try {
    const url = await studio.app.listen({ host: '127.0.0.1', port: 0 });
    assert.ok(studio.engine.workerCount >= 1, 'the studio engine has a worker thread');
    const t0 = performance.now();
    const stuck = login(url, 'stuck', 'x').then((r) => ({ ...r, at: performance.now() - t0 }));
    const pings = await pingWhile(url, stuck);
    const s = await stuck;
    assert.equal(s.status, 500, s.body);
    assert.match(s.head, new RegExp(`^Auth-Status: ${TEMPFAIL_MESSAGE}$`, 'mi'));
    assert.ok(s.at < TIMEOUT_MS + GRACE_MS + 1000, `the stuck login answered after ${Math.round(s.at)} ms`);
    assertPingsFast(pings);
    assert.equal((await login(url, 'alice', 'alice-secret')).status, 200);
    assert.equal((await login(url, 'alice', 'wrong')).status, 403);
  } finally {
    await studio.close();
  }
});

test('issue 13 #4/#9: a reload whose script top level is stuck in string.find is refused after the timeout; /ping stays fast, the running version keeps serving', async () => {
  const dir = ws();
  const srv = await spawnServe(['--config', path.join(dir, 'authstudio.yml')]);
  servers.push(srv);
  try {
    assert.equal((await login(srv.url, 'alice', 'alice-secret')).status, 200);
    const fs = await import('node:fs');
    fs.writeFileSync(path.join(dir, 'gc.lua'), `${PATHOLOGICAL}\nfunction nauthilus_call_feature(request) return false, false, 0 end\n`);
    const t0 = performance.now();
    srv.child.kill('SIGHUP');
    const refused = srv.waitFor((lines) => lines.some((l) => l.includes('reload refused')), 10000);
    const pings = await pingWhile(srv.url, refused);
    await refused;
    const ms = performance.now() - t0;
    assert.ok(ms < TIMEOUT_MS + GRACE_MS + 2000, `the reload was refused after ${Math.round(ms)} ms`);
    assert.match(srv.lines.find((l) => l.includes('reload refused'))!, /lua_script_timeout/);
    assertPingsFast(pings);
    const ok = await login(srv.url, 'alice', 'alice-secret');
    assert.equal(ok.status, 200, ok.body + srv.lines.filter((l) => !l.includes('"auth"')).join('\n'));
    assert.equal((await login(srv.url, 'alice', 'wrong')).status, 403);
  } finally {
    assert.equal(await srv.stop(), 0, srv.stderr());
  }
});
