// The `xmlpath` module: gopher-lua-libs v0.7.0's load/compile/iter/string over gopkg.in/xmlpath.v2 and an
// HTML5 tree (x/net/html there, parse5 here), with our own documents and paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';
import { flattenHtml } from '../../engine/lua/modules/gll-xmlpath';

/** Runs `body` with `xmlpath` loaded and `all(doc, path)` giving "v1|v2|..." or "ERR <text>". */
function xp(body: string): Promise<unknown[]> {
  return runLua(`
    dynamic_loader("nauthilus_gll_xmlpath")
    local xmlpath = require("xmlpath")
    local function all(doc, p)
      local node = xmlpath.load(doc)
      local path, err = xmlpath.compile(p)
      if err then return "ERR " .. err end
      local out = {}
      for _, n in ipairs(path:iter(node)) do out[#out + 1] = n:string() end
      return table.concat(out, "|")
    end
    ${body}`);
}

const SHOP = `<!DOCTYPE html><html lang="en"><head><title>Shop</title></head><body>
<!-- stock -->
<ul id="fruit"><li class="a">apple</li><li class="b">banana</li><li class="a" x="1">cherry</li></ul>
<div><p>one <b>bold</b> two</p><p>three</p></div>
</body></html>`;

test('gopher-lua-libs v0.7.0: xmlpath.load(html) -> node, compile(path) -> path, path:iter(node) is a table of nodes with :string()', async () => {
  const [ids, n, first, loadErr, tableType] = await xp(`
    local node, lerr = xmlpath.load("<servers><server name='a'></server><server name='b'></server></servers>")
    local path = xmlpath.compile("//server/@name")
    local it = path:iter(node)
    local ids = {}
    for _, v in pairs(it) do ids[#ids + 1] = v:string() end
    return table.concat(ids, ","), #it, it[1]:string(), lerr, type(it)`);
  assert.deepEqual([ids, n, first, loadErr, tableType], ['a,b', 2, 'a', null, 'table']);
});

test('xmlpath.v2 ParseHTML: the document is HTML5-parsed (implied html/head/body, \"/>\" on a non-void element opens it, unclosed tags)', async () => {
  const [body, head, title, nested, br] = await xp(`
    return all("<p>hi<p>there", "/html/body/p"), all("<title>T</title><p>x</p>", "/html/head/title"),
      all("<title>T</title>", "//title/text()"), all("<span id='1'/><span id='2'/>", "//span/span/@id"), all("<br><br>", "count(//br)")`);
  assert.deepEqual([body, head, title, nested, br], ['hi|there', 'T', 'T', '2',
    'ERR compiling xml path "count(//br)":6: unsupported expression: count()']);
});

test('xmlpath.v2: positions, [path], [path=\'lit\'], contains(), not(), and/or with parentheses', async () => {
  const r = await xp(`
    local doc = [[${SHOP}]]
    return all(doc, "//li[2]"), all(doc, "//li[@x]"), all(doc, "//li[@class='a']"), all(doc, "//li[contains(., 'an')]"),
      all(doc, "//li[not(@x)]"), all(doc, "//li[@class='a' and @x='1']"), all(doc, "//li[(@class='b' or @x) and contains(@class, 'b')]"),
      all(doc, "//p[b]"), all(doc, "//*[@id='fruit']/li[3]/@x")`);
  assert.deepEqual(r, ['banana', 'cherry', 'apple|cherry', 'banana', 'apple|banana', 'cherry', 'banana', 'one bold two', '1']);
});

test('xmlpath.v2: axes (parent, ancestor, siblings, following, preceding, attribute::*) and node tests', async () => {
  const r = await xp(`
    local doc = [[${SHOP}]]
    return all(doc, "//b/../text()"), all(doc, "//b/ancestor::div/p[2]"), all(doc, "//li[1]/following-sibling::li"),
      all(doc, "//li[3]/preceding-sibling::li"), all(doc, "//ul/following::p"), all(doc, "//li[3]/attribute::*"),
      all(doc, "/html/body/comment()"), all(doc, "//title/self::node()"), all(doc, "/html/@lang")`);
  // xmlpath.v2's preceding-sibling axis starts at the node itself
  assert.deepEqual(r, ['one | two', 'three', 'banana|cherry', 'cherry|banana|apple', 'one bold two|three', 'a|1', ' stock ', 'Shop', 'en']);
});

