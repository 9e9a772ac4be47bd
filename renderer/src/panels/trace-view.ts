// One simulated request, explained: the decision, a timeline of the stages (duration, result, custom logs, print()
// output, errors with their Lua traceback linked to the script lines, OpenTelemetry spans), the Redis commands
// (arguments and replies), HTTP calls (with their duration) and log lines (as fields) the scripts made, and the
// response as sent.
import type { DovecotRunResult, SimulationResult, TraceEvent, TraceStage } from '../../../engine/api/contract';
import { emptyState, h, replace } from '../dom';
import { explain } from '../errors';
import { fileLink, linkify } from '../file-links';
import { ms, preview } from '../format';
import { scriptPlaceIn } from '../script-paths';
import { spansBlock } from './trace-spans';

type OpenAt = (file: string, line?: number) => void;

/** What showHttp draws (a hook call result or a served request of the history). */
export interface HttpShown {
  status: number;
  headers: Record<string, string>;
  body: string;
  trace: TraceStage[];
  events: TraceEvent[];
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  latency_ms: number;
  generation?: number;
  decision?: 'ok' | 'fail' | 'tempfail';
  status_message?: string;
}
/** The workspace file a script name in an error stands for (undefined: not a workspace file). */
type ResolveScript = (name: string) => string | undefined;

/** A log or print() line longer than this shows its start; the rest expands on a click. */
const LINE_PREVIEW = 160;

