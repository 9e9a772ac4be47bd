// How the trace keeps a log line's fields and a Redis command's arguments and reply: parsed, bounded, secrets masked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logFields } from '../../engine/lua/log-fields';
import { traceArgs, traceBody, traceReply } from '../../engine/lua/modules/redis-trace';
import { parseTraceback } from '../../engine/lua/lua-error';

test('a key=value log line (print_result without log_format json) splits into fields; values keep their spaces', () => {
  assert.deepEqual(logFields('caller=demo two msg=hello world n=2'), { caller: 'demo two', msg: 'hello world', n: '2' });
  assert.deepEqual(logFields('{"a":1,"b":{"c":true},"s":"x"}'), { a: '1', b: '{"c":true}', s: 'x' });
  assert.equal(logFields('just some text'), undefined);
  assert.equal(logFields('[1,2]'), undefined);
});

test('Redis arguments: flattened, cut, at most 20, AUTH and the value after a secret-named argument masked', () => {
  assert.deepEqual(traceArgs('HSET', ['h', { password: 'pw', mail: 'a@b' }]), ['h', 'password', '***', 'mail', 'a@b']);
  assert.deepEqual(traceArgs('AUTH', ['user', 'pw']), ['***', '***']);
  const many = traceArgs('SADD', ['s', ...Array.from({ length: 30 }, (_, i) => `m${i}`)]);
  assert.equal(many.length, 21);
  assert.equal(many[20], '… 11 more');
  assert.equal(traceArgs('SET', ['k', 'x'.repeat(500)])[1].length, 201);
});

test('Redis replies: lists and hashes bounded, secret-named hash fields and replies to secret-named reads masked', () => {
  assert.deepEqual(traceReply({ user: 'alice', api_key: 'k1' }), { user: 'alice', api_key: '***' });
  assert.equal(traceReply('hunter2', ['user:alice', 'password']), '***');
  assert.equal(traceReply('alice', ['user:alice', 'name']), 'alice');
  assert.equal((traceReply(Array.from({ length: 25 }, (_, i) => i)) as unknown[]).length, 21);
  assert.equal(traceReply(null), null);
});

test('an HTTP body excerpt: its first 200 characters, secret-named JSON fields and form parameters masked', () => {
  assert.equal(traceBody('{"user":"alice","access_token":"eyJ.abc","expires_in":3600}'), '{"user":"alice","access_token":"***","expires_in":3600}');
  assert.equal(traceBody('{"client_secret": 12345, "ok": true}'), '{"client_secret": "***", "ok": true}');
  assert.equal(traceBody('user=alice&password=hunter2&x=1'), 'user=alice&password=***&x=1');
  const long = traceBody('a'.repeat(5000));
  assert.equal(long.length, 201);
  assert.ok(long.endsWith('…'));
});

test('a Lua traceback keeps the frames in workspace files, innermost first, without C or engine frames', () => {
  const text = [
    'stack traceback:',
    "\t[C]: in function 'string.sub'",
    "\tlib/names.lua:3: in function 'names.short'",
    "\tfeatures/label.lua:3: in upvalue 'label'",
    '\tfeatures/label.lua:7: in local \'fn\'',
    "\t[authstudio prelude]:390: in function <[authstudio prelude]:383>",
    "\t[C]: in ?",
  ].join('\n');
  assert.deepEqual(parseTraceback(text), [
    { file: 'lib/names.lua', line: 3, function: "function 'names.short'" },
    { file: 'features/label.lua', line: 3, function: "upvalue 'label'" },
    { file: 'features/label.lua', line: 7 },
  ]);
});
