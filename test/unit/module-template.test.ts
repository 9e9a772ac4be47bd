// The `template` module: mustache rendering as gopher-lua-libs (cbroglie/mustache) does it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';

test('the gopher-lua-libs examples render', async () => {
  const r = await runLua(`
    local template = require("template")
    local mustache, err = template.choose("mustache")
    return mustache:render("Hello {{name}}!", { name = "world" }), mustache:render("{{#data}} {{.}} {{/data}}", { data = { "one", "two" } }), err`);
  assert.deepEqual(r, ['Hello world!', ' one  two ', null]);
});

test('escaping, raw output, sections, inverted sections, dotted names, numbers, comments, delimiters', async () => {
  const r = await runLua(`
    local m = require("template").choose("mustache")
    local v = { html = "<b>&'\\"</b>", n = 3, f = 2.0, g = 2.5, yes = true, empty = {}, user = { name = "alice", mail = { domain = "example.test" } } }
    return m:render("{{html}}|{{{html}}}|{{& html}}", v),
      m:render("{{n}} {{f}} {{g}} {{yes}} {{missing}}", v),
      m:render("{{#user}}{{name}}@{{mail.domain}}{{/user}}{{^empty}} none{{/empty}}{{#yes}} yes{{/yes}}{{^missing}} missing{{/missing}}", v),
      m:render("a{{! a comment }}b", v),
      m:render("{{=<% %>=}}<% n %> {{n}} <%={{ }}=%>{{n}}", v)`);
  assert.deepEqual(r, [
    '&lt;b&gt;&amp;&#39;&#34;&lt;/b&gt;|<b>&\'"</b>|<b>&\'"</b>',
    '3 2 2.5 true ',
    'alice@example.test none yes missing',
    'ab',
    '3 {{n}} 3',
  ]);
});

test('section tags alone on their line leave no blank lines (a mail body template)', async () => {
  const [body] = await runLua(`
    local m = require("template").choose("mustache")
    local tmpl = [[
Hallo,

Username: {{username}}
{{#leaks}}
- {{site}} ({{count}})
{{/leaks}}
{{^leaks}}
No leaks.
{{/leaks}}
Bye
]]
    return m:render(tmpl, { username = "alice", leaks = { { site = "a.test", count = 2 }, { site = "b.test", count = 1 } } })`);
  assert.equal(body, 'Hallo,\n\nUsername: alice\n- a.test (2)\n- b.test (1)\nBye\n');
});

test('bad templates and unknown engines are error returns; wrong arguments raise', async () => {
  const r = await runLua(`
    local template = require("template")
    local m = template.choose("mustache")
    local a, e1 = m:render("{{#open}}x", {})
    local b, e2 = m:render("{{/close}}", {})
    local c, e3 = m:render("{{unterminated", {})
    local d, e4 = template.choose("jinja")
    return { tostring(a), e1, tostring(b), e2, tostring(c), e3, tostring(d), e4 }`);
  assert.deepEqual(r[0], [
    'nil', 'section open has no closing tag', 'nil', 'unexpected closing tag close', 'nil', 'unmatched open tag at byte 1',
    'nil', 'unknown template engine: jinja',
  ]);
  await assert.rejects(runLua('local m = require("template").choose("mustache")\nm:render({}, {})\nreturn 1'), (e: Error & { format(): string }) => /test\.lua:4: bad argument #2 to 'render' \(string expected, got table\)/.test(e.format()));
  await assert.rejects(runLua('local m = require("template").choose("mustache")\nm.render("x", {})\nreturn 1'), (e: Error & { format(): string }) => /test\.lua:4: bad argument #1 to 'render' \(template expected\)/.test(e.format()));
});
