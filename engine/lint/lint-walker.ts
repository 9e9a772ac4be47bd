// The scope-aware walk of a parsed script behind lintLua (lua-lint.ts): which locals stand for which host module
// (`local r = require("nauthilus_redis")`, `local nb = nauthilus_builtin`), which globals the script defines, and the
// findings on reads, fields, calls and Lua 5.3+ constructs.
import type { Chunk, Expression, FunctionDeclaration, Identifier, Node, Statement } from 'luaparse';
import { providedUnder, type HostApiData } from './host-api-data';
import { closest } from '../config/suggest';
import type { LintFinding, LintKind, LintOptions } from './lua-lint';

/** A local name: the host module it stands for, if any (a library table of the base is `lib:string`). */
interface Binding {
  module?: string;
}

type Use = 'read' | 'base' | 'call';

/** A block being walked: its statements, the one being walked, and how many function bodies enclose it. */
interface Frame {
  body: Statement[];
  index: number;
  fnDepth: number;
}

/** The statements that end a block's run (a guard `if not f then return end` keeps f non-nil after it). */
const ENDS_BLOCK = new Set(['ReturnStatement', 'BreakStatement', 'GotoStatement']);

/** Base-library names Lua 5.3/5.4 added: the engine has them, Nauthilus' gopher-lua (Lua 5.1) does not. */
const LUA53 = new Set(['math.type', 'math.tointeger', 'math.ult', 'math.maxinteger', 'math.mininteger', 'string.pack', 'string.unpack',
  'string.packsize', 'table.move', 'coroutine.isyieldable', 'coroutine.close', 'utf8', 'warn']);
const LUA53_OPERATORS = new Set(['//', '&', '|', '~', '<<', '>>']);

/** The text of a string literal from its source (quotes or long brackets removed; escapes kept as written). */
function literalText(raw: string): string {
  const long = /^\[(=*)\[\n?([\s\S]*)\]\1\]$/.exec(raw);
  return long ? long[2] : raw.slice(1, -1);
}

export class LintWalker {
  private readonly scopes: Array<Map<string, Binding>> = [];
  /** Per scope: names (`f`, `mod.f`) a truthiness test guards there (`if f then f() end`): they may be nil. */
  private readonly guards: Array<Set<string>> = [];
  private readonly frames: Frame[] = [];
  private fnDepth = 0;
  private readonly findings: LintFinding[] = [];
  private readonly definedGlobals = new Set<string>();
  private readonly writtenFields = new Set<string>();
  private readonly nauthilus: boolean;

  constructor(private readonly api: HostApiData, private readonly opts: LintOptions) {
    this.nauthilus = api.flavour === 'nauthilus';
  }

  run(chunk: Chunk): LintFinding[] {
    this.collectDefinitions(chunk);
    this.block(chunk.body);
    return this.findings;
  }

  /** Globals the script assigns anywhere (a function defined below its caller is defined when it runs). */
  private collectDefinitions(node: Node): void {
    if (node.type === 'AssignmentStatement') {
      for (const v of node.variables) {
        if (v.type === 'Identifier') this.definedGlobals.add(v.name);
        else if (v.type === 'MemberExpression') this.writtenFields.add(v.identifier.name);
      }
    }
    if (node.type === 'FunctionDeclaration' && node.identifier?.type === 'Identifier' && !node.isLocal) this.definedGlobals.add(node.identifier.name);
    if (node.type === 'FunctionDeclaration' && node.identifier?.type === 'MemberExpression') this.writtenFields.add(node.identifier.identifier.name);
    for (const [key, value] of Object.entries(node)) {
      if (key === 'loc' || key === 'range') continue;
      for (const child of Array.isArray(value) ? value : [value]) {
        if (child && typeof child === 'object' && typeof (child as Node).type === 'string') this.collectDefinitions(child as Node);
      }
    }
  }

