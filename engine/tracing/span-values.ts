// What a script hands nauthilus_opentelemetry, turned into OpenTelemetry values the way lualib/otel.go reads them
// (kept apart from the SDK so the module loads without it while tracing is off).
import type { Attributes, Link, SpanKind, SpanStatusCode } from '@opentelemetry/api';

/** @opentelemetry/api's SpanKind values (INTERNAL 0, SERVER 1, CLIENT 2, PRODUCER 3, CONSUMER 4). */
const KINDS: Record<string, SpanKind> = { server: 1, client: 2, producer: 3, consumer: 4 };
/** @opentelemetry/api's SpanStatusCode values. */
export const STATUS: Record<'unset' | 'ok' | 'error', SpanStatusCode> = { unset: 0, ok: 1, error: 2 };

/** lualib/otel.go spanKindFromOpts: client/server/producer/consumer (any case), else internal. */
export function spanKindOf(name: unknown): SpanKind {
  return (typeof name === 'string' && KINDS[name.toLowerCase()]) || 0;
}

/** lualib/otel.go attrsFromTable: string keys with string, number or boolean values; the rest is left out. */
export function attributesOf(table: unknown): Attributes {
  const out: Attributes = {};
  if (table === null || typeof table !== 'object' || Array.isArray(table)) return out;
  for (const [k, v] of Object.entries(table)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

const TRACE_ID = /^(?!0{32})[0-9a-f]{32}$/;
const SPAN_ID = /^(?!0{16})[0-9a-f]{16}$/;

/** lualib/otel.go linksFromTable: `{trace_id, span_id, attributes}` items with valid hex ids. */
export function linksOf(list: unknown): Link[] {
  const items = Array.isArray(list) ? list : list && typeof list === 'object' ? Object.values(list) : [];
  const links: Link[] = [];
  for (const item of items) {
    if (!item || typeof item !== 'object') continue;
    const { trace_id: traceId, span_id: spanId, attributes } = item as Record<string, unknown>;
    const context = { traceId: String(traceId ?? '').trim().toLowerCase(), spanId: String(spanId ?? '').trim().toLowerCase(), traceFlags: 0 };
    if (TRACE_ID.test(context.traceId) && SPAN_ID.test(context.spanId)) links.push({ context, attributes: attributesOf(attributes) });
  }
  return links;
}