test('xmlpath.v2: compile errors are Go\'s texts ("compiling xml path %q:%d: ...")', async () => {
  const r = await xp(`
    local out = {}
    for _, p in ipairs({ "", "a b", "//a[", "@", "foo::bar", "//a[0]", "//a[-1]", "//a[b='x", "text(1)", "@x/text()",
        "//a[contains(b, x)]", "//a[b))", "//a[(b]", "attribute::text()" }) do
      local path, err = xmlpath.compile(p)
      out[#out + 1] = err or "ok"
    end
    return table.concat(out, "\\n")`);
  assert.deepEqual(String(r[0]).split('\n'), [
    'compiling xml path "":0: empty path',
    'compiling xml path "a b":2: unexpected \'b\'',
    'compiling xml path "//a[":4: missing name',
    'compiling xml path "@":1: missing name after @',
    'compiling xml path "foo::bar":5: unsupported axis: "foo"',
    'compiling xml path "//a[0]":5: positions start at 1',
    'compiling xml path "//a[-1]":6: positions must be positive',
    'compiling xml path "//a[b=\'x":7: missing "\'"',
    'compiling xml path "text(1)":5: text() missing \')\'',
    'ok',
    'expected a literal string',
    'compiling xml path "//a[b))":6: unexpected \')\'',
    'compiling xml path "//a[(b]":6: expected \')\'',
    'compiling xml path "attribute::text()":16: text() cannot succeed on axis "attribute"',
  ]);
});

test('xmlpath.v2: where Go panics (an element compared with a proper prefix of its text), the script gets Go\'s runtime error', async () => {
  const [ok, err, exact] = await xp(`
    local ok, err = pcall(all, "<p>apple</p>", "//p[.='app']")
    return ok, err, all("<p>app</p><p>ap</p><p a='apple'>x</p>", "//p[.='app' or @a='app']")`);
  assert.equal(ok, false);
  assert.match(String(err), /runtime error: index out of range \[3\] with length 3/);
  assert.equal(exact, 'app', 'an equal text, a shorter one and attributes compare without a panic');
});

test('gopher-lua-libs v0.7.0: load and compile check their argument (gopher-lua CheckString); iter checks its receiver', async () => {
  const r = await xp(`
    local a, ae = pcall(xmlpath.load)
    local b, be = pcall(xmlpath.compile, {})
    local c, ce = pcall(function() return xmlpath.compile("//a").iter({}, xmlpath.load("")) end)
    return a, ae, b, be, c, ce, xmlpath.load(42):string()`);
  assert.equal(r[0], false);
  assert.match(String(r[1]), /bad argument #1 to 'load' \(string expected, got nil\)/);
  assert.match(String(r[3]), /bad argument #1 to 'compile' \(string expected, got table\)/);
  assert.match(String(r[5]), /xmlpath_path_ud expected/);
  assert.equal(r[6], '42');
});

test('the flattened document is xmlpath.v2\'s node list: nameless root, html element, comments before and after html inside it, template contents as children', () => {
  const d = flattenHtml('<!-- lead --><template><i>t</i></template></html><!-- tail -->');
  assert.deepEqual(d.kind.slice(0, 3), [1, 1, 5]);
  assert.equal(d.name[1], 'html');
  assert.equal(d.val[2], ' lead ');
  const i = d.name.indexOf('i');
  assert.ok(i > 0 && d.name[d.up[i]] === 'template');
  assert.equal(d.fin[0], d.kind.length - 1);
  assert.deepEqual([d.kind[d.kind.length - 3], d.val[d.kind.length - 3], d.up[d.kind.length - 3]], [5, ' tail ', 1], 'the last child of html');
});

test('xmlpath: a large page (2,000 table rows) loads and every row is found in document order', async () => {
  const rows = Array.from({ length: 2000 }, (_, i) => `<tr><td class="n">${i}</td><td><a href="/item/${i}">Item ${i} ✓</a></td></tr>`).join('');
  const started = Date.now();
  const [n, first, last, text] = await xp(`
    local node = xmlpath.load(${JSON.stringify(`<table>${rows}</table>`)})
    local r = xmlpath.compile("//tr[td/@class='n']/td/a/@href"):iter(node)
    return #r, r[1]:string(), r[#r]:string(), xmlpath.compile("//tr[2000]/td[2]"):iter(node)[1]:string()`);
  assert.deepEqual([n, first, last, text], [2000, '/item/0', '/item/1999', 'Item 1999 ✓']);
  assert.ok(Date.now() - started < 10_000);
});
