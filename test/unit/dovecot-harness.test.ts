// The Dovecot harness without a Dovecot: req, the dovecot global, return conventions, logs, script life cycle.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runDovecotScript, DovecotScript, type RunDovecotOptions, type DovecotLogin } from '../../engine/dovecot';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-dovecot-unit-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Write `src` as a script file and run one lookup on it. */
function script(src: string): string {
  const file = path.join(dir, `s${++n}.lua`);
  fs.writeFileSync(file, src);
  return file;
}
function run(src: string, login: Partial<DovecotLogin> = {}, opts: Partial<RunDovecotOptions> = {}) {
  return runDovecotScript({ file: script(src), login: { user: 'alice', password: 'secret', ...login }, ...opts });
}
const texts = (r: { logs: Array<{ text: string }> }) => r.logs.map((l) => l.text);

test('req: variables as Dovecot sets them (user lower-cased, ports as strings, unset addresses nil, aliases)', async () => {
  const r = await run(`
    function auth_passdb_lookup(req)
      local out = {}
      for _, k in ipairs({"user","username","domain","service","password","mech","mechanism","secured","lip","local_ip","rip",
          "remote_ip","real_rip","lport","local_port","rport","remote_port","session","orig_user","original_user",
          "auth_user","domain_first","pid","cert","client_id","home","master_user","session_id"}) do
        local v = req[k]
        -- "v_" keeps the names apart from the fields Dovecot acts on (user=, username=, domain= rename the user)
        out["v_" .. k] = v == nil and "<nil>" or (type(v) .. ":" .. v)
      end
      out.nopassword = "y"
      return dovecot.auth.PASSDB_RESULT_OK, out
    end`, { user: 'Alice@Example.COM', remoteIp: '192.0.2.7', remotePort: 51234, service: 'pop3' });
  assert.equal(r.status, 'PASSDB_RESULT_OK');
  const expected: Record<string, string> = {
    user: 'string:alice@example.com', username: 'string:alice', domain: 'string:example.com', service: 'string:pop3',
    password: 'string:secret', mech: 'string:PLAIN', mechanism: 'string:PLAIN', secured: 'string:', lip: '<nil>',
    local_ip: '<nil>', rip: 'string:192.0.2.7', remote_ip: 'string:192.0.2.7', real_rip: 'string:192.0.2.7',
    lport: 'string:0', local_port: 'string:0', rport: 'string:51234', remote_port: 'string:51234', session: '<nil>',
    orig_user: 'string:Alice@Example.COM', original_user: 'string:Alice@Example.COM', auth_user: 'string:Alice@Example.COM',
    domain_first: 'string:example.com', pid: 'string:0', cert: 'string:', client_id: '<nil>', home: '<nil>',
    master_user: '<nil>', session_id: '<nil>',
  };
  // Dovecot 2.3.19: the reply names the login as typed when it differs from the (lower-cased) user
  assert.deepEqual(r.fields, { ...Object.fromEntries(Object.entries(expected).map(([k, v]) => [`v_${k}`, v])), original_user: 'Alice@Example.COM' });
});

