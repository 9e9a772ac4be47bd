// server.lua_allow_io: scripts get gopher-lua's io and os file functions on the real file system (Nauthilus 1.10
// opens the standard libraries unrestricted); processes stay out of reach; reads are bounded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';
import { testServices } from '../helpers/lua-harness';
import { startFixture, jsonLogin } from '../helpers/engine-fixture';
import { workspace } from '../helpers/config-text';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-luaio-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Run `body` as function run() of a script in a VM with lua_allow_io (or without); results or { error }. */
async function withIo(body: string, opts: { allowIo?: boolean; memoryMiB?: number; top?: string } = {}): Promise<unknown[] | { error: string }> {
  const vm = await LuaVm.create({ poolName: 'io', services: testServices({ baseDir: dir }), memoryLimitBytes: (opts.memoryMiB ?? 16) << 20, allowIo: opts.allowIo ?? true });
  try {
    const script = await vm.loadScript('io.lua', `${opts.top ?? ''}\nfunction run()\n${body}\nend`, 2000);
    vm.sealMemory();
    return await vm.evalEnv(script, 'run', new CallContext('io'), 2000);
  } catch (e) {
    return { error: (e as Error).message };
  } finally {
    vm.close();
  }
}
const lua = (s: string) => JSON.stringify(s);

test('Nauthilus 1.10 (gopher-lua io): with lua_allow_io a script reads a host file with io.open, file:lines, "*l", "*n", "*a" and a byte count', async () => {
  const file = path.join(dir, 'data.txt');
  fs.writeFileSync(file, 'first line\r\nsecond\n  42 7.5 rest\nlast');
  const r = await withIo(`
    local f = assert(io.open(${lua(file)}, "r"))
    local l1, l2 = f:read("*l", "*l")
    local n1, n2 = f:read("*n", "*n")
    local b = f:read(5)
    local rest = f:read("*a")
    local after_eof_all, after_eof_line = f:read("*a"), f:read("*l")
    f:close()
    local lines = {}
    for l in io.lines(${lua(file)}) do lines[#lines + 1] = l end
    local g = io.open(${lua(file)})
    local via_method = {}
    for l in g:lines() do via_method[#via_method + 1] = l end
    g:close()
    return l1, l2, n1, n2, b, rest, after_eof_all, tostring(after_eof_line), table.concat(lines, "|"), #via_method, io.type(f), tostring(f), io.type(42)`);
  assert.deepEqual(r, ['first line', 'second', 42, 7.5, ' rest', '\nlast', '', 'nil', 'first line|second|  42 7.5 rest|last', 4, 'closed file', 'file (closed)', null]);
});

test('Nauthilus 1.10 (gopher-lua io): writing, appending, seeking and os.remove/os.rename change the real file system', async () => {
  const file = path.join(dir, 'out.txt');
  const moved = path.join(dir, 'moved.txt');
  const r = await withIo(`
    local f = assert(io.open(${lua(file)}, "w"))
    local ok = f:write("alpha\\n", 42, "\\n")
    f:close()
    local a = assert(io.open(${lua(file)}, "a"))
    a:write("appended\\n")
    a:close()
    local rw = assert(io.open(${lua(file)}, "r+"))
    local size = rw:seek("end")
    rw:seek("set", 0)
    rw:write("ALPHA")
    local pos = rw:seek()
    local tail = rw:read("*a")
    rw:close()
    local renamed = os.rename(${lua(file)}, ${lua(moved)})
    local content = io.open(${lua(moved)}):read("*a")
    local removed = os.remove(${lua(moved)})
    local again, err = os.remove(${lua(moved)})
    return ok, size, pos, tail, renamed, content, removed, again, err`);
  assert.deepEqual(r, [true, 18, 5, '\n42\nappended\n', true, 'ALPHA\n42\nappended\n', true, null, `remove ${moved}: no such file or directory`]);
  assert.equal(fs.existsSync(moved), false);
});

