// `server.insights.tracing` (Nauthilus 1.12) / `observability.tracing` (3.x): OpenTelemetry tracing of requests and
// of the spans scripts make with nauthilus_opentelemetry (server/config/server.go Tracing, v1.12.5 and v3.0.1).

import type { TracingConfig } from './types';
import { andThen, bool, def, list, oneOf, opt, str, struct, type Spec } from './schema';
import { hostPort } from './net';

/** Nauthilus's propagator names (Tracing.Propagators: oneof=tracecontext baggage b3 b3multi jaeger). */
export const TRACING_PROPAGATORS = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger'] as const;

/** sampler_ratio: a number from 0 to 1 (validate:"gte=0,lte=1"). */
const ratio: Spec<number> = (v) => {
  let n = v.scalar;
  if (typeof n === 'string' && v.fromEnv && n.trim() !== '' && !Number.isNaN(Number(n))) n = Number(n);
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1) return v.typeError('a number from 0 to 1');
  return n;
};

/**
 * endpoint: host:port as otlptracehttp.WithEndpoint takes it (no scheme, no path; spans go to /v1/traces on it,
 * over https when `tls.enabled`). A URL is refused with that hint: Nauthilus would send to a host named "http".
 */
const endpoint: Spec<string> = (v) => {
  const s = str({ minLength: 1 })(v);
  if (s === undefined) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || s.includes('/')) {
    return v.typeError('host:port (no scheme or path; spans are sent to /v1/traces on it)');
  }
  return hostPort({ defaultPort: 4318 })(v) ? s : undefined;
};

/** service_name: printable ASCII, at most 255 characters (validate:"max=255,printascii"). */
const serviceName = str({ minLength: 1, pattern: /^[\x20-\x7e]{1,255}$/, patternText: 'printable ASCII of at most 255 characters' });

// server/config/server.go TLS (the subset that means something for a client: trust, client certificate, no verify)
const tls = struct({
  enabled: def(bool(), false),
  skip_verify: def(bool(), false),
  min_tls_version: opt(oneOf(['TLS1.2', 'TLS1.3'] as const)),
  cert: opt(str({ minLength: 1 })),
  key: opt(str({ minLength: 1 })),
  ca_file: opt(str({ minLength: 1 })),
  cipher_suites: opt(list(str({ minLength: 1 }))),
}, (t, v) => {
  if ((t.cert === undefined) !== (t.key === undefined)) {
    v.fail('AS_ERR_CONFIG_MISSING', `${v.where()} needs both "cert" and "key" for a client certificate, got only "${t.cert === undefined ? 'key' : 'cert'}"`);
  }
});

const tracingShape = struct({
  enabled: def(bool(), false),
  exporter: opt(oneOf(['otlphttp', 'none'] as const, { ignoreCase: true })),
  endpoint: opt(endpoint),
  sampler_ratio: opt(ratio),
  service_name: opt(serviceName),
  propagators: opt(list(oneOf(TRACING_PROPAGATORS, { ignoreCase: true }))),
  enable_redis: def(bool(), false),
  tls: opt(tls),
  log_export_results: def(bool(), false),
});

/** The tracing section, converted to the engine's `TracingConfig`. */
export const tracingSection: Spec<TracingConfig> = andThen(tracingShape, (t) => {
  const out: TracingConfig = {
    enabled: t.enabled,
    exporter: t.exporter ?? 'none',
    // Nauthilus: an unset ratio is 0 (ParentBased(TraceIDRatioBased(0))): only requests whose caller sampled are kept
    samplerRatio: t.sampler_ratio ?? 0,
    propagators: t.propagators ?? ['tracecontext', 'baggage'],
    logExportResults: t.log_export_results,
  };
  if (t.endpoint !== undefined) out.endpoint = t.endpoint;
  if (t.service_name !== undefined) out.serviceName = t.service_name;
  if (t.tls?.enabled) {
    out.tls = { skipVerify: t.tls.skip_verify };
    if (t.tls.ca_file) out.tls.caFile = t.tls.ca_file;
    if (t.tls.cert) out.tls.certFile = t.tls.cert;
    if (t.tls.key) out.tls.keyFile = t.tls.key;
    if (t.tls.min_tls_version) out.tls.minVersion = t.tls.min_tls_version === 'TLS1.3' ? 'TLSv1.3' : 'TLSv1.2';
  }
  return out;
});