test('req: loopback logins are "secured"; the table has item, passdb, userdb and the seen flags; methods work', async () => {
  const r = await run(`
    function auth_passdb_lookup(req)
      local keys = {}
      for k in pairs(req) do keys[#keys + 1] = k end
      table.sort(keys)
      local tpl = req:response_from_template("home=/srv/%n quota=%{rip} bare")
      local ok = req:password_verify("{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=", req.password)
      local bad, err = req:password_verify("{PLAIN}other", req.password)
      local unk, uerr = req:password_verify("{NOPE}x", "x")
      return 1, { nopassword = "y", keys = table.concat(keys, ","), secured = req.secured, session = req.session,
        x = req:var_expand("%Lu|%n|%d|%s|%r|%l|%a|%{session}|%%|%5n|%{nope}|%q"), home = tpl.home, quota = tpl.quota,
        bare = tostring(tpl.bare), pv = tostring(ok), pv2 = tostring(bad) .. ":" .. err, pv3 = tostring(unk) .. ":" .. uerr,
        pf = tostring(req.passdb.realm) }
    end`, { user: 'Bob@Example.org', remoteIp: '127.0.0.1', localIp: '127.0.0.1', localPort: 143, session: 'Q3Ab7xAd2pV/AAAB', passdbFields: { realm: 'r1' } });
  assert.deepEqual(r.fields, {
    keys: 'item,passdb,passdbs_seen_internal_failure,passdbs_seen_user_unknown,skip_password_check,userdb,userdbs_seen_internal_failure',
    secured: 'secured', session: 'Q3Ab7xAd2pV/AAAB',
    x: 'bob@example.org|bob|example.org|imap|127.0.0.1|127.0.0.1|143|Q3Ab7xAd2pV/AAAB|%|bob|UNSUPPORTED_VARIABLE_nope|UNSUPPORTED_VARIABLE_q',
    home: '/srv/bob', quota: '127.0.0.1', bare: 'nil', pv: '1.0', pv2: '0.0:Password mismatch', pv3: '0.0:Unknown scheme NOPE', pf: 'r1',
    original_user: 'Bob@Example.org',
  });
});

test('dovecot global: constants are floats with Dovecot 2.3 values; pairs() shows only auth and http', async () => {
  const r = await run(`
    function auth_passdb_lookup(req)
      local a = dovecot.auth
      local keys = {}
      for k in pairs(dovecot) do keys[#keys + 1] = k end
      table.sort(keys)
      return a.PASSDB_RESULT_OK, { nopassword = "y", keys = table.concat(keys, ","), ok = tostring(a.PASSDB_RESULT_OK),
        t = math.type(a.PASSDB_RESULT_OK), values = table.concat({ a.PASSDB_RESULT_INTERNAL_FAILURE, a.PASSDB_RESULT_SCHEME_NOT_AVAILABLE,
        a.PASSDB_RESULT_USER_UNKNOWN, a.PASSDB_RESULT_USER_DISABLED, a.PASSDB_RESULT_PASS_EXPIRED, a.PASSDB_RESULT_NEXT,
        a.PASSDB_RESULT_PASSWORD_MISMATCH, a.USERDB_RESULT_INTERNAL_FAILURE, a.USERDB_RESULT_USER_UNKNOWN, a.USERDB_RESULT_OK }, " "),
        fns = type(dovecot.i_info) .. type(dovecot.event) .. type(dovecot.restrict_global_variables) .. type(dovecot.http.client) }
    end`);
  assert.deepEqual(r.fields, {
    keys: 'auth,http', ok: '1.0', t: 'float', values: '-1.0 -2.0 -3.0 -4.0 -5.0 -6.0 0.0 -1.0 -2.0 1.0', fns: 'functionfunctionfunctionfunction',
  });
});

test('logging: i_* always (debug too), req:log_* with the request prefix, info under auth_verbose, debug under auth_debug', async () => {
  const src = `
    function auth_passdb_lookup(req)
      dovecot.i_debug("d1"); dovecot.i_info("i1"); dovecot.i_warning("w1"); dovecot.i_error(42)
      req:log_debug("d2"); req:log_info("i2"); req:log_warning("w2"); req:log_error("e2")
      dovecot.event():append_log_prefix("ev: "):log_info("i3")
      print("to stdout", 1)
      return 1, "nopassword=y"
    end`;
  const verbose = await run(src, { remoteIp: '192.0.2.1', session: 'S1' });
  assert.deepEqual(texts(verbose), [
    'auth-worker: Debug: d1', 'auth-worker: Info: i1', 'auth-worker: Warning: w1', 'auth-worker: Error: 42',
    'auth-worker: Info: lua(alice,192.0.2.1,<S1>): db-lua: i2', 'auth-worker: Warning: lua(alice,192.0.2.1,<S1>): db-lua: w2',
    'auth-worker: Error: lua(alice,192.0.2.1,<S1>): db-lua: e2', 'auth-worker: Info: ev: i3',
  ]);
  assert.deepEqual(verbose.stdout, ['to stdout\t1']);
  const quiet = await run(src, {}, { authVerbose: false, authDebug: true, blocking: false });
  assert.deepEqual(texts(quiet).filter((t) => /db-lua/.test(t)), [
    'auth: Debug: lua(alice): db-lua: d2', 'auth: Warning: lua(alice): db-lua: w2', 'auth: Error: lua(alice): db-lua: e2',
  ]);
});

