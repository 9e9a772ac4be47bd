// `authstudio dap` driven as a DAP client does (VS Code): Content-Length framed JSON over the child's stdio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import net from 'node:net';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { startStudioProcess } from './studio-process';
import { BACKEND, FEATURE, LINES, MODULE, debugWorkspace } from '../helpers/debug-workspace';

const ROOT = path.join(__dirname, '..', '..', '..');

interface Message {
  seq: number;
  type: 'response' | 'event';
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  body?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A minimal DAP client: requests resolve with their response; events are queued until awaited. */
class DapClient {
  private buffer = Buffer.alloc(0);
  private seq = 0;
  private readonly pending = new Map<number, (m: Message) => void>();
  private readonly events: Message[] = [];
  private waiters: Array<{ name: string; resolve: (m: Message) => void }> = [];
  /** `authstudio dap` on stdio: resolves with its exit code. */
  readonly exited: Promise<number | null>;

  constructor(private readonly out: Writable, input: Readable, exited: Promise<number | null>, private readonly stop: () => void) {
    input.on('data', (d: Buffer) => this.read(d));
    this.exited = exited;
  }

  /** Spawn `authstudio dap` and talk over its stdio. */
  static spawn(): DapClient {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'dap'], { stdio: 'pipe' });
    return new DapClient(child.stdin, child.stdout, new Promise((r) => child.on('exit', (code) => r(code))), () => {
      if (child.exitCode === null) child.kill();
    });
  }

  /** Connect to a debug adapter on a TCP port (the studio's --dap-listen). */
  static async connect(port: number): Promise<DapClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new DapClient(socket, socket, new Promise((r) => socket.on('close', () => r(0))), () => socket.destroy());
  }

  private read(d: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, d]);
    for (;;) {
      const head = this.buffer.indexOf('\r\n\r\n');
      if (head < 0) return;
      const len = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, head).toString())?.[1]);
      if (this.buffer.length < head + 4 + len) return;
      const msg = JSON.parse(this.buffer.subarray(head + 4, head + 4 + len).toString()) as Message;
      this.buffer = this.buffer.subarray(head + 4 + len);
      if (msg.type === 'response') this.pending.get(msg.request_seq!)?.(msg);
      else if (msg.type === 'event') {
        const w = this.waiters.find((x) => x.name === msg.event);
        if (w) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(msg);
        } else this.events.push(msg);
      }
    }
  }

  request(command: string, args: unknown = {}): Promise<Message> {
    const seq = ++this.seq;
    const text = JSON.stringify({ seq, type: 'request', command, arguments: args });
    this.out.write(`Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
    return new Promise((resolve) => this.pending.set(seq, resolve));
  }

  /** The next event of this name (one already received, or the next to come). */
  event(name: string): Promise<Message> {
    const i = this.events.findIndex((e) => e.event === name);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]);
    return new Promise((resolve) => this.waiters.push({ name, resolve }));
  }

  /** The text of every output event received so far that was not awaited. */
  outputs(): string[] {
    return this.events.filter((e) => e.event === 'output').map((e) => String(e.body.output));
  }

  kill(): void {
    this.stop();
  }
}

async function start(workspace: string | undefined, breakpoints: Record<string, Array<{ line: number; condition?: string; logMessage?: string; hitCondition?: string }>>, request: Record<string, string>, exceptionFilters: string[] = [], dap = DapClient.spawn()) {
  const init = await dap.request('initialize', { adapterID: 'authstudio', linesStartAt1: true, pathFormat: 'path' });
  assert.equal(init.success, true);
  assert.equal(init.body.supportsConditionalBreakpoints, true);
  await dap.event('initialized');
  for (const [file, bps] of Object.entries(breakpoints)) {
    const set = await dap.request('setBreakpoints', { source: { path: file }, breakpoints: bps });
    assert.deepEqual(set.body.breakpoints.map((b: { verified: boolean }) => b.verified), bps.map(() => true));
  }
  if (exceptionFilters.length) assert.equal((await dap.request('setExceptionBreakpoints', { filters: exceptionFilters })).success, true);
  await dap.request('configurationDone');
  const launched = await dap.request('launch', workspace === undefined ? { request } : { workspace, request });
  assert.equal(launched.success, true, launched.message);
  return dap;
}

async function topFrame(dap: DapClient, threadId: number) {
  const st = await dap.request('stackTrace', { threadId });
  return { top: st.body.stackFrames[0], frames: st.body.stackFrames as Array<{ id: number; line: number; name: string; source: { path: string } }> };
}

async function scope(dap: DapClient, frameId: number, name: string): Promise<Record<string, string>> {
  const scopes = await dap.request('scopes', { frameId });
  const s = scopes.body.scopes.find((x: { name: string }) => x.name === name);
  assert.ok(s, `no scope ${name} in ${JSON.stringify(scopes.body.scopes)}`);
  const vars = await dap.request('variables', { variablesReference: s.variablesReference });
  return Object.fromEntries(vars.body.variables.map((v: { name: string; value: string }) => [v.name, v.value]));
}

test('dap: a breakpoint in the backend pauses the login with its request fields; step into the required module, out, over, continue to the decision', { timeout: 30_000 }, async (t) => {
  const ws = debugWorkspace();
  const dap = await start(ws, { [BACKEND]: [{ line: LINES.backendCall }] }, { username: 'carol', password: 'open-sesame' });
  t.after(() => dap.kill());

  const stopped = await dap.event('stopped');
  assert.equal(stopped.body.reason, 'breakpoint');
  const threadId = stopped.body.threadId;
  let { top } = await topFrame(dap, threadId);
  assert.equal(top.line, LINES.backendCall);
  assert.equal(top.name, 'nauthilus_backend_verify_password');
  assert.equal(top.source.path, path.join(ws, BACKEND));
  const req = await scope(dap, top.id, 'Request');
  assert.equal(req.username, '"carol"');
  assert.equal(req.password, '"open-sesame"');
  assert.equal((await scope(dap, top.id, 'Locals')).known, 'true');
  // paused longer than the workspace's lua_script_timeout (300ms): the clock stands still while paused
  await new Promise((r) => setTimeout(r, 400));
  const evaluated = await dap.request('evaluate', { expression: 'request.username .. "@" .. tostring(known)', frameId: top.id, context: 'watch' });
  assert.equal(evaluated.body.result, '"carol@true"');

  await dap.request('stepIn', { threadId });
  assert.equal((await dap.event('stopped')).body.reason, 'step');
  const inModule = await topFrame(dap, threadId);
  assert.equal(inModule.top.line, LINES.moduleFirst);
  assert.equal(inModule.top.source.path, path.join(ws, MODULE));
  assert.deepEqual(inModule.frames.slice(0, 2).map((f) => [path.relative(ws, f.source.path), f.line]), [[MODULE, LINES.moduleFirst], [BACKEND, LINES.backendCall]]);
  assert.equal((await scope(dap, inModule.top.id, 'Locals')).given, '"open-sesame"');

  await dap.request('stepOut', { threadId });
  await dap.event('stopped');
  ({ top } = await topFrame(dap, threadId));
  assert.deepEqual([path.relative(ws, top.source.path), top.line], [BACKEND, LINES.backendAfterCall]);
  assert.equal((await scope(dap, top.id, 'Locals')).matches, 'true');

  await dap.request('next', { threadId });
  await dap.event('stopped');
  ({ top } = await topFrame(dap, threadId));
  assert.equal(top.line, LINES.backendAfterCall + 1);

  await dap.request('continue', { threadId });
  let out = await dap.event('output');
  while (!/decision/.test(out.body.output)) out = await dap.event('output');
  assert.match(out.body.output, /decision: ok/);
  await dap.event('terminated');
  await dap.request('disconnect');
  assert.equal(await dap.exited, 0);
});

test('dap: a conditional breakpoint stops only where it holds; a log point prints without stopping', { timeout: 30_000 }, async (t) => {
  const ws = debugWorkspace();
  const dap = await start(ws, { [FEATURE]: [{ line: 3, logMessage: 'user {request.username} has {#request.username} letters' }, { line: LINES.featureLoop, condition: 'i == 4' }] }, { username: 'mallory', password: 'x' });
  t.after(() => dap.kill());
  const stopped = await dap.event('stopped');
  const { top } = await topFrame(dap, stopped.body.threadId);
  const locals = await scope(dap, top.id, 'Locals');
  assert.equal(locals.i, '4');
  assert.equal(locals.letters, '3');
  assert.ok(dap.outputs().some((o) => o === 'user mallory has 7 letters\n'), JSON.stringify(dap.outputs()));
  await dap.request('continue', { threadId: stopped.body.threadId });
  let out = await dap.event('output');
  while (!/decision/.test(out.body.output)) out = await dap.event('output');
  assert.match(out.body.output, /decision: fail/); // mallory is no user of the backend
});

test('dap: disconnecting while a login is paused resumes it and ends the adapter', { timeout: 30_000 }, async (t) => {
  const ws = debugWorkspace();
  const dap = await start(ws, { [BACKEND]: [{ line: LINES.backendFirst }] }, { username: 'carol', password: 'open-sesame' });
  t.after(() => dap.kill());
  await dap.event('stopped');
  const bye = await dap.request('disconnect', { terminateDebuggee: true });
  assert.equal(bye.success, true);
  assert.equal(await dap.exited, 0);
});

test('dap: with the "error" exception filter a script error pauses where it was raised, with the frame\'s locals', { timeout: 30_000 }, async (t) => {
  const ws = debugWorkspace();
  const dap = await start(ws, {}, { username: 'boom', password: 'x' }, ['error']);
  t.after(() => dap.kill());
  const stopped = await dap.event('stopped');
  assert.equal(stopped.body.reason, 'exception');
  assert.match(stopped.body.text, /no user may be called boom/);
  const { top } = await topFrame(dap, stopped.body.threadId);
  assert.deepEqual([path.relative(ws, top.source.path), top.line], [FEATURE, LINES.featureError]);
  assert.equal((await scope(dap, top.id, 'Locals')).letters, '4');
  await dap.request('continue', { threadId: stopped.body.threadId });
  let out = await dap.event('output');
  while (!/decision/.test(out.body.output)) out = await dap.event('output');
  assert.match(out.body.output, /decision: tempfail/); // a feature's error is a temporary failure, never a login
});

test('dap: the studio serves the debug adapter on --dap-listen: a launch without a workspace debugs the studio\'s, with its Redis', { timeout: 60_000 }, async (t) => {
  const ws = debugWorkspace();
  const studio = await startStudioProcess(ws, ['--dap-listen', '127.0.0.1:0']);
  t.after(() => studio.stop());
  const port = Number(/"dap":"127\.0\.0\.1:(\d+)"/.exec(studio.output())?.[1]);
  assert.ok(port > 0, studio.output());
  const dap = await start(undefined, { [path.join(ws, BACKEND)]: [{ line: LINES.backendCall }] }, { username: 'carol', password: 'open-sesame' }, [], await DapClient.connect(port));
  t.after(() => dap.kill());
  const stopped = await dap.event('stopped');
  const { top } = await topFrame(dap, stopped.body.threadId);
  assert.equal(top.source.path, path.join(ws, BACKEND));
  assert.equal((await scope(dap, top.id, 'Request')).username, '"carol"');
  await dap.request('continue', { threadId: stopped.body.threadId });
  let out = await dap.event('output');
  while (!/decision/.test(out.body.output)) out = await dap.event('output');
  assert.match(out.body.output, /decision: ok/);
  assert.equal((await dap.request('disconnect')).success, true);
});

test('dap: launch {workspace, corpus, entry} debugs a recorded login: paused with its fields; the output says it ran as a lookup (no password recorded) and both decisions', { timeout: 30_000 }, async (t) => {
  const ws = debugWorkspace();
  const recorded = (username: string, decision: string) => JSON.stringify({
    v: 1, time: Date.parse('2026-11-02T08:00:00Z'), session: `s-${username}`, mode: 'auth', endpoint: 'json',
    fields: { username, protocol: 'imap', client_ip: '192.0.2.7' }, had_password: true, outcome: { decision, stage_path: [] },
  });
  fs.mkdirSync(path.join(ws, 'corpus'));
  fs.writeFileSync(path.join(ws, 'corpus', 'requests-1-0000.jsonl'), [recorded('mallory', 'fail'), recorded('carol', 'ok')].join('\n') + '\n');
  const dap = DapClient.spawn();
  t.after(() => dap.kill());
  await dap.request('initialize', { adapterID: 'authstudio', linesStartAt1: true, pathFormat: 'path' });
  await dap.event('initialized');
  // a lookup runs the backend (features do not run for lookups)
  await dap.request('setBreakpoints', { source: { path: BACKEND }, breakpoints: [{ line: LINES.backendFirst }] });
  await dap.request('configurationDone');
  const launched = await dap.request('launch', { workspace: ws, corpus: 'corpus', entry: 2 });
  assert.equal(launched.success, true, launched.message);
  const stopped = await dap.event('stopped');
  const { top } = await topFrame(dap, stopped.body.threadId);
  assert.equal((await scope(dap, top.id, 'Request')).username, '"carol"');
  assert.ok(dap.outputs().some((o) => /^replaying corpus entry #2 \(.* carol imap 192\.0\.2\.7, recorded: ok\) as a lookup without its password \(recorded without --record-passwords\)/.test(o)), JSON.stringify(dap.outputs()));
  await dap.request('continue', { threadId: stopped.body.threadId });
  let out = await dap.event('output');
  while (!/decision/.test(out.body.output)) out = await dap.event('output');
  assert.match(out.body.output, /^decision: ok \(recorded: ok\)/); // a lookup of a known user
  await dap.event('terminated');

  // an entry the corpus does not have is refused, naming how many it has
  const other = DapClient.spawn();
  t.after(() => other.kill());
  await other.request('initialize', { adapterID: 'authstudio', linesStartAt1: true, pathFormat: 'path' });
  await other.request('configurationDone');
  await other.request('launch', { workspace: ws, corpus: 'corpus', entry: 7 });
  let failed = await other.event('output');
  while (!/launch failed/.test(failed.body.output)) failed = await other.event('output');
  assert.match(failed.body.output, /the corpus corpus has 2 entries, no #7/);
});