  private report(node: Node, kind: LintKind, severity: LintFinding['severity'], message: string): void {
    const loc = node.loc!;
    this.findings.push({ kind, severity, message, line: loc.start.line, column: loc.start.column + 1, endLine: loc.end.line, endColumn: loc.end.column + 1 });
  }

  /** Why an item of another profile is missing here: the Nauthilus version lacks it, or AuthStudio does not provide it. */
  private where(item: { profiles: string[]; nauthilus?: string[] }): string {
    const name = this.nauthilus ? 'Nauthilus' : 'Dovecot';
    const versions = item.nauthilus ?? item.profiles;
    const have = versions.length ? `${name} ${versions.join(', ')} ${versions.length === 1 ? 'has' : 'have'} it` : 'no version has it';
    if (item.nauthilus && item.nauthilus.length && item.nauthilus.includes(this.opts.profile!)) return `not provided by AuthStudio under the Nauthilus ${this.opts.profile} profile (${have})`;
    const other = this.guessMayBeWrong(versions);
    if (!other) return `not in ${name} ${this.opts.profile}, this workspace's profile (${have})`;
    return `not in Nauthilus ${this.opts.profile}, the profile guessed from this workspace's config (${have}): if it targets Nauthilus ${other}, set nauthilus: "${other}" in the config`;
  }

  /**
   * The profile was detected from the config's layout, not named, and a version of the same layout (1.10 or 1.12;
   * 3.0 or 3.1) has the item: the mismatch may be the guess's. Returns that version.
   */
  private guessMayBeWrong(versions: string[]): string | undefined {
    if (!this.nauthilus || this.opts.profile === undefined || this.opts.profileExplicit !== false) return undefined;
    const major = this.opts.profile.split('.')[0];
    return versions.find((v) => v.split('.')[0] === major);
  }

  /** How bad a use of an item of another profile is: calling or indexing it raises, unless the profile may be guessed wrong. */
  private mismatchSeverity(item: { profiles: string[]; nauthilus?: string[] }, use: Use): LintFinding['severity'] {
    if (use === 'read') return 'warning';
    const missingHere = item.nauthilus && item.nauthilus.length && item.nauthilus.includes(this.opts.profile!);
    return this.guessMayBeWrong(item.nauthilus ?? item.profiles) && !missingHere ? 'warning' : 'error';
  }

  /** `f` or `mod.f` for a name or a dotted field; undefined for anything else. */
  private keyOf(e: Expression): string | undefined {
    if (e.type === 'Identifier') return e.name;
    if (e.type === 'MemberExpression' && e.indexer === '.') {
      const base = this.keyOf(e.base);
      return base && `${base}.${e.identifier.name}`;
    }
    return undefined;
  }

  /** What a condition being true proves non-nil: `f`, `f and g`, `f ~= nil`, `type(f) == "function"`. */
  private truthy(e: Expression): string[] {
    const key = this.keyOf(e);
    if (key) return [key];
    if (e.type === 'LogicalExpression' && e.operator === 'and') return [...this.truthy(e.left), ...this.truthy(e.right)];
    if (e.type === 'BinaryExpression' && e.operator === '~=') return this.nilCompared(e);
    if (e.type === 'BinaryExpression' && e.operator === '==') {
      const [call, lit] = e.left.type === 'StringLiteral' ? [e.right, e.left] : [e.left, e.right];
      if (lit.type === 'StringLiteral' && call.type === 'CallExpression' && call.base.type === 'Identifier' && call.base.name === 'type' && call.arguments.length === 1) {
        const k = this.keyOf(call.arguments[0]);
        return k ? [k] : [];
      }
    }
    return [];
  }

  /** What a condition being false proves non-nil: `not f`, `f == nil`, `not f or not g`. */
  private falsy(e: Expression): string[] {
    if (e.type === 'UnaryExpression' && e.operator === 'not') return this.truthy(e.argument);
    if (e.type === 'LogicalExpression' && e.operator === 'or') return [...this.falsy(e.left), ...this.falsy(e.right)];
    if (e.type === 'BinaryExpression' && e.operator === '==') return this.nilCompared(e);
    return [];
  }