test('argument errors carry Dovecot\'s texts: i_* arity, non-string messages, req methods called with a dot', async () => {
  for (const [body, message] of [
    ['dovecot.i_info("a", "b")', 'failed: expected 1 arguments, got 2'],
    ['dovecot.i_info(nil)', ":3: bad argument #1 to 'i_info' (string expected, got nil)"],
    ['req.log_info("x")', 'failed: Bad argument #1, expected auth_request got string'],
    ['req:log_info()', ":3: bad argument #1 to 'log_info' (string expected, got no value)"],
    ['req:var_expand({})', ":3: bad argument #1 to 'var_expand' (string expected, got table)"],
  ]) {
    const r = await run(`function auth_passdb_lookup(req)\n  local x = 1\n  ${body}\n  return 1, "nopassword=y"\nend`);
    assert.equal(r.outcome, 'tempfail', body);
    assert.ok(r.logs[0].text.includes(message), `${body}: ${r.logs[0].text}`);
  }
});

test('return conventions: string and table fields, password/nopassword rules, fields only on OK', async () => {
  const cases: Array<[string, string, Record<string, string>, string?]> = [
    ['return 1, "nopassword=y a=1 flag  b=x=y"', 'PASSDB_RESULT_OK', { a: '1', flag: '', b: 'x=y' }],
    ['return 1, { nopassword = true, n = 7, f = 2.5, yes = true, no = false, t = {} }', 'PASSDB_RESULT_OK', { n: '7', f: '0', yes: 'yes', no: 'no', t: '' }, "'t' has invalid value type no value - ignoring"],
    ['return 1, "quota=1"', 'PASSDB_RESULT_PASSWORD_MISMATCH', {}, 'No password returned (and no nopassword)'],
    ['return 1, { password = "secret", x = "y" }', 'PASSDB_RESULT_OK', { x: 'y' }],
    ['return 1, "password={PLAIN}other"', 'PASSDB_RESULT_PASSWORD_MISMATCH', {}, 'Password mismatch'],
    ['return 1, "nopassword=y password=secret"', 'PASSDB_RESULT_PASSWORD_MISMATCH', {}, 'nopassword given and password is not empty'],
    ['return "1", 42', 'PASSDB_RESULT_PASSWORD_MISMATCH', {}, 'No password returned'],
    ['return 0, "reason ignored"', 'PASSDB_RESULT_PASSWORD_MISMATCH', {}],
    ['return 1.7, "nopassword=y"', 'PASSDB_RESULT_PASSWORD_MISMATCH', {}],
    ['return -4, { a = "b" }', 'PASSDB_RESULT_USER_DISABLED', {}],
    ['return -1, { a = "b" }', 'PASSDB_RESULT_INTERNAL_FAILURE', {}, 'db-lua: passb failed'],
    ['return -1, "backend down"', 'PASSDB_RESULT_INTERNAL_FAILURE', {}, 'db-lua: backend down'],
    ['return -6, "a=b"', 'PASSDB_RESULT_INTERNAL_FAILURE', { a: 'b' }, 'auth: Error: lua(alice): Last passdb had noauthenticate field'],
    ['return 0', 'PASSDB_RESULT_INTERNAL_FAILURE', {}, 'db-lua: db-lua: auth_passdb_lookup(req) invalid return value (expected string or table, got nil)'],
    ['return "x", ""', 'PASSDB_RESULT_INTERNAL_FAILURE', {}, 'invalid return value (expected number got string)'],
    ['return 7, ""', 'PASSDB_RESULT_INTERNAL_FAILURE', {}, 'Panic: file passdb.c: line 298: unreached'],
    ['return 1, { nopassword = "y", [1] = "x" }', 'PASSDB_RESULT_INTERNAL_FAILURE', {}, "invalid key to 'next'"],
    ['return 1, "nopassword=y =x"', 'PASSDB_RESULT_INTERNAL_FAILURE', {}, 'assertion failed'],
  ];
  for (const [ret, status, fields, log] of cases) {
    const r = await run(`function auth_passdb_lookup(req) ${ret} end`);
    assert.equal(r.status, status, ret);
    assert.deepEqual(r.fields, fields, ret);
    if (log) assert.ok(texts(r).some((t) => t.includes(log)), `${ret}: ${texts(r).join(' / ')}`);
  }
});

