// `nauthilus_prometheus`: counters, gauges, histograms and summaries that scripts create and update.
import { Counter, Gauge, Histogram, Summary, exponentialBuckets, type Registry } from 'prom-client';
import { LuaMultiReturn } from 'wasmoon';
import type { LuaModule, ModuleHost } from '../module';
import { checkArg, fail } from '../values';
import { errorText, formatNumber, listValues } from './redis-runner';
import { MAX_LABEL_VALUE, MAX_SCRIPT_LABEL_SETS, OVERFLOW_LABEL_VALUE } from '../../metric-labels';

type Kind = 'counter' | 'gauge' | 'histogram' | 'summary';
type Labels = Record<string, string>;
type AnyMetric = { type?: string; labelNames?: readonly string[] };

/** Nauthilus' histogram buckets: prometheus.ExponentialBuckets(0.001, 1.75, 15). */
export const DEFAULT_BUCKETS = exponentialBuckets(0.001, 1.75, 15);

// "missing metric" is logged once per engine (registry) and name, as Nauthilus does
const warnedByRegistry = new WeakMap<Registry, Set<string>>();
// the label sets each script metric has seen (bounded: label values often come from requests)
const labelSetsByMetric = new WeakMap<object, Set<string>>();

/** A Lua label table `{service = "x"}` -> label values as strings (as gopher-lua's tostring gives them). */
function labelValues(fn: string, n: number, v: unknown): Labels {
  checkArg(fn, n, v, 'table');
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i + 1), x] as const) : Object.entries(v as object);
  const out: Labels = {};
  for (const [k, x] of entries) out[k] = typeof x === 'number' ? formatNumber(x) : String(x);
  return out;
}

/**
 * The label set must match the metric's label names exactly (Go's With() panics otherwise).
 * Returns the labels in declaration order, so /metrics lists them as the vector was created.
 */
function checkLabels(fn: string, name: string, metric: AnyMetric, labels: Labels): Labels {
  const names = metric.labelNames ?? [];
  const want = [...names].sort();
  const got = Object.keys(labels).sort();
  if (want.length !== got.length || want.some((w, i) => w !== got[i])) {
    throw new Error(`${fn}: metric "${name}" has labels [${want.join(', ')}], got [${got.join(', ')}]`);
  }
  return Object.fromEntries(names.map((n) => [n, labels[n].slice(0, MAX_LABEL_VALUE)]));
}

/**
 * How many metrics scripts may create in the engine's registry (it lives as long as the engine; /metrics lists it
 * all). Label sets per metric are bounded by MAX_SCRIPT_LABEL_SETS (an overflow set), not by an error: a metric
 * must never turn into a failed login.
 */
export const LUA_METRIC_LIMITS = { metrics: 1000 } as const;
/** Names of the metrics scripts created, per registry. */
const scriptMetrics = new WeakMap<Registry, Set<string>>();

class LuaMetrics {
  constructor(private readonly host: ModuleHost) {}

  private get registry(): Registry {
    return this.host.services.metrics;
  }

  create(kind: Kind, fn: string, name: unknown, help: unknown, labels: unknown, buckets?: unknown): LuaMultiReturn | undefined {
    checkArg(fn, 1, name, 'string');
    checkArg(fn, 2, help, 'string');
    checkArg(fn, 3, labels, 'table', 'nil');
    if (buckets !== undefined) checkArg(fn, 4, buckets, 'table', 'nil');
    const labelNames = labels ? listValues(fn, 3, labels).map(String) : [];
    const existing = this.registry.getSingleMetric(name as string) as AnyMetric | undefined;
    if (existing) {
      // every VM and every reload creates its vectors again: reuse the one already registered
      if (existing.type === kind) return undefined;
      return fail(`${fn}: metric "${name as string}" already exists as a ${existing.type}`);
    }
    const ours = scriptMetrics.get(this.registry) ?? new Set<string>();
    scriptMetrics.set(this.registry, ours);
    if (ours.size >= LUA_METRIC_LIMITS.metrics) {
      throw new Error(`${fn}: scripts already created ${LUA_METRIC_LIMITS.metrics} metrics`);
    }
    ours.add(name as string);
    const opts = { name: name as string, help: (help as string) || (name as string), labelNames, registers: [this.registry] };
    try {
      if (kind === 'counter') new Counter(opts);
      else if (kind === 'gauge') new Gauge(opts);
      else if (kind === 'summary') new Summary({ ...opts, percentiles: [] }); // Go's default: no quantiles
      else {
        const b = buckets ? listValues(fn, 4, buckets).map((x) => Number(x)).sort((x, y) => x - y) : DEFAULT_BUCKETS;
        new Histogram({ ...opts, buckets: b });
      }
    } catch (e) {
      return fail(`${fn}: ${errorText(e)}`);
    }
    return undefined;
  }