test('Nauthilus 1.10 (gopher-lua io): a missing file gives (nil, "open <path>: no such file or directory", 1); io.lines of it raises that error; a FIFO is refused, not waited on', async () => {
  const missing = path.join(dir, 'nope', 'missing.csv');
  const fifo = path.join(dir, 'a.fifo');
  execFileSync('mkfifo', [fifo]); // opening it for reading would wait for a writer: refused instead
  const r = await withIo(`
    local f, err, errno = io.open(${lua(missing)}, "r")
    local ok, lerr = pcall(io.lines, ${lua(missing)})
    local w = assert(io.open(${lua(path.join(dir, 'ro.txt'))}, "w"))
    local rnil, rerr, rerrno = w:read("*a")
    w:close()
    local okc, cerr = pcall(w.read, w, "*a")
    local okm, merr = pcall(io.open, ${lua(missing)}, "rw")
    local fifo, ferr = io.open(${lua(fifo)}, "r")
    return tostring(f), err, errno, ok, lerr, tostring(rnil), rerr, rerrno, okc, cerr, okm, merr, tostring(fifo), ferr`);
  const [f, err, errno, ok, lerr, rnil, rerr, rerrno, okc, cerr, okm, merr, fifoFile, fifoErr] = r as unknown[];
  assert.equal(f, 'nil');
  assert.equal(err, `open ${missing}: no such file or directory`);
  assert.equal(errno, 1);
  assert.equal(ok, false);
  assert.match(String(lerr), /open .*missing\.csv: no such file or directory/);
  assert.equal(rnil, 'nil');
  assert.equal(rerr, `${path.join(dir, 'ro.txt')} is opened for only writing.`);
  assert.equal(rerrno, 1);
  assert.equal(okc, false);
  assert.match(String(cerr), /file is closed/);
  assert.equal(okm, false);
  assert.match(String(merr), /bad argument #2 to 'open' \(invalid option: rw \(must be one of r,rb,w,wb,a,ab,r\+,rb\+,w\+,wb\+,a\+,ab\+\)\)/);
  assert.equal(fifoFile, 'nil');
  assert.equal(fifoErr, `open ${fifo}: not a regular file (scripts read and write regular files only)`);
});

test('io reads are bounded by lua_memory_limit: a file larger than the limit is an error, not a string of that size', async () => {
  const big = path.join(dir, 'big.txt');
  fs.writeFileSync(big, Buffer.alloc(3 << 20, 'x'));
  const r = await withIo(`
    local f = assert(io.open(${lua(big)}))
    local ok, err = pcall(f.read, f, "*a")
    f:seek("set", 0)
    local ok2, err2 = pcall(f.read, f, "*l")
    local small = f:seek("set", 0) and f:read(10)
    f:close()
    return ok, err, ok2, err2, small`, { memoryMiB: 1 });
  const [ok, err, ok2, err2, small] = r as unknown[];
  assert.equal(ok, false);
  assert.match(String(err), /big\.txt: more than 1048576 bytes in one read \(lua_memory_limit\)/);
  assert.equal(ok2, false, 'a single line longer than the limit');
  assert.match(String(err2), /lua_memory_limit/);
  assert.equal(small, 'xxxxxxxxxx');
});

test('with lua_allow_io processes stay out of reach: io.popen, os.execute and os.exit raise and the engine goes on', async () => {
  const r = await withIo(`
    local out = {}
    for _, f in ipairs({ function() return io.popen("id") end, function() return os.execute("true") end, function() os.exit(1) end }) do
      local ok, err = pcall(f)
      out[#out + 1] = tostring(ok) .. ":" .. tostring(err):gsub("^[^:]*:%d+: ", "")
    end
    return table.unpack(out)`);
  assert.deepEqual(r, [
    "false:io.popen is not available in AuthStudio (it would start a process on the engine's host)",
    "false:os.execute is not available in AuthStudio (it would start a process on the engine's host)",
    'false:os.exit is not available in AuthStudio (it would end the engine)',
  ]);
});

test('io works in each script environment: io.write goes to the log, a script replacing io.open changes only its own copy', async () => {
  const file = path.join(dir, 'shared.txt');
  fs.writeFileSync(file, 'hello\n');
  const vm = await LuaVm.create({ poolName: 'io', services: testServices({ baseDir: dir }), memoryLimitBytes: 16 << 20, allowIo: true });
  try {
    const a = await vm.loadScript('a.lua', 'io.open = function() return nil, "replaced" end\nfunction run() return io.open("x") end', 2000);
    const b = await vm.loadScript('b.lua', `function run() local f = io.open(${lua(file)}) local s = f:read("*l") f:close() return s, io.write("to the log"), require("io") == io end`, 2000);
    assert.deepEqual((await vm.evalEnv(a, 'run', new CallContext('a'), 2000))[1], 'replaced');
    assert.deepEqual(await vm.evalEnv(b, 'run', new CallContext('b'), 2000), ['hello', true, true]);
  } finally {
    vm.close();
  }
});

test('without lua_allow_io there is no io and no os file functions (the default sandbox)', async () => {
  const r = await withIo('return tostring(io), tostring(os.remove), tostring(os.rename), pcall(require, "io")', { allowIo: false });
  assert.deepEqual((r as unknown[]).slice(0, 4), ['nil', 'nil', 'nil', false]);
});

test('Nauthilus 1.10: a CSV backend loads its users with io.lines at the top level and verifies passwords (lua_allow_io)', async () => {
  const ws = workspace({
    'authstudio.yml': [
      'server:',
      '  backends: [lua]',
      '  redis: mock',
      '  lua_allow_io: true',
      'lua:',
      '  config:',
      '    script_path: ./backend/csv_backend.lua',
      '',
    ].join('\n'),
    'data/users.csv': 'username,password,account\r\nalice,alice-pw,alice@example.test\r\nbob,"b,pw",bob@example.test\r\n',
    'backend/csv_backend.lua': [
      '-- our CSV backend: users come from the file named by USERS_CSV, read once when the script loads',
      'local USERS = {}',
      'local header',
      '-- fields split on commas; a field in double quotes may hold commas',
      'local function fields(line)',
      '  local cols, rest = {}, line .. ","',
      '  while #rest > 0 do',
      '    local q = rest:match(\'^"([^"]*)",\')',
      '    local v = q or rest:match("^([^,]*),")',
      '    cols[#cols + 1] = v',
      '    rest = rest:sub(#v + (q and 4 or 2))',
      '  end',
      '  return cols',
      'end',
      'for line in io.lines(os.getenv("USERS_CSV")) do',
      '  local cols = fields(line)',
      '  if not header then header = cols else USERS[cols[1]] = { password = cols[2], account = cols[3] } end',
      'end',
      'function nauthilus_backend_verify_password(request)',
      '  local b = nauthilus_backend_result.new()',
      '  local u = USERS[request.username]',
      '  if u == nil then return nauthilus_builtin.BACKEND_RESULT_OK, b end',
      '  b:user_found(true)',
      '  b:account_field("account")',
      '  b:attributes({ account = u.account })',
      '  b:authenticated(request.password == u.password)',
      '  return nauthilus_builtin.BACKEND_RESULT_OK, b',
      'end',
      '',
    ].join('\n'),
  });
  const fx = await startFixture('', { configFile: path.join(ws, 'authstudio.yml'), env: { USERS_CSV: path.join(ws, 'data', 'users.csv') } });
  try {
    const ok = await jsonLogin(fx.app, { username: 'alice', password: 'alice-pw' });
    const okQuoted = await jsonLogin(fx.app, { username: 'bob', password: 'b,pw' });
    const bad = await jsonLogin(fx.app, { username: 'alice', password: 'wrong' });
    const unknown = await jsonLogin(fx.app, { username: 'carol', password: 'x' });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.headers['auth-user'], 'alice@example.test');
    assert.equal(okQuoted.statusCode, 200, okQuoted.body);
    assert.equal(bad.statusCode, 403);
    assert.equal(unknown.statusCode, 403);
  } finally {
    await fx.close();
  }
});

