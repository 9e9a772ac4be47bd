// Issue 17, items 12 and 13: the command line as a user meets it. A second `start` on a taken port, `--help` on
// every command, readable or JSON logs. Each test runs the real bin/authstudio as a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { freePort } from '../helpers/free-port';
import { spawnServe } from '../helpers/spawn-serve';
import { probeListen } from '../../engine/listen-address';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'authstudio');
const CONFIG = path.join(ROOT, 'lua-plugins.d', 'authstudio.yml');
/** Never the desktop app in these tests (a developer's machine may have Electron and a display). */
const ENV = { ...process.env, AUTHSTUDIO_NO_ELECTRON: '1', AUTHSTUDIO_TOKEN: '', AUTHSTUDIO_LISTEN: '' };
const COMMANDS = ['start', 'studio', 'serve', 'check', 'simulate', 'export', 'dovecot', 'replay'];

/** A port this test holds open, as another server would. */
async function holdPort(): Promise<{ port: number; close(): Promise<void> }> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { port: (srv.address() as net.AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) };
}

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: ENV, encoding: 'utf8', timeout: 60_000 });
}

function tempWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-cli-start-'));
  fs.cpSync(path.join(ROOT, 'lua-plugins.d'), dir, { recursive: true });
  return dir;
}

test('issue 17: a second `authstudio start` on a taken port says so in one line, how to pick another, and exits 1 before any banner', async () => {
  const held = await holdPort();
  try {
    const r = run(['start', '--listen', `127.0.0.1:${held.port}`]);
    assert.equal(r.status, 1, r.stderr);
    const errLines = r.stderr.trim().split('\n');
    assert.equal(errLines.length, 1, `one line, no stack trace:\n${r.stderr}`);
    assert.match(errLines[0], new RegExp(`127\\.0\\.0\\.1:${held.port} is already in use`));
    assert.match(errLines[0], new RegExp(`--listen 127\\.0\\.0\\.1:${held.port + 1}`));
    assert.match(errLines[0], /--next-free-port/);
    assert.doesNotMatch(r.stderr + r.stdout, /EADDRINUSE|\n\s+at /);
    assert.doesNotMatch(r.stdout, /AuthStudio studio:|studio ready|Press Ctrl\+C/, 'no ready banner for a server that does not run');
  } finally {
    await held.close();
  }
});

test('issue 17: `authstudio serve` on a taken port exits 1 with the same one-line advice and logs nothing', async () => {
  const held = await holdPort();
  try {
    const r = run(['serve', '--config', CONFIG, '--redis', 'mock', '--listen', `127.0.0.1:${held.port}`]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^serve: 127\\.0\\.0\\.1:${held.port} is already in use .*--listen 127\\.0\\.0\\.1:${held.port + 1}.*--next-free-port.*\\n$`));
    assert.equal(r.stdout, '', 'no log line before the port check');
  } finally {
    await held.close();
  }
});

test('issue 17: `studio --next-free-port` on a taken port listens on the next free one and says where', async () => {
  const held = await holdPort();
  const workspace = tempWorkspace();
  const child = spawn(process.execPath, [BIN, 'studio', '--workspace', workspace, '--redis', 'mock', '--listen', `127.0.0.1:${held.port}`, '--next-free-port'], {
    cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const lines: Record<string, unknown>[] = [];
    const address = await new Promise<string>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      child.once('exit', (code) => reject(new Error(`studio exited with ${code}:\n${err}`)));
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        const j = JSON.parse(line) as { msg?: string; address?: string };
        lines.push(j);
        if (j.msg === 'the asked port is in use: listening on the next free port (--next-free-port)' && j.address) resolve(j.address);
      });
    });
    const port = Number(new URL(address).port);
    assert.ok(port > held.port && port <= held.port + 20, address);
    assert.ok(lines.some((l) => l.msg === 'authstudio studio ready' && l.address === address));
    const res = await fetch(`${address}/ping`);
    assert.equal(res.status, 200);
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await held.close();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
});

test('issue 17: `--help` on every command prints its usage, exits 0 and starts nothing', async () => {
  const port = await freePort();
  for (const command of COMMANDS) {
    // options that would start a server are there too: --help wins
    const r = run([command, '--listen', `127.0.0.1:${port}`, '--help']);
    assert.equal(r.status, 0, `${command}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^authstudio ${command}: \\S`), command);
    assert.match(r.stdout, /\n {2}--help {2}print this help and exit\n$/, command);
    assert.equal(r.stderr, '', command);
    assert.doesNotMatch(r.stdout, /ready|serving|no desktop app/, command);
    assert.equal(await probeListen('127.0.0.1', port), undefined, `${command} --help left nothing listening`);
  }
  const start = run(['start', '-h']);
  assert.equal(start.status, 0);
  assert.match(start.stdout, /--next-free-port/);
  assert.equal(run(['help', 'serve']).stdout, run(['serve', '--help']).stdout);
  const all = run(['--help']);
  assert.equal(all.status, 0);
  for (const command of COMMANDS) assert.match(all.stdout, new RegExp(`^ {2}${command} +\\S`, 'm'), command);
});

test('issue 17: serve logs readable lines with --log-format pretty and JSON lines when piped without it', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--config', CONFIG, '--redis', 'mock', '--listen', `127.0.0.1:${port}`, '--workers', '1', '--log-format', 'pretty'], {
    cwd: ROOT, env: ENV, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      readline.createInterface({ input: child.stdout! }).on('line', (l) => {
        if (l.includes('authstudio serving')) resolve(l);
      });
    });
    assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: authstudio serving \{.*"address":"http:\/\/127\.0\.0\.1:\d+"/);
    assert.throws(() => JSON.parse(line));
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  // piped without --log-format: JSON lines (spawnServe resolves only on the JSON "authstudio serving" line)
  const json = await spawnServe(['--config', CONFIG, '--redis', 'mock', '--workers', '1']);
  try {
    assert.equal((JSON.parse(json.lines.find((l) => l.includes('authstudio serving'))!) as { level: number }).level, 30);
  } finally {
    await json.stop();
  }
  const bad = run(['serve', '--config', CONFIG, '--log-format', 'xml']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--log-format must be "pretty" or "json", not "xml"/);
});
