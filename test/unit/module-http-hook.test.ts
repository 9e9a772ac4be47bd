// nauthilus_http_request / nauthilus_http_response against real Lua, with a hook request on the CallContext.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { runLua, testServices } from '../helpers/lua-harness';
import { CallContext, type HookHttpRequest } from '../../engine/lua/call-context';

function hookCall(req: Partial<HookHttpRequest> = {}): CallContext {
  const call = new CallContext('hook-test', { recordEvents: true });
  call.stage = 'hook';
  call.httpRequest = {
    method: 'POST',
    path: '/api/v1/custom/callback',
    query: { user: ['alice', 'bob'], empty: [''] },
    headers: { 'content-type': ['application/json'], 'x-multi': ['a', 'b'] },
    body: '{"categories":["service:imap-login"]}',
    ...req,
  };
  return call;
}

test('http_request getters read the hook request', async () => {
  const [method, path, body, ct, multi, missing, all, user, empty, absent] = await runLua(`
    local r = require("nauthilus_http_request")
    return r.get_http_method(), r.get_http_path(), r.get_http_request_body(),
      r.get_http_request_header("Content-Type"), r.get_http_request_header("X-MULTI"), r.get_http_request_header("X-None"),
      r.get_all_http_request_headers(), r.get_http_query_param("user"), r.get_http_query_param("empty"),
      r.get_http_query_param("absent")`, { call: hookCall() });
  assert.equal(method, 'POST');
  assert.equal(path, '/api/v1/custom/callback');
  assert.equal(body, '{"categories":["service:imap-login"]}');
  assert.deepEqual(ct, ['application/json']);
  assert.deepEqual(multi, ['a', 'b']);
  assert.equal(Object.keys(missing as object).length, 0); // an empty table, as in Nauthilus
  assert.deepEqual(all, { 'content-type': ['application/json'], 'x-multi': ['a', 'b'] });
  assert.equal(user, 'alice');
  assert.equal(empty, '');
  assert.equal(absent, ''); // Go's url.Values.Get
});

test('the seed callback hook pattern works unchanged', async () => {
  const [ok, wrong] = await runLua(`
    dynamic_loader("nauthilus_http_request")
    local nauthilus_http_request = require("nauthilus_http_request")
    local nauthilus_util = require("nauthilus_util")
    local json = require("json")
    local header = nauthilus_http_request.get_http_request_header("Content-Type")
    local body = nauthilus_http_request.get_http_request_body()
    local wrong = nauthilus_util.table_length(header) == 0 or header[1] ~= "application/json"
    local t, err = json.decode(body)
    nauthilus_util.if_error_raise(err)
    return t.categories[1], wrong`, { call: hookCall() });
  assert.equal(ok, 'service:imap-login');
  assert.equal(wrong, false);
});

test('http_response setters build the hook response', async () => {
  const call = hookCall();
  const [st] = await runLua(`
    local w = require("nauthilus_http_response")
    w.set_http_response_header("X-One", "1")
    w.set_http_response_header("X-One", "2")
    w.add_http_response_header("X-Many", "a")
    w.add_http_response_header("x-many", "b")
    w.set_http_response_header("X-Gone", "x")
    w.remove_http_response_header("x-gone")
    w.set_http_status(w.STATUS_CREATED)
    w.set_http_content_type("text/plain")
    w.write_http_response_body("hello ")
    w.write_http_response_body("world")
    return w.STATUS_TOO_MANY_REQUESTS`, { call });
  assert.equal(st, 429);
  assert.deepEqual(call.httpResponse, {
    headers: { 'x-one': ['2'], 'x-many': ['a', 'b'] },
    status: 201,
    contentType: 'text/plain',
    body: 'hello world',
  });
});

test('a Content-Type set as a header lands in contentType, where the hook route reads it', async () => {
  const call = hookCall();
  await runLua(`local w = require("nauthilus_http_response")
    w.set_http_response_header("Content-Type", "text/csv")
    w.set_http_response_header("X-A", "1")
    return 1`, { call });
  assert.deepEqual([call.httpResponse?.contentType, call.httpResponse?.headers], ['text/csv', { 'x-a': ['1'] }]);
  await runLua('require("nauthilus_http_response").remove_http_response_header("content-type") return 1', { call });
  assert.equal(call.httpResponse?.contentType, undefined);
});

