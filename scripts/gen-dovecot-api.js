#!/usr/bin/env node
// Writes renderer/src/generated/dovecot-api.json (completion and hover for Dovecot scripts: `dovecot.*`, `req`, the
// HTTP client objects and the entry points) from the Dovecot harness itself, once per profile (2.3, 2.4).
//
// What exists comes from running a probe script in the harness (engine/dovecot) under each profile: which `dovecot`
// functions and tables, `dovecot.auth` constants with their values, `req` methods and booleans, and the methods of
// the HTTP client, request and response objects; the `req` variables are the ones the harness sets for a login
// with every field given. The texts below say what each name means. Needs the compiled engine in dist/ (run after
// `tsc -p tsconfig.json`). `--check` exits 1 when the committed file differs (test/unit/dovecot-api-data.test.ts).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'renderer', 'src', 'generated', 'dovecot-api.json');
const PROFILES = ['2.3', '2.4'];

/** dovecot.* (besides the auth constants): signature and meaning. */
const DOVECOT_DOCS = {
  auth: ['auth', 'table', 'The result constants (PASSDB_RESULT_*, USERDB_RESULT_*), as floats.'],
  http: ['http', 'table', 'The HTTP client: `dovecot.http.client { ... }`.'],
  i_debug: ['i_debug(text)', 'function', 'Log a debug line (with auth_debug = yes). Exactly one string argument.'],
  i_info: ['i_info(text)', 'function', 'Log an info line. Exactly one string argument.'],
  i_warning: ['i_warning(text)', 'function', 'Log a warning. Exactly one string argument.'],
  i_error: ['i_error(text)', 'function', 'Log an error. Exactly one string argument.'],
  event: ['event([parent])', 'function', 'A new log event (methods set_name, add_str, add_int, log_debug, log_info, ...).'],
  restrict_global_variables: ['restrict_global_variables(enable)', 'function', 'With true, reading or writing an undeclared global raises an error.'],
};
const HTTP_DOCS = {
  client: ['http.client { settings }', 'The HTTP client. 2.3 settings: timeout, max_attempts, debug, user_agent, ...; 2.4 renamed them (request_max_attempts, request_timeout without _msecs, no debug) and raises on unknown ones.'],
};
const CONSTANT_DOCS = {
  PASSDB_RESULT_OK: 'The password matched (or the lookup found the user).', PASSDB_RESULT_PASSWORD_MISMATCH: 'Wrong password.',
  PASSDB_RESULT_USER_UNKNOWN: 'No such user.', PASSDB_RESULT_USER_DISABLED: 'The user is disabled.', PASSDB_RESULT_PASS_EXPIRED: 'The password has expired.',
  PASSDB_RESULT_INTERNAL_FAILURE: 'Temporary failure (the client sees [UNAVAILABLE]).', PASSDB_RESULT_SCHEME_NOT_AVAILABLE: 'The password scheme is not supported.',
  PASSDB_RESULT_NEXT: 'Ask the next passdb.', USERDB_RESULT_OK: 'The user was found.', USERDB_RESULT_USER_UNKNOWN: 'No such user.',
  USERDB_RESULT_INTERNAL_FAILURE: 'Temporary failure.',
};
/** req's methods and booleans. */
const REQ_DOCS = {
  log_debug: ['req:log_debug(text)', 'Log a debug line with the request\'s prefix (`db-lua: `).'],
  log_info: ['req:log_info(text)', 'Log an info line with the request\'s prefix.'],
  log_warning: ['req:log_warning(text)', 'Log a warning with the request\'s prefix.'],
  log_error: ['req:log_error(text)', 'Log an error with the request\'s prefix.'],
  var_expand: ['req:var_expand(template)', 'Expand %-variables (2.3: `%u`, `%{rip}`, ...; 2.4: `%{user | lower}`; unknown names are an error in 2.4).'],
  response_from_template: ['req:response_from_template(template)', 'Expand a `key=value ...` template into a table of fields.'],
  password_verify: ['req:password_verify(crypted, plain)', 'Check a password against a `{SCHEME}` hash: returns 1 (match), 0 (mismatch) or -1 plus an error text.'],
  event: ['req:event()', 'The request\'s log event.'],
  passdb: ['req.passdb[key]', 'Fields earlier passdbs set.'],
  userdb: ['req.userdb[key]', 'Fields earlier userdbs set.'],
  item: ['req.item', 'The request\'s own table.'],
  skip_password_check: ['req.skip_password_check', 'true when an earlier passdb already checked the password.'],
  passdbs_seen_user_unknown: ['req.passdbs_seen_user_unknown', 'true when an earlier passdb did not know the user.'],
  passdbs_seen_internal_failure: ['req.passdbs_seen_internal_failure', 'true when an earlier passdb failed.'],
  userdbs_seen_internal_failure: ['req.userdbs_seen_internal_failure', 'true when an earlier userdb failed.'],
};
/** req variables: what they hold. */
const FIELD_DOCS = {
  user: 'The user name, lower-cased (auth_username_format).', username: 'The part before @.', domain: 'The part after @.',
  service: '2.3: imap, pop3, submission, lmtp, ... (2.4: `protocol`).', protocol: '2.4: imap, pop3, submission, lmtp, ... (2.3: `service`).',
  password: 'The plaintext password (PLAIN/LOGIN logins only; nil in userdb lookups and for other mechanisms).',
  mech: '2.3: the SASL mechanism (2.4: `mechanism`).', mechanism: 'The SASL mechanism (PLAIN, LOGIN, CRAM-MD5, ...).',
  rip: '2.3: the client address (2.4: `remote_ip`).', remote_ip: 'The client address (nil when unknown).',
  lip: '2.3: the server address (2.4: `local_ip`).', local_ip: 'The server address the client connected to.',
  rport: '2.3: the client port (2.4: `remote_port`).', remote_port: 'The client port, a string ("0" when unset).',
  lport: '2.3: the server port (2.4: `local_port`).', local_port: 'The server port, a string.',
  secured: '"secured" or "TLS" when the connection is secured, else "".', session: 'The session id.',
  orig_user: '2.3: the login as the client typed it (2.4: `original_user`).', original_user: 'The login as the client typed it.',
  auth_user: 'The user that authenticated (the master user in a master login).', login_user: 'Master login: the user to log in as.',
  client_id: 'The IMAP ID the client sent.', cert: '"valid" when a client certificate was verified, else "".', pid: '2.3: the client process id.',
  client_pid: '2.4: the client process id.',
};
const ENTRY_POINTS = [
  { name: 'script_init', signature: 'script_init()', doc: 'Runs once when the auth process loads the script; must return 0 (2.4 passes lua_settings as its argument).' },
  { name: 'script_deinit', signature: 'script_deinit()', doc: 'Runs when the auth process stops.' },
  { name: 'auth_passdb_lookup', signature: 'auth_passdb_lookup(req)', doc: 'The passdb lookup: return a PASSDB_RESULT_* and the fields (2.3: a string or a table; 2.4: a table). OK needs `password` or `nopassword`.' },
  { name: 'auth_password_verify', signature: 'auth_password_verify(req, password)', doc: 'A plaintext login with the password; return a PASSDB_RESULT_* and the fields.' },
  { name: 'auth_userdb_lookup', signature: 'auth_userdb_lookup(req)', doc: 'The userdb lookup: return a USERDB_RESULT_* and the fields (home, uid, gid, ...).' },
  { name: 'auth_userdb_iterate', signature: 'auth_userdb_iterate()', doc: 'Return the list of user names (doveadm user \'*\').' },
];
const OBJECT_DOCS = {
  request: ['client:request { url = ..., method = ... }', 'http client', 'A new request of this client.'],
  add_header: ['request:add_header(name, value)', 'http request', 'Add a header (both strings).'],
  remove_header: ['request:remove_header(name)', 'http request', 'Remove a header.'],
  set_payload: ['request:set_payload(body)', 'http request', 'Set the body.'],
  submit: ['request:submit()', 'http request', 'Send it and wait: the response (transport failures are 9xxx statuses).'],
  status: ['response:status()', 'http response', 'The HTTP status (a number).'],
  reason: ['response:reason()', 'http response', 'The reason phrase.'],
  payload: ['response:payload()', 'http response', 'The body as text.'],
  header: ['response:header(name)', 'http response', 'A response header\'s value, or "".'],
};

