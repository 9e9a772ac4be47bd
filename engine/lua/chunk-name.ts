// Chunk names: Lua errors read `lua-plugins.d/features/demo.lua:12: message`, relative to where the user works.
import path from 'node:path';
import type { ScriptRef } from '../config/types';

const cache = new WeakMap<ScriptRef, string>();

/** The path a script is known by in errors and traces: relative to the working directory when inside it. */
export function chunkName(ref: ScriptRef): string {
  let name = cache.get(ref);
  if (name === undefined) {
    const rel = path.relative(process.cwd(), ref.path);
    name = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : ref.path;
    cache.set(ref, name); // computed once per loaded config, not per request
  }
  return name;
}