test('string, data, html and redirect helpers; on HEAD the written bytes are kept for Content-Length (the HTTP layer sends no body)', async () => {
  const call = hookCall();
  await runLua(`require("nauthilus_http_response").html(403, "<b>no</b>") return 1`, { call });
  assert.deepEqual([call.httpResponse?.status, call.httpResponse?.contentType, call.httpResponse?.body], [403, 'text/html; charset=utf-8', '<b>no</b>']);
  const call2 = hookCall();
  await runLua(`local w = require("nauthilus_http_response"); w.data(200, "application/x-test", "raw"); w.redirect(302, "/elsewhere") return 1`, { call: call2 });
  assert.deepEqual([call2.httpResponse?.status, call2.httpResponse?.contentType, call2.httpResponse?.body, call2.httpResponse?.headers.location], [302, 'application/x-test', 'raw', ['/elsewhere']]);
  const head = hookCall({ method: 'HEAD' });
  await runLua(`require("nauthilus_http_response").string(200, "body") return 1`, { call: head });
  assert.deepEqual([head.httpResponse?.status, head.httpResponse?.body], [200, 'body']);
});

test('with no HTTP request (an init script) getters return nil and an error; setters raise', async () => {
  const [m, merr, h, herr, q] = await runLua(`
    local r = require("nauthilus_http_request")
    local m, merr = r.get_http_method()
    local h, herr = r.get_http_request_header("Accept")
    local q = r.get_http_query_param("x")
    return m, merr, h, herr, q`);
  assert.equal(m, null);
  assert.match(merr as string, /no HTTP request here/);
  assert.equal(h, null);
  assert.match(herr as string, /features, filters, actions, backends and custom hooks have one/);
  assert.equal(q, null);
  await assert.rejects(runLua('require("nauthilus_http_response").set_http_response_header("A", "b") return 1'), /set_http_response_header: no HTTP answer here/);
});

/** A call as the pipeline runs a stage of an auth request: the request view, an answer for headers, the stage. */
function authCall(stage: CallContext['stage'], req: Partial<HookHttpRequest> = {}): CallContext {
  const call = new CallContext('auth-test');
  call.stage = stage;
  call.httpRequest = { method: 'GET', path: '/api/v1/auth/header', query: {}, headers: { 'x-nauthilus-service': ['imap'] }, body: '', ...req };
  call.httpResponse = { headers: {} };
  return call;
}

test('Nauthilus 1.10: features, filters and backends read the auth request; features and filters add response headers', async () => {
  for (const stage of ['feature', 'filter', 'action', 'backend', 'post_action'] as const) {
    const [svc, path] = await runLua('local r = require("nauthilus_http_request") return r.get_http_request_header("X-Nauthilus-Service")[1], r.get_http_path()', { call: authCall(stage) });
    assert.deepEqual([svc, path], ['imap', '/api/v1/auth/header'], stage);
  }
  for (const stage of ['feature', 'filter', 'action'] as const) {
    const call = authCall(stage);
    await runLua(`local w = require("nauthilus_http_response")
      w.set_http_response_header("X-Nauthilus-Protection", "stepup")
      w.add_http_response_header("X-Hits", "a") w.add_http_response_header("X-Hits", "b")
      w.set_http_response_header("X-Gone", "1") w.remove_http_response_header("X-Gone")
      return 1`, { call });
    assert.deepEqual(call.httpResponse?.headers, { 'x-nauthilus-protection': ['stepup'], 'x-hits': ['a', 'b'] }, stage);
  }
});

