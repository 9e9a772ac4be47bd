// The engine's debugger in-process (engine/debug/): hit counts, a paused login that holds only its own VM and outlives
// lua_script_timeout, init scripts and custom hooks under the debugger, the host calls a paused request made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { ScriptDebugger, type StoppedEvent } from '../../engine/debug/debugger';
import { DebugTarget } from '../../engine/debug/debug-launch';
import { BreakpointTable } from '../../engine/debug/breakpoints';
import { CorpusKey } from '../../engine/replay/password-key';
import { StudioDebugger } from '../../engine/studio/studio-debugger';
import { StudioEventBus } from '../../engine/studio/event-bus';
import type { DebugEnded, DebugOutput } from '../../engine/api/contract-types';
import { workspace } from '../helpers/config-text';
import path from 'node:path';
import { runDovecotScript } from '../../engine/dovecot/index';

const CONFIG = [
  'server:',
  '  backends: [lua]',
  '  redis: mock',
  '  lua_script_timeout: 300ms',
  'lua:',
  '  features:',
  '    - name: count',
  '      script_path: ./features/count.lua',
  '  custom_hooks:',
  '    - http_location: ping',
  '      http_method: GET',
  '      script_path: ./hooks/ping.lua',
  '  config:',
  '    script_path: ./backend/backend.lua',
  '    init_script_paths: [./init/warm.lua]',
  '    number_of_workers: 2',
  '',
].join('\n');

const FILES = {
  'authstudio.yml': CONFIG,
  'features/count.lua': [
    'function nauthilus_call_feature(request)',
    '  local n = 0',
    '  for i = 1, 5 do',
    '    n = n + i', // line 4
    '  end',
    '  return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_YES',
    'end',
    '',
  ].join('\n'),
  'backend/backend.lua': [
    'local nauthilus_redis = require("nauthilus_redis")',
    'function nauthilus_backend_verify_password(request)',
    '  local seen = nauthilus_redis.redis_incr("default", "debug:logins:" .. request.username)',
    '  local b = nauthilus_backend_result.new()', // line 4
    '  b:user_found(request.username == "carol" or request.username == "dave")',
    '  b:authenticated(request.password == "pw")',
    '  return nauthilus_builtin.BACKEND_RESULT_OK, b',
    'end',
    '',
  ].join('\n'),
  'init/warm.lua': [
    'function nauthilus_run_hook(logging)',
    '  local warmed = true', // line 2
    '  return warmed',
    'end',
    '',
  ].join('\n'),
  'hooks/ping.lua': [
    'function nauthilus_run_hook(logging, session)',
    '  local answer = { pong = true }', // line 2
    '  return answer',
    'end',
    '',
  ].join('\n'),
};

function rows(dbg: ScriptDebugger, e: StoppedEvent, scope: string): Record<string, string> {
  const frame = dbg.stackTrace(e.threadId)[0];
  const s = dbg.scopes(e.threadId, frame.index).find((x) => x.name === scope)!;
  return Object.fromEntries(dbg.variables(s.ref).map((v) => [v.name, v.value]));
}

async function open(dbg: ScriptDebugger, extra: { stage?: string } = {}): Promise<DebugTarget> {
  return DebugTarget.open({ workspace: workspace(FILES), ...extra }, dbg);
}

test('debugger: a hit condition "== 3" pauses on the third pass of a loop only', async () => {
  const dbg = new ScriptDebugger();
  dbg.setBreakpoints('features/count.lua', [{ line: 4, hitCondition: '== 3' }]);
  const target = await open(dbg);
  try {
    const stops: number[] = [];
    dbg.on('stopped', (e: StoppedEvent) => {
      stops.push(Number(rows(dbg, e, 'Locals').i));
      dbg.continue(e.threadId);
    });
    const r = await target.simulate({ workspace: '', request: { username: 'carol', password: 'pw' } });
    assert.deepEqual(r.trace.filter((s) => s.error).map((s) => s.error), []);
    assert.deepEqual(stops, [3]);
    assert.equal(r.decision, 'ok');
  } finally {
    await target.close();
  }
});

