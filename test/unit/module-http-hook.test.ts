// nauthilus_http_request / nauthilus_http_response against real Lua, with a hook request on the CallContext.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';
import { CallContext, type HookHttpRequest } from '../../engine/lua/call-context';

function hookCall(req: Partial<HookHttpRequest> = {}): CallContext {
  const call = new CallContext('hook-test', { recordEvents: true });
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

test('string, data, html and redirect helpers; a HEAD request gets no body', async () => {
  const call = hookCall();
  await runLua(`require("nauthilus_http_response").html(403, "<b>no</b>") return 1`, { call });
  assert.deepEqual([call.httpResponse?.status, call.httpResponse?.contentType, call.httpResponse?.body], [403, 'text/html; charset=utf-8', '<b>no</b>']);
  const call2 = hookCall();
  await runLua(`local w = require("nauthilus_http_response"); w.data(200, "application/x-test", "raw"); w.redirect(302, "/elsewhere") return 1`, { call: call2 });
  assert.deepEqual([call2.httpResponse?.status, call2.httpResponse?.contentType, call2.httpResponse?.body, call2.httpResponse?.headers.location], [302, 'application/x-test', 'raw', ['/elsewhere']]);
  const head = hookCall({ method: 'HEAD' });
  await runLua(`require("nauthilus_http_response").string(200, "body") return 1`, { call: head });
  assert.deepEqual([head.httpResponse?.status, head.httpResponse?.body], [200, undefined]);
});

test('outside a hook getters return nil and an error, setters return an error, nothing raises', async () => {
  const [m, merr, h, herr, q, setErr, statusErr] = await runLua(`
    local r = require("nauthilus_http_request")
    local w = require("nauthilus_http_response")
    local m, merr = r.get_http_method()
    local h, herr = r.get_http_request_header("Accept")
    local q = r.get_http_query_param("x")
    return m, merr, h, herr, q, w.set_http_response_header("A", "b"), w.set_http_status(200)`);
  assert.equal(m, null);
  assert.match(merr as string, /no HTTP request/);
  assert.equal(h, null);
  assert.match(herr as string, /only available while a custom hook is served/);
  assert.equal(q, null);
  assert.match(setErr as string, /no HTTP response/);
  assert.match(statusErr as string, /no HTTP response/);
});

test('wrong argument types raise errors naming the function', async () => {
  await assert.rejects(runLua('return require("nauthilus_http_request").get_http_request_header(nil)', { call: hookCall() }), /bad argument #1 to 'get_http_request_header' \(string expected, got nil\)/);
  await assert.rejects(runLua('return require("nauthilus_http_request").get_http_query_param({})', { call: hookCall() }), /bad argument #1 to 'get_http_query_param'/);
  await assert.rejects(runLua('return require("nauthilus_http_response").set_http_status("200")', { call: hookCall() }), /bad argument #1 to 'set_http_status' \(number expected, got string\)/);
  await assert.rejects(runLua('return require("nauthilus_http_response").set_http_status(42)', { call: hookCall() }), /HTTP status 100-599 expected, got 42/);
  await assert.rejects(runLua('return require("nauthilus_http_response").write_http_response_body(nil)', { call: hookCall() }), /bad argument #1 to 'write_http_response_body'/);
});
