// The OpenTelemetry spans one stage's scripts made (nauthilus_opentelemetry): a tree by parent, each with its kind,
// duration, status, attributes and events, as a collector such as Jaeger would show them.
import type { TraceSpan } from '../../../engine/api/contract';
import { h } from '../dom';
import { ms, preview } from '../format';

/** Depth of each span under the stage's other spans (0: its parent is the request span or another stage's span). */
function depths(spans: TraceSpan[]): Map<TraceSpan, number> {
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  const out = new Map<TraceSpan, number>();
  for (const s of spans) {
    let d = 0;
    for (let p = s.parent_span_id && byId.get(s.parent_span_id); p && d < spans.length; p = p.parent_span_id && byId.get(p.parent_span_id)) d++;
    out.set(s, d);
  }
  return out;
}

/** Spans in tree order: each parent followed by its children, in start order. */
function treeOrder(spans: TraceSpan[]): TraceSpan[] {
  const ids = new Set(spans.map((s) => s.span_id));
  const sorted = [...spans].sort((a, b) => a.start_ms - b.start_ms);
  const out: TraceSpan[] = [];
  const visit = (s: TraceSpan) => {
    out.push(s);
    for (const c of sorted) if (c.parent_span_id === s.span_id) visit(c);
  };
  for (const s of sorted) if (!s.parent_span_id || !ids.has(s.parent_span_id)) visit(s);
  return out;
}

/** The spans block of a stage row. */
export function spansBlock(spans: TraceSpan[]): HTMLElement {
  const depth = depths(spans);
  return h('details', { class: 'stage-spans', open: true, 'data-testid': 'stage-spans' },
    h('summary', {}, `OpenTelemetry spans (${spans.length})`),
    h('ul', { class: 'span-tree' }, ...treeOrder(spans).map((s) => {
      const d = depth.get(s) ?? 0;
      const under = d === 0 && s.parent_name ? ` · under ${s.parent_name}` : '';
      const attrs = Object.entries(s.attributes);
      return h('li', { class: `span-row${s.status.code === 'error' ? ' bad' : ''}`, 'data-span': s.name, style: `margin-left:${d * 14}px` },
        h('div', { class: 'span-head' },
          h('span', { class: 'span-name' }, s.name),
          h('span', { class: 'span-kind' }, s.kind),
          h('span', { class: `span-status ${s.status.code}` }, s.status.code === 'unset' ? '' : s.status.message ? `${s.status.code}: ${s.status.message}` : s.status.code),
          h('span', { class: 'stage-ms' }, s.duration_ms === undefined ? 'not ended' : ms(s.duration_ms))),
        h('div', { class: 'span-meta' }, `${s.scope}${under}`),
        attrs.length ? h('div', { class: 'stage-logs' }, ...attrs.map(([k, v]) => h('code', { class: 'log-chip' }, `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`))) : null,
        ...s.events.map((e) => h('div', { class: 'span-event' }, `at ${ms(e.at_ms)}: ${e.name}${Object.keys(e.attributes).length ? ` ${preview(e.attributes, 160)}` : ''}`)));
    })));
}
