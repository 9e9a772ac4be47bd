// A tiny table-driven validator: specs for scalars, lists, maps and structs that report every problem with its position.

import { isAuthStudioError } from '../errors/registry';
import { parseDuration, parseSize } from './durations';
import { closest, didYouMean } from './suggest';
import type { Val } from './yaml-source';

/** Validates and converts one value; returns undefined after reporting the problem(s) to `v.ctx`. */
export type Spec<T> = (v: Val) => T | undefined;

/** A JSON Schema (draft-07) fragment: what editors know of a spec (scripts/gen-config-schema.js writes them out). */
export type JsonSchema = Record<string, unknown>;

const JSON_SCHEMAS = new WeakMap<Spec<unknown>, JsonSchema>();

/** Record what a spec accepts as JSON Schema; returns the spec. */
export function describedAs<T>(spec: Spec<T>, schema: JsonSchema): Spec<T> {
  JSON_SCHEMAS.set(spec as Spec<unknown>, schema);
  return spec;
}

/** The JSON Schema of a spec (`{}`, anything, for specs that never described themselves). */
export function jsonSchemaOf(spec: Spec<unknown>): JsonSchema {
  return JSON_SCHEMAS.get(spec) ?? {};
}

/** A struct key that must be present. */
export interface RequiredField<T> { kind: 'req'; spec: Spec<T> }
/** A struct key that may be absent (undefined in the result). */
export interface OptionalField<T> { kind: 'opt'; spec: Spec<T> }
/** A struct key with a default value used when it is absent or empty. */
export interface DefaultedField<T> { kind: 'def'; spec: Spec<T>; value: T }
/** One key of a struct: required, optional or defaulted. */
export type Field<T> = RequiredField<T> | OptionalField<T> | DefaultedField<T>;

/** The keys a struct accepts, each with its field. */
export type Shape = Record<string, Field<unknown>>;
type FieldOut<F> = F extends RequiredField<infer T> ? T : F extends DefaultedField<infer T> ? T : F extends OptionalField<infer T> ? T | undefined : never;
/** What `struct(shape)` produces: required and defaulted keys are always set. */
export type StructOut<S extends Shape> = { [K in keyof S]: FieldOut<S[K]> };

/** A required key. */
export const req = <T>(spec: Spec<T>): RequiredField<T> => ({ kind: 'req', spec });
/** An optional key. */
export const opt = <T>(spec: Spec<T>): OptionalField<T> => ({ kind: 'opt', spec });
/** A key with a default (objects are copied for each use). */
export const def = <T>(spec: Spec<T>, value: T): DefaultedField<T> => ({ kind: 'def', spec, value });

/**
 * A map with exactly the keys of `shape`: unknown keys (with a did-you-mean), missing required keys
 * and every bad value are reported. An empty value (`key:`) counts as an empty map. `refine` runs when
 * all keys are valid and may report cross-key problems; any report makes the struct fail.
 */
export function struct<S extends Shape>(shape: S, refine?: (out: StructOut<S>, v: Val) => void): Spec<StructOut<S>> {
  const known = Object.keys(shape);
  return describedAs(structSpec(shape, known, refine), structSchema(shape));
}

function structSchema(shape: Shape): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, field] of Object.entries(shape)) {
    const inner = jsonSchemaOf(field.spec);
    const what = typeof inner.description === 'string' ? inner.description : 'see the Nauthilus documentation';
    const p: JsonSchema = { ...inner, description: `${field.kind === 'req' ? 'Required' : 'Optional'}: ${what}` };
    if (field.kind === 'def' && (typeof field.value !== 'object' || field.value === null)) {
      p.default = field.value;
      p.description += ` (default ${JSON.stringify(field.value)})`;
    }
    properties[name] = p;
  }
  const required = Object.entries(shape).filter(([, f]) => f.kind === 'req').map(([n]) => n);
  return { type: ['object', 'null'], description: 'a map', properties, additionalProperties: false, ...(required.length ? { required } : {}) };
}

function structSpec<S extends Shape>(shape: S, known: string[], refine?: (out: StructOut<S>, v: Val) => void): Spec<StructOut<S>> {
  return (v) => {
    // `key:` with no value is an empty map; an empty list item (`-` alone) is a mistake.
    const emptyItem = v.isNull && v.keyOffset === undefined && v.path !== '';
    if (emptyItem || (!v.isNull && !v.isMap)) return v.typeError('a map');
    const entries = v.entries();
    let ok = true;
    const suggested = new Set<string>();
    for (const e of entries) {
      if (Object.prototype.hasOwnProperty.call(shape, e.key)) continue;
      ok = false;
      const hint = closest(e.key, known);
      if (hint !== undefined) suggested.add(hint);
      const mean = hint === undefined ? '' : ` (did you mean "${hint}"?)`;
      v.ctx.report('AS_ERR_CONFIG_UNKNOWN_KEY', `unknown key "${e.key}" at ${v.where()}${mean}`, e.val.path, e.keyOffset);
    }
    const out: Record<string, unknown> = {};
    for (const name of known) {
      const field = shape[name];
      const entry = entries.find((e) => e.key === name);
      if (!entry || entry.val.isNull) {
        if (field.kind === 'req') {
          ok = false;
          // A misspelt key was already reported with this key as the suggestion: no second error.
          if (suggested.has(name) || (v.node !== null && v.ctx.suggestedKeys.get(v.node)?.has(name))) continue;
          if (entry) entry.val.fail('AS_ERR_CONFIG_MISSING', `required key "${name}" at ${v.where()} has no value`);
          else v.fail('AS_ERR_CONFIG_MISSING', `missing required key "${name}" at ${v.where()}`);
        } else {
          out[name] = field.kind === 'def' ? structuredClone(field.value) : undefined;
        }
        continue;
      }
      const value = field.spec(entry.val);
      if (value === undefined) ok = false;
      else out[name] = value;
    }
    if (!ok) return undefined;
    const result = out as StructOut<S>;
    if (refine) {
      const before = v.ctx.errors.length;
      refine(result, v);
      if (v.ctx.errors.length > before) return undefined;
    }
    return result;
  };
}

