// One workspace's OpenTelemetry tracer provider, built from its tracing config the way Nauthilus's
// monitoring/otel.go Start does (v1.12.5, v3.0.1): ParentBased(TraceIDRatioBased(sampler_ratio)) sampling, a resource
// named by service_name, spans sent over OTLP/HTTP when the exporter is `otlphttp`. Each request gets a RequestTrace.
//
//   config ──> WorkspaceTracer ──startRequest()──> RequestTrace (request span + the spans scripts make)
//                  │ BatchSpanProcessor (every 0.5 s)
//                  └──> OTLP/HTTP exporter ──POST /v1/traces──> collector (Jaeger, Tempo, ...)
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { isIP } from 'node:net';
import * as path from 'node:path';
import { ROOT_CONTEXT, SpanKind, trace, type Attributes, type Context, type TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, ExportResultCode, W3CBaggagePropagator, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { TracingConfig } from '../config/types';
import { RequestTrace } from './request-trace';

/** How often finished spans are sent (Nauthilus's batcher waits 5 s; the studio shows a request in a collector sooner). */
const EXPORT_DELAY_MS = 500;

/**
 * monitoring/servicename.go ResolveServiceName: the configured service_name unless it is an IP address, else the
 * host name unless it is one, else "nauthilus-server". (AuthStudio reads no instance_name.)
 */
export function resolveServiceName(configured: string | undefined, hostname = os.hostname()): string {
  for (const candidate of [configured, hostname]) {
    const s = candidate?.trim();
    if (s && isIP(s.replace(/^\[|\]$/g, '')) === 0) return s;
  }
  return 'nauthilus-server';
}

/** The tracer provider of one config version; `shutdown()` sends what is still queued. */
export class WorkspaceTracer {
  readonly serviceName: string;
  private readonly provider: BasicTracerProvider;
  private readonly propagator: TextMapPropagator;

  constructor(readonly config: TracingConfig, logger: Logger, baseDir: string) {
    this.serviceName = resolveServiceName(config.serviceName);
    const spanProcessors = [];
    if (config.exporter === 'otlphttp') {
      const exporter = new LoggingExporter(otlpExporter(config, baseDir), logger, config.logExportResults);
      spanProcessors.push(new BatchSpanProcessor(exporter, { scheduledDelayMillis: EXPORT_DELAY_MS }));
    }
    this.provider = new BasicTracerProvider({
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplerRatio) }),
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: this.serviceName }),
      spanProcessors,
    });
    // b3, b3multi and jaeger are accepted names; AuthStudio carries W3C trace context and baggage
    this.propagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
  }

  /**
   * The request span (otelgin's: kind server, named "METHOD /route") under the caller's trace context when its
   * headers carry one; scripts' spans nest under it.
   */
  startRequest(spanName: string, attributes: Attributes, headers: Record<string, string[]> = {}): RequestTrace {
    const parent = this.extract(ROOT_CONTEXT, headers);
    const tracer = this.provider.getTracer('go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin');
    const span = tracer.startSpan(spanName, { kind: SpanKind.SERVER, attributes }, parent);
    return new RequestTrace(this, span, trace.setSpan(parent, span));
  }

  /** A tracer of the instrumentation scope `scope` (nauthilus_opentelemetry's tracer(scope)). */
  tracer(scope: string) {
    return this.provider.getTracer(scope);
  }

  /** Write the context's trace context and baggage into `carrier` (inject_headers). */
  inject(ctx: Context, carrier: Record<string, string>): void {
    this.propagator.inject(ctx, carrier, { set: (c, k, v) => { c[k] = v; } });
  }

  /** The context `headers` carry (extract_headers; the request's own headers for the request span). */
  extract(ctx: Context, headers: Record<string, string | string[]>): Context {
    return this.propagator.extract(ctx, headers, {
      keys: (c) => Object.keys(c),
      get: (c, k) => c[k] ?? c[Object.keys(c).find((x) => x.toLowerCase() === k) ?? ''],
    });
  }

  /** Send what is queued and stop (a reload retires the old version's tracer; the engine closes its last one). */
  async shutdown(): Promise<void> {
    await this.provider.shutdown().catch(() => undefined);
  }
}

/** otlptracehttp with Nauthilus's options: WithEndpoint(host:port), https only with a TLS block, else WithInsecure. */
function otlpExporter(config: TracingConfig, baseDir: string): OTLPTraceExporter {
  const tls = config.tls;
  const url = `${tls ? 'https' : 'http'}://${config.endpoint ?? 'localhost:4318'}/v1/traces`;
  if (!tls) return new OTLPTraceExporter({ url });
  const read = (file: string | undefined) => (file ? readFileSync(path.resolve(baseDir, file)) : undefined);
  return new OTLPTraceExporter({
    url,
    httpAgentOptions: { ca: read(tls.caFile), cert: read(tls.certFile), key: read(tls.keyFile), rejectUnauthorized: !tls.skipVerify, minVersion: tls.minVersion },
  });
}

/** monitoring/otel.go loggingExporter: a failed export is a warning; a sent batch is logged with log_export_results. */
class LoggingExporter implements SpanExporter {
  constructor(private readonly delegate: SpanExporter, private readonly logger: Logger, private readonly logSuccess: boolean) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.delegate.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        this.logger.warn({ error: result.error?.message, span_count: spans.length }, 'OpenTelemetry trace export failed');
      } else if (this.logSuccess) {
        this.logger.info({ span_count: spans.length }, 'OpenTelemetry traces exported');
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.delegate.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.delegate.forceFlush?.() ?? Promise.resolve();
  }
}
