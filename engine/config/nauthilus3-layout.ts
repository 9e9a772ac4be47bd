// Reads a Nauthilus 3.x config file (top-level runtime, observability, storage, auth, identity) by rewriting it, at
// the YAML node level, into the 1.x layout the engine validates. The original nodes are reused, so every error points
// at the line the user wrote, and moved keys carry their 3.x path (`auth.controls.brute_force.buckets[0].period`).
//
//   auth.controls.brute_force.buckets[0]  --(nauthilus3-schema tables)-->  brute_force.buckets[0]   (same node)

import { isScalar, Pair, Scalar, YAMLMap, YAMLSeq, type Node as YamlNode } from 'yaml';
import { AuthStudioError } from '../errors/registry';
import { list, oneOf } from './schema';
import { closest } from './suggest';
import { CONTROL_NAMES, SERVICE_NAMES, V1_SECTIONS, V3_SECTIONS, nauthilus3Root, type Layout, type Rule } from './nauthilus3-schema';
import { Val, type ConfigContext, type MapEntry } from './yaml-source';
import { parsePolicy } from '../policy/config';
import type { PolicyConfig } from '../policy/types';

/** Where one synthetic 1.x map sits. */
interface Place { map: YAMLMap }

/** What a rewrite found besides the 1.x document. */
export interface Nauthilus3Result {
  /** The rewritten document (1.x layout) as a cursor for the 1.x validators. */
  root: Val;
  /** Warnings: sections not served by AuthStudio, keys it does not apply yet. */
  warnings: AuthStudioError[];
  /** Whether the file has a 3.1-only section (`plugins`). */
  uses31: boolean;
  /** auth.policy, read for the policy layer (undefined without one or after reporting a problem). */
  policy?: PolicyConfig;
}

/** Builds the 1.x document from the 3.x one, rule by rule (see nauthilus3-schema.ts). */
export class LayoutBuilder {
  readonly root = new YAMLMap();
  /** `[3.x path, offset]` of sections AuthStudio does not serve (identity, plugins). */
  readonly notServed: Array<{ path: string; offset: number | undefined }> = [];
  /** Keys present that AuthStudio accepts but does not apply, with why. */
  readonly unsupported: Array<{ path: string; offset: number | undefined; why: string }> = [];
  /** Whether auth.controls.enabled / auth.services.enabled were given. */
  controlsListed = false;
  servicesListed = false;

  constructor(readonly ctx: ConfigContext) {}

  /** Applies `layout` to the 3.x map `v`, writing into `target`. */
  walk(v: Val, layout: Layout, target: Place): void {
    if (!v.isMap && !v.isNull) {
      v.typeError('a map');
      return;
    }
    const entries = v.entries();
    for (const e of entries) {
      const rule = Object.prototype.hasOwnProperty.call(layout.keys, e.key) ? layout.keys[e.key] : undefined;
      if (rule !== undefined) this.apply(rule, e, target);
      else if (layout.passRest) this.put(target, [e.key], e, e.val.node);
      else {
        const hint = closest(e.key, Object.keys(layout.keys).filter((k) => !layout.hidden?.includes(k)));
        const r = hint === undefined ? undefined : layout.keys[hint];
        if (r?.kind === 'to' && /^[a-z_0-9]+$/.test(r.to)) {
          const set = this.ctx.suggestedKeys.get(target.map) ?? new Set<string>();
          this.ctx.suggestedKeys.set(target.map, set.add(r.to));
        }
        this.ctx.report('AS_ERR_CONFIG_UNKNOWN_KEY', `unknown key "${e.key}" at ${v.where()}${hint === undefined ? '' : ` (did you mean "${hint}"?)`}`, e.val.path, e.keyOffset);
      }
    }
  }

  private apply(rule: Rule, e: MapEntry, target: Place): void {
    switch (rule.kind) {
      case 'ignore':
        return;
      case 'notServed':
        this.notServed.push({ path: e.val.path, offset: e.keyOffset });
        return;
      case 'unsupported':
        if (!isEmpty(e.val)) this.unsupported.push({ path: e.val.path, offset: e.keyOffset, why: rule.why });
        return;
      case 'group':
        this.walk(e.val, rule.layout, target);
        return;
      case 'custom':
        rule.apply(e, this);
        return;
      case 'to':
        this.applyTo(rule, e, target);
    }
  }