test('debugger: a paused login holds only its own VM (another login is served meanwhile) and outlives lua_script_timeout', async () => {
  const dbg = new ScriptDebugger();
  dbg.setBreakpoints('backend/backend.lua', [{ line: 4, condition: 'request.username == "carol"' }]);
  const target = await open(dbg);
  try {
    const stopped = once(dbg, 'stopped') as Promise<[StoppedEvent]>;
    const carol = target.simulate({ workspace: '', request: { username: 'carol', password: 'pw' } });
    const [e] = await stopped;
    assert.equal(rows(dbg, e, 'Request').username, '"carol"');
    const dave = await target.simulate({ workspace: '', request: { username: 'dave', password: 'pw' } });
    assert.equal(dave.decision, 'ok');
    assert.equal(dbg.threads().length, 1, 'carol is still paused');
    // longer than the workspace's lua_script_timeout (300ms): the clock stands still while paused
    await new Promise((r) => setTimeout(r, 450));
    // what the request's host calls did so far: the Redis INCR before the breakpoint
    const hostCalls = dbg.scopes(e.threadId, dbg.stackTrace(e.threadId)[0].index).find((s) => s.name === 'Host calls')!;
    const calls = dbg.variables(hostCalls.ref);
    assert.equal(calls.length, 1);
    assert.match(calls[0].value, /incr debug:logins:carol/i);
    assert.equal(rows(dbg, e, 'Locals').seen, '1');
    dbg.continue(e.threadId);
    const r = await carol;
    assert.equal(r.decision, 'ok');
    assert.deepEqual(r.trace.filter((s) => s.error).map((s) => s.error), []);
  } finally {
    await target.close();
  }
});