const PROBE = `
local function names(t, list) local out = {} for _, k in ipairs(list) do local ok, v = pcall(function() return t[k] end) if ok and v ~= nil then out[#out + 1] = k .. "=" .. type(v) end end return table.concat(out, " ") end
function auth_passdb_lookup(req)
  print("dovecot " .. names(dovecot, { ${Object.keys(DOVECOT_DOCS).map((k) => `"${k}"`).join(', ')} }))
  local consts = {} for k, v in pairs(dovecot.auth) do consts[#consts + 1] = k .. "=" .. string.format("%d", v) end
  print("auth " .. table.concat(consts, " "))
  print("http " .. names(dovecot.http, { "client" }))
  local client = dovecot.http.client({})
  print("client " .. names(client, { "request" }))
  local request = client:request({ url = "http://127.0.0.1:9/", method = "GET" })
  print("request " .. names(request, { "add_header", "remove_header", "set_payload", "submit" }))
  local response = request:submit()
  print("response " .. names(response, { "status", "reason", "payload", "header" }))
  local globals = {} for k, v in pairs(_G) do if type(k) == "string" and k ~= "auth_passdb_lookup" then globals[#globals + 1] = k .. "=" .. type(v) end end
  print("globals " .. table.concat(globals, " "))
  print("req " .. names(req, { ${Object.keys(REQ_DOCS).map((k) => `"${k}"`).join(', ')} }))
  return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, ""
end
`;