  /**
   * The labels to record: past MAX_SCRIPT_LABEL_SETS distinct sets, a new set is recorded as the overflow set
   * (every label `other`), with one warning per metric, so request data cannot grow /metrics without bound.
   */
  bounded(name: string, metric: AnyMetric, labels: Labels): Labels {
    let seen = labelSetsByMetric.get(metric);
    if (!seen) labelSetsByMetric.set(metric, (seen = new Set()));
    const key = JSON.stringify(labels);
    if (seen.has(key)) return labels;
    if (seen.size < MAX_SCRIPT_LABEL_SETS) {
      seen.add(key);
      return labels;
    }
    const overflow = Object.fromEntries(Object.keys(labels).map((k) => [k, OVERFLOW_LABEL_VALUE]));
    const warned = `overflow:${name}`;
    let w = warnedByRegistry.get(this.registry);
    if (!w) warnedByRegistry.set(this.registry, (w = new Set()));
    if (!w.has(warned)) {
      w.add(warned);
      this.host.services.logger.warn({ pool: this.host.poolName, metric: name, limit: MAX_SCRIPT_LABEL_SETS },
        `Prometheus metric "${name}" has ${MAX_SCRIPT_LABEL_SETS} label sets: further new ones are counted with every label "${OVERFLOW_LABEL_VALUE}"`);
    }
    return overflow;
  }

  /** The metric of that kind, or undefined after a (once-per-name) warning. */
  find(kind: Kind, name: string): AnyMetric | undefined {
    const m = this.registry.getSingleMetric(name) as AnyMetric | undefined;
    if (m && m.type === kind) return m;
    let warned = warnedByRegistry.get(this.registry);
    if (!warned) warnedByRegistry.set(this.registry, (warned = new Set()));
    const line = `Prometheus ${kind} "${name}" not found: create it with create_${kind}_vec first (call ignored)`;
    this.host.call?.record('log', { level: 'warn', line });
    if (!warned.has(`${kind}:${name}`)) {
      warned.add(`${kind}:${name}`);
      this.host.services.logger.warn({ pool: this.host.poolName, metric: name, kind }, line);
    }
    return undefined;
  }

  /** inc/dec/set on a counter or gauge; `value` defaults to 1. */
  update(kind: 'counter' | 'gauge', op: 'inc' | 'dec' | 'set', fn: string, name: unknown, labels: unknown, value?: unknown): void {
    checkArg(fn, 1, name, 'string');
    const l = labelValues(fn, 2, labels);
    const m = this.find(kind, name as string);
    if (!m) return;
    const ordered = this.bounded(name as string, m, checkLabels(fn, name as string, m, l));
    const v = value === undefined ? 1 : (value as number);
    (m as unknown as Record<string, (l: Labels, v: number) => void>)[op](ordered, v);
  }

  /** set_gauge/add_gauge/sub_gauge take (name, value, labels) as in Nauthilus, or (name, labels, value). */
  gaugeValue(op: 'inc' | 'dec' | 'set', fn: string, name: unknown, a: unknown, b: unknown): void {
    const [value, labels] = typeof a === 'object' && a !== null ? [b, a] : [a, b];
    checkArg(fn, typeof a === 'object' && a !== null ? 3 : 2, value, 'number');
    this.update('gauge', op, fn, name, labels, value);
  }

  /** Returns the start time (ms), nothing for a missing metric, or `nil, err` for bad arguments. */
  timerStart(kind: 'histogram' | 'summary', fn: string, name: unknown, labels: unknown): LuaMultiReturn {
    try {
      checkArg(fn, 1, name, 'string');
      const l = labelValues(fn, 2, labels);
      const m = this.find(kind, name as string);
      if (!m) return LuaMultiReturn.from([]);
      checkLabels(fn, name as string, m, l);
      return LuaMultiReturn.from([performance.now()]);
    } catch (e) {
      return LuaMultiReturn.from([undefined, errorText(e)]);
    }
  }

