// `${VAR}` expansion in every string scalar of the config document (`$${` stays a literal `${`).

import { isPair, isScalar, isSeq, visit, type Document, type Node as YamlNode, type Pair } from 'yaml';
import { childPath, type ConfigContext } from './yaml-source';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The outcome of expanding one string. */
export interface Expansion {
  value: string;
  /** Problems, each with the index in the input where the reference starts. */
  problems: { index: number; token: string; message: string }[];
}

/**
 * Expands `${NAME}` references in `s` from `env`. `$${` is the escape for a literal `${`.
 * An unset variable or a malformed reference is a problem; the reference is then kept as written.
 */
export function expandString(s: string, env: Record<string, string | undefined>): Expansion {
  let value = '';
  const problems: Expansion['problems'] = [];
  let i = 0;
  while (i < s.length) {
    if (s.startsWith('$${', i)) {
      value += '${';
      i += 3;
      continue;
    }
    if (s.startsWith('${', i)) {
      const end = s.indexOf('}', i + 2);
      const name = end < 0 ? undefined : s.slice(i + 2, end);
      if (name === undefined || !NAME.test(name)) {
        const token = end < 0 ? s.slice(i) : s.slice(i, end + 1);
        problems.push({ index: i, token, message: `malformed variable reference "${token}": use \${NAME}, or $\${ for a literal \${` });
        value += token;
        i += token.length;
        continue;
      }
      const v = env[name];
      if (v === undefined) {
        problems.push({ index: i, token: `\${${name}}`, message: `environment variable ${name} is not set (referenced as \${${name}})` });
        value += `\${${name}}`;
      } else {
        value += v;
      }
      i = end + 1;
      continue;
    }
    value += s[i];
    i++;
  }
  return { value, problems };
}

/**
 * Expands `${VAR}` in every string scalar value of the document in place (keys are left alone),
 * marks changed scalars in `ctx.expanded`, and reports AS_ERR_CONFIG_ENV at the reference's position.
 */
export function expandDocument(ctx: ConfigContext, text: string, env: Record<string, string | undefined>): void {
  visit(ctx.doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || !isScalar(node) || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const original = node.value;
      const { value, problems } = expandString(original, env);
      const start = node.range?.[0];
      const source = start === undefined ? '' : text.slice(start, node.range?.[1]);
      if (problems.length) ctx.envBroken.add(node);
      let searchFrom = 0;
      for (const p of problems) {
        // Find the reference in the written text (quotes and escapes may shift it); fall back to the scalar start.
        const at = source.indexOf(p.token, searchFrom);
        if (at >= 0) searchFrom = at + p.token.length;
        const offset = start === undefined ? undefined : at >= 0 ? start + at : start;
        ctx.report('AS_ERR_CONFIG_ENV', p.message, keyPath(ancestors, node), offset);
      }
      if (value !== original) {
        node.value = value;
        ctx.expanded.add(node);
      }
    },
  });
}

/** The key path (`server.redis.password`) of a node from the ancestors `visit` passes. */
function keyPath(ancestors: readonly (Document | YamlNode | Pair)[], node: YamlNode): string {
  const chain = [...ancestors, node];
  let path = '';
  for (let i = 1; i < chain.length; i++) {
    const parent = chain[i - 1];
    const cur = chain[i];
    if (isSeq(parent)) path = `${path}[${parent.items.indexOf(cur)}]`;
    else if (isPair(cur)) path = childPath(path, isScalar(cur.key) ? String(cur.key.value) : '?');
  }
  return path;
}
