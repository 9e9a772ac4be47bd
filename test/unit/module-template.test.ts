// The `template` module: mustache rendering as gopher-lua-libs (cbroglie/mustache) does it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLua, testServices } from '../helpers/lua-harness';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';

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

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): render_file renders a file (relative to the config directory); an unreadable file is nil, err as Go words it', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'as-tpl-'));
  try {
    fs.mkdirSync(path.join(ws, 'templates'));
    fs.writeFileSync(path.join(ws, 'templates', 'mail.mustache'), 'Hello {{user}}, {{#ips}}[{{.}}]{{/ips}}\n');
    const r = await runLua(`
      local m = require("template").choose("mustache")
      local a, e0 = m:render_file("templates/mail.mustache", { user = "<alice>", ips = { "10.0.0.1", "10.0.0.2" } })
      local b, e1 = m:render_file("templates/none.mustache", {})
      local c, e2 = m:render_file("templates", {})
      local ok, e3 = pcall(m.render_file, m, nil, {})
      return a, tostring(e0), tostring(b), e1, tostring(c), e2, ok, e3`, { baseDir: ws });
    assert.deepEqual(r.slice(0, 7), [
      'Hello &lt;alice&gt;, [10.0.0.1][10.0.0.2]\n', 'nil',
      'nil', 'open templates/none.mustache: no such file or directory',
      'nil', 'read templates: is a directory', false,
    ]);
    assert.match(r[7] as string, /bad argument #2 to 'render_file' \(string expected, got nil\)/);
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
});

test('render_file reads files outside the config directory (.., absolute, a link out) only with lua_allow_io', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'as-tpl-'));
  const ws = path.join(root, 'ws');
  fs.mkdirSync(ws);
  const outside = path.join(root, 'outside.mustache');
  fs.writeFileSync(outside, 'secret {{x}}');
  fs.symlinkSync(outside, path.join(ws, 'link.mustache'));
  const body = `
    local m = require("template").choose("mustache")
    local out = {}
    for _, f in ipairs({ "../outside.mustache", ${JSON.stringify(outside)}, "link.mustache" }) do
      local text, err = m:render_file(f, { x = 1 })
      out[#out + 1] = text or err
    end
    return table.concat(out, "|")`;
  const run = async (allowIo: boolean) => {
    const vm = await LuaVm.create({ poolName: 'tpl', services: testServices({ baseDir: ws }), memoryLimitBytes: 16 << 20, allowIo });
    try {
      const script = await vm.loadScript('tpl.lua', `function run()\n${body}\nend`, 2000);
      return (await vm.evalEnv(script, 'run', new CallContext('tpl'), 2000))[0] as string;
    } finally {
      vm.close();
    }
  };
  try {
    const refused = (await run(false)).split('|');
    assert.equal(refused.length, 3);
    for (const e of refused) assert.match(e, /^open .*: outside the config directory/);
    assert.equal(await run(true), 'secret 1|secret 1|secret 1');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
