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
    return `not in ${name} ${this.opts.profile}, this workspace's profile (${have})`;
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
    declare?.();
    for (const s of body) this.statement(s);
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
      case 'IfStatement':
        for (const c of s.clauses) {
          if (c.type !== 'ElseClause') this.expr(c.condition, 'read');
          this.block(c.body);
        }
        return;
      case 'WhileStatement':
        this.expr(s.condition, 'read');
        this.block(s.body);
        return;
      case 'DoStatement':
        this.block(s.body);
        return;
      case 'RepeatStatement':
        // `until` sees the body's locals
        this.scopes.push(new Map());
        for (const x of s.body) this.statement(x);
        this.expr(s.condition, 'read');
        this.scopes.pop();
        return;
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
    this.block(f.body, () => {
      if (id?.type === 'MemberExpression' && id.indexer === ':') this.declare('self');
      for (const p of f.parameters) if (p.type === 'Identifier') this.declare(p.name);
    });
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
      case 'LogicalExpression':
        this.expr(e.left, 'read');
        this.expr(e.right, 'read');
        return;
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
    // calling or indexing it raises when the script runs; a plain read silently gives nil
    const severity = use === 'read' ? 'warning' : 'error';
    if (known) return this.report(id, 'undefined-global', severity, `'${id.name}' is ${this.where(known)}`);
    const names = new Set([...Object.keys(this.api.globals), ...Object.entries(this.api.modules).filter(([, m]) => m.global).map(([n]) => n), ...this.definedGlobals]);
    for (const s of this.scopes) for (const n of s.keys()) names.add(n);
    const hint = closest(id.name, [...names]);
    this.report(id, 'undefined-global', severity, `undefined global '${id.name}'${hint ? ` (did you mean '${hint}'?)` : ''}`);
  }

  /** `base.name` where base is a host module or a base library table: the field must exist under the profile. */
  private field(base: Expression, id: Identifier, use: Use): void {
    const mod = this.moduleOf(base);
    if (!mod || this.writtenFields.has(id.name)) return;
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
    if (m) return this.report(id, 'unknown-field', use === 'read' ? 'warning' : 'error', `${mod}.${id.name} is ${this.where(m)}`);
    const hint = closest(id.name, Object.keys(members).filter((k) => providedUnder(members[k].profiles, this.opts.profile)));
    // calling or indexing it raises when the script runs; a plain read silently gives nil
    const reads = use === 'read' ? ' (it reads nil)' : '';
    this.report(id, 'unknown-field', use === 'read' ? 'warning' : 'error', `${mod} has no field '${id.name}'${reads}${hint ? ` (did you mean '${mod}.${hint}'?)` : ''}`);
  }

  /** Argument counts of host functions whose docs say them; require of a module the profile lacks. */
  private call(e: Expression & { base: Expression }, args: Expression[]): void {
    const required = this.requiredName(e);
    if (required && this.api.modules[required] && !providedUnder(this.api.modules[required].profiles, this.opts.profile)) {
      this.report(e, 'unknown-field', 'warning', `module ${required} is ${this.where(this.api.modules[required])}`);
    }
    const base = e.base;
    if (base.type !== 'MemberExpression') return;
    const mod = this.moduleOf(base.base);
    if (base.indexer !== '.' || !mod || mod.startsWith('lib:')) return;
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