/** A one-line description of a recorded event (command, arguments and reply; URL and status; log text). */
export function describeEvent(e: Pick<TraceEvent, 'kind' | 'detail'>): string {
  const d = e.detail;
  const s = (k: string) => (d[k] === undefined ? '' : String(d[k]));
  switch (e.kind) {
    case 'redis': return [s('cmd'), Array.isArray(d.args) ? (d.args as string[]).join(' ') : s('key') || (Array.isArray(d.keys) ? (d.keys as string[]).join(' ') : ''),
      d.error ? `→ ${s('error')}` : d.nil ? '→ nil' : 'reply' in d ? `→ ${replyText(d.reply)}` : ''].filter(Boolean).join(' ');
    case 'print': return s('line');
    case 'log': return d.fields ? Object.entries(d.fields as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(' ') : s('line');
    case 'http': return [s('method'), s('url'), d.status !== undefined ? `→ ${s('status')}` : '', d.error ? `→ ${s('error')}` : ''].filter(Boolean).join(' ');
    default: return preview(Object.fromEntries(Object.entries(d).filter(([k]) => k !== 'ms')), 160);
  }
}

export class TraceView {
  readonly el: HTMLElement;

  /** `testId`: the simulator's is "trace", the Dovecot runner's "dovecot-trace". */
  constructor(private readonly openAt: OpenAt, private readonly resolve: ResolveScript, testId = 'trace') {
    this.el = h('div', { class: 'trace', 'data-testid': testId });
  }

  showEmpty(): void {
    replace(this.el, emptyState('No request sent yet', 'Pick a client, set the user and password, and press Send: every stage the request runs through shows up here.'));
  }

  showBusy(): void {
    this.el.classList.add('busy');
  }

  showError(e: unknown): void {
    this.el.classList.remove('busy');
    const x = explain(e);
    replace(this.el, h('div', { class: 'decision tempfail' }, h('strong', {}, 'Not sent'), h('span', {}, x.title)), h('div', { class: 'hint' }, x.hint));
  }

  show(r: SimulationResult): void {
    this.el.classList.remove('busy');
    const total = Math.max(r.latency_ms, r.trace.reduce((n, s) => n + s.duration_ms, 0), 0.001);
    let offset = 0;
    const rows = r.trace.map((s) => {
      const row = this.stageRow(s, offset, total);
      offset += s.duration_ms;
      return row;
    });
    replace(this.el,
      h('div', { class: `decision ${r.decision}`, 'data-decision': r.decision },
        h('strong', {}, r.decision === 'ok' ? 'OK' : r.decision === 'fail' ? 'FAIL' : 'TEMPFAIL'),
        h('span', {}, `HTTP ${r.status}`),
        r.status_message ? h('span', { class: 'status-msg' }, r.status_message) : null,
        h('span', { class: 'muted' }, `${ms(r.latency_ms)} · generation ${r.generation}${r.session ? ` · session ${r.session}` : ''}`)),
      h('h3', {}, 'Stages'),
      rows.length ? h('ol', { class: 'timeline' }, ...rows) : h('div', { class: 'hint' }, 'No stage ran (the request was refused before the pipeline: see the response).'),
      h('h3', {}, `Redis commands, HTTP calls and output (${r.events.length})`),
      r.events.length ? this.eventTable(r.events) : h('div', { class: 'hint' }, 'The scripts made no Redis command or HTTP call and wrote no log or print() line.'),
      h('h3', {}, 'Response'),
      h('pre', { class: 'response' }, responseText(r)),
      h('details', {}, h('summary', {}, `Request as sent: ${r.request.method} ${r.request.url}`),
        h('pre', { class: 'response' }, [...Object.entries(r.request.headers).map(([k, v]) => `${k}: ${v}`), '', r.request.body ?? ''].join('\n'))));
  }

  /** A hook call or a served request: the HTTP answer, the stages that ran for it, their calls, the response. */
  showHttp(r: HttpShown): void {
    this.el.classList.remove('busy');
    const total = Math.max(r.latency_ms, r.trace.reduce((n, s) => n + s.duration_ms, 0), 0.001);
    let offset = 0;
    const rows = r.trace.map((s) => {
      const row = this.stageRow(s, offset, total);
      offset += s.duration_ms;
      return row;
    });
    const failed = r.trace.some((s) => s.error);
    const cls = r.decision ?? (failed || r.status >= 500 ? 'tempfail' : r.status >= 400 ? 'fail' : 'ok');
    const headers = Object.entries(r.headers).filter(([k]) => !['date', 'connection', 'content-length', 'keep-alive'].includes(k)).map(([k, v]) => `${k}: ${v}`);
    replace(this.el,
      h('div', { class: `decision ${cls}`, 'data-decision': cls, 'data-status': String(r.status) },
        h('strong', {}, r.decision ? r.decision.toUpperCase() : `HTTP ${r.status}`),
        r.decision ? h('span', {}, `HTTP ${r.status}`) : null,
        r.status_message ? h('span', { class: 'status-msg' }, r.status_message) : null,
        h('span', { class: 'muted' }, `${r.request.method} ${r.request.url}${r.latency_ms ? ` · ${ms(r.latency_ms)}` : ''}${r.generation ? ` · generation ${r.generation}` : ''}`)),
      h('h3', {}, 'Stages'),
      rows.length ? h('ol', { class: 'timeline' }, ...rows) : h('div', { class: 'hint' }, 'No script ran for this request (no hook or stage matched: see the response).'),
      h('h3', {}, `Redis commands and HTTP calls (${r.events.length})`),
      r.events.length ? this.eventTable(r.events) : h('div', { class: 'hint' }, 'The scripts made no Redis command or HTTP call.'),
      h('h3', {}, 'Response'),
      h('pre', { class: 'response' }, [`HTTP ${r.status}`, ...headers, '', r.body].join('\n')),
      h('details', {}, h('summary', {}, `Request as sent: ${r.request.method} ${r.request.url}`),
        h('pre', { class: 'response' }, [...Object.entries(r.request.headers).map(([k, v]) => `${k}: ${v}`), '', r.request.body ?? ''].join('\n'))));
  }

  /** A Dovecot runner result: Dovecot's verdict and the client's answer, the stages, HTTP calls, fields and log lines. */
  showDovecot(r: DovecotRunResult): void {
    this.el.classList.remove('busy');
    const total = Math.max(r.latency_ms, 0.001);
    const http = r.events.filter((e) => e.kind === 'http');
    const fields = Object.entries(r.fields);
    replace(this.el,
      h('div', { class: `decision ${r.decision}`, 'data-decision': r.decision, 'data-status': r.status },
        h('strong', {}, r.decision === 'ok' ? 'OK' : r.decision === 'fail' ? 'FAIL' : 'TEMPFAIL'),
        h('span', { class: 'mono' }, r.status),
        r.client ? h('span', { class: 'status-msg' }, r.client) : null,
        h('span', { class: 'muted' }, `${ms(r.latency_ms)} · Dovecot ${r.profile}${r.fail_code ? ` · code=${r.fail_code}` : ''}`)),
      h('h3', {}, 'Stages'),
      h('ol', { class: 'timeline' }, ...r.trace.map((s) => this.stageRow(s, 0, total))),
      h('h3', {}, `Fields (${fields.length})`),
      fields.length
        ? h('table', { class: 'events dovecot-fields', 'data-testid': 'dovecot-fields' }, h('tbody', {}, ...fields.map(([k, v]) => h('tr', {}, h('td', { class: 'mono' }, k), h('td', { class: 'mono' }, v)))))
        : h('div', { class: 'hint' }, r.decision === 'ok' ? 'Dovecot keeps no extra fields.' : 'Fields are kept only on success.'),
      h('h3', {}, `HTTP calls (${http.length})`),
      http.length ? this.eventTable(http) : h('div', { class: 'hint' }, 'The script made no HTTP call.'),
      h('h3', {}, `Dovecot log (${r.logs.length})`),
      r.logs.length ? h('pre', { class: 'response dovecot-log' }, ...linkify(r.logs.map((l) => l.text).join('\n'))) : h('div', { class: 'hint' }, 'Dovecot logged nothing (auth_verbose on, auth_debug off).'),
      r.stdout.length ? h('details', {}, h('summary', {}, `print() output (${r.stdout.length}; Dovecot discards it)`), h('pre', { class: 'response' }, r.stdout.join('\n'))) : null,
      r.notes.length ? h('details', { class: 'harness-notes' }, h('summary', {}, `Harness notes (${r.notes.length})`), h('ul', {}, ...r.notes.map((n) => h('li', {}, n)))) : null);
  }

  private stageRow(s: TraceStage, offset: number, total: number): HTMLElement {
    const printed = (s.events ?? []).filter((e) => e.kind === 'print').map((e) => String(e.detail.line ?? ''));
    const flags = [s.triggered ? 'triggered' : '', s.abort ? 'abort' : '', s.reject ? 'reject' : ''].filter(Boolean);
    const raw = s.error ? scriptPlaceIn(s.error) : undefined;
    const file = raw ? this.resolve(raw.file) : undefined;
    const place = raw && file ? { file, line: raw.line } : undefined;
    const bad = !!s.error || s.triggered || s.reject;
    return h('li', { class: `stage${bad ? ' bad' : ''}`, 'data-stage': s.stage, 'data-name': s.name },
      h('div', { class: 'stage-head' },
        h('span', { class: 'stage-kind' }, s.stage),
        h('span', { class: 'stage-name' }, s.name),
        h('span', { class: 'stage-result' }, s.result),
        ...flags.map((f) => h('span', { class: 'flag' }, f)),
        h('span', { class: 'stage-ms' }, ms(s.duration_ms))),
      h('div', { class: 'bar-track' }, h('div', {
        class: 'bar', style: `margin-left:${(100 * offset) / total}%;width:${Math.max(0.5, (100 * s.duration_ms) / total)}%`,
      })),
      Object.keys(s.logs).length ? h('div', { class: 'stage-logs' }, ...Object.entries(s.logs).map(([k, v]) => h('code', { class: 'log-chip' }, `${k}=${v}`))) : null,
      s.status_message ? h('div', { class: 'stage-status' }, `status message: ${s.status_message}`) : null,
      s.spans?.length ? spansBlock(s.spans) : null,
      s.policy ? h('details', { class: 'stage-policy', 'data-policy': s.policy.policy },
        h('summary', {}, `${s.policy.enforced ? 'decided' : 'observe mode, not applied'}: policy ${s.policy.policy} (${s.policy.stage}) → ${s.policy.decision}${s.policy.obligations.length ? ` · obligations ${s.policy.obligations.join(', ')}` : ''}`),
        s.policy.checks?.length ? h('table', { class: 'events policy-checks' }, h('tbody', {}, ...s.policy.checks.map((c) => h('tr', { 'data-check': c.name },
          h('td', { class: 'mono' }, `check ${c.name}`), h('td', { class: 'mono' }, `${c.status}${c.reason ? ` (${c.reason})` : ''}`))))) : null,
        h('table', { class: 'events' }, h('tbody', {}, ...Object.entries(s.policy.attributes).map(([k, v]) => h('tr', {}, h('td', { class: 'mono' }, k), h('td', { class: 'mono' }, JSON.stringify(v))))))) : null,
      printed.length ? h('details', { class: 'stage-print', 'data-testid': 'stage-print', open: true },
        h('summary', {}, `print() output (${printed.length} line${printed.length === 1 ? '' : 's'})`),
        h('pre', { class: 'print-lines' }, ...linkify(printed.join('\n')))) : null,
      s.error ? h('div', { class: 'stage-error' }, ...linkify(s.error),
        place ? h('button', { class: 'link', onclick: () => this.openAt(place.file, place.line) }, ` open ${place.file}:${place.line}`) : null) : null,
      s.traceback?.length ? h('details', { class: 'traceback', open: true },
        h('summary', {}, 'Lua traceback'),
        h('ol', { class: 'frames' }, ...s.traceback.map((f) => {
          const file = this.resolve(f.file) ?? f.file;
          return h('li', {}, fileLink(file, f.line), f.function ? h('span', { class: 'frame-fn' }, ` in ${f.function}`) : null);
        }))) : null);
  }

  private eventTable(events: TraceEvent[]): HTMLElement {
    return h('table', { class: 'events' },
      h('thead', {}, h('tr', {}, h('th', {}, 'at'), h('th', {}, 'kind'), h('th', {}, 'what (stage)'), h('th', {}, 'took'))),
      h('tbody', {}, ...events.map((e) => h('tr', { class: `ev ${e.kind}${e.detail.error ? ' bad' : ''}`, 'data-kind': e.kind },
        h('td', {}, ms(e.at_ms)),
        h('td', {}, e.kind),
        h('td', { class: 'mono' }, eventBody(e), h('span', { class: 'ev-stage' }, `${e.stage} · ${e.name}`)),
        h('td', { class: 'ev-took' }, tookOf(e))))));
  }
}

/** How long an event took: Redis commands carry `ms`, HTTP calls and DNS lookups `duration_ms`. */
function tookOf(e: TraceEvent): string {
  const t = typeof e.detail.ms === 'number' ? e.detail.ms : e.detail.duration_ms;
  return typeof t === 'number' ? ms(t) : '';
}

/** A reply as one short text: strings quoted, lists and hashes as compact JSON. */
function replyText(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  return preview(typeof v === 'string' ? JSON.stringify(v) : v, 200);
}

/** What the events table shows of one event: Redis arguments and reply apart, log fields as chips, long lines folded. */
function eventBody(e: TraceEvent): HTMLElement {
  const d = e.detail;
  if (e.kind === 'redis' && Array.isArray(d.args)) {
    return h('span', { class: 'ev-redis' },
      h('span', { class: 'ev-cmd' }, String(d.cmd ?? '')), ' ',
      h('span', { class: 'ev-args' }, (d.args as string[]).join(' ')),
      d.error ? h('span', { class: 'ev-reply bad' }, ` → ${String(d.error)}`)
        : 'reply' in d || d.nil ? h('span', { class: 'ev-reply' }, ` → ${d.nil ? 'nil' : replyText(d.reply)}`) : null);
  }
  if (e.kind === 'log' && d.fields && typeof d.fields === 'object') {
    return h('span', { class: 'ev-fields' }, ...Object.entries(d.fields as Record<string, string>).map(([k, v]) =>
      h('code', { class: 'log-chip', title: v }, h('span', { class: 'chip-key' }, k), '=', ...linkify(v.length > LINE_PREVIEW ? `${v.slice(0, LINE_PREVIEW)}…` : v))));
  }
  const text = describeEvent(e);
  if ((e.kind === 'log' || e.kind === 'print') && text.length > LINE_PREVIEW) {
    return h('details', { class: 'ev-long' }, h('summary', {}, `${text.slice(0, LINE_PREVIEW)}…`), h('pre', { class: 'ev-full' }, ...linkify(text)));
  }
  return h('span', {}, ...linkify(text));
}

function responseText(r: SimulationResult): string {
  const headers = Object.entries(r.headers).filter(([k]) => !['date', 'connection', 'content-length'].includes(k)).map(([k, v]) => `${k}: ${v}`);
  const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body, null, 2);
  return [`HTTP ${r.status}`, ...headers, '', body].join('\n');
}
