// Nauthilus 1.10 runs init scripts at start and logs one that fails while running (error, timeout); it starts
// anyway. One that does not compile stops it. `authstudio check` reports a failing init script as a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { execFile } from 'node:child_process';
import pino from 'pino';
import { startFixture, jsonLogin, FIXTURES } from '../helpers/engine-fixture';
import { spawnServe, ROOT } from '../helpers/spawn-serve';
import { loadConfigFile } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';

const FIXTURE = path.join(FIXTURES, 'init-failure');

/** A pino logger whose JSON lines land in `lines`. */
function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const initErrors = (lines: Array<Record<string, unknown>>) => lines.filter((l) => String(l.msg).match(/^init script (\S+ )?failed/));

/** A copy of the fixture in a temp dir (to break a script). */
function copyFixture(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-init-failure-'));
  fs.cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

async function logins(app: Parameters<typeof jsonLogin>[0]): Promise<number[]> {
  return [
    (await jsonLogin(app, { username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' })).statusCode,
    (await jsonLogin(app, { username: 'alice', password: 'wrong', client_ip: '198.51.100.7' })).statusCode,
  ];
}

test('Nauthilus 1.10: an init script that raises or times out is logged with file:line and the engine serves logins', async () => {
  const { logger, lines } = capture();
  const fx = await startFixture('init-failure', { logger });
  try {
    assert.deepEqual(await logins(fx.app), [200, 403]);
    const errs = initErrors(lines);
    assert.equal(errs.length, 2, JSON.stringify(errs));
    assert.equal(errs[0].level, 50); // error
    assert.match(String(errs[0].script), /(^|\/)init\/broken\.lua$/);
    assert.match(String(errs[0].msg), /^init script failed: (\S*\/)?init\/broken\.lua:5: .*nil/);
    assert.match(String(errs[1].script), /(^|\/)init\/endless\.lua$/);
    assert.match(String(errs[1].msg), /^init script failed: (\S*\/)?init\/endless\.lua(:\d+)?: .*lua_script_timeout/);
    // the scripts before, after, and the part of the broken one before its error ran
    const cache = fx.engine.services.cache;
    assert.deepEqual([cache.get('init_first'), cache.get('init_broken'), cache.get('init_last')], ['ran', 'started', 'ran']);
  } finally {
    await fx.close();
  }
});

test('Nauthilus 1.10: a reload with a failing init script goes through, logs it again, and keeps serving', async () => {
  const { logger, lines } = capture();
  const fx = await startFixture('init-failure', { logger });
  try {
    const before = fx.engine.generation;
    await fx.engine.reload();
    assert.equal(fx.engine.generation, before + 1);
    assert.equal(initErrors(lines).length, 4);
    assert.deepEqual(await logins(fx.app), [200, 403]);
  } finally {
    await fx.close();
  }
});

test('Nauthilus 1.10: an init script that does not compile stops the engine from starting, naming file:line', async () => {
  const dir = copyFixture();
  try {
    fs.writeFileSync(path.join(dir, 'init', 'broken.lua'), 'function nauthilus_run_hook()\n  local x = = 1\nend\n');
    const config = loadConfigFile(path.join(dir, 'authstudio.yml'));
    await assert.rejects(AuthEngine.create(config, { logger: pino({ level: 'silent' }) }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'AS_ERR_LUA_INIT');
      assert.match((e as unknown as { format(): string }).format(), /(^|\/)init\/broken\.lua:2: init script does not compile: /);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('authstudio serve with worker threads: a failing init script is one log line per script, and logins work', async () => {
  const srv = await spawnServe(['--config', path.relative(ROOT, path.join(FIXTURE, 'authstudio.yml')), '--workers', '2']);
  try {
    const res = await fetch(`${srv.url}/api/v1/auth/json`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7', protocol: 'imap' }),
    });
    assert.equal(res.status, 200);
    const errs = srv.lines.filter((l) => l.includes('init script failed'));
    assert.equal(errs.length, 2, errs.join('\n'));
    assert.match(errs[0], /init\/broken\.lua:5:/);
    assert.match(errs[1], /init\/endless\.lua.*lua_script_timeout/);
  } finally {
    await srv.stop();
  }
});

function runCheck(config: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'check', '--config', config], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('authstudio check: a failing init script is a warning naming file:line (exit 0); one that does not compile is an error', async () => {
  const ok = await runCheck(path.join(FIXTURE, 'authstudio.yml'));
  assert.equal(ok.code, 0, ok.stderr);
  const warnings = ok.stderr.trim().split('\n');
  assert.equal(warnings.length, 2, ok.stderr);
  assert.match(warnings[0], /^warning: (\S*\/)?init\/broken\.lua:5: init script failed when run by check/);
  assert.match(warnings[1], /^warning: (\S*\/)?init\/endless\.lua(:\d+)?: init script failed when run by check.*lua_script_timeout/);
  assert.match(ok.stdout, /configuration and scripts OK \(2 warnings\)/);

  const dir = copyFixture();
  try {
    fs.writeFileSync(path.join(dir, 'init', 'broken.lua'), 'function nauthilus_run_hook(\n');
    const bad = await runCheck(path.join(dir, 'authstudio.yml'));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^(\S*\/)?init\/broken\.lua:\d+: init script does not compile: /m);
    assert.doesNotMatch(bad.stdout, /OK/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
