// `authstudio serve` with Nauthilus 3.0.1's observability.tracing pointed at a real OTLP/HTTP receiver (a local node
// server on a loopback port): the request span and the spans the Lua backend made arrive over POST /v1/traces, with
// service.name, names, attributes and parent ids as a collector such as Jaeger shows them; a custom hook's too.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnServe } from '../helpers/spawn-serve';
import { startHttpServer } from '../helpers/http-server';
import { v3LuaBackendHead, workspace, yml } from '../helpers/config-text';

const BACKEND = `
local otel = require("nauthilus_opentelemetry")
function nauthilus_backend_verify_password(request)
  local tr = otel.tracer("authstudio/export-test")
  local ok = tr:with_span("directory.lookup", function(span)
    span:set_attributes({ ["db.system"] = "memory", ["enduser.id"] = request.username, hits = 1 })
    local check = tr:start_span("password.check", { kind = "client" })
    check:add_event("compared", { matched = request.password == "secret" })
    check:set_status("ok")
    check:finish()
    return request.password == "secret"
  end)
  local b = nauthilus_backend_result.new()
  b:user_found(true)
  b:account_field("account")
  b:attributes({ account = request.username })
  b:authenticated(ok)
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;

const HOOK = `
local otel = require("nauthilus_opentelemetry")
function nauthilus_run_hook(logging, session)
  return otel.default_tracer():with_span("status.collect", function(span)
    span:set_attribute("healthy", true)
    return { status = "up" }
  end)
end
`;

/** OTLP/JSON (ExportTraceServiceRequest) as far as the test reads it. */
interface OtlpValue { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean }
interface OtlpAttr { key: string; value: OtlpValue }
interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: OtlpAttr[]; events?: Array<{ name: string; attributes?: OtlpAttr[] }>; status?: { code?: number } }
interface OtlpExport { resourceSpans: Array<{ resource: { attributes: OtlpAttr[] }; scopeSpans: Array<{ scope: { name: string }; spans: OtlpSpan[] }> }> }

const value = (v: OtlpValue) => v.stringValue ?? v.boolValue ?? v.doubleValue ?? (v.intValue === undefined ? undefined : Number(v.intValue));
const attrs = (list: OtlpAttr[] = []) => Object.fromEntries(list.map((a) => [a.key, value(a.value)]));

test('nauthilus_opentelemetry (3.0.1): serve exports the request span and the script\'s spans over OTLP/HTTP to observability.tracing.endpoint', { timeout: 60_000 }, async () => {
  // the receiver: accepts POST /v1/traces, decodes the JSON payload and keeps the spans with their service and scope
  const spans: Array<OtlpSpan & { service: unknown; scope: string }> = [];
  let arrived: () => void = () => undefined;
  const allThere = new Promise<void>((resolve) => (arrived = resolve));
  const receiver = await startHttpServer((req, res) => {
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/v1/traces');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    const body = JSON.parse(req.body) as OtlpExport;
    for (const rs of body.resourceSpans) {
      for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service: attrs(rs.resource.attributes)['service.name'], scope: ss.scope.name });
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    if (['POST /api/v1/auth/json', 'directory.lookup', 'password.check', 'GET /api/v1/custom/status', 'status.collect'].every((n) => spans.some((s) => s.name === n))) arrived();
  });
  after(() => receiver.close());

  const dir = workspace({
    'authstudio.yml': yml(
      ...v3LuaBackendHead('[lua]'),
      '    lua:', '      hooks:', '        - { http_location: status, http_method: GET, script_path: ./status.lua }',
      'observability:', '  log: {level: info}', '  tracing:', '    enabled: true', '    exporter: otlphttp',
      `    endpoint: 127.0.0.1:${receiver.port}`, '    sampler_ratio: 1', '    service_name: mail-auth-test',
      'storage:', '  redis:', '    mock: true',
    ),
    'backend.lua': BACKEND,
    'status.lua': HOOK,
  });
  const srv = await spawnServe(['--config', path.join(dir, 'authstudio.yml')]);
  try {
    // the caller (say, Dovecot's proxy) sends its trace context: the request continues that trace
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const res = await fetch(`${srv.url}/api/v1/auth/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${callerTrace}-${callerSpan}-01` },
      body: JSON.stringify({ username: 'alice', password: 'secret', client_ip: '198.51.100.7', protocol: 'imap' }),
    });
    assert.equal(res.status, 200);
    // a custom hook's call has its request span too
    const hook = await fetch(`${srv.url}/api/v1/custom/status`);
    assert.deepEqual(await hook.json(), { status: 'up' });
    await allThere;

    const request = spans.find((s) => s.name === 'POST /api/v1/auth/json')!;
    const lookup = spans.find((s) => s.name === 'directory.lookup')!;
    const check = spans.find((s) => s.name === 'password.check')!;
    for (const s of [request, lookup, check]) {
      assert.equal(s.service, 'mail-auth-test', s.name);
      assert.equal(s.traceId, callerTrace, s.name);
    }
    assert.equal(request.parentSpanId, callerSpan);
    assert.equal(request.kind, 2); // SPAN_KIND_SERVER
    assert.equal(lookup.parentSpanId, request.spanId);
    assert.equal(lookup.scope, 'authstudio/export-test');
    assert.deepEqual(attrs(lookup.attributes), { 'db.system': 'memory', 'enduser.id': 'alice', hits: 1 });
    assert.equal(check.parentSpanId, lookup.spanId);
    assert.equal(check.kind, 3); // SPAN_KIND_CLIENT
    assert.deepEqual(check.events?.map((e) => [e.name, attrs(e.attributes)]), [['compared', { matched: true }]]);
    assert.equal(check.status?.code, 1); // STATUS_CODE_OK

    const hookSpan = spans.find((s) => s.name === 'GET /api/v1/custom/status')!;
    const collect = spans.find((s) => s.name === 'status.collect')!;
    assert.equal(collect.parentSpanId, hookSpan.spanId);
    assert.equal(collect.scope, 'nauthilus/lua');
    assert.deepEqual(attrs(collect.attributes), { healthy: true });
    assert.notEqual(hookSpan.traceId, callerTrace); // its own trace: the hook call sent no traceparent
  } finally {
    const code = await srv.stop();
    assert.equal(code, 0, `exit code after SIGTERM; stderr: ${srv.stderr()}`);
  }
});
