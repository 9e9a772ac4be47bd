// `authstudio test` saved requests with declared HTTP and DNS answers and a declared time: a real loopback HTTP server
// and DNS server answer what the test declares; a request nothing was declared for fails the test by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTestSuite } from '../../engine/testing/suite';

const FILES: Record<string, string> = {
  'authstudio.yml': `server:
  backends: [lua]
  redis: mock
  lua_script_timeout: 5s
lua:
  features:
    - name: reputation
      script_path: ./features/reputation.lua
    - name: office_hours
      script_path: ./features/office_hours.lua
  config:
    backend_script_path: ./backend/backend.lua
`,
  'features/reputation.lua': `local http = require("glua_http")
local dns = require("nauthilus_dns")
function nauthilus_call_feature(request)
  local res, err = http.get("https://rep.example/v1/ip/" .. request.client_ip)
  if err then error(err) end
  if res.status_code ~= 200 then error("reputation service answered " .. res.status_code) end
  local txt = dns.resolve("policy.example", "TXT")
  nauthilus_builtin.custom_log_add("policy", txt and txt[1] or "none")
  if res.body == "bad" or (txt and txt[1] == "closed") then
    nauthilus_builtin.status_message_set("bad reputation")
    return nauthilus_builtin.FEATURE_TRIGGER_YES, nauthilus_builtin.FEATURES_ABORT_YES, nauthilus_builtin.FEATURE_RESULT_OK
  end
  return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK
end
`,
  'features/office_hours.lua': `local time = require("time")
function nauthilus_call_feature(request)
  if request.username ~= "night" then
    return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK
  end
  local hour = tonumber(os.date("!%H"))
  nauthilus_builtin.custom_log_add("hour", hour)
  -- the time module and os.time agree on the declared time
  if math.abs(time.unix() - os.time()) > 2 then error("time.unix and os.time disagree") end
  if hour < 8 or hour >= 18 then
    nauthilus_builtin.status_message_set("outside office hours")
    return nauthilus_builtin.FEATURE_TRIGGER_YES, nauthilus_builtin.FEATURES_ABORT_YES, nauthilus_builtin.FEATURE_RESULT_OK
  end
  return nauthilus_builtin.FEATURE_TRIGGER_NO, nauthilus_builtin.FEATURES_ABORT_NO, nauthilus_builtin.FEATURE_RESULT_OK
end
`,
  'tests/hours.test.yml': `- name: office hours - a login at 10:00 UTC gets past the feature
  time: "2026-03-02T10:00:00Z"
  http: [{ url: "https://rep.example/v1/ip/198.51.100.20", body: good }]
  request: { username: night, password: p, client_ip: 198.51.100.20 }
  expect: { decision: fail, decided_by: backend }
- name: office hours - a login at 22:00 UTC is refused
  time: "2026-03-02T22:00:00+00:00"
  http: [{ url: "https://rep.example/v1/ip/198.51.100.20", body: good }]
  request: { username: night, password: p, client_ip: 198.51.100.20 }
  expect: { decision: fail, status_message: outside office hours, decided_by: "feature:office_hours" }
`,
  'backend/backend.lua': `function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  b:user_found(request.username == "u")
  b:authenticated(request.username == "u" and request.password == "p")
  b:account_field("account")
  b:attributes({ account = "u@example.com" })
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`,
  'tests/reputation.test.yml': `- name: a bad reputation refuses the login
  http:
    - { url: "https://rep.example/v1/ip/198.51.100.7", body: bad }
  dns: { policy.example: { TXT: [open] } }
  request: { username: u, password: p, client_ip: 198.51.100.7 }
  expect: { decision: fail, status_message: bad reputation, decided_by: "feature:reputation" }

- name: a good reputation and an open policy let the login through
  http:
    - { url: "https://rep.example/v1/ip/198.51.100.8", method: GET, body: good, headers: { content-type: text/plain } }
  dns: { policy.example: { TXT: [open] } }
  request: { username: u, password: p, client_ip: 198.51.100.8 }
  expect: { decision: ok, attributes: { account: u@example.com }, decided_by: backend }

- name: the DNS answer alone can refuse
  http:
    - { url: "https://rep.example/v1/ip/198.51.100.9", body: good }
  dns: { policy.example: { TXT: [closed] } }
  request: { username: u, password: p, client_ip: 198.51.100.9 }
  expect: { decision: fail, decided_by: feature }

- name: an undeclared request fails the test by name
  http:
    - { url: "https://rep.example/v1/ip/192.0.2.1", body: good }
  request: { username: u, password: p, client_ip: 198.51.100.10 }
  expect: { decision: ok }
`,
};

