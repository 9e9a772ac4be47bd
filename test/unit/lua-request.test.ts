// The request table crosses into Lua as one encoded string: every value must arrive exactly as sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runLua } from '../helpers/lua-harness';
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
  const [json] = await runLua(`
    local json = require("json")
    local out = {}
    for i, s in ipairs(request_list) do out[i] = __as_decode_request(s) end
    return json.encode(out)`.replace('request_list', `{${encoded.map((s) => luaString(s)).join(',')}}`));
  const decoded = JSON.parse(json as string) as Array<Record<string, unknown>>;
  requests.forEach((req, i) => {
    // wasmoon strings stop at \0: the encoder replaces it, as documented
    const want = Object.fromEntries(Object.entries(req).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/\0/g, '\uFFFD') : v]));
    assert.deepEqual(Object.keys(decoded[i] ?? {}).length === 0 ? {} : decoded[i], want, `request ${i}: ${JSON.stringify(req)}`);
  });
});

/** A Lua long-bracket-free literal: decimal escapes for every byte that is not plain ASCII. */
function luaString(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${b}`;
  return out + '"';
}
