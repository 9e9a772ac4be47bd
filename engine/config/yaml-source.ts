// The parsed YAML document with positions: a cursor (`Val`) over its nodes that knows key paths and line:column.

import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode, type Scalar } from 'yaml';
import { AuthStudioError, type ErrorCode, type SourceLocation } from '../errors/registry';

/** State shared by one validation run: where the text came from, its positions, and the errors found so far. */
export class ConfigContext {
  /** Every problem found, in the order found. */
  readonly errors: AuthStudioError[] = [];
  /** Scalars whose text came from `${VAR}` expansion: their strings may stand for numbers and booleans. */
  readonly expanded = new WeakSet<Scalar>();
  /** Scalars with a bad `${VAR}` (already reported): further complaints about them are noise. */
  readonly envBroken = new WeakSet<Scalar>();
  /**
   * Key paths of map keys that were moved by a layout rewrite (Nauthilus 3.x -> the engine's 1.x layout): the
   * key's path as the user wrote it, so errors name `auth.controls.brute_force`, not `brute_force`.
   */
  readonly keyPaths = new WeakMap<object, string>();
  /** Per rewritten map: keys already offered as a did-you-mean for a misspelt key (no "missing key" error then). */
  readonly suggestedKeys = new WeakMap<object, Set<string>>();
  private readonly reported = new Set<string>();

  constructor(
    /** The config file name as the user gave it: used in every location. */
    readonly file: string,
    readonly doc: Document,
    readonly lineCounter: LineCounter,
    /** Directory relative script paths are resolved against. */
    readonly baseDir: string,
    /** Whether referenced files must exist. */
    readonly checkFiles: boolean,
  ) {}

  /** File, line and column (1-based) of a character offset in the text. */
  locate(offset: number | undefined): SourceLocation {
    if (offset === undefined) return { file: this.file };
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.file, line, column: col };
  }

  /** Records one error. Always returns undefined so validators can `return ctx.report(...)`. */
  report(code: ErrorCode, message: string, path: string | undefined, offset: number | undefined): undefined {
    const id = `${code}\0${message}\0${offset}`;
    if (this.reported.has(id)) return undefined;
    this.reported.add(id);
    this.errors.push(new AuthStudioError(code, message, { path, location: this.locate(offset) }));
    return undefined;
  }
}