  private nilCompared(e: Expression & { type: 'BinaryExpression' }): string[] {
    const other = e.left.type === 'NilLiteral' ? e.right : e.right.type === 'NilLiteral' ? e.left : undefined;
    const k = other && this.keyOf(other);
    return k ? [k] : [];
  }

  private guarded(key: string | undefined): boolean {
    return key !== undefined && this.guards.some((g) => g.has(key));
  }

  /** Walk `e` with `keys` guarded (a test's own names, or what the test proves in the branch it guards). */
  private withGuards(keys: string[], walk: () => void): void {
    this.guards.push(new Set(keys));
    try {
      walk();
    } finally {
      this.guards.pop();
    }
  }

  /**
   * The line of a `local NAME` / `local function NAME` that an enclosing block declares after the function body now
   * walked: there NAME still reads the global (Lua binds a local from its declaration on).
   */
  private laterLocal(name: string): number | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const f = this.frames[i];
      if (f.fnDepth >= this.fnDepth) continue;
      for (const st of f.body.slice(f.index + 1)) {
        if (st.type === 'LocalStatement' && st.variables.some((v) => v.name === name)) return st.loc!.start.line;
        if (st.type === 'FunctionDeclaration' && st.isLocal && st.identifier?.type === 'Identifier' && st.identifier.name === name) return st.loc!.start.line;
      }
    }
    return undefined;
  }

  private lookup(name: string): Binding | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const b = this.scopes[i].get(name);
      if (b) return b;
    }
    return undefined;
  }

  private declare(name: string, binding: Binding = {}): void {
    this.scopes[this.scopes.length - 1].set(name, binding);
  }

  private block(body: Statement[], declare?: () => void): void {
    this.scopes.push(new Map());
    this.guards.push(new Set());
    const frame: Frame = { body, index: 0, fnDepth: this.fnDepth };
    this.frames.push(frame);
    declare?.();
    for (; frame.index < body.length; frame.index++) this.statement(body[frame.index]);
    this.frames.pop();
    this.guards.pop();
    this.scopes.pop();
  }

  private statement(s: Statement): void {
    switch (s.type) {
      case 'LocalStatement':
        s.init.forEach((e) => this.expr(e, 'read'));
        s.variables.forEach((v, i) => this.declare(v.name, { module: s.init[i] ? this.moduleOf(s.init[i]) : undefined }));
        return;
      case 'AssignmentStatement':
        s.init.forEach((e) => this.expr(e, 'read'));
        s.variables.forEach((v, i) => {
          if (v.type === 'Identifier') {
            const b = this.lookup(v.name);
            if (b) b.module = s.init[i] ? this.moduleOf(s.init[i]) : undefined;
          } else if (v.type === 'MemberExpression') {
            this.expr(v.base, 'base');
          } else if (v.type === 'IndexExpression') {
            this.expr(v.base, 'base');
            this.expr(v.index, 'read');
          }
        });
        return;
      case 'CallStatement':
        this.expr(s.expression, 'read');
        return;
      case 'FunctionDeclaration':
        this.fn(s);
        return;
      case 'ReturnStatement':
        s.arguments.forEach((e) => this.expr(e, 'read'));
        return;
      case 'IfStatement': {
        for (const c of s.clauses) {
          if (c.type === 'ElseClause') {
            this.block(c.body);
            continue;
          }
          // a name the condition tests may be nil: neither the test nor the branch it guards is a finding
          const cond = c.condition;
          this.withGuards([...this.truthy(cond), ...this.falsy(cond)], () => this.expr(cond, 'read'));
          this.withGuards(this.truthy(cond), () => this.block(c.body));
        }
        // `if not f then return end`: f is non-nil in the rest of the block
        const only = s.clauses[0];
        const last = only.body[only.body.length - 1];
        if (s.clauses.length === 1 && only.type === 'IfClause' && last && (ENDS_BLOCK.has(last.type) || this.raises(last))) {
          for (const k of this.falsy(only.condition)) this.guards[this.guards.length - 1]?.add(k);
        }
        return;
      }
      case 'WhileStatement':
        this.expr(s.condition, 'read');
        this.block(s.body);
        return;
      case 'DoStatement':
        this.block(s.body);
        return;
      case 'RepeatStatement': {
        // `until` sees the body's locals
        this.scopes.push(new Map());
        this.guards.push(new Set());
        const frame: Frame = { body: s.body, index: 0, fnDepth: this.fnDepth };
        this.frames.push(frame);
        for (; frame.index < s.body.length; frame.index++) this.statement(s.body[frame.index]);
        this.expr(s.condition, 'read');
        this.frames.pop();
        this.guards.pop();
        this.scopes.pop();
        return;
      }
      case 'ForNumericStatement':
        [s.start, s.end, s.step].forEach((e) => e && this.expr(e, 'read'));
        this.block(s.body, () => this.declare(s.variable.name));
        return;
      case 'ForGenericStatement':
        s.iterators.forEach((e) => this.expr(e, 'read'));
        this.block(s.body, () => s.variables.forEach((v) => this.declare(v.name)));
        return;
      default:
        return; // labels, goto, break
    }
  }

  private fn(f: FunctionDeclaration): void {
    const id = f.identifier;
    if (id?.type === 'Identifier' && f.isLocal) this.declare(id.name);
    else if (id?.type === 'MemberExpression') this.expr(id.base, 'base');
    this.fnDepth++;
    try {
      this.block(f.body, () => {
        if (id?.type === 'MemberExpression' && id.indexer === ':') this.declare('self');
        for (const p of f.parameters) if (p.type === 'Identifier') this.declare(p.name);
      });
    } finally {
      this.fnDepth--;
    }
  }

  /** `error(...)` as a statement: the block ends there. */
  private raises(s: Statement): boolean {
    return s.type === 'CallStatement' && s.expression.type === 'CallExpression' && s.expression.base.type === 'Identifier' && s.expression.base.name === 'error' && !this.lookup('error');
  }

  /** The host module an expression stands for: a module global, a local bound to one, `require("name")`, `mod.sub`. */
  private moduleOf(e: Expression): string | undefined {
    if (e.type === 'Identifier') {
      const b = this.lookup(e.name);
      if (b) return b.module;
      if (this.api.modules[e.name]?.global) return e.name;
      return this.api.globals[e.name]?.members ? `lib:${e.name}` : undefined;
    }
    if (e.type === 'MemberExpression' && e.indexer === '.') {
      const base = this.moduleOf(e.base);
      const sub = base && `${base}.${e.identifier.name}`;
      return sub && this.api.modules[sub] ? sub : undefined;
    }
    const name = this.requiredName(e);
    if (name && this.opts.userModules?.has(name)) return `user:${name}`;
    return name && this.api.modules[name] ? name : undefined;
  }

  /** The module name of `require("name")` / `require "name"` (the global require, not a local of that name). */
  private requiredName(e: Expression): string | undefined {
    if ((e.type !== 'CallExpression' && e.type !== 'StringCallExpression') || e.base.type !== 'Identifier' || e.base.name !== 'require' || this.lookup('require')) return undefined;
    const arg = e.type === 'CallExpression' ? e.arguments[0] : e.argument;
    return arg?.type === 'StringLiteral' ? literalText(arg.raw) : undefined;
  }

  private expr(e: Expression, use: Use): void {
    switch (e.type) {
      case 'Identifier':
        this.identifier(e, use);
        return;
      case 'MemberExpression':
        this.expr(e.base, 'base');
        this.field(e.base, e.identifier, use);
        return;
      case 'IndexExpression':
        this.expr(e.base, 'base');
        this.expr(e.index, 'read');
        return;
      case 'CallExpression':
      case 'StringCallExpression':
      case 'TableCallExpression': {
        this.expr(e.base, 'call');
        const args = e.type === 'CallExpression' ? e.arguments : e.type === 'StringCallExpression' ? [e.argument] : [e.arguments];
        args.forEach((a) => this.expr(a, 'read'));
        this.call(e, args);
        return;
      }
      case 'FunctionDeclaration':
        this.fn(e);
        return;
      case 'TableConstructorExpression':
        for (const f of e.fields) {
          if (f.type === 'TableKey') this.expr(f.key, 'read');
          this.expr(f.value, 'read');
        }
        return;
      case 'BinaryExpression':
        if (this.nauthilus && LUA53_OPERATORS.has(e.operator)) this.report(e, 'lua-version', 'warning', `the operator ${e.operator} is Lua 5.3+: Nauthilus (Lua 5.1) cannot compile this script`);
        this.expr(e.left, 'read');
        this.expr(e.right, 'read');
        return;
      case 'LogicalExpression': {
        // `f and f()`: the left side's test guards the right side
        const tested = e.operator === 'and' ? this.truthy(e.left) : this.falsy(e.left);
        this.withGuards(this.keyOf(e.left) ? tested : [], () => this.expr(e.left, 'read'));
        this.withGuards(tested, () => this.expr(e.right, 'read'));
        return;
      }
      case 'UnaryExpression':
        if (this.nauthilus && e.operator === '~') this.report(e, 'lua-version', 'warning', 'the operator ~ (bitwise not) is Lua 5.3+: Nauthilus (Lua 5.1) cannot compile this script');
        this.expr(e.argument, 'read');
        return;
      default:
        return; // literals, ...
    }
  }

  /** A global read: known to the profile's VM, or defined by the script; calling or indexing an unknown one fails. */
  private identifier(id: Identifier, use: Use): void {
    if (this.lookup(id.name) || this.definedGlobals.has(id.name)) return;
    if (id.name === 'io') {
      // the engine opens io only with server.lua_allow_io; the studio does not know the setting: a warning either way
      if (this.opts.allowIo || !this.nauthilus) return;
      return this.report(id, 'undefined-global', 'warning', `'io' is nil unless the workspace sets server.lua_allow_io: true`);
    }
    const known = this.api.globals[id.name] ?? this.api.modules[id.name];
    if (known && providedUnder(known.profiles, this.opts.profile)) {
      if (this.nauthilus && LUA53.has(id.name)) this.report(id, 'lua-version', 'warning', `${id.name} is Lua 5.3+: Nauthilus (Lua 5.1) does not have it`);
      return;
    }
    // a test made sure it is there (`if f then f() end`)
    if (this.guarded(id.name)) return;
    if (known) return this.report(id, 'undefined-global', this.mismatchSeverity(known, use), `'${id.name}' is ${this.where(known)}`);
    // used in a function body above a `local NAME` of an enclosing block: the script loads; only this path fails
    const later = this.laterLocal(id.name);
    if (later !== undefined) return this.report(id, 'undefined-global', 'warning', `'${id.name}' here is the global: its local declaration at line ${later} comes later`);
    // calling or indexing it raises when the script runs; a plain read silently gives nil
    const severity = use === 'read' ? 'warning' : 'error';
    const names = new Set([...Object.keys(this.api.globals), ...Object.entries(this.api.modules).filter(([, m]) => m.global).map(([n]) => n), ...this.definedGlobals]);
    for (const s of this.scopes) for (const n of s.keys()) names.add(n);
    const hint = closest(id.name, [...names]);
    this.report(id, 'undefined-global', severity, `undefined global '${id.name}'${hint ? ` (did you mean '${hint}'?)` : ''}`);
  }

  /** `base.name` where base is a host module or a base library table: the field must exist under the profile. */
  private field(base: Expression, id: Identifier, use: Use): void {
    const mod = this.moduleOf(base);
    if (!mod || this.writtenFields.has(id.name)) return;
    const baseKey = this.keyOf(base);
    if (this.guarded(baseKey && `${baseKey}.${id.name}`)) return;
    if (mod.startsWith('user:')) {
      // the workspace's own module file replaces the built-in one: its exported fields count, if they can be told
      const name = mod.slice(5);
      const fields = this.opts.userModules!.get(name);
      if (!fields || fields.includes(id.name)) return;
      const hint = closest(id.name, [...fields]);
      return this.report(id, 'unknown-field', use === 'read' ? 'warning' : 'error', `${name} (the workspace's own module) has no field '${id.name}'${use === 'read' ? ' (it reads nil)' : ''}${hint ? ` (did you mean '${name}.${hint}'?)` : ''}`);
    }
    if (mod.startsWith('lib:')) {
      const lib = mod.slice(4);
      const members = this.api.globals[lib].members!;
      if (members[id.name]) {
        if (this.nauthilus && LUA53.has(`${lib}.${id.name}`)) this.report(id, 'lua-version', 'warning', `${lib}.${id.name} is Lua 5.3+: Nauthilus (Lua 5.1) does not have it`);
        return;
      }
      const hint = closest(id.name, Object.keys(members));
      return this.report(id, 'unknown-field', use === 'read' ? 'warning' : 'error', `${lib} has no field '${id.name}'${use === 'read' ? ' (it reads nil)' : ''}${hint ? ` (did you mean '${lib}.${hint}'?)` : ''}`);
    }
    const members = this.api.modules[mod].members;
    const m = members[id.name];
    if (m && providedUnder(m.profiles, this.opts.profile)) return;
    if (m) return this.report(id, 'unknown-field', this.mismatchSeverity(m, use), `${mod}.${id.name} is ${this.where(m)}`);
    const hint = closest(id.name, Object.keys(members).filter((k) => providedUnder(members[k].profiles, this.opts.profile)));
    // calling or indexing it raises when the script runs; a plain read silently gives nil
    const reads = use === 'read' ? ' (it reads nil)' : '';
    this.report(id, 'unknown-field', use === 'read' ? 'warning' : 'error', `${mod} has no field '${id.name}'${reads}${hint ? ` (did you mean '${mod}.${hint}'?)` : ''}`);
  }

  /** Argument counts of host functions whose docs say them; require of a module the profile lacks. */
  private call(e: Expression & { base: Expression }, args: Expression[]): void {
    const required = this.requiredName(e);
    if (required && !this.opts.userModules?.has(required) && this.api.modules[required] && !providedUnder(this.api.modules[required].profiles, this.opts.profile)) {
      this.report(e, 'unknown-field', 'warning', `module ${required} is ${this.where(this.api.modules[required])}`);
    }
    const base = e.base;
    if (base.type !== 'MemberExpression') return;
    const mod = this.moduleOf(base.base);
    if (base.indexer !== '.' || !mod || mod.startsWith('lib:') || mod.startsWith('user:')) return;
    const spec = this.api.modules[mod].members[base.identifier.name]?.args;
    if (!spec) return;
    const [min, max] = spec;
    const last = args[args.length - 1];
    const open = last && ['CallExpression', 'StringCallExpression', 'TableCallExpression', 'VarargLiteral'].includes(last.type);
    const fixed = open ? args.length - 1 : args.length;
    const tooFew = !open && fixed < min;
    const tooMany = max !== -1 && fixed > max;
    if (!tooFew && !tooMany) return;
    const wants = max === -1 ? `at least ${min}` : min === max ? `${min}` : `${min} to ${max}`;
    this.report(e, 'argument-count', 'warning', `${mod}.${base.identifier.name} takes ${wants} argument${wants === '1' ? '' : 's'}, ${fixed} given`);
  }

}