test('a CSV backend whose file is missing fails to load with the open error and its file:line', async () => {
  const ws = workspace({
    'authstudio.yml': 'server:\n  backends: [lua]\n  redis: mock\n  lua_allow_io: true\nlua:\n  config:\n    script_path: ./backend.lua\n',
    'backend.lua': 'for line in io.lines("missing.csv") do end\nfunction nauthilus_backend_verify_password() end\n',
  });
  await assert.rejects(startFixture('', { configFile: path.join(ws, 'authstudio.yml') }), (e: Error) => {
    assert.match(e.message, /open missing\.csv: no such file or directory/);
    const loc = (e as Error & { location?: { file?: string; line?: number } }).location;
    assert.match(`${loc?.file}:${loc?.line}`, /backend\.lua:1$/);
    return true;
  });
});

test('files a script leaves open are capped at 64 per VM and closed with the VM (no descriptor leak)', async () => {
  const file = path.join(dir, 'leak.txt');
  fs.writeFileSync(file, 'x\n');
  const fds = () => fs.readdirSync('/proc/self/fd').length;
  const baseline = fds();
  const vm = await LuaVm.create({ poolName: 'io', services: testServices({ baseDir: dir }), memoryLimitBytes: 16 << 20, allowIo: true });
  const script = await vm.loadScript('leak.lua', `kept = {}\nfunction run()\n  for i = 1, 70 do\n    local f, err = io.open(${lua(file)})\n    if not f then return i, err end\n    kept[i] = f\n  end\nend`, 2000);
  const [n, err] = await vm.evalEnv(script, 'run', new CallContext('leak'), 2000);
  assert.equal(n, 65);
  assert.match(String(err), /too many open files \(64 per VM/);
  assert.ok(fds() >= baseline + 64, 'the files are open while the VM lives');
  vm.close();
  assert.ok(fds() <= baseline + 2, `descriptors left open after close: ${fds() - baseline}`);
});

test('Nauthilus 1.10 (gopher-lua io): read formats need the "*" ("a" alone is refused, as in gopher-lua, though Lua 5.4 accepts it)', async () => {
  const file = path.join(dir, 'fmt.txt');
  fs.writeFileSync(file, 'abc\n');
  const r = await withIo(`
    local f = assert(io.open(${lua(file)}))
    local ok, err = pcall(f.read, f, "a")
    local ok2, err2 = pcall(f.read, f, "*x")
    local line = f:read()
    f:close()
    return ok, err, ok2, err2, line`);
  const [ok, err, ok2, err2, line] = r as unknown[];
  assert.equal(ok, false);
  assert.match(String(err), /bad argument #2 to 'read' \(invalid options:a\)/);
  assert.equal(ok2, false);
  assert.match(String(err2), /invalid options:x/);
  assert.equal(line, 'abc', 'read() with no format reads a line');
});
