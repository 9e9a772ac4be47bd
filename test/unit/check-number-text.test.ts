// `authstudio check` warns where a division's result is concatenated: Nauthilus 1.10 (gopher-lua, Lua 5.1) writes
// `"k" .. 6/2` as "k3", Lua 5.4 as "k3.0"; concatenation cannot be changed from outside the VM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { findFloatConcatenations } from '../../engine/lua/number-text-lint';
import { checkWorkspace } from '../../engine/check';
import { toDiagnostics } from '../../engine/studio/diagnostics';
import { startStudio } from '../studio/studio-fixture';

const ROOT = path.resolve(__dirname, '..', '..', '..');

const lines = (src: string) => findFloatConcatenations(src).map((f) => f.line);

test('number-text check: a division or ^ concatenated on one line is found, with its line', () => {
  assert.deepEqual(lines('local a = 1\nlocal k = "rate:" .. hits / window\nlocal p = "p" .. 2^3\nf("x", "k" .. (a / b) .. "z")\nif key == "a" .. n / 2 then end'), [2, 3, 4, 5]);
});

test('number-text check: a name assigned from a division and later concatenated is found; reassigned clean is not', () => {
  const src = [
    'local avg = total / n', //                    1
    'local key = "avg:" .. avg', //                2 found
    'avg = math.floor(avg)', //                    3 clean again
    'local key2 = "avg:" .. avg', //               4
    'local half, rest = n / 2, 0', //              5
    'nauthilus_redis.redis_set(h, "k:" .. half, 1)', // 6 found (a Redis key)
  ].join('\n');
  const found = findFloatConcatenations(src);
  assert.deepEqual(found.map((f) => f.line), [2, 6]);
  assert.match(found[1].message, /Redis key/);
});

test('number-text check: tostring, math.floor, string.format, strings, comments and varargs are not warned about', () => {
  const src = [
    'local a = "k" .. tostring(6 / 2)',
    'local b = "k" .. math.floor(n / 2)',
    'local c = "k" .. string.format("%d", n / 2) .. ("%.1f"):format(n / 3)',
    'local d = "a/b" .. "c^d" -- x / y .. z',
    '--[[ "k" .. 6/2 ]] local e = x / y',
    'local f = "k" .. [[ 1/2 ]]',
    'local function g(...) return select("#", ...) / 2 end',
    'local h = 7 // 2 .. ""',
    'local ratio = a / b',
    'nauthilus_builtin.custom_log_add(N .. "_ratio", ratio)', // ratio is an argument, not an operand of ..
    'if x / y > 2 then s = "a" .. "b" end',
    'for i = 8, 1, -1 do bits = bits .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end',
    'local t = "n=" .. #list .. f(a / b) .. g(x, y / 2)',
  ].join('\n');
  assert.deepEqual(lines(src), []);
});

function workspace(script: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authstudio-number-text-'));
  fs.mkdirSync(path.join(dir, 'features'));
  fs.writeFileSync(path.join(dir, 'features', 'rate.lua'), script);
  fs.writeFileSync(path.join(dir, 'authstudio.yml'), [
    'server:', '  address: 127.0.0.1:0', '  backends: [cache]', '  redis: mock',
    'lua:', '  features:', '    - name: rate', '      script_path: ./features/rate.lua', '',
  ].join('\n'));
  return dir;
}

const RATE = [
  'function nauthilus_call_feature(request)',
  '  local per_minute = 120 / 60',
  '  local key = "ntc:rate:" .. per_minute',
  '  return false, false, 0',
  'end',
  '',
].join('\n');

test('authstudio check and the studio\'s diagnostics: a division concatenated into a key is a warning at file:line (Nauthilus 1.10 gives "ntc:rate:2", Lua 5.4 "ntc:rate:2.0")', async () => {
  const dir = workspace(RATE);
  try {
    const problems = await checkWorkspace(path.join(dir, 'authstudio.yml'));
    assert.equal(problems.length, 1, problems.map((p) => p.format()).join('\n'));
    assert.equal(problems[0].code, 'AS_ERR_LUA_NUMBER_TEXT');
    assert.equal(problems[0].severity, 'warning');
    assert.match(problems[0].format(), /features\/rate\.lua:3: a division's result is concatenated/);
    const diags = toDiagnostics(problems[0], dir);
    assert.deepEqual(diags.map((d) => [d.file, d.line, d.severity, d.code]), [['features/rate.lua', 3, 'warning', 'AS_ERR_LUA_NUMBER_TEXT']]);

    // the CLI prints it as a warning and the check still passes (exit 0)
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'check', '--config', path.join(dir, 'authstudio.yml')], { cwd: ROOT }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /^warning: \S*features\/rate\.lua:3: a division's result is concatenated/m);
    assert.match(out.stdout, /OK \(1 warning\)/);

    // fixed with tostring (which prints "2" as Nauthilus does): no warning
    fs.writeFileSync(path.join(dir, 'features', 'rate.lua'), RATE.replace('.. per_minute', '.. tostring(per_minute)'));
    assert.deepEqual(await checkWorkspace(path.join(dir, 'authstudio.yml')), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('studio: a save whose script concatenates a division is live and shows the number-text warning at file:line', async () => {
  const h = await startStudio('in-process');
  try {
    const src = fs.readFileSync(path.join(h.dir, 'features/blocklist.lua'), 'utf8')
      .replace('function nauthilus_call_feature(request)\n', 'function nauthilus_call_feature(request)\n  local tag = "half:" .. 6 / 2\n');
    const saved = await h.client.saveFile({ path: 'features/blocklist.lua', content: src });
    assert.equal(saved.reload?.ok, true);
    assert.deepEqual(saved.reload!.diagnostics.map((d) => [d.file, d.line, d.severity, d.code]), [['features/blocklist.lua', 3, 'warning', 'AS_ERR_LUA_NUMBER_TEXT']]);
    // (the fixture returns FEATURE_RESULT_YES, which no Nauthilus version has, on purpose: the Lua checker warns it reads nil)
    assert.deepEqual((await h.client.checkWorkspace()).map((d) => [d.file, d.line, d.code]), [['features/blocklist.lua', 3, 'AS_ERR_LUA_NUMBER_TEXT'], ['features/blocklist.lua', 10, 'AS_ERR_LUA_UNDEFINED']]);
    const fixed = await h.client.saveFile({ path: 'features/blocklist.lua', content: src.replace('6 / 2', 'tostring(6 / 2)') });
    assert.deepEqual(fixed.reload?.diagnostics, []);
  } finally {
    await h.close();
  }
});
