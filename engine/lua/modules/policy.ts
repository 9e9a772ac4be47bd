// `nauthilus_policy` (Nauthilus 3.0, server/lualib/policy.go and server/policy/compiler/lua_registry.go, v3.0.1):
//   - in environment sources, Lua backends and subject sources: emit_attribute{ id, value, details } records a
//     Lua-owned policy attribute a registry script declared, for the current stage; emit_master_user{ active, ... }
//     records the built-in auth.master_user.active (Lua backends);
//   - in the registry scripts of auth.policy.registry_scripts (run once per config load):
//     register_attribute{ id, stage, type, category, operations, details, description } declares one.
// Elsewhere (hooks, actions, init scripts) the emitters raise, as Nauthilus's stateless loader does.
import type { LuaModule, ModuleHost } from '../module';
import type { StageKind } from '../../api/contract-types';
import { parseCidr, parseIp } from '../../policy/config';
import { ATTRIBUTE_TYPES, OPERATIONS, STAGES, type AttributeDefinition, type AttributeType, type PolicyStage } from '../../policy/types';

const NOT_AVAILABLE = 'nauthilus_policy emitter is not available in this Lua runtime';

/** Registry scripts running now, by the pool name of their VM (see engine/policy/registry.ts). */
export const REGISTRY_RUNS = new Map<string, Map<string, AttributeDefinition>>();

/** The policy stage a Lua stage emits in (lualib LoaderModPolicy is bound per stage). */
const STAGE_OF: Partial<Record<StageKind, PolicyStage>> = { feature: 'pre_auth', backend: 'auth_backend', filter: 'subject_analysis' };

function table(fn: string, v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object') throw new Error(`bad argument #1 to ${fn} (table expected, got ${v === undefined || v === null ? 'nil' : typeof v})`);
  return v as Record<string, unknown>;
}

/** A Lua sequence as a JS array (wasmoon gives arrays or objects with 1..n keys). */
function seq(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const out: unknown[] = [];
  for (let i = 1; o[i] !== undefined; i++) out.push(o[i]);
  return out.length === Object.keys(o).length ? out : undefined;
}

/** lualib/policy.go luaPolicyTypedValue. */
function typed(value: unknown, type: AttributeType, what: string): unknown {
  const bad = (): never => {
    throw new Error(`${what} value must be ${type}`);
  };
  switch (type) {
    case 'bool':
      return typeof value === 'boolean' ? value : bad();
    case 'string':
      return typeof value === 'string' ? value : bad();
    case 'number':
      return typeof value === 'number' ? value : bad();
    case 'string_list': {
      const list = seq(value);
      return list && list.every((x) => typeof x === 'string') ? list : bad();
    }
    case 'ip':
      return typeof value === 'string' && parseIp(value) ? value : bad();
    case 'cidr':
      return typeof value === 'string' && parseCidr(value) ? value : bad();
    case 'datetime': {
      const t = typeof value === 'string' ? Date.parse(value) : NaN;
      return Number.isNaN(t) ? bad() : new Date(t);
    }
  }
}

function emitter(host: ModuleHost, fn: string) {
  const call = host.call;
  const sink = call?.policy;
  if (!call || !sink) throw new Error(NOT_AVAILABLE);
  // hooks, actions and post actions have no policy stage: lualib's stateless loader raises there
  const stage = call.stage ? STAGE_OF[call.stage] : undefined;
  if (!stage) throw new Error(NOT_AVAILABLE);
  return {
    sink,
    /** validateRegisteredEmissionTarget: registered, right stage, right operation. */
    target(id: string, source: AttributeDefinition['source']): AttributeDefinition {
      const d = sink.definitions.get(id);
      if (!d) throw new Error(`policy attribute "${id}" is not registered`);
      if (d.source !== source) throw new Error(`policy attribute "${id}" is not ${source === 'lua' ? 'Lua-owned' : 'built-in'}`);
      if (d.stage !== stage) throw new Error(`policy attribute "${id}" cannot be emitted from stage "${stage}" (${fn})`);
      if (d.operations && !d.operations.includes(sink.facts.operation)) throw new Error(`policy attribute "${id}" cannot be emitted for operation "${sink.facts.operation}"`);
      return d;
    },
  };
}

interface ParsedAttribute { id: string; value: unknown; details?: Record<string, unknown> }

/** PolicyEmitter.parseAttribute: a registered Lua-owned attribute of this stage, its value and details typed. */
function parseAttribute(e: ReturnType<typeof emitter>, fn: string, t: Record<string, unknown>): ParsedAttribute {
  const id = typeof t.id === 'string' ? t.id.trim() : '';
  if (!id) throw new Error(`bad argument #1 to ${fn} (id must be a non-empty string)`);
  const d = e.target(id, 'lua');
  const value = typed(t.value, d.type, `policy attribute "${id}"`);
  let details: Record<string, unknown> | undefined;
  if (t.details !== undefined && t.details !== null) {
    details = {};
    for (const [name, dv] of Object.entries(table(fn, t.details))) {
      const dt = d.details?.[name];
      if (!dt) throw new Error(`policy attribute "${id}" has no detail "${name}"`);
      details[name] = typed(dv, dt, `policy attribute "${id}" detail "${name}"`);
    }
  }
  return { id, value, details };
}

