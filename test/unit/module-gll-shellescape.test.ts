// The `shellescape` module (gopher-lua-libs v0.7.0 as Nauthilus 1.10 pins it): shell words quoted as Go does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): shellescape.quote leaves safe words bare and single-quotes the rest', async () => {
  const r = await runLua(`
    dynamic_loader("nauthilus_gll_shellescape")
    local se = require("shellescape")
    return se.quote("user@example.org"), se.quote(""), se.quote("a b"), se.quote("it's"), se.quote("$(reboot)"), se.quote("grüße")`);
  assert.deepEqual(r, ['user@example.org', "''", "'a b'", `'it'"'"'s'`, "'$(reboot)'", "'grüße'"]);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): shellescape.quote_command joins quoted words; other values become empty words', async () => {
  const [cmd] = await runLua(`return require("shellescape").quote_command({ "ls", "-l", "my file", true, 42 })`);
  assert.equal(cmd, "ls -l 'my file' '' 42");
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): shellescape.strip_unsafe drops what Go does not print', async () => {
  const [s] = await runLua(`return require("shellescape").strip_unsafe("a\\tb\\nc\\27[31m d\\0e ü")`);
  assert.equal(s, 'abc[31m de ü');
});
