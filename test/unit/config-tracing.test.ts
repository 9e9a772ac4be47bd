// engine/config/tracing-section.ts: Nauthilus's tracing settings, 1.12 server.insights.tracing and 3.x observability.tracing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../engine/config/load';
import { linesOf, yml } from '../helpers/config-text';

const load = (text: string) => parseConfigText(text, 'authstudio.yml', { checkFiles: false, env: {} });

const V12 = (...tracing: string[]) => yml('nauthilus: "1.12"', 'server:', '  insights:', '    tracing:', ...tracing.map((l) => `      ${l}`), 'lua: {}');
const V3 = (...tracing: string[]) => yml('nauthilus: "3.0"', 'observability:', '  tracing:', ...tracing.map((l) => `    ${l}`));

test('tracing (1.12.5 server.insights.tracing): the keys of server/config Tracing become the engine settings', () => {
  const t = load(V12('enabled: true', 'exporter: otlphttp', 'endpoint: collector.example:4318', 'sampler_ratio: 0.25', 'service_name: mail-auth',
    'propagators: [tracecontext, baggage, b3]', 'enable_redis: true', 'log_export_results: true')).server.tracing;
  assert.deepEqual(t, {
    enabled: true, exporter: 'otlphttp', endpoint: 'collector.example:4318', samplerRatio: 0.25, serviceName: 'mail-auth',
    propagators: ['tracecontext', 'baggage', 'b3'], logExportResults: true,
  });
});

test('tracing (1.12.5): unset sampler_ratio is 0 and the exporter none, as Nauthilus reads them; enabled: false is tracing off', () => {
  assert.deepEqual(load(V12('enabled: true')).server.tracing, { enabled: true, exporter: 'none', samplerRatio: 0, propagators: ['tracecontext', 'baggage'], logExportResults: false });
  assert.equal(load(V12('enabled: false', 'exporter: otlphttp')).server.tracing, undefined);
});

test('tracing (3.0.1 observability.tracing): read as server.insights.tracing, with TLS', () => {
  const t = load(V3('enabled: true', 'exporter: otlphttp', 'endpoint: 127.0.0.1:4318', 'sampler_ratio: 1', 'tls:', '  enabled: true', '  skip_verify: true', '  min_tls_version: TLS1.3')).server.tracing;
  assert.equal(t?.endpoint, '127.0.0.1:4318');
  assert.equal(t?.samplerRatio, 1);
  assert.deepEqual(t?.tls, { skipVerify: true, minVersion: 'TLSv1.3' });
});

test('tracing: bad values are errors naming the key path of the layout written (1.12.5 and 3.0.1)', () => {
  assert.match(linesOf(V12('enabled: true', 'sampler_ratio: 2')).join('\n'), /expected a number from 0 to 1 at server\.insights\.tracing\.sampler_ratio, got the number 2/);
  assert.match(linesOf(V12('enabled: true', 'exporter: jaeger')).join('\n'), /expected one of "otlphttp", "none" at server\.insights\.tracing\.exporter/);
  // otlptracehttp.WithEndpoint takes host:port; a URL would be sent to a host named "http"
  assert.match(linesOf(V3('enabled: true', 'endpoint: http://127.0.0.1:4318/v1/traces')).join('\n'), /expected host:port \(no scheme or path; spans are sent to \/v1\/traces on it\) at observability\.tracing\.endpoint/);
  assert.match(linesOf(V3('enabled: true', 'propagators: [w3c]')).join('\n'), /observability\.tracing\.propagators\[0\]/);
  assert.match(linesOf(V3('enabled: true', 'sampler_ration: 1')).join('\n'), /unknown key "sampler_ration" at observability\.tracing \(did you mean "sampler_ratio"\?\)/);
  assert.match(linesOf(V12('enabled: true', 'tls: {enabled: true, cert: client.pem}')).join('\n'), /server\.insights\.tracing\.tls needs both "cert" and "key"/);
});
