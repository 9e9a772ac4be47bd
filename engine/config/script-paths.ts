// Script paths in the config: resolved against the config file's directory and (optionally) checked on disk.

import { statSync } from 'node:fs';
import * as path from 'node:path';
import type { ScriptRef } from './types';
import { describedAs, type Spec } from './schema';

/** Resolves a path as written against `baseDir`; `displayPath` is workspace-relative (forward slashes) when inside it. */
export function resolveScriptRef(written: string, baseDir: string): ScriptRef {
  const abs = path.resolve(baseDir, written);
  const rel = path.relative(baseDir, abs);
  const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  return { path: abs, displayPath: inside ? rel.split(path.sep).join('/') : abs, written };
}

/** Why `file` cannot be used as a script, or undefined when it is a readable regular file. */
export function fileProblem(file: string): string | undefined {
  try {
    return statSync(file).isFile() ? undefined : 'is not a file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(e)})`;
  }
}

/** A spec for a script path: a non-empty string, resolved, and with `checkFiles` an existing file (AS_ERR_CONFIG_FILE). */
export const scriptPath: Spec<ScriptRef> = describedAs((v) => {
  const s = v.scalar;
  if (typeof s !== 'string' || s.trim() === '') return v.typeError('a script path');
  const ref = resolveScriptRef(s.trim(), v.ctx.baseDir);
  if (v.ctx.checkFiles) {
    const problem = fileProblem(ref.path);
    if (problem) return v.fail('AS_ERR_CONFIG_FILE', `script file ${JSON.stringify(s)} ${problem} at ${v.where()} (resolved to ${ref.path})`);
  }
  return ref;
}, { type: 'string', description: 'a Lua script path (relative to the config file)' });

/**
 * A Lua `package_path`: `;`-separated templates with `?`. Relative templates are resolved against
 * the config directory; empty entries (Lua's `;;` = default path) are kept.
 */
export const packagePath: Spec<string> = describedAs((v) => {
  const s = v.scalar;
  if (typeof s !== 'string') return v.typeError('a ";"-separated list of path templates with "?"');
  const parts = s.split(';').map((t) => t.trim());
  const bad = parts.find((t) => t !== '' && !t.includes('?'));
  if (bad !== undefined) return v.typeError('";"-separated path templates with "?" such as "./lualib/?.lua"', `"${bad}" has no "?"`);
  return parts.map((t) => (t === '' ? t : path.resolve(v.ctx.baseDir, t))).join(';');
}, { type: 'string', description: 'a ";"-separated list of path templates with \"?\" such as \"./lualib/?.lua\"' });