  observe(kind: 'histogram' | 'summary', name: string, labels: unknown, seconds: number): void {
    const m = this.registry.getSingleMetric(name) as AnyMetric | undefined;
    if (!m || m.type !== kind || typeof labels !== 'object' || labels === null) return;
    try {
      (m as unknown as Histogram).observe(this.bounded(name, m, checkLabels('stop_timer', name, m, labelValues('stop_timer', 1, labels))), seconds);
    } catch {
      // the labels were checked when the timer started; a script that changed them afterwards loses one sample
    }
  }
}

// Timers are Lua tables (collected with the script's garbage); the host only measures wall time.
const LUA_SOURCE = `
local api = ...
local M = {}
for k, v in pairs(api) do
  if string.sub(k, 1, 1) ~= "_" then M[k] = v end
end
local Timer = { __name = "prometheus_timer" }
Timer.__index = Timer

local function starter(kind, fname)
  return function(name, labels)
    local t0, err = api._timer_start(kind, fname, name, labels)
    if err then error(err, 2) end
    if t0 == nil then return nil end
    return setmetatable({ kind = kind, name = name, labels = labels, t0 = t0 }, Timer)
  end
end
M.start_histogram_timer = starter("histogram", "start_histogram_timer")
M.start_summary_timer = starter("summary", "start_summary_timer")

-- a timer from a metric that was never created is nil: stopping it does nothing
function M.stop_timer(t)
  if t == nil then return end
  if getmetatable(t) ~= Timer then
    error("bad argument #1 to 'stop_timer' (timer expected, got " .. type(t) .. ")", 2)
  end
  api._observe(t.kind, t.name, t.labels, (api._now() - t.t0) / 1000)
end
return M
`;

/** The `nauthilus_prometheus` module (1.x loader name `nauthilus_prometheus`). */
export const prometheusModule: LuaModule = {
  name: 'nauthilus_prometheus',
  legacyLoaderName: 'nauthilus_prometheus',
  summary: 'Prometheus counters, gauges, histograms and summaries (with wall-clock timers) on the engine\'s /metrics.',
  install(host) {
    const m = new LuaMetrics(host);
    return {
      functions: {
        create_counter_vec: (n: unknown, h: unknown, l: unknown) => m.create('counter', 'create_counter_vec', n, h, l),
        create_gauge_vec: (n: unknown, h: unknown, l: unknown) => m.create('gauge', 'create_gauge_vec', n, h, l),
        create_histogram_vec: (n: unknown, h: unknown, l: unknown, b: unknown) => m.create('histogram', 'create_histogram_vec', n, h, l, b ?? undefined),
        create_summary_vec: (n: unknown, h: unknown, l: unknown) => m.create('summary', 'create_summary_vec', n, h, l),
        increment_counter: (n: unknown, l: unknown) => m.update('counter', 'inc', 'increment_counter', n, l),
        touch_counter: (n: unknown, l: unknown) => m.update('counter', 'inc', 'touch_counter', n, l, 0),
        increment_gauge: (n: unknown, l: unknown) => m.update('gauge', 'inc', 'increment_gauge', n, l),
        decrement_gauge: (n: unknown, l: unknown) => m.update('gauge', 'dec', 'decrement_gauge', n, l),
        set_gauge: (n: unknown, a: unknown, b: unknown) => m.gaugeValue('set', 'set_gauge', n, a, b),
        add_gauge: (n: unknown, a: unknown, b: unknown) => m.gaugeValue('inc', 'add_gauge', n, a, b),
        sub_gauge: (n: unknown, a: unknown, b: unknown) => m.gaugeValue('dec', 'sub_gauge', n, a, b),
        _timer_start: (kind: 'histogram' | 'summary', fn: string, n: unknown, l: unknown) => m.timerStart(kind, fn, n, l),
        _observe: (kind: 'histogram' | 'summary', n: string, l: unknown, s: number) => m.observe(kind, n, l, s),
        _now: () => performance.now(),
      },
      lua: LUA_SOURCE,
    };
  },
};
