// Chunk names: Lua errors read `lua-plugins.d/features/demo.lua:12: message`, relative to where the user works.
import path from 'node:path';
import type { ScriptRef } from '../config/types';

/** The path a script is known by in errors and traces: relative to the working directory when inside it. */
export function chunkName(ref: ScriptRef): string {
  const rel = path.relative(process.cwd(), ref.path);
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  return ref.path;
}