/** Converts a valid value further; `fn` may report (via `v.fail`) and return undefined. */
export function andThen<T, U>(spec: Spec<T>, fn: (value: T, v: Val) => U | undefined): Spec<U> {
  return describedAs((v) => {
    const t = spec(v);
    return t === undefined ? undefined : fn(t, v);
  }, jsonSchemaOf(spec as Spec<unknown>));
}

/** A string. Plain numbers and booleans are taken as written (`password: 12345678`). */
export function str(opts: { minLength?: number; pattern?: RegExp; patternText?: string } = {}): Spec<string> {
  return describedAs((v) => {
    const s = v.scalar;
    if (v.isNull || (typeof s !== 'string' && typeof s !== 'number' && typeof s !== 'boolean')) return v.typeError('a string');
    const text = typeof s === 'string' ? s : v.sourceText ?? String(s);
    if (opts.minLength !== undefined && text.length < opts.minLength) {
      const what = opts.minLength === 1 ? 'a non-empty string' : `a string of at least ${opts.minLength} characters`;
      return v.fail('AS_ERR_CONFIG_TYPE', `expected ${what} at ${v.where()}, got ${text.length === 0 ? 'an empty string' : `${text.length} characters`}`);
    }
    if (opts.pattern && !opts.pattern.test(text)) return v.typeError(opts.patternText ?? `a string matching ${opts.pattern}`);
    return text;
  }, { type: ['string', 'number', 'boolean'], description: opts.minLength ? 'a non-empty string' : 'a string', ...(opts.pattern ? { pattern: opts.pattern.source } : {}) });
}

/** An integer in [min, max]. A `${VAR}` that expanded to digits counts. */
export function int(opts: { min?: number; max?: number } = {}): Spec<number> {
  const { min, max } = opts;
  const what = min !== undefined && max !== undefined ? `an integer from ${min} to ${max}` : min !== undefined ? `an integer >= ${min}` : max !== undefined ? `an integer <= ${max}` : 'an integer';
  return describedAs((v) => {
    let n = v.scalar;
    if (typeof n === 'string' && v.fromEnv && /^[-+]?\d+$/.test(n.trim())) n = Number(n);
    if (typeof n !== 'number' || !Number.isInteger(n)) return v.typeError(what);
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) return v.typeError(what);
    return n;
  }, { type: 'integer', description: what, ...(min !== undefined ? { minimum: min } : {}), ...(max !== undefined ? { maximum: max } : {}) });
}

/** A boolean (`true`/`false`; also a `${VAR}` that expanded to one). */
export function bool(): Spec<boolean> {
  return describedAs((v) => {
    const b = v.scalar;
    if (typeof b === 'boolean') return b;
    if (typeof b === 'string' && v.fromEnv && /^(true|false)$/i.test(b.trim())) return b.trim().toLowerCase() === 'true';
    return v.typeError('a boolean (true or false)');
  }, { type: 'boolean', description: 'a boolean (true or false)' });
}

/** One of fixed strings; with `ignoreCase` the canonical spelling from `values` is returned. */
export function oneOf<T extends string>(values: readonly T[], opts: { ignoreCase?: boolean } = {}): Spec<T> {
  const list = values.map((x) => `"${x}"`).join(', ');
  return describedAs((v) => {
    const s = v.scalar;
    if (typeof s !== 'string') return v.typeError(`one of ${list}`);
    const hit = values.find((x) => (opts.ignoreCase ? x.toLowerCase() === s.toLowerCase() : x === s));
    if (hit !== undefined) return hit;
    return v.fail('AS_ERR_CONFIG_TYPE', `expected one of ${list} at ${v.where()}, got ${v.describe()}${didYouMean(s, values)}`);
  }, { type: 'string', enum: [...values], description: `one of ${list}` });
}

