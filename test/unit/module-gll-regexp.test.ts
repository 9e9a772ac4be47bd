// The `regexp` module (gopher-lua-libs v0.7.0 over Go's RE2 regexp, as Nauthilus 1.10 bundles it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';
import { translateRe2 } from '../../engine/lua/modules/re2-translate';

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): regexp.match, find_all_string_submatch and compiled objects', async () => {
  const r = await runLua(`
    dynamic_loader("nauthilus_gll_regexp")
    local regexp = require("regexp")
    local reg = assert(regexp.compile("(gopher){2}"))
    local all = regexp.find_all_string_submatch("user=(\\\\w+)(?:;(\\\\d+))?", "user=alice;7 user=bob")
    local re2 = regexp.compile("^(?P<local>[^@]+)@(?i:EXAMPLE)\\\\.org$")
    local m = re2:find_all_string_submatch("info@Example.org")
    return regexp.match("hello", "say hello"), reg:match("gopher"), reg:match("gophergopher"),
      #all, all[1][1], all[1][2], all[1][3], all[2][2], all[2][3], m[1][2], re2:match("x@example.com"),
      #regexp.find_all_string_submatch("x", "yyy")`);
  assert.deepEqual(r, [true, false, true, 2, 'user=alice;7', 'alice', '7', 'bob', '', 'info', false, 0]);
});

test("gopher-lua-libs v0.7.0 (Nauthilus 1.10): Go's regexp semantics: ASCII classes, . and newlines, flags, empty matches", async () => {
  const r = await runLua(`
    local regexp = require("regexp")
    local function count(e, s) return #regexp.find_all_string_submatch(e, s) end
    return regexp.match("^\\\\s$", "\\v"), regexp.match("^\\\\w+$", "grüße"), regexp.match("^.$", "\\r"),
      regexp.match("^.$", "\\n"), regexp.match("(?s)^.$", "\\n"), regexp.match("(?m)^b$", "a\\nb\\nc"), regexp.match("^b$", "a\\nb"),
      count("a*", "baaac"), regexp.match("[[:alpha:]]+\\\\d", "ab1"), regexp.match("\\\\pL\\\\p{Greek}", "xλ"), regexp.match("\\\\Qa.b\\\\E", "axb"),
      regexp.match("(?U)a+", "aaa")`);
  assert.deepEqual(r, [false, false, true, false, true, true, false, 3, true, true, false, true]);
});

test("gopher-lua-libs v0.7.0 (Nauthilus 1.10): what RE2 refuses is nil plus Go's compile error", async () => {
  const r = await runLua(`
    local regexp = require("regexp")
    local out = {}
    for _, e in ipairs({ "(a)\\\\1", "a(?=b)", "a(?!b)", "(a", "a)", "[z-a]", "[abc", "*a", "a**", "a{1001}", "\\\\Z", "(?P<n>a)(?P<n>b)", "\\\\p{Klingon}" }) do
      local re, err = regexp.compile(e)
      out[#out + 1] = tostring(re) .. " " .. err
    end
    local ok, err = regexp.match("x(", "x")
    out[#out + 1] = tostring(ok) .. " " .. err
    return table.unpack(out)`);
  assert.deepEqual(r, [
    'nil error parsing regexp: invalid escape sequence: `\\1`',
    'nil error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    'nil error parsing regexp: invalid or unsupported Perl syntax: `(?!`',
    'nil error parsing regexp: missing closing ): `(a`',
    'nil error parsing regexp: unexpected ): `a)`',
    'nil error parsing regexp: invalid character class range: `z-a`',
    'nil error parsing regexp: missing closing ]: `[abc`',
    'nil error parsing regexp: missing argument to repetition operator: `*`',
    'nil error parsing regexp: invalid nested repetition operator: `**`',
    'nil error parsing regexp: invalid repeat count: `{1001}`',
    'nil error parsing regexp: invalid escape sequence: `\\Z`',
    'nil error parsing regexp: duplicate capture group name: `n`',
    'nil error parsing regexp: invalid character class range: `\\p{Klingon}`',
    'nil error parsing regexp: missing closing ): `x(`',
  ]);
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): a pattern that backtracks catastrophically is stopped, the engine goes on', async () => {
  const started = Date.now();
  await assert.rejects(
    runLua('return require("regexp").match("^(a+)+$", string.rep("a", 40) .. "!")'),
    /regexp: matching took longer than 1000 ms and was stopped/,
  );
  assert.ok(Date.now() - started < 5000);
  const [after] = await runLua('return require("regexp").match("^(a+)+$", string.rep("a", 40))');
  assert.equal(after, true);
});

test('re2-translate: risky patterns (quantified groups, several unbounded quantifiers) are marked for the helper thread', () => {
  assert.equal(translateRe2('^user_(\\d+)$').risky, false);
  assert.equal(translateRe2('(a+)+').risky, true);
  assert.equal(translateRe2("string: '(.*)\\s+(.*)'$").risky, true);
});
