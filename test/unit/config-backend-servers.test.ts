// engine/config: the `backend_server_monitoring:` section with Nauthilus 1.10's keys, defaults and checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../engine/config/load';
import { parseDocument } from 'yaml';
import { replaceSecrets } from '../../engine/studio/export-secrets';
import { exportReadme } from '../../engine/studio/export-readme';
import { linesOf as linesOfText, yml } from '../helpers/config-text';

const FILE = 'authstudio.yml';
const linesOf = (text: string) => linesOfText(text, {}, FILE);
const load = (text: string) => parseConfigText(text, FILE, { checkFiles: false, env: {} });

test('Nauthilus 1.10: backend_server_monitoring.backend_servers with every key, and the defaults', () => {
  const c = load(yml(
    'backend_server_monitoring:',
    '  backend_servers:',
    '    - protocol: imap',
    '      host: 192.0.2.10',
    '      port: 993',
    '      tls: true',
    '      tls_skip_verify: true',
    '      haproxy_v2: true',
    '      deep_check: true',
    '      test_username: probe',
    '      test_password: secret',
    '    - protocol: http',
    '      host: mail.example.org',
    '      port: 8080',
    '      request_uri: /health%20check',
    '    - protocol: lmtp',
    '      host: "::1"',
  ));
  assert.deepEqual(c.backendServerMonitoring, [
    { protocol: 'imap', host: '192.0.2.10', port: 993, deepCheck: true, requestUri: '', testUsername: 'probe', testPassword: 'secret', tls: true, tlsSkipVerify: true, haproxyV2: true },
    { protocol: 'http', host: 'mail.example.org', port: 8080, deepCheck: false, requestUri: '/health%20check', testUsername: '', testPassword: '', tls: false, tlsSkipVerify: false, haproxyV2: false },
    // Nauthilus accepts a server without a port (0): its health check then always fails
    { protocol: 'lmtp', host: '::1', port: 0, deepCheck: false, requestUri: '', testUsername: '', testPassword: '', tls: false, tlsSkipVerify: false, haproxyV2: false },
  ]);
  assert.equal(load('lua: {}\n').backendServerMonitoring, undefined, 'no section: monitoring is off');
});

test('backend_server_monitoring: wrong values are reported with their key path and position', () => {
  assert.deepEqual(linesOf(yml(
    'backend_server_monitoring:',
    '  backend_servers:',
    '    - protocol: imaps',
    '      host: "bad host"',
    '      port: 70000',
    '      test_password: "two words"',
    '      request_uri: "/a%zz"',
    '      tsl: true',
  )), [
    `${FILE}:3:17: expected one of "imap", "pop3", "lmtp", "smtp", "sieve", "http" at backend_server_monitoring.backend_servers[0].protocol, got the string "imaps" (did you mean "imap"?)`,
    `${FILE}:4:13: expected a host name or an IP address at backend_server_monitoring.backend_servers[0].host, got the string "bad host"`,
    `${FILE}:5:13: expected an integer from 1 to 65535 at backend_server_monitoring.backend_servers[0].port, got the number 70000`,
    `${FILE}:6:22: expected a string without spaces at backend_server_monitoring.backend_servers[0].test_password, got the string "two words"`,
    `${FILE}:7:20: expected a URL-encoded path such as "/health" at backend_server_monitoring.backend_servers[0].request_uri, got the string "/a%zz"`,
    `${FILE}:8:7: unknown key "tsl" at backend_server_monitoring.backend_servers[0] (did you mean "tls"?)`,
  ]);
  assert.deepEqual(linesOf(yml('backend_server_monitoring:', '  backend_servers:', '    - host: 192.0.2.1')), [
    `${FILE}:3:7: missing required key "protocol" at backend_server_monitoring.backend_servers[0]`,
  ]);
  assert.deepEqual(linesOf(yml('backend_server_monitoring: {}')), [
    `${FILE}:1:28: missing required key "backend_servers" at backend_server_monitoring`,
  ]);
});

test('an exported workspace refers to a backend server test_password by variable instead of writing it', () => {
  const doc = parseDocument(yml('backend_server_monitoring:', '  backend_servers:', '    - {protocol: imap, host: 192.0.2.1, port: 993, test_username: probe, test_password: s3cret}'));
  const refs = replaceSecrets(doc);
  assert.deepEqual(refs, [{ variable: 'NAUTHILUS_BACKEND_SERVER_MONITORING_BACKEND_SERVERS_0_TEST_PASSWORD', key: 'backend_server_monitoring.backend_servers[0].test_password' }]);
  assert.doesNotMatch(doc.toString(), /s3cret/);
});

test('the export README says Nauthilus also needs backend_server_monitoring in server.features', () => {
  const report = { out: '/x', prefix: '/etc/nauthilus', config: '/x/nauthilus.yml', files: [], warnings: [] };
  const withSection = parseDocument(yml('backend_server_monitoring:', '  backend_servers:', '    - {protocol: imap, host: 192.0.2.1, port: 143}'));
  assert.match(exportReadme(report, withSection, withSection.toString()), /only with `backend_server_monitoring` listed in `server.features`/);
  const switchedOn = parseDocument(yml('server:', '  features: [backend_server_monitoring]', 'backend_server_monitoring:', '  backend_servers: []'));
  assert.doesNotMatch(exportReadme(report, switchedOn, switchedOn.toString()), /server\.features/);
  const none = parseDocument(yml('lua: {}'));
  assert.doesNotMatch(exportReadme(report, none, none.toString()), /backend_server_monitoring/);
});