  private applyTo(rule: Extract<Rule, { kind: 'to' }>, e: MapEntry, target: Place): void {
    const v = e.val;
    const layout = rule.layout;
    if (layout === undefined || (rule.each === undefined && !v.isMap && !v.isNull) || (rule.each === 'items' && !v.isSeq) || (rule.each === 'values' && !v.isMap)) {
      // as written: the 1.x validator judges it (a scalar Redis URL, a list where a map belongs ...)
      this.put(target, rule.to, e, v.node);
      return;
    }
    if (rule.each === 'items') {
      const seq = withRange(new YAMLSeq(), v.node);
      for (const iv of v.items()) {
        if (!iv.isMap) seq.items.push(iv.node);
        else seq.items.push(this.rewriteMap(iv, layout));
      }
      this.put(target, rule.to, e, seq);
      return;
    }
    if (rule.each === 'values') {
      const out = withRange(new YAMLMap(), v.node);
      for (const ve of v.entries()) {
        const sub = ve.val.isMap || ve.val.isNull ? this.rewriteMap(ve.val, layout) : ve.val.node;
        out.items.push(new Pair(keyNode(ve.key, ve.keyOffset), sub));
      }
      this.put(target, rule.to, e, out);
      return;
    }
    const missing = (layout.required ?? []).filter((k) => v.child(k) === undefined || v.child(k)?.isNull);
    for (const k of missing) v.fail('AS_ERR_CONFIG_MISSING', `missing required key "${k}" at ${v.where()}`);
    if (missing.length) {
      this.walk(v, layout, { map: new YAMLMap() }); // still report what else is wrong inside
      return;
    }
    const place = this.put(target, rule.to, e, withRange(new YAMLMap(), v.node));
    this.walk(v, layout, { map: place as YAMLMap });
  }

  private rewriteMap(v: Val, layout: Layout): YAMLMap {
    const m = withRange(new YAMLMap(), v.node);
    this.walk(v, layout, { map: m });
    return m;
  }