async function probe(profile) {
  const { runDovecotScript } = require(path.join(ROOT, 'dist', 'engine', 'dovecot'));
  const { buildRequestVars } = require(path.join(ROOT, 'dist', 'engine', 'dovecot', 'req'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gen-dovecot-api-'));
  const file = path.join(dir, 'probe.lua');
  fs.writeFileSync(file, PROBE);
  try {
    const r = await runDovecotScript({ file, dovecot: profile, login: { user: 'alice@example.com', password: 'x', remoteIp: '198.51.100.7', localIp: '192.0.2.10', localPort: 993, remotePort: 52814, session: 's1', clientId: 'c', mech: 'PLAIN' } });
    const lines = Object.fromEntries(r.stdout.map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1).split(' ').filter(Boolean).map((x) => x.split('='))]));
    for (const k of ['globals', 'dovecot', 'auth', 'http', 'client', 'request', 'response', 'req']) if (!lines[k]) throw new Error(`probe under ${profile}: no "${k}" line (logs: ${JSON.stringify(r.logs)})`);
    const vars = Object.keys(buildRequestVars({ user: 'Alice@Example.com', password: 'x', remoteIp: '198.51.100.7', localIp: '192.0.2.10', localPort: 993, remotePort: 52814, session: 's1', clientId: 'c', loginUser: 'bob', mech: 'PLAIN' }, 'passdb', profile));
    return { ...lines, vars };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Merge per-profile name lists into items carrying the profiles that have them. */
function merge(perProfile, make) {
  const by = new Map();
  for (const [profile, entries] of perProfile) {
    for (const e of entries) {
      const key = Array.isArray(e) ? e[0] : e;
      if (!by.has(key)) by.set(key, { ...make(e), profiles: [] });
      by.get(key).profiles.push(profile);
    }
  }
  return [...by.values()].sort((a, b) => a.name.localeCompare(b.name));
}

async function build() {
  const probes = [];
  for (const p of PROFILES) probes.push([p, await probe(p)]);
  const of = (k) => probes.map(([p, x]) => [p, x[k]]);
  const dovecot = [
    ...merge(of('dovecot'), ([n, t]) => ({ name: n, type: t, signature: `dovecot.${DOVECOT_DOCS[n][0]}`, doc: DOVECOT_DOCS[n][2] })),
  ];
  return {
    generated_from: 'scripts/gen-dovecot-api.js: a probe script run in the Dovecot harness per profile',
    profiles: PROFILES,
    dovecot,
    auth: merge(of('auth'), ([n, v]) => ({ name: n, type: 'number', signature: `dovecot.auth.${n}`, value: v, doc: CONSTANT_DOCS[n] ?? '' })),
    http: merge(of('http'), ([n]) => ({ name: n, type: 'function', signature: `dovecot.${HTTP_DOCS[n][0]}`, doc: HTTP_DOCS[n][1] })),
    methods: merge([...of('client'), ...of('request'), ...of('response')], ([n]) => ({ name: n, signature: OBJECT_DOCS[n][0], of: OBJECT_DOCS[n][1], doc: OBJECT_DOCS[n][2] })),
    req: merge(of('req'), ([n, t]) => ({ name: n, type: t, signature: REQ_DOCS[n][0], doc: REQ_DOCS[n][1] })),
    req_fields: merge(of('vars'), (n) => ({ name: n, doc: FIELD_DOCS[n] ?? 'A request variable.' })),
    // every global a script sees without defining it (the Lua base library and `dovecot`): the checker's (engine/lint/)
    globals: merge(of('globals'), ([n, t]) => ({ name: n, type: t })),
    entry_points: ENTRY_POINTS.map((e) => ({ ...e, profiles: PROFILES })),
  };
}

build().then((data) => {
  const text = JSON.stringify(data, null, 1) + '\n';
  if (process.argv.includes('--check')) {
    const have = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
    if (have !== text) {
      process.stderr.write(`${path.relative(ROOT, OUT)} is out of date: run node scripts/gen-dovecot-api.js\n`);
      process.exit(1);
    }
    return;
  }
  fs.writeFileSync(OUT, text);
  require('./gen-lint-api').generate(); // the checker's view of the same data (engine/lint/generated)
  process.stdout.write(`wrote ${path.relative(ROOT, OUT)}: ${data.dovecot.length + data.auth.length + data.http.length} dovecot.* names, ${data.req.length + data.req_fields.length} req names, ${data.methods.length} object methods\n`);
}, (e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