function registerAttribute(host: ModuleHost, arg: unknown): void {
  const into = REGISTRY_RUNS.get(host.poolName);
  if (!into) throw new Error('register_attribute is only available in auth.policy.registry_scripts');
  const t = table('register_attribute', arg);
  const id = typeof t.id === 'string' ? t.id.trim() : '';
  if (!id) throw new Error('attribute id must not be empty');
  const stage = t.stage as PolicyStage;
  if (!STAGES.includes(stage)) throw new Error(`attribute ${id} has invalid stage`);
  let operations: AttributeDefinition['operations'] = ['authenticate'];
  if (t.operations !== undefined) {
    const ops = seq(t.operations);
    if (!ops) throw new Error(`attribute ${id} has invalid operations: must be a table`);
    if (ops.length === 0) throw new Error(`attribute ${id} has invalid operations: must not be empty`);
    for (const op of ops) if (!OPERATIONS.includes(op as never)) throw new Error(`attribute ${id} has invalid operations: unknown operation "${String(op)}"`);
    if (new Set(ops).size !== ops.length) throw new Error(`attribute ${id} has invalid operations: duplicate operation`);
    operations = ops as AttributeDefinition['operations'];
  }
  if (t.type === undefined) throw new Error(`attribute ${id} has invalid type: must not be empty`);
  if (!ATTRIBUTE_TYPES.includes(t.type as never)) throw new Error(`attribute ${id} has invalid type: unknown type "${String(t.type)}"`);
  if (t.category === undefined) throw new Error(`attribute ${id} has invalid category: must not be empty`);
  if (!['environment', 'subject', 'resource'].includes(String(t.category))) throw new Error(`attribute ${id} has invalid category: unknown category "${String(t.category)}"`);
  const details: Record<string, AttributeType> = {};
  if (t.details !== undefined) {
    if (t.details === null || typeof t.details !== 'object') throw new Error(`attribute ${id} has invalid details: must be a table`);
    for (const [name, dv] of Object.entries(t.details as Record<string, unknown>)) {
      const dt = typeof dv === 'string' ? dv : dv && typeof dv === 'object' ? (dv as Record<string, unknown>).type : undefined;
      if (!ATTRIBUTE_TYPES.includes(dt as never)) throw new Error(`attribute ${id} has invalid details: ${name}: unknown type "${String(dt)}"`);
      details[name] = dt as AttributeType;
    }
  }
  if (into.has(id)) throw new Error(`policy attribute "${id}" is already registered`);
  into.set(id, { id, stage, type: t.type as AttributeType, source: 'lua', operations, details });
}

export const policyModule: LuaModule = {
  name: 'nauthilus_policy',
  summary: 'Nauthilus 3.x policy facts: emit_attribute / emit_master_user in sources and backends; register_attribute in registry scripts.',
  install(host) {
    return {
      functions: {
        emit_attribute: (arg: unknown) => {
          const e = emitter(host, 'emit_attribute');
          const a = parseAttribute(e, 'emit_attribute', table('emit_attribute', arg));
          e.sink.facts.set(a.id, a.value, a.details);
        },
        // Nauthilus 3.1: a batch, every entry validated before any is recorded
        ...(host.services.profile === '3.1' ? {
          emit_attributes: (arg: unknown) => {
            const e = emitter(host, 'emit_attributes');
            const list = table('emit_attributes', arg);
            const parsed: ParsedAttribute[] = [];
            // the sequence part 1..#t, as table.Len() counts it
            const entries: unknown[] = Array.isArray(list) ? list : [];
            if (!Array.isArray(list)) for (let i = 1; list[i] !== undefined; i++) entries.push(list[i]);
            entries.forEach((entry, i) => {
              if (entry === null || typeof entry !== 'object') throw new Error(`bad argument #1 to emit_attributes (entry ${i + 1} must be a table)`);
              parsed.push(parseAttribute(e, 'emit_attributes', entry as Record<string, unknown>));
            });
            for (const a of parsed) e.sink.facts.set(a.id, a.value, a.details);
          },
        } : {}),
        emit_master_user: (arg: unknown) => {
          const e = emitter(host, 'emit_master_user');
          const t = table('emit_master_user', arg);
          e.target('auth.master_user.active', 'builtin');
          if (t.active !== undefined && typeof t.active !== 'boolean') throw new Error('policy attribute "auth.master_user.active" value must be bool');
          const details: Record<string, unknown> = {};
          for (const k of ['backend', 'master_user', 'target_user']) if (typeof t[k] === 'string') details[k] = t[k];
          e.sink.facts.set('auth.master_user.active', t.active ?? true, details);
        },
        register_attribute: (arg: unknown) => registerAttribute(host, arg),
      },
    };
  },
};