test('the auth answer: Auth-*, framing and engine headers are refused (dropped), status is ignored, a body raises', async () => {
  const call = authCall('filter');
  await runLua(`local w = require("nauthilus_http_response")
    w.set_http_response_header("Auth-Status", "OK")
    w.set_http_response_header("auth-user", "admin")
    w.add_http_response_header("Auth-Server", "203.0.113.9")
    w.set_http_response_header("X-Nauthilus-Session", "forged")
    w.set_http_response_header("Content-Length", "0")
    w.set_http_response_header("Transfer-Encoding", "chunked")
    w.set_http_content_type("text/html")
    w.set_http_response_header("Bad Name", "x")
    w.set_http_status(200)
    w.set_http_response_header("X-Kept", "yes")
    return 1`, { call });
  assert.deepEqual(call.httpResponse, { headers: { 'x-kept': ['yes'] } });
  for (const fn of ['write_http_response_body("x")', 'string(200, "x")', 'html(200, "x")', 'data(200, "a/b", "x")', 'redirect(302, "/x")']) {
    await assert.rejects(runLua(`require("nauthilus_http_response").${fn} return 1`, { call: authCall('feature') }), /a feature can set headers of the auth answer, not its status or body/, fn);
  }
});

test('a refused header is logged once per request and name, however often a script sets it', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const services = { ...testServices(), logger: pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) }) };
  const call = authCall('feature');
  await runLua(`local w = require("nauthilus_http_response")
    for i = 1, 500 do w.set_http_response_header("Auth-Status", "OK") end
    w.set_http_response_header("Auth-User", "root")
    return 1`, { call, services });
  assert.deepEqual(lines.map((l) => [l.header, l.session, l.stage]), [['auth-status', 'auth-test', 'feature'], ['auth-user', 'auth-test', 'feature']]);
  assert.match(String(lines[0].msg), /refused on the auth answer \(dropped\): Auth-\* headers are the auth_http protocol/);
});

test('Nauthilus 1.10: backends and post actions have no nauthilus_http_response (a call raises)', async () => {
  await assert.rejects(runLua('require("nauthilus_http_response").set_http_response_header("X-A", "1") return 1', { call: authCall('backend') }), /not available in backends/);
  await assert.rejects(runLua('require("nauthilus_http_response").add_http_response_header("X-A", "1") return 1', { call: authCall('post_action') }), /post actions run after the answer was sent/);
});

test('what scripts add to an auth answer is bounded: 8 KiB of headers, then a Lua error', async () => {
  const call = authCall('feature');
  await assert.rejects(runLua(`local w = require("nauthilus_http_response")
    for i = 1, 10000 do w.set_http_response_header("X-H" .. i, string.rep("v", 100)) end
    return 1`, { call }), /would exceed 8192 bytes/);
  const total = Object.entries(call.httpResponse!.headers).reduce((n, [k, v]) => n + k.length + v[0].length + 4, 0);
  assert.ok(total <= 8192 && total > 7000, String(total));
  // replacing a header does not count twice
  const call2 = authCall('feature');
  await runLua('local w = require("nauthilus_http_response") for i = 1, 1000 do w.set_http_response_header("X-Same", string.rep("v", 100)) end return 1', { call: call2 });
  assert.equal(call2.httpResponse?.headers['x-same']?.[0].length, 100);
});

test('wrong argument types raise errors naming the function', async () => {
  await assert.rejects(runLua('return require("nauthilus_http_request").get_http_request_header(nil)', { call: hookCall() }), /bad argument #1 to 'get_http_request_header' \(string expected, got nil\)/);
  await assert.rejects(runLua('return require("nauthilus_http_request").get_http_query_param({})', { call: hookCall() }), /bad argument #1 to 'get_http_query_param'/);
  await assert.rejects(runLua('return require("nauthilus_http_response").set_http_status("200")', { call: hookCall() }), /bad argument #1 to 'set_http_status' \(number expected, got string\)/);
  await assert.rejects(runLua('return require("nauthilus_http_response").set_http_status(42)', { call: hookCall() }), /HTTP status 100-599 expected, got 42/);
  await assert.rejects(runLua('return require("nauthilus_http_response").write_http_response_body(nil)', { call: hookCall() }), /bad argument #1 to 'write_http_response_body'/);
});
