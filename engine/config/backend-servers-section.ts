// The `backend_server_monitoring:` section (Nauthilus 1.10 config/features.go): the backend servers nginx mail
// proxies to, health-checked every 10 s, and what `nauthilus_backend.get_backend_servers()` lists.

import { isIP } from 'node:net';
import type { BackendServerConfig } from './types';
import { andThen, bool, def, int, list, oneOf, req, str, struct, type Spec } from './schema';

/** Protocols Nauthilus 1.10 accepts for a backend server (validate: oneof=imap pop3 lmtp smtp sieve http). */
export const BACKEND_SERVER_PROTOCOLS = ['imap', 'pop3', 'lmtp', 'smtp', 'sieve', 'http'] as const;

// Go's validator "hostname|ip": an RFC 952 host name or an IP address
const HOSTNAME = /^[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const hostSpec: Spec<string> = andThen(str({ minLength: 1 }), (s, v) =>
  isIP(s) !== 0 || HOSTNAME.test(s) ? s : v.typeError('a host name or an IP address'));
// "excludesall= ": test credentials must not contain a space (they are sent in one protocol line)
const noSpace = str({ pattern: /^[^ ]*$/, patternText: 'a string without spaces' });
// "url_encoded": every % starts an escape of two hex digits
const requestUri = str({ pattern: /^(?:[^%]|%[0-9A-Fa-f]{2})*$/, patternText: 'a URL-encoded path such as "/health"' });

const backendServer = struct({
  protocol: req(oneOf(BACKEND_SERVER_PROTOCOLS)),
  host: req(hostSpec),
  // Nauthilus accepts a server without a port (0); its health check then always fails (logged)
  port: def(int({ min: 1, max: 65535 }), 0),
  deep_check: def(bool(), false),
  request_uri: def(requestUri, ''),
  test_username: def(noSpace, ''),
  test_password: def(noSpace, ''),
  tls: def(bool(), false),
  tls_skip_verify: def(bool(), false),
  haproxy_v2: def(bool(), false),
});

/** `backend_server_monitoring:` -> the configured servers, in order. `backend_servers` is required. */
export const backendServerMonitoringSection: Spec<BackendServerConfig[]> = andThen(
  struct({ backend_servers: req(list(backendServer)) }),
  (s) => s.backend_servers.map((b) => ({
    protocol: b.protocol,
    host: b.host,
    port: b.port,
    deepCheck: b.deep_check,
    requestUri: b.request_uri,
    testUsername: b.test_username,
    testPassword: b.test_password,
    tls: b.tls,
    tlsSkipVerify: b.tls_skip_verify,
    haproxyV2: b.haproxy_v2,
  })),
);