test('auth_password_verify is used for plaintext logins; other mechanisms get auth_passdb_lookup with req.password nil', async () => {
  const src = `
    function auth_password_verify(req, pass) return 1, { via = "verify", pass = pass, p = tostring(req.password) } end
    function auth_passdb_lookup(req) return 1, { password = "{PLAIN}secret", via = "lookup", p = tostring(req.password) } end`;
  const plain = await run(src);
  assert.equal(plain.entry, 'auth_password_verify');
  assert.deepEqual(plain.fields, { via: 'verify', pass: 'secret', p: 'secret' });
  const cram = await run(src, { mech: 'cram-md5' });
  assert.equal(cram.entry, 'auth_passdb_lookup');
  assert.equal(cram.status, 'PASSDB_RESULT_OK');
  assert.deepEqual(cram.fields, { via: 'lookup', p: 'nil' });
  const wrong = await run(src, { mech: 'CRAM-MD5', password: 'other' });
  assert.equal(wrong.status, 'PASSDB_RESULT_PASSWORD_MISMATCH');
  const mismatch = await run('function auth_password_verify(req, pass) return 0, "" end');
  assert.deepEqual(texts(mismatch), ['auth-worker: Info: lua(alice): Password mismatch']);
});

test('a Lua error is INTERNAL_FAILURE, logged as lua_pcall(...) failed: file:line: message plus a traceback', async () => {
  const file = script(`local function helper(t)\n  return t.field\nend\n\nfunction auth_password_verify(req, pass)\n  local v = helper(nil)\n  return 1, {}\nend\n`);
  const r = await runDovecotScript({ file, displayPath: '/etc/dovecot/lua/auth.lua', login: { user: 'alice', password: 'x', remoteIp: '192.0.2.9' } });
  assert.equal(r.outcome, 'tempfail');
  assert.equal(r.imap, 'NO [UNAVAILABLE] Temporary authentication failure.');
  assert.deepEqual(texts(r), [
    "auth-worker: Error: lua(alice,192.0.2.9): passdb-lua: lua_pcall(auth_password_verify, 2, 2) failed: /etc/dovecot/lua/auth.lua:2: attempt to index a nil value (local 't')",
    'auth-worker: Error: stack traceback:',
    "auth-worker: Error: \t/etc/dovecot/lua/auth.lua:2: in upvalue 'helper'",
    "auth-worker: Error: \t/etc/dovecot/lua/auth.lua:6: in function 'auth_password_verify'",
  ]);
  const table = await run('function auth_passdb_lookup(req) error({ code = 1 }) end');
  assert.match(texts(table)[0], /lua_pcall\(auth_passdb_lookup, 1, 2\) failed: \(null\)$/);
});

