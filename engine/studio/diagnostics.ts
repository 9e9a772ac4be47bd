// Turn engine errors (config validation, Lua compile/load, init) into workspace-relative diagnostics and call errors.
import fs from 'node:fs';
import path from 'node:path';
import type { Diagnostic, StudioErrorInfo } from '../api/contract';
import { ConfigValidationError } from '../config/load';
import { AuthStudioError, ERRORS } from '../errors/registry';
import { isInside } from './workspace-paths';

/**
 * Where an error's file is, relative to the workspace. Lua names chunks relative to the working directory
 * and shortens long names to "...tail", so a "..." name is matched by its tail against `known` files.
 */
export function workspaceFile(file: string, root: string, known: () => string[] = () => []): string {
  if (file.startsWith('...')) {
    const tail = file.slice(3);
    const hit = known().find((k) => path.join(root, ...k.split('/')).endsWith(tail));
    if (hit) return hit;
    return file;
  }
  const abs = path.resolve(process.cwd(), file);
  let real = abs;
  try {
    real = fs.realpathSync(abs);
  } catch {
    // keep the resolved name
  }
  if (isInside(root, real) && real !== root) return path.relative(root, real).split(path.sep).join('/');
  return file;
}

/** Lua gives no columns; "... near 'x'" names the token, so the column is where it first stands on that line. */
function guessColumn(root: string, file: string, line: number | undefined, message: string): number | undefined {
  const m = /near '([^']+)'$/.exec(message);
  if (!m || line === undefined || m[1] === '<eof>') return undefined;
  try {
    const text = fs.readFileSync(path.resolve(root, file), 'utf8').split(/\r?\n/)[line - 1];
    const i = text === undefined ? -1 : text.indexOf(m[1]);
    return i >= 0 ? i + 1 : undefined;
  } catch {
    return undefined;
  }
}

/** The diagnostics an error stands for: every config problem, or the one Lua error. */
export function toDiagnostics(e: unknown, root: string, known?: () => string[]): Diagnostic[] {
  const errors = e instanceof ConfigValidationError ? e.errors : e instanceof AuthStudioError ? [e] : [];
  if (errors.length === 0) return [{ file: '', message: String((e as Error)?.message ?? e), code: 'AS_ERR_INTERNAL', severity: 'error' }];
  return errors.map((err) => {
    const loc = err.location;
    const file = loc?.file ? workspaceFile(loc.file, root, known) : '';
    const d: Diagnostic = { file, message: err.message, code: err.code, severity: err.severity };
    if (loc?.line !== undefined) d.line = loc.line;
    const column = loc?.column ?? guessColumn(root, file, loc?.line, err.message);
    if (column !== undefined) d.column = column;
    return d;
  });
}

/** What a failed studio call reports over every transport; bugs become AS_ERR_INTERNAL without details. */
export function errorInfo(e: unknown, root: string): StudioErrorInfo {
  if (!(e instanceof AuthStudioError)) {
    return { code: 'AS_ERR_INTERNAL', message: ERRORS.AS_ERR_INTERNAL.summary, status: 500 };
  }
  const info: StudioErrorInfo = { code: e.code, message: e.message, status: e.status };
  if (e.path) info.path = e.path;
  if (e.location) {
    info.location = { ...e.location, file: workspaceFile(e.location.file, root) };
    info.diagnostics = toDiagnostics(e, root);
  }
  if (e instanceof ConfigValidationError) info.diagnostics = toDiagnostics(e, root);
  return info;
}
