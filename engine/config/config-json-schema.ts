// The config file as JSON Schema, for the studio's YAML editor (completion, hover, unknown keys): the 1.x layout from
// the validator's own specs, the 3.x layout from its rewrite table (each 3.x key typed by the 1.x key it lands in).
import { topLevel } from './load';
import { NAUTHILUS3_ROOT_FOR_SCHEMA } from './nauthilus3-layout';
import type { Layout, Rule } from './nauthilus3-schema';
import { NAUTHILUS_PROFILES } from './types';
import { jsonSchemaOf, type JsonSchema, type Spec } from './schema';

const NAUTHILUS_KEY: JsonSchema = {
  type: ['string', 'number'], enum: [...NAUTHILUS_PROFILES, ...NAUTHILUS_PROFILES.map(Number).filter((n) => !Number.isNaN(n))],
  description: `Optional: AuthStudio's own key, the Nauthilus version this workspace targets (one of ${NAUTHILUS_PROFILES.map((p) => `"${p}"`).join(', ')})`,
};

/** The object schema inside `s` (structs are `object|null`; `server.redis` is a string or a map). */
function objectOf(s: JsonSchema | undefined): JsonSchema | undefined {
  if (!s) return undefined;
  if (s.properties) return s;
  for (const alt of (s.anyOf as JsonSchema[] | undefined) ?? []) {
    const o = objectOf(alt);
    if (o) return o;
  }
  return undefined;
}

function childOf(s: JsonSchema | undefined, key: string): JsonSchema | undefined {
  return (objectOf(s)?.properties as Record<string, JsonSchema> | undefined)?.[key];
}

/** The 1.x schema at `to` (dotted, relative to `here`; a leading "/" starts at `root`). */
function at(root: JsonSchema, here: JsonSchema | undefined, to: string): JsonSchema | undefined {
  let s = to.startsWith('/') ? root : here;
  for (const k of to.replace(/^\//, '').split('.')) s = childOf(s, k);
  return s;
}

function itemOf(s: JsonSchema | undefined): JsonSchema | undefined {
  if (!s) return undefined;
  if (s.items) return s.items as JsonSchema;
  for (const alt of (s.anyOf as JsonSchema[] | undefined) ?? []) if ((alt as JsonSchema).items) return (alt as JsonSchema).items as JsonSchema;
  return undefined;
}

function ruleSchema(root: JsonSchema, here: JsonSchema | undefined, rule: Rule): JsonSchema {
  switch (rule.kind) {
    case 'ignore': return { description: 'Read by Nauthilus 3; AuthStudio accepts it and does not use it' };
    case 'notServed': return { description: 'A Nauthilus 3 section AuthStudio does not serve (accepted, not used)' };
    case 'unsupported': return { description: `Not supported by AuthStudio: ${rule.why}` };
    case 'custom': return { description: 'See the Nauthilus 3 documentation' };
    case 'group': return layoutSchema(root, here, rule.layout, 'a map');
    case 'to': {
      const target = at(root, here, rule.to);
      const label = `(1.x: ${rule.to.replace(/^\//, '')}) `;
      if (!rule.layout) return target ? { ...target, description: `${label}${String(target.description ?? '')}` } : { description: label.trim() };
      if (rule.each === 'items') return { type: 'array', description: `${label}a list`, items: layoutSchema(root, itemOf(target), rule.layout, 'an item') };
      if (rule.each === 'values') {
        const values = objectOf(target)?.additionalProperties as JsonSchema | undefined;
        return { type: ['object', 'null'], description: `${label}a map of names`, additionalProperties: layoutSchema(root, values, rule.layout, 'a map') };
      }
      const map = layoutSchema(root, target, rule.layout, `${label}a map`);
      return rule.scalarOk ? { anyOf: [map, { type: 'string' }], description: map.description } : map;
    }
  }
}

function layoutSchema(root: JsonSchema, here: JsonSchema | undefined, layout: Layout, description: string): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  if (layout.passRest) Object.assign(properties, objectOf(here)?.properties ?? {});
  for (const [k, rule] of Object.entries(layout.keys)) properties[k] = ruleSchema(root, here, rule);
  return {
    type: ['object', 'null'], description, properties,
    additionalProperties: layout.passRest ? (objectOf(here)?.additionalProperties ?? false) : false,
    ...(layout.required?.length ? { required: layout.required } : {}),
  };
}

/**
 * The JSON Schema of a config file in one layout.
 * @example configJsonSchema('1.x').properties.server // { type: ['object', 'null'], properties: { address: ... } }
 */
export function configJsonSchema(layout: '1.x' | '3.x'): JsonSchema {
  const v1 = jsonSchemaOf(topLevel as Spec<unknown>);
  const head = { $schema: 'http://json-schema.org/draft-07/schema#', title: `AuthStudio config (Nauthilus ${layout} layout)` };
  if (layout === '1.x') {
    return { ...head, ...v1, properties: { ...(v1.properties as object), nauthilus: NAUTHILUS_KEY } };
  }
  const v3 = layoutSchema(v1, v1, NAUTHILUS3_ROOT_FOR_SCHEMA, 'the config file');
  return { ...head, ...v3, properties: { ...(v3.properties as object), nauthilus: NAUTHILUS_KEY } };
}