/** A Go-style duration (or a number of seconds), in milliseconds; `min` in ms (default 0). */
export function duration(opts: { min?: number; positive?: boolean } = {}): Spec<number> {
  return describedAs((v) => {
    const s = v.scalar;
    if (typeof s !== 'string' && typeof s !== 'number') return v.typeError('a duration like "30s", "10m" or "1h30m"');
    let ms: number;
    try {
      ms = parseDuration(s);
    } catch (e) {
      if (isAuthStudioError(e)) return v.typeError('a duration like "30s", "10m" or "1h30m"');
      throw e;
    }
    if (opts.positive && ms <= 0) return v.typeError('a positive duration');
    if (ms < (opts.min ?? 0)) return v.typeError('a non-negative duration');
    return ms;
  }, { type: ['string', 'number'], description: 'a duration like "30s", "10m" or "1h30m"', pattern: DURATION_PATTERN });
}

/** A byte size ("32MiB", "64KiB", "1GB" or a number of bytes), in bytes, at least `min` (default 1). */
export function size(opts: { min?: number } = {}): Spec<number> {
  const what = 'a size like "32MiB", "512KiB", "1GB" or a number of bytes';
  return describedAs((v) => {
    const s = v.scalar;
    if (typeof s !== 'string' && typeof s !== 'number') return v.typeError(what);
    let bytes: number;
    try {
      bytes = parseSize(s);
    } catch (e) {
      if (isAuthStudioError(e)) return v.typeError(what);
      throw e;
    }
    if (bytes < (opts.min ?? 1)) return v.typeError(`${what} of at least ${opts.min ?? 1} byte(s)`);
    return bytes;
  }, { type: ['string', 'number'], description: what });
}

/** Go durations: a number of seconds or digits with ns/us/ms/s/m/h units ("1h30m"). */
const DURATION_PATTERN = '^\\s*[-+]?(\\d+(\\.\\d+)?(ns|us|µs|ms|s|m|h))+\\s*$|^\\s*[-+]?\\d+(\\.\\d+)?\\s*$';

function listSchema(item: JsonSchema, scalarOk: boolean, minItems: number | undefined): JsonSchema {
  const what = typeof item.description === 'string' ? item.description : 'items';
  const arr: JsonSchema = { type: 'array', items: item, description: `a list of ${what}`, ...(minItems !== undefined ? { minItems } : {}) };
  return scalarOk ? { anyOf: [arr, item], description: `${what}, or a list of them` } : arr;
}

/** How a list's items must be unique: the key of an item, the item field to point at, and a noun. */
export interface Uniqueness<T> {
  key: (item: T) => string;
  /** The key of the item's map whose position a duplicate is reported at (default: the item). */
  at?: string;
  /** "feature name", "hook" ... used as `duplicate <what> "<key>"`. */
  what: string;
}

/**
 * A list of items. With `scalarOk` a single scalar counts as a one-item list (`protocol: imap`).
 * Duplicates (per `unique`) are AS_ERR_CONFIG_CONFLICT at the later item, naming the first one's line.
 */
export function list<T>(item: Spec<T>, opts: { scalarOk?: boolean; minItems?: number; unique?: Uniqueness<T> } = {}): Spec<T[]> {
  return describedAs((v) => {
    if (opts.scalarOk && !v.isSeq && !v.isMap && !v.isNull) {
      const one = item(v);
      return one === undefined ? undefined : [one];
    }
    if (!v.isSeq) return v.typeError(opts.scalarOk ? 'a string or a list' : 'a list');
    const items = v.items();
    if (opts.minItems !== undefined && items.length < opts.minItems) return v.typeError(`a list of at least ${opts.minItems} item(s)`);
    const out: T[] = [];
    let ok = true;
    const seen = new Map<string, Val>();
    for (const iv of items) {
      const t = item(iv);
      if (t === undefined) {
        ok = false;
        continue;
      }
      out.push(t);
      if (!opts.unique) continue;
      const key = opts.unique.key(t);
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, iv);
        continue;
      }
      ok = false;
      const at = (opts.unique.at !== undefined ? iv.child(opts.unique.at) : undefined) ?? iv;
      const firstLine = first.location.line;
      at.fail('AS_ERR_CONFIG_CONFLICT', `duplicate ${opts.unique.what} "${key}" at ${iv.where()} (first at ${first.where()}${firstLine ? `, line ${firstLine}` : ''})`);
    }
    return ok ? out : undefined;
  }, listSchema(jsonSchemaOf(item as Spec<unknown>), opts.scalarOk === true, opts.minItems));
}

/** A map from free-form names to values; `name` validates each key (report and return false to reject). */
export function mapOf<T>(value: Spec<T>, name?: (key: string, v: Val) => boolean): Spec<Record<string, T>> {
  return describedAs((v) => {
    if (v.isNull) return {};
    if (!v.isMap) return v.typeError('a map');
    const out: Record<string, T> = {};
    let ok = true;
    for (const e of v.entries()) {
      if (name && !name(e.key, e.val)) {
        ok = false;
        continue;
      }
      const t = value(e.val);
      if (t === undefined) ok = false;
      else out[e.key] = t;
    }
    return ok ? out : undefined;
  }, { type: ['object', 'null'], description: 'a map of names', additionalProperties: jsonSchemaOf(value as Spec<unknown>) });
}