test('debugger: init scripts pause under the debugger (launch stage "init"), and so do custom hook calls', async () => {
  const dbg = new ScriptDebugger();
  dbg.setBreakpoints('init/warm.lua', [{ line: 2 }]);
  dbg.setBreakpoints('hooks/ping.lua', [{ line: 2 }]);
  const seen: string[] = [];
  dbg.on('stopped', (e: StoppedEvent) => {
    const top = dbg.stackTrace(e.threadId)[0];
    // the entry stop is the script's top level (where it defines its functions)
    seen.push(e.reason === 'entry' ? `entry ${top.source} ${top.name}` : `${e.reason} ${top.source}:${top.line} ${top.name}`);
    if (e.reason === 'breakpoint' && top.source.startsWith('hooks/')) dbg.step(e.threadId, 'next');
    else dbg.continue(e.threadId);
  });
  const target = await open(dbg, { stage: 'init' });
  try {
    const res = await target.app.inject({ method: 'GET', url: '/api/v1/custom/ping' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(JSON.parse(res.body), { pong: true });
    assert.deepEqual(seen, [
      'entry init/warm.lua (top level)',
      'breakpoint init/warm.lua:2 nauthilus_run_hook',
      'breakpoint hooks/ping.lua:2 nauthilus_run_hook',
      'step hooks/ping.lua:3 nauthilus_run_hook',
    ]);
  } finally {
    await target.close();
  }
});

test('debugger: detaching resumes a paused login, which then finishes', async () => {
  const dbg = new ScriptDebugger();
  dbg.setBreakpoints('backend/backend.lua', [{ line: 4 }]);
  const target = await open(dbg);
  try {
    const stopped = once(dbg, 'stopped');
    const carol = target.simulate({ workspace: '', request: { username: 'carol', password: 'pw' } });
    await stopped;
    dbg.detach();
    assert.equal((await carol).decision, 'ok');
  } finally {
    await target.close();
  }
});

test('debugger: a Dovecot script in the harness pauses on a breakpoint with its req fields, steps, and its timeout waits', async () => {
  const ws = workspace({
    'dovecot/passdb.lua': [
      'function auth_passdb_lookup(req)',
      '  local wanted = "secret-" .. req.user', // line 2
      '  if req.password ~= wanted then return dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH, "wrong" end',
      '  return dovecot.auth.PASSDB_RESULT_OK, "password=" .. wanted',
      'end',
      '',
    ].join('\n'),
  });
  const dbg = new ScriptDebugger();
  dbg.attach();
  dbg.workspaceRoot = ws;
  dbg.setBreakpoints('dovecot/passdb.lua', [{ line: 2 }]);
  const seen: string[] = [];
  dbg.on('stopped', (e: StoppedEvent) => {
    const top = dbg.stackTrace(e.threadId)[0];
    const user = dbg.evaluate(e.threadId, top.index, 'req.user');
    seen.push(`${e.reason} ${top.source}:${top.line} ${top.name} user=${typeof user.result === 'string' ? user.result : user.result.value}`);
    if (e.reason === 'breakpoint') setTimeout(() => dbg.step(e.threadId, 'next'), 250); // paused past callTimeoutMs
    else dbg.continue(e.threadId);
  });
  const r = await runDovecotScript({
    file: path.join(ws, 'dovecot/passdb.lua'), callTimeoutMs: 200, debugger: dbg,
    login: { user: 'erin', password: 'secret-erin', service: 'imap' },
  });
  assert.equal(r.status, 'PASSDB_RESULT_OK', JSON.stringify(r.logs));
  assert.deepEqual(seen, [
    'breakpoint dovecot/passdb.lua:2 auth_passdb_lookup user="erin"',
    'step dovecot/passdb.lua:3 auth_passdb_lookup user="erin"',
  ]);
});

test('debugger: Host calls, while paused, list what each Redis call sent and got back (a password field\'s value masked)', async () => {
  const ws = workspace({
    ...FILES,
    'backend/backend.lua': [
      'local nauthilus_redis = require("nauthilus_redis")',
      'function nauthilus_backend_verify_password(request)',
      '  nauthilus_redis.redis_hset("default", "debug:user:" .. request.username, "password", request.password, "mail", "carol@example.test")',
      '  local mail = nauthilus_redis.redis_hget("default", "debug:user:" .. request.username, "mail")',
      '  local b = nauthilus_backend_result.new()', // line 5
      '  b:user_found(true)',
      '  b:authenticated(request.password == "pw")',
      '  return nauthilus_builtin.BACKEND_RESULT_OK, b',
      'end',
      '',
    ].join('\n'),
  });
  const dbg = new ScriptDebugger();
  dbg.setBreakpoints('backend/backend.lua', [{ line: 5 }]);
  const target = await DebugTarget.open({ workspace: ws }, dbg);
  try {
    const stopped = once(dbg, 'stopped') as Promise<[StoppedEvent]>;
    const carol = target.simulate({ workspace: '', request: { username: 'carol', password: 'pw' } });
    const [e] = await stopped;
    const scope = dbg.scopes(e.threadId, dbg.stackTrace(e.threadId)[0].index).find((s) => s.name === 'Host calls')!;
    const calls = dbg.variables(scope.ref);
    assert.deepEqual(calls.map((c) => c.name), ['#1 redis', '#2 redis']);
    // the row says what was sent and what came back; the password sent is never shown
    assert.equal(calls[0].value, 'HSET debug:user:carol password *** mail carol@example.test -> 2');
    assert.equal(calls[1].value, 'HGET debug:user:carol mail -> carol@example.test');
    const hget = Object.fromEntries(dbg.variables(calls[1].ref).map((v) => [v.name, v.value]));
    assert.equal(hget.reply, '"carol@example.test"');
    assert.equal(hget.pool, '"default"');
    const args = dbg.variables(dbg.variables(calls[0].ref).find((v) => v.name === 'args')!.ref).map((v) => v.value);
    assert.deepEqual(args, ['"debug:user:carol"', '"password"', '"***"', '"mail"', '"carol@example.test"']);
    assert.ok(!JSON.stringify(dbg.variables(calls[0].ref)).includes('"pw"'));
    dbg.continue(e.threadId);
    assert.equal((await carol).decision, 'ok');
  } finally {
    await target.close();
  }
});

test('debugger: a breakpoint whose condition or log message part is no Lua expression is refused, saying why', () => {
  const dbg = new ScriptDebugger();
  const set = dbg.setBreakpoints('features/count.lua', [
    { line: 4, condition: 'i ==' },
    { line: 5, logMessage: 'n is {n +}' },
    { line: 6, hitCondition: 'twice' },
    { line: 3, condition: 'i == 4 and #request.username > 2', logMessage: 'i={i}' },
  ]);
  assert.deepEqual(set.map((b) => b.verified), [false, false, false, true]);
  assert.match(set[0].message!, /^condition "i ==" is not a Lua expression/);
  assert.match(set[1].message!, /^log message part \{n \+\} is not a Lua expression/);
  assert.match(set[2].message!, /hit count "twice" is not understood/);
});

test('debugger: a breakpoint sent again unchanged keeps its hit count (the studio\'s counts go on over debug runs)', async () => {
  const table = new BreakpointTable();
  table.set('features/count.lua', [{ line: 4, hitCondition: '3' }]);
  for (let run = 1; run <= 3; run++) {
    const dbg = new ScriptDebugger(table);
    dbg.setBreakpoints('features/count.lua', [{ line: 4, hitCondition: '3' }, { line: 2 }]);
    dbg.detach(); // a run's end does not forget the studio's breakpoints
  }
  table.at('features/count.lua', 4)!.hits = 2;
  new ScriptDebugger(table).setBreakpoints('features/count.lua', [{ line: 4, hitCondition: '3' }]);
  assert.equal(table.at('features/count.lua', 4)!.hits, 2);
  new ScriptDebugger(table).setBreakpoints('features/count.lua', [{ line: 4, hitCondition: '4' }]);
  assert.equal(table.at('features/count.lua', 4)!.hits, 0, 'a changed breakpoint counts from zero');
});

test('debugger: a recorded corpus entry launched by number runs as replay runs it: its sealed password opened, else a lookup that says so', async (t) => {
  const keyHome = workspace();
  const saved = process.env.AUTHSTUDIO_CONFIG_DIR;
  process.env.AUTHSTUDIO_CONFIG_DIR = keyHome;
  t.after(() => {
    if (saved === undefined) delete process.env.AUTHSTUDIO_CONFIG_DIR;
    else process.env.AUTHSTUDIO_CONFIG_DIR = saved;
  });
  const key = CorpusKey.load({ create: true })!;
  const entry = (username: string, extra: object) => JSON.stringify({
    v: 1, time: Date.parse('2026-11-02T08:00:00Z'), session: `s-${username}`, mode: 'auth', endpoint: 'json',
    fields: { username, protocol: 'imap', client_ip: '192.0.2.7' }, had_password: true, outcome: { decision: 'fail', stage_path: [] }, ...extra,
  });
  const ws = workspace({ ...FILES, 'corpus/requests-1-0000.jsonl': [entry('carol', { password: key.seal('pw') }), entry('dave', {})].join('\n') + '\n' });

  const dbg = new ScriptDebugger();
  dbg.setBreakpoints('features/count.lua', [{ line: 4, hitCondition: '== 1' }]);
  const target = await DebugTarget.open({ workspace: ws, corpus: 'corpus', entry: 1 }, dbg);
  try {
    const said: string[] = [];
    const stopped = once(dbg, 'stopped') as Promise<[StoppedEvent]>;
    const run = target.replay((text) => said.push(text));
    const [e] = await stopped;
    assert.equal(rows(dbg, e, 'Request').username, '"carol"');
    dbg.continue(e.threadId);
    // recorded as refused; the password opened here lets the backend accept it now
    assert.deepEqual(await run, { entry: 1, decision: 'ok', recorded_decision: 'fail' });
    assert.match(said[0], /^replaying corpus entry #1 \(2026-11-02T08:00:00\.000Z carol imap 192\.0\.2\.7, recorded: fail\) with its recorded password/);
  } finally {
    await target.close();
  }

  const lookup = await DebugTarget.open({ workspace: ws, corpus: 'corpus', entry: 2 }, new ScriptDebugger());
  try {
    const said: string[] = [];
    const r = await lookup.replay((text) => said.push(text));
    assert.equal(r.lookup_because, 'not-recorded');
    assert.match(said[0], /entry #2 .*dave.* as a lookup without its password \(recorded without --record-passwords\)/);
  } finally {
    await lookup.close();
  }
  await assert.rejects(DebugTarget.open({ workspace: ws, corpus: 'corpus', entry: 3 }, new ScriptDebugger()), /the corpus corpus has 2 entries, no #3/);
});

test('the studio\'s debugLaunch {corpus, entry}: the output says how the entry runs, the end reports both decisions; a missing entry or no login at all is refused at once', async () => {
  const recorded = JSON.stringify({
    v: 1, time: Date.parse('2026-11-02T08:00:00Z'), session: 's-dave', mode: 'auth', endpoint: 'json',
    fields: { username: 'dave', protocol: 'imap' }, had_password: true, outcome: { decision: 'fail', stage_path: [] },
  });
  const ws = workspace({ ...FILES, 'corpus/requests-1-0000.jsonl': recorded + '\n' });
  const bus = new StudioEventBus();
  const studio = new StudioDebugger({ bus, root: ws, configFile: () => path.join(ws, 'authstudio.yml'), redis: () => assert.fail('a replayed entry runs on a Redis of its own') });
  const outputs: DebugOutput[] = [];
  bus.on('debugOutput', (o) => outputs.push(o));
  const ended = new Promise<DebugEnded>((resolve) => bus.on('debugEnded', resolve));
  await studio.launch({ corpus: 'corpus', entry: 1 });
  assert.deepEqual((await ended).replay, { entry: 1, decision: 'ok', recorded_decision: 'fail', lookup_because: 'not-recorded' });
  assert.equal(outputs.length, 1);
  assert.equal(outputs[0].file, '');
  assert.match(outputs[0].text, /^replaying corpus entry #1 .* dave imap, recorded: fail\) as a lookup without its password/);
  await assert.rejects(studio.launch({ corpus: 'corpus', entry: 9 }), /has 1 entry, no #9/);
  await assert.rejects(studio.launch({ corpus: 'corpus', entry: 0 }), /"entry" must be an entry's number/);
  await assert.rejects(studio.launch({}), /give a login \(preset and fields\) or a corpus entry/);
});