test('script life cycle: top level once, script_init must return 0, script_deinit on close, load errors are fatal', async () => {
  const s = await DovecotScript.load({ file: script(`
    local loads = 0
    loads = loads + 1
    local calls = 0
    function script_init() dovecot.i_info("init") return 0 end
    function script_deinit() dovecot.i_info("deinit") end
    function auth_passdb_lookup(req) calls = calls + 1 return 1, { nopassword = "y", loads = loads, calls = calls } end`) });
  assert.deepEqual(s.loadLogs.map((l) => l.text), ['auth-worker: Info: init']);
  assert.equal((await s.passdb({ user: 'a', password: 'x' })).fields.calls, '1');
  assert.deepEqual((await s.passdb({ user: 'b', password: 'x' })).fields, { loads: '1', calls: '2' });
  assert.deepEqual((await s.close()).map((l) => l.text), ['auth-worker: Info: deinit']);

  for (const [src, fatal] of [
    ['function script_init() return 1 end', 'Script init failed'],
    ['function script_init() return "x" end', 'script_init() returned non-number'],
    ['function script_init() error("no config") end', 'lua_pcall(script_init, 0, 1) failed:'],
    ['local x = = 1', 'lua_load('],
    ['error("top level")', 'lua_pcall('],
  ]) {
    const r = await run(`${src}\nfunction auth_passdb_lookup(req) return 1, "nopassword=y" end`);
    assert.equal(r.outcome, 'tempfail', src);
    // Dovecot 2.3.19: the auth process dies at start; the login process greets with a BYE
    assert.equal(r.status, 'AUTH_PROCESS_BROKEN', src);
    assert.equal(r.imap, '* BYE Auth process broken', src);
    assert.ok(texts(r)[0].startsWith('auth: Fatal: passdb-lua: initialization failed: '), texts(r)[0]);
    assert.ok(texts(r)[0].includes(fatal), `${src}: ${texts(r)[0]}`);
  }
  const missing = await runDovecotScript({ file: path.join(dir, 'nope.lua'), login: { user: 'a', password: 'x' } });
  assert.match(texts(missing)[0], /access\(.*nope\.lua\) failed: No such file or directory/);
});

test('userdb lookup and iteration: fields, unknown users, password never given, errors logged by userdb-lua', async () => {
  const src = `
    function auth_userdb_lookup(req)
      if req.username == "ghost" then return dovecot.auth.USERDB_RESULT_USER_UNKNOWN, "" end
      if req.username == "broken" then error("db gone") end
      return dovecot.auth.USERDB_RESULT_OK, { uid = 1000, home = "/home/" .. req.user, password = tostring(req.password), mech = req.mech }
    end
    function auth_userdb_iterate() return { "a", "b", extra = "c" } end`;
  const file = script(src);
  const ok = await runDovecotScript({ file, action: 'userdb', login: { user: 'Carol', password: 'ignored' } });
  assert.equal(ok.status, 'USERDB_RESULT_OK');
  assert.deepEqual(ok.fields, { uid: '1000', home: '/home/carol', password: 'nil', mech: '' });
  const ghost = await runDovecotScript({ file, action: 'userdb', login: { user: 'ghost' } });
  assert.equal(ghost.status, 'USERDB_RESULT_USER_UNKNOWN');
  assert.equal(ghost.outcome, 'fail');
  const broken = await runDovecotScript({ file, action: 'userdb', login: { user: 'broken' } });
  assert.equal(broken.status, 'USERDB_RESULT_INTERNAL_FAILURE');
  assert.match(texts(broken)[0], /^auth-worker: Error: lua\(broken\): userdb-lua: lua_pcall\(auth_userdb_lookup, 1, 2\) failed: .*db gone$/);
  const it = await runDovecotScript({ file, action: 'iterate' });
  assert.deepEqual([...(it.users ?? [])].sort(), ['a', 'b', 'c']);
  const bad = await run('function auth_userdb_iterate() return "x" end', {}, { action: 'iterate' });
  assert.deepEqual(texts(bad), ['auth-worker: Error: lua(?): db-lua: Cannot iterate, return value is not table']);
});

