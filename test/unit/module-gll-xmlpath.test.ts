// The `xmlpath` module: gopher-lua-libs v0.7.0's load/compile, which AuthStudio answers with the failure shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';
import { XMLPATH_UNAVAILABLE } from '../../engine/lua/modules/gll-xmlpath';

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): xmlpath loads; load and compile answer nil + error, so scripts take their error path', async () => {
  const r = await runLua(`
    dynamic_loader("nauthilus_gll_xmlpath")
    local xmlpath = require("xmlpath")
    local node, err = xmlpath.load("<html><body><p>x</p></body></html>")
    local path, perr = xmlpath.compile("//p")
    local ok, aerr = pcall(xmlpath.load)
    return node, err, path, perr, ok, aerr`);
  assert.deepEqual(r.slice(0, 5), [null, XMLPATH_UNAVAILABLE, null, XMLPATH_UNAVAILABLE, false]);
  assert.match(String(r[5]), /bad argument #1 to 'load' \(string expected, got nil\)/);
});
