// nauthilus_context: values shared by the stages of one request, read back as Nauthilus 1.10 gives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';

test('Nauthilus 1.10: context_get of a key never set is one nil value (tostring of it is "nil", select("#") is 1)', async () => {
  const [text, count, kind] = await runLua(`
    local ctx = require("nauthilus_context")
    return tostring(ctx.context_get("never_set")), select("#", ctx.context_get("never_set")), type(ctx.context_get("never_set"))
  `);
  assert.equal(text, 'nil');
  assert.equal(count, 1);
  assert.equal(kind, 'nil');
});

test('context_set then context_get gives the value back; a key that is not a string is a Lua error', async () => {
  const [v] = await runLua('local ctx = require("nauthilus_context"); ctx.context_set("k", { a = 1 }); return ctx.context_get("k").a');
  assert.equal(v, 1);
  await assert.rejects(runLua('local ctx = require("nauthilus_context")\nreturn ctx.context_get(42)'), /bad argument #1 to 'context_get' \(string expected, got number\)/);
});