  /**
   * Puts `value` at the 1.x path `to` (relative to `target`, or to the root with a leading "/"; an array is one
   * key per item, as written), under a key that
   * points at the 3.x key `e` and carries its 3.x path. Maps on the way are created. Returns the value put.
   */
  put(target: Place, to: string | string[], e: Pick<MapEntry, 'keyOffset' | 'val'>, value: YamlNode | null): YamlNode | null {
    const segs = Array.isArray(to) ? to : to.replace(/^\//, '').split('.');
    let map = typeof to === 'string' && to.startsWith('/') ? this.root : target.map;
    for (const seg of segs.slice(0, -1)) {
      const found = map.items.find((p) => isScalar(p.key) && p.key.value === seg);
      if (found && found.value instanceof YAMLMap) {
        map = found.value;
        continue;
      }
      const next = new YAMLMap();
      map.items.push(new Pair(keyNode(seg, e.keyOffset), next));
      map = next;
    }
    const last = segs[segs.length - 1];
    const key = keyNode(last, e.keyOffset);
    this.ctx.keyPaths.set(key, e.val.path);
    map.items.push(new Pair(key, value));
    return value;
  }

  /** The synthetic list at `server.features` (created on first use). */
  featureList(offset: number | undefined): YAMLSeq {
    let server = this.root.items.find((p) => isScalar(p.key) && p.key.value === 'server')?.value as YAMLMap | undefined;
    if (!(server instanceof YAMLMap)) {
      server = new YAMLMap();
      this.root.items.push(new Pair(keyNode('server', offset), server));
    }
    let seq = server.items.find((p) => isScalar(p.key) && p.key.value === 'features')?.value;
    if (!(seq instanceof YAMLSeq)) {
      seq = new YAMLSeq();
      server.items.push(new Pair(keyNode('features', offset), seq));
    }
    return seq as YAMLSeq;
  }
}

const controlName = list(oneOf(CONTROL_NAMES), { scalarOk: true });
const serviceName = list(oneOf(SERVICE_NAMES), { scalarOk: true });

/** auth.controls.enabled: Nauthilus 3.x control names are 1.x feature names. */
function controlsEnabled(e: MapEntry, b: LayoutBuilder): void {
  // `enabled:` without a value is the same as no list
  if (e.val.isNull) return;
  b.controlsListed = true;
  if (controlName(e.val) === undefined) return;
  const seq = b.featureList(e.keyOffset);
  for (const iv of e.val.isSeq ? e.val.items() : [e.val]) seq.items.push(iv.node);
}

/** auth.services.enabled: backend_health_checks is 1.x's backend_server_monitoring feature. */
function servicesEnabled(e: MapEntry, b: LayoutBuilder): void {
  if (e.val.isNull) return;
  b.servicesListed = true;
  if (serviceName(e.val) === undefined) return;
  const seq = b.featureList(e.keyOffset);
  for (const iv of e.val.isSeq ? e.val.items() : [e.val]) seq.items.push(withRange(new Scalar('backend_server_monitoring'), iv.node));
}

/** Backends of auth.backends.order AuthStudio leaves out, with why (Nauthilus 3.x config/types.go Backend.Set names). */
const LEFT_OUT: Array<[RegExp, string]> = [
  [/^remote(\(.*\))?$/, 'a remote Nauthilus authority over gRPC'],
  [/^ldap(\(.*\))?$/, 'the LDAP password backend with auth.backends.ldap.search; the LDAP pools only serve nauthilus_ldap in Lua'],
  [/^plugin(\(.*\))?$/, 'a Nauthilus 3.1 Go plugin backend'],
];

/**
 * auth.backends.order -> server.backends. Backends AuthStudio does not serve (remote, ldap, Go plugins) are left out
 * with a warning; `test(<name>)` is the in-memory test backend; every other name goes to the 1.x validator as written.
 */
function backendOrder(e: MapEntry, b: LayoutBuilder): void {
  if (!e.val.isSeq) {
    b.put({ map: b.root }, '/server.backends', e, e.val.node);
    return;
  }
  const seq = new YAMLSeq();
  if (e.val.node?.range) seq.range = [...e.val.node.range];
  for (const iv of e.val.items()) {
    const name = typeof iv.scalar === 'string' ? iv.scalar.trim() : undefined;
    const out = name === undefined ? undefined : LEFT_OUT.find(([re]) => re.test(name));
    if (out) b.unsupported.push({ path: iv.path, offset: iv.offset, why: `backend "${name}" is not served by AuthStudio (${out[1]}): left out of the order` });
    else if (name !== undefined && /^test\(.*\)$/.test(name)) seq.items.push(withRange(new Scalar('test'), iv.node));
    else seq.items.push(iv.node);
  }
  const passwordBackends = seq.items.filter((n) => !(isScalar(n) && n.value === 'cache'));
  if (passwordBackends.length === 0 && e.val.items().length > 0) {
    b.unsupported.push({ path: e.val.path, offset: e.keyOffset, why: 'no backend AuthStudio serves is left: every login is a temporary failure ("no backend answered")' });
  }
  b.put({ map: b.root }, '/server.backends', e, seq);
}

const ROOT = nauthilus3Root(controlsEnabled, servicesEnabled, backendOrder);
/** The 3.x top level, for the editor's JSON Schema (engine/config/config-json-schema.ts). */
export const NAUTHILUS3_ROOT_FOR_SCHEMA: Layout = ROOT;

/** True when the root map has a 3.x section. */
export function isNauthilus3Layout(root: Val): boolean {
  return root.isMap && root.entries().some((e) => (V3_SECTIONS as readonly string[]).includes(e.key));
}

/** Rewrites a 3.x document into the 1.x layout; errors go to `root.ctx`. */
export function materializeNauthilus3(root: Val): Nauthilus3Result {
  const b = new LayoutBuilder(root.ctx);
  const v1 = V1_SECTIONS as readonly string[];
  const firstV3 = root.entries().find((e) => (V3_SECTIONS as readonly string[]).includes(e.key));
  const line = firstV3 ? root.ctx.locate(firstV3.keyOffset).line : undefined;
  for (const e of root.entries()) {
    if (!v1.includes(e.key)) continue;
    root.ctx.report('AS_ERR_CONFIG_CONFLICT', `"${e.key}" is a Nauthilus 1.x section, but this file uses the 3.x layout ("${firstV3?.key}"${line ? ` at line ${line}` : ''}): move it under runtime, storage or auth, or write the whole file in the 1.x layout`, e.val.path, e.keyOffset);
  }
  // 1.x sections were reported above; they are not unknown keys as well
  const ignoreV1 = Object.fromEntries(v1.map((k): [string, Rule] => [k, { kind: 'ignore' }]));
  b.walk(root, { keys: { ...ROOT.keys, ...ignoreV1 }, hidden: [...v1] }, { map: b.root });
  completeFeatures(b);
  const pv = root.child('auth')?.child('policy');
  const uses31 = root.child('plugins') !== undefined;
  const v31 = uses31 || root.child('nauthilus')?.sourceText === '3.1';
  const policyWarnings: AuthStudioError[] = [];
  const bf = root.child('auth')?.child('controls')?.child('brute_force');
  const protocols = bf?.child('protocols');
  if (bf?.isMap && (protocols === undefined || protocols.isNull || (protocols.isSeq && protocols.items().length === 0))) {
    const at = protocols ?? bf;
    policyWarnings.push(new AuthStudioError('AS_ERR_CONFIG_CONFLICT', `${bf.path}.protocols: no protocols listed: brute force checks and counts no login (Nauthilus 3.0 applies it only to the protocols listed here, e.g. protocols: [imap, pop3, smtp])`, {
      path: `${bf.path}.protocols`, location: root.ctx.locate(at.keyOffset ?? at.offset), severity: 'warning',
    }));
  }
  if (bf?.isMap && (bf.child('buckets') === undefined || bf.child('buckets')?.isNull)) {
    policyWarnings.push(new AuthStudioError('AS_ERR_CONFIG_CONFLICT', `${bf.path}: no "buckets": brute force counts nothing (Nauthilus 3.0 refuses this section without buckets; read as a fragment of a larger config)`, {
      path: bf.path, location: bf.location, severity: 'warning',
    }));
  }
  const policy = pv?.isMap ? parsePolicy(pv, { v31, plugins: uses31, warnings: policyWarnings }) : undefined;
  return { root: new Val(root.ctx, b.root, '', root.offset), warnings: [...warningsOf(b, root.ctx), ...policyWarnings], uses31, policy };
}

/**
 * When only one of auth.controls.enabled and auth.services.enabled is given, the other group runs what is
 * configured (AuthStudio's rule for an absent list, as for a 1.x file without server.features).
 */
function completeFeatures(b: LayoutBuilder): void {
  if (b.controlsListed === b.servicesListed) return;
  const has = (k: string) => b.root.items.some((p) => isScalar(p.key) && p.key.value === k);
  const seq = b.featureList(undefined);
  if (!b.servicesListed) {
    if (has('backend_server_monitoring')) seq.items.push(new Scalar('backend_server_monitoring'));
    return;
  }
  const lua = b.root.items.find((p) => isScalar(p.key) && p.key.value === 'lua')?.value;
  const present: Record<string, boolean> = {
    brute_force: has('brute_force'), rbl: has('realtime_blackhole_lists'), relay_domains: has('relay_domains'), tls_encryption: has('cleartext_networks'),
    lua: lua instanceof YAMLMap && lua.items.some((p) => isScalar(p.key) && p.key.value === 'features'),
  };
  for (const name of CONTROL_NAMES) if (present[name]) seq.items.push(new Scalar(name));
}

function warningsOf(b: LayoutBuilder, ctx: ConfigContext): AuthStudioError[] {
  const out: AuthStudioError[] = [];
  if (b.notServed.length) {
    const first = b.notServed[0];
    out.push(new AuthStudioError('AS_ERR_CONFIG_CONFLICT', `${b.notServed.map((n) => n.path).join(', ')}: not served by AuthStudio (the identity provider, its frontend and Nauthilus's plugins are accepted and left alone; the auth API is served)`, {
      path: first.path, location: ctx.locate(first.offset), severity: 'warning',
    }));
  }
  // one warning per reason, naming every key it covers (five toleration keys are one thing not done)
  const byWhy = new Map<string, typeof b.unsupported>();
  for (const u of b.unsupported) byWhy.set(u.why, [...(byWhy.get(u.why) ?? []), u]);
  for (const [why, us] of byWhy) {
    out.push(new AuthStudioError('AS_ERR_CONFIG_CONFLICT', `${us.map((u) => u.path).join(', ')}: ${why}`, { path: us[0].path, location: ctx.locate(us[0].offset), severity: 'warning' }));
  }
  return out;
}

function isEmpty(v: Val): boolean {
  if (v.isNull) return true;
  if (v.isSeq) return v.items().length === 0;
  if (v.isMap) return v.entries().length === 0;
  return v.scalar === false || v.scalar === '';
}

function keyNode(key: string, offset: number | undefined): Scalar {
  const k = new Scalar(key);
  if (offset !== undefined) k.range = [offset, offset + key.length, offset + key.length];
  return k;
}

function withRange<T extends YAMLMap | YAMLSeq | Scalar>(node: T, from: YamlNode | null): T {
  if (from?.range) node.range = [...from.range];
  return node;
}
