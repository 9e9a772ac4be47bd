// The request table crosses into Lua as one encoded string: every value must arrive exactly as sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { testServices } from '../helpers/lua-harness';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';
import { encodeLuaRequest, type LuaRequestFields } from '../../engine/pipeline/lua-request';

test('random requests (separators, =, \\0, unicode, numbers, booleans) decode to the same table in Lua', async () => {
  const key = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/);
  const value = fc.oneof(
    fc.string({ unit: fc.constantFrom('a', '=', '\x01', '\x02', '\x02a', 'ä', '€', ' ', '\x00', 'z') }),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.integer({ min: -1e9, max: 1e9 }),
    fc.boolean(),
  );
  const requests = fc.sample(fc.dictionary(key, value, { maxKeys: 12 }), { numRuns: 300, seed: 42 }) as LuaRequestFields[];
  const encoded = requests.map(encodeLuaRequest);
  // each request goes through the dispatcher as the engine sends it; the script hands back what it received
  const vm = await LuaVm.create({ poolName: 'test', services: testServices(), memoryLimitBytes: 64 << 20, allowIo: false });
  const decodedJson: string[] = [];
  try {
    const script = await vm.loadScript('decode.lua', 'local json = require("json")\nfunction nauthilus_call_action(r) last = json.encode(r) return 0 end\nfunction get() return last end', 5000);
    for (const s of encoded) {
      await vm.dispatch('action', script, s, [], new CallContext('decode'), 5000);
      decodedJson.push(String((await vm.evalEnv(script, 'get', new CallContext('decode'), 5000))[0]));
    }
  } finally {
    vm.close();
  }
  const json = `[${decodedJson.join(',')}]`;
  const decoded = JSON.parse(json as string) as Array<Record<string, unknown>>;
  requests.forEach((req, i) => {
    // wasmoon strings stop at \0: the encoder replaces it, as documented
    const want = Object.fromEntries(Object.entries(req).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/\0/g, '\uFFFD') : v]));
    assert.deepEqual(Object.keys(decoded[i] ?? {}).length === 0 ? {} : decoded[i], want, `request ${i}: ${JSON.stringify(req)}`);
  });
});

test('Nauthilus 3.0: string-list fields (requested_scopes, user_groups ...) arrive as Lua sequences, empty ones as {}', async () => {
  const item = fc.string({ unit: fc.constantFrom('a', '=', '\x01', '\x02', '\x02c', '\x03', 'ä', ' ', 'z') });
  const lists = fc.sample(fc.array(item, { maxLength: 5 }), { numRuns: 200, seed: 7 });
  const vm = await LuaVm.create({ poolName: 'test', services: testServices(), memoryLimitBytes: 64 << 20, allowIo: false });
  try {
    const script = await vm.loadScript('lists.lua', [
      'local json = require("json")',
      'function nauthilus_call_action(r)',
      '  local out = { kind = type(r.scopes), n = #r.scopes, items = {} }',
      '  for i, v in ipairs(r.scopes) do out.items[i] = v end',
      '  out.items[#out.items + 1] = "end"',
      '  last = json.encode(out)',
      '  return 0',
      'end',
      'function get() return last end',
    ].join('\n'), 5000);
    for (const list of lists) {
      await vm.dispatch('action', script, encodeLuaRequest({ scopes: list, user: 'x' }), [], new CallContext('lists'), 5000);
      const got = JSON.parse(String((await vm.evalEnv(script, 'get', new CallContext('lists'), 5000))[0])) as { kind: string; n: number; items: string[] };
      assert.deepEqual(got, { kind: 'table', n: list.length, items: [...list, 'end'] }, JSON.stringify(list));
    }
  } finally {
    vm.close();
  }
});
