// The trace of one request: its request span, the context scripts' spans start in (lualib/otel.go's manager Ctx),
// the spans nauthilus_opentelemetry handed out by handle, and what the simulator's trace shows of them.
import { SpanStatusCode, propagation, trace, type Attributes, type Context, type Link, type Span, type SpanKind } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { TraceSpan } from '../api/contract-types';
import type { WorkspaceTracer } from './workspace-tracer';

/** Spans one request's scripts may open (a runaway loop gets no-op spans past this, never an error). */
export const MAX_SPANS_PER_REQUEST = 1000;

const KIND_NAMES = ['internal', 'server', 'client', 'producer', 'consumer'] as const;

export class RequestTrace {
  /** The context new spans start in: the request span's, moved by start_span and with_span. */
  current: Context;
  private readonly spans: Span[] = [];
  private readonly contexts: Context[] = [];
  private readonly t0: number;

  constructor(private readonly tracer: WorkspaceTracer, readonly requestSpan: Span, ctx: Context) {
    this.current = ctx;
    this.t0 = spanStartMs(requestSpan) ?? performance.timeOrigin + performance.now();
  }

  /** How many spans scripts started so far (a stage shows those it started: spansSince). */
  get spanCount(): number {
    return this.spans.length;
  }

  /**
   * tracer:start_span / with_span: a span of `scope` under the current context, which then moves to it. Returns
   * the span's handle and a token for the context before (with_span restores it), or undefined past the limit.
   */
  startSpan(scope: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): { handle: number; previous: number } | undefined {
    if (this.spans.length >= MAX_SPANS_PER_REQUEST) return undefined;
    const span = this.tracer.tracer(scope || 'nauthilus/lua').startSpan(name, { kind, attributes, links }, this.current);
    this.spans.push(span);
    const previous = this.saveContext();
    this.current = trace.setSpan(this.current, span);
    return { handle: this.spans.length, previous };
  }

  /** The span behind a handle (undefined for a handle of no span: the no-op ones). */
  span(handle: number): Span | undefined {
    return this.spans[handle - 1];
  }

  saveContext(): number {
    this.contexts.push(this.current);
    return this.contexts.length;
  }

  restoreContext(token: number): void {
    const ctx = this.contexts[token - 1];
    if (ctx) this.current = ctx;
  }

  setBaggage(key: string, value: string): void {
    const bag = propagation.getBaggage(this.current) ?? propagation.createBaggage();
    this.current = propagation.setBaggage(this.current, bag.setEntry(key, { value }));
  }

  baggage(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, e] of propagation.getBaggage(this.current)?.getAllEntries() ?? []) out[k] = e.value;
    return out;
  }

  clearBaggage(): void {
    this.current = propagation.setBaggage(this.current, propagation.createBaggage());
  }

  inject(): Record<string, string> {
    const carrier: Record<string, string> = {};
    this.tracer.inject(this.current, carrier);
    return carrier;
  }

  extract(headers: Record<string, string>): void {
    this.current = this.tracer.extract(this.current, headers);
  }

  /** The request is answered: its span ends (post actions' spans still nest under it, as in Nauthilus). */
  end(): void {
    this.requestSpan.end();
  }

  /** What the trace shows of the recorded spans started since `from` (a stage's), as they are now. */
  spansSince(from: number): TraceSpan[] {
    const out: TraceSpan[] = [];
    for (const span of this.spans.slice(from)) {
      if (!span.isRecording() && !(span as unknown as ReadableSpan).ended) continue; // not sampled: nothing recorded
      out.push(this.show(span as unknown as ReadableSpan));
    }
    return out;
  }

  private show(s: ReadableSpan): TraceSpan {
    const ms = (t: [number, number]) => Math.round((hrTimeToMilliseconds(t) - this.t0) * 1000) / 1000;
    const ctx = s.spanContext();
    const out: TraceSpan = {
      name: s.name,
      scope: s.instrumentationScope.name,
      kind: KIND_NAMES[s.kind] ?? 'internal',
      trace_id: ctx.traceId,
      span_id: ctx.spanId,
      start_ms: ms(s.startTime),
      attributes: { ...(s.attributes as TraceSpan['attributes']) },
      events: s.events.map((e) => ({ name: e.name, at_ms: ms(e.time), attributes: { ...(e.attributes as TraceSpan['attributes']) } })),
      status: s.status.code === SpanStatusCode.OK ? { code: 'ok' } : s.status.code === SpanStatusCode.ERROR ? { code: 'error', message: s.status.message } : { code: 'unset' },
    };
    if (s.parentSpanContext) out.parent_span_id = s.parentSpanContext.spanId;
    if (s.parentSpanContext?.spanId === this.requestSpan.spanContext().spanId) out.parent_name = (this.requestSpan as unknown as ReadableSpan).name;
    else {
      const parent = this.spans.find((p) => p.spanContext().spanId === s.parentSpanContext?.spanId) as unknown as ReadableSpan | undefined;
      if (parent) out.parent_name = parent.name;
    }
    if (s.ended) out.duration_ms = Math.round(hrTimeToMilliseconds(s.duration) * 1000) / 1000;
    if (out.status.message === undefined) delete out.status.message;
    return out;
  }
}

function spanStartMs(span: Span): number | undefined {
  const t = (span as unknown as Partial<ReadableSpan>).startTime;
  return t ? hrTimeToMilliseconds(t) : undefined;
}