test('require and dofile read pure-Lua files from the host (package.path, LUA_PATH, path map, next to the script)', async () => {
  const libDir = path.join(dir, 'lib');
  fs.mkdirSync(libDir, { recursive: true });
  fs.writeFileSync(path.join(libDir, 'greet.lua'), 'return { hello = function(n) return "hi " .. n end }\n');
  fs.writeFileSync(path.join(dir, 'nearby.lua'), 'return { answer = 42 }\n');
  fs.writeFileSync(path.join(libDir, 'settings.lua'), 'return { realm = "example" }\n');
  const r = await run(`
    package.path = "/etc/dovecot/lua/?.lua;/opt/mapped/?.lua"
    local greet = require("greet")
    local nearby = require("nearby")
    local settings = dofile("/opt/mapped/settings.lua")
    local ok, err = pcall(require, "missing_module")
    function auth_passdb_lookup(req)
      return 1, { nopassword = "y", g = greet.hello(req.user), n = nearby.answer, r = settings.realm, e = err:match("no file '[^']*'") }
    end`, {}, { pathMap: { '/opt/mapped': libDir } });
  assert.equal(r.status, 'PASSDB_RESULT_OK', texts(r).join('\n'));
  assert.deepEqual(r.fields, { g: 'hi alice', n: '42', r: 'example', e: "no file '/etc/dovecot/lua/missing_module.lua'" });
  assert.deepEqual(r.notes, [`require("nearby"): /etc/dovecot/lua/ does not exist on this host; read ${path.join(dir, 'nearby.lua')} for /etc/dovecot/lua/nearby.lua`]);
  const relative = await run('local n = require("nearby")\nfunction auth_passdb_lookup(req) return 1, { nopassword = "y", n = n.answer } end');
  assert.deepEqual(relative.fields, { n: '42' });
  assert.match(relative.notes[0], /through \.\/\?\.lua; Dovecot resolves relative paths against its own working directory/);
  const viaEnv = await run('local g = require("greet")\nfunction auth_passdb_lookup(req) return 1, { nopassword = "y", g = g.hello("x") } end', {}, { env: { LUA_PATH: `${libDir}/?.lua;;` } });
  assert.deepEqual(viaEnv.fields, { g: 'hi x' });
});

test('sandbox and globals: os.getenv reads the given environment, os.exit is gone, restrict_global_variables', async () => {
  const r = await run(`
    function auth_passdb_lookup(req)
      dovecot.restrict_global_variables(true)
      local ok, err = pcall(function() undeclared = 1 end)
      dovecot.restrict_global_variables(false)
      return 1, { nopassword = "y", env = os.getenv("MY_SETTING"), exit = type(os.exit), err = err }
    end`, {}, { env: { MY_SETTING: 'on' } });
  assert.deepEqual(r.fields, { env: 'on', exit: 'nil', err: `${r.fields.err.split(':')[0]}:4: attempt to write to undeclared global variable undeclared` });
});

test('a script that never returns is stopped by the harness (Dovecot would wait) and reloaded for the next call', async () => {
  const s = await DovecotScript.load({ file: script('function auth_passdb_lookup(req) if req.user == "loop" then while true do end end return 1, "nopassword=y" end'), callTimeoutMs: 200 });
  const r = await s.passdb({ user: 'loop', password: 'x' });
  assert.equal(r.outcome, 'tempfail');
  assert.match(texts(r)[0], /the script ran longer than 200 ms \(the harness gave up; Dovecot would wait\)/);
  assert.equal((await s.passdb({ user: 'ok', password: 'x' })).status, 'PASSDB_RESULT_OK');
  await s.close();
});