test('authstudio test: saved requests get the HTTP and DNS answers and the time they declare; an undeclared HTTP request fails the test', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-answers-'));
  try {
    for (const [f, text] of Object.entries(FILES)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), text);
    }
    let out = '';
    const r = await runTestSuite({ workspace: dir, write: (s) => void (out += s) });
    assert.deepEqual(r.cases.map((c) => [c.name, c.passed]), [
      // the user "night" does not exist: the first login fails in the backend, not in the feature
      ['office hours - a login at 10:00 UTC gets past the feature', true],
      ['office hours - a login at 22:00 UTC is refused', true],
      ['a bad reputation refuses the login', true],
      ['a good reputation and an open policy let the login through', true],
      ['the DNS answer alone can refuse', true],
      ['an undeclared request fails the test by name', false],
    ], out);
    const last = r.cases[5];
    assert.equal(last.failures[0], 'no HTTP answer declared for GET https://rep.example/v1/ip/198.51.100.10');
    assert.equal(last.failures[1], 'decision: expected ok, got tempfail');
    // the report shows the stage that failed, with the script's error
    assert.match(out, /feature {6}reputation {11}error\n {8}error: [^\n]*reputation\.lua:6: reputation service answered 501/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('authstudio test: a saved request declares DB rows and LDAP entries in the Nauthilus fixture format; its expected_calls are checked across stages', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-mocks-'));
  const files: Record<string, string> = {
    'authstudio.yml': `server:
  backends: [lua]
  redis: mock
lua:
  filters:
    - name: groups
      script_path: ./filters/groups.lua
  config:
    backend_script_path: ./backend/sql.lua
`,
    'backend/sql.lua': `local db = require("db")
function nauthilus_backend_verify_password(request)
  local b = nauthilus_backend_result.new()
  local conn, err = db.open("mysql", "user:password@tcp(127.0.0.1)/mail", {})
  if err then error(err) end
  local res, qerr = conn:query("SELECT account, password FROM mailbox WHERE login = ?", request.username)
  if qerr then error(qerr) end
  local row = res.rows[1]
  if row == nil then return nauthilus_builtin.BACKEND_RESULT_OK, b end
  b:user_found(true)
  b:authenticated(row[2] == request.password)
  b:account_field("account")
  b:attributes({ account = row[1] })
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`,
    'filters/groups.lua': `local ldap = require("nauthilus_ldap")
function nauthilus_call_filter(request)
  if not request.authenticated then return nauthilus_builtin.FILTER_REJECT, nauthilus_builtin.FILTER_RESULT_OK end
  local r, err = ldap.ldap_search({ pool_name = "default", session = request.session, basedn = "ou=people,dc=example,dc=org", filter = "(uid=" .. request.username .. ")", scope = "sub", attributes = { "memberOf" } })
  if err then error(err) end
  for _, g in ipairs(r.memberOf or {}) do
    if g == "cn=mail,ou=groups,dc=example,dc=org" then return nauthilus_builtin.FILTER_ACCEPT, nauthilus_builtin.FILTER_RESULT_OK end
  end
  nauthilus_builtin.status_message_set("not in the mail group")
  return nauthilus_builtin.FILTER_REJECT, nauthilus_builtin.FILTER_RESULT_OK
end
`,
    'tests/sql.test.yml': `- name: a mailbox row and the mail group let carol in
  mocks:
    db:
      expected_calls:
        - { method: open }
        - { method: query, query_contains: "FROM mailbox", columns: [account, password], rows: [[carol@example.org, secret]] }
    ldap:
      search_result: { memberOf: ["cn=staff,ou=groups,dc=example,dc=org", "cn=mail,ou=groups,dc=example,dc=org"] }
      expected_calls: [{ method: ldap_search }]
  request: { username: carol, password: secret }
  expect: { decision: ok, attributes: { account: carol@example.org } }

- name: without the mail group the filter refuses
  mocks:
    db:
      expected_calls:
        - { method: open }
        - { method: query, rows: [[carol@example.org, secret]] }
    ldap:
      search_result: { memberOf: ["cn=staff,ou=groups,dc=example,dc=org"] }
  request: { username: carol, password: secret }
  expect: { decision: fail, status_message: not in the mail group, decided_by: "filter:groups" }

- name: a query the script does not make fails the test
  mocks:
    db:
      expected_calls:
        - { method: open }
        - { method: query, query_contains: "FROM users" }
  request: { username: carol, password: secret }
  expect: { decision: fail }
`,
  };
  try {
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), text);
    }
    let out = '';
    const r = await runTestSuite({ workspace: dir, write: (s) => void (out += s) });
    assert.deepEqual(r.cases.map((c) => c.passed), [true, true, false], out);
    assert.equal(r.cases[2].failures[0], 'db call #2 query mismatch: expected to contain "FROM users", got "SELECT account, password FROM mailbox WHERE login = ?"');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