/** Parses YAML text; syntax errors come back as AS_ERR_CONFIG_YAML errors with line:column. */
export function parseYaml(text: string, file: string): { doc: Document; lineCounter: LineCounter; errors: AuthStudioError[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const errors = doc.errors.map((e) => {
    const { line, col } = lineCounter.linePos(e.pos[0]);
    const message = e.code === 'DUPLICATE_KEY' ? 'duplicate key: map keys must be unique' : `YAML syntax error: ${e.message}`;
    return new AuthStudioError('AS_ERR_CONFIG_YAML', message, { location: { file, line, column: col } });
  });
  return { doc, lineCounter, errors };
}

/** Joins a key path: `lua` + `features` -> `lua.features`; odd keys are quoted: `a["b c"]`. */
export function childPath(parent: string, key: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** One entry of a YAML map. */
export interface MapEntry {
  key: string;
  keyOffset: number | undefined;
  val: Val;
}

/** A cursor on one YAML value: its node (aliases followed), its key path and where it is written. */
export class Val {
  constructor(
    readonly ctx: ConfigContext,
    /** The value's node; null for a document without content. */
    readonly node: YamlNode | null,
    /** Key path such as `lua.features[0].script_path` ('' for the root). */
    readonly path: string,
    /** Offset of the value (of the alias, for an alias). */
    readonly offset: number | undefined,
    /** Offset of the key this value belongs to, when it is a map value. */
    readonly keyOffset?: number,
  ) {}

  /** A cursor on the document root. */
  static root(ctx: ConfigContext): Val {
    const node = ctx.doc.contents;
    return new Val(ctx, resolve(ctx, node), '', node?.range?.[0] ?? 0);
  }

  /** True for `key:` without a value, `~` and `null`. */
  get isNull(): boolean {
    return this.node === null || (isScalar(this.node) && this.node.value === null);
  }

  get isMap(): boolean {
    return isMap(this.node);
  }

  get isSeq(): boolean {
    return isSeq(this.node);
  }

  /** The scalar's value (string, number, boolean, null), or undefined for a collection. */
  get scalar(): unknown {
    return isScalar(this.node) ? this.node.value : undefined;
  }

  /** The scalar's source text (for a plain `0123` the digits as written), else undefined. */
  get sourceText(): string | undefined {
    return isScalar(this.node) ? this.node.source ?? String(this.node.value) : undefined;
  }

  /** True when the scalar's text came from `${VAR}` expansion. */
  get fromEnv(): boolean {
    return isScalar(this.node) && this.ctx.expanded.has(this.node);
  }

  /** Where the value is written; for an empty value, where its key is. */
  get location(): SourceLocation {
    return this.ctx.locate(this.isNull && this.keyOffset !== undefined ? this.keyOffset : this.offset);
  }

  /** Entries of a map, in written order (empty for anything else). Non-scalar keys are reported. */
  entries(): MapEntry[] {
    if (!isMap(this.node)) return [];
    const out: MapEntry[] = [];
    for (const pair of this.node.items) {
      const k = pair.key;
      const keyOffset = isScalar(k) || isMap(k) || isSeq(k) || isAlias(k) ? k.range?.[0] : undefined;
      if (!isScalar(k) || k.value === null || typeof k.value === 'object') {
        this.ctx.report('AS_ERR_CONFIG_TYPE', `expected a plain key at ${this.where()}`, this.path, keyOffset ?? this.offset);
        continue;
      }
      const key = String(k.value);
      const v = pair.value;
      const vNode = isScalar(v) || isMap(v) || isSeq(v) || isAlias(v) ? v : null;
      const valOffset = vNode?.range?.[0] ?? k.range?.[1];
      const path = this.ctx.keyPaths.get(k) ?? childPath(this.path, key);
      out.push({ key, keyOffset, val: new Val(this.ctx, resolve(this.ctx, vNode), path, valOffset, keyOffset) });
    }
    return out;
  }

  /** The value under `key` of a map, or undefined when absent. */
  child(key: string): Val | undefined {
    return this.entries().find((e) => e.key === key)?.val;
  }

  /** Items of a sequence (empty for anything else). */
  items(): Val[] {
    if (!isSeq(this.node)) return [];
    return this.node.items.map((item, i) => {
      const n = isScalar(item) || isMap(item) || isSeq(item) || isAlias(item) ? item : null;
      return new Val(this.ctx, resolve(this.ctx, n), `${this.path}[${i}]`, n?.range?.[0] ?? this.offset);
    });
  }

  /** The path for messages: `lua.features[0]`, or "the top level" for the root. */
  where(): string {
    return this.path === '' ? 'the top level' : this.path;
  }

  /** Reports an error at this value. Returns undefined. */
  fail(code: ErrorCode, message: string): undefined {
    if (isScalar(this.node) && this.ctx.envBroken.has(this.node)) return undefined;
    const loc = this.isNull && this.keyOffset !== undefined ? this.keyOffset : this.offset;
    return this.ctx.report(code, message, this.path, loc);
  }

  /** Reports an error at this value's key (falls back to the value). Returns undefined. */
  failAtKey(code: ErrorCode, message: string): undefined {
    return this.ctx.report(code, message, this.path, this.keyOffset ?? this.offset);
  }

  /** Reports `expected <what> at <path>, got <this value>[: <detail>]` (AS_ERR_CONFIG_TYPE). Returns undefined. */
  typeError(what: string, detail?: string): undefined {
    return this.fail('AS_ERR_CONFIG_TYPE', `expected ${what} at ${this.where()}, got ${this.describe()}${detail ? `: ${detail}` : ''}`);
  }

  /** This value in words: `a list`, `the string "abc"`, `the number 40`. */
  describe(): string {
    if (this.isNull) return 'no value';
    if (isMap(this.node)) return 'a map';
    if (isSeq(this.node)) return 'a list';
    const v = this.scalar;
    if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v)}`;
    if (typeof v === 'number') return `the number ${this.sourceText ?? v}`;
    if (typeof v === 'boolean') return `the boolean ${v}`;
    return `a value of type ${typeof v}`;
  }
}

function resolve(ctx: ConfigContext, node: YamlNode | null): YamlNode | null {
  let n: YamlNode | null | undefined = node;
  for (let depth = 0; n && isAlias(n) && depth < 32; depth++) n = n.resolve(ctx.doc);
  return n ?? null;
}
