// Confinement of workspace paths: relative, no "..", no symlink leading out, nothing in the private settings folder.
import fs from 'node:fs';
import path from 'node:path';
import { AuthStudioError } from '../errors/registry';

/** The studio's private folder inside a workspace (settings with secrets): never served by the file API. */
export const PRIVATE_DIR = '.authstudio';

function refuse(rel: unknown, why: string): never {
  const shown = typeof rel === 'string' ? JSON.stringify(rel.slice(0, 200)) : String(rel);
  throw new AuthStudioError('AS_ERR_PATH_REFUSED', `path ${shown} is refused: ${why}`, { path: 'path' });
}

/** True when `abs` is `root` or inside it. */
export function isInside(root: string, abs: string): boolean {
  const rel = path.relative(root, abs);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** `p` with symlinks resolved as far as it exists (the rest appended as written). */
export function realPathSoFar(p: string): string {
  const rest: string[] = [];
  let probe = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync(probe), ...rest.reverse());
    } catch {
      const up = path.dirname(probe);
      if (up === probe) return path.resolve(p);
      rest.push(path.basename(probe));
      probe = up;
    }
  }
}

/** Maps workspace-relative paths (forward slashes) to real paths inside the workspace, refusing escapes. */
export class WorkspacePaths {
  /** The workspace's real path (symlinks resolved). */
  readonly root: string;

  constructor(root: string) {
    this.root = fs.realpathSync(root);
  }

  /** Normalised relative form: "features/a.lua" (no "./", no duplicate slashes). Throws on anything unsafe. */
  normalise(rel: unknown): string {
    if (typeof rel !== 'string' || rel.trim() === '') refuse(rel, 'a workspace-relative path is required');
    if (rel.length > 1024) refuse(rel, 'it is longer than 1024 characters');
    if (/[\u0000-\u001f]/.test(rel)) refuse(rel, 'it contains control characters');
    if (rel.includes('\\')) refuse(rel, 'use forward slashes');
    if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel)) refuse(rel, 'absolute paths are outside the workspace');
    const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.some((p) => p === '..')) refuse(rel, '".." leads outside the workspace');
    if (parts.length === 0) refuse(rel, 'it names the workspace itself');
    if (parts[0] === PRIVATE_DIR) refuse(rel, `${PRIVATE_DIR}/ holds the studio settings and is not part of the file API`);
    return parts.join('/');
  }

  /**
   * The real absolute path for a workspace-relative one. An existing path (or its deepest existing parent)
   * is resolved through symlinks and must stay inside the workspace; a dangling symlink is refused.
   */
  resolve(rel: unknown): { rel: string; abs: string } {
    const norm = this.normalise(rel);
    const joined = path.join(this.root, ...norm.split('/'));
    let probe = joined;
    const rest: string[] = [];
    for (;;) {
      let real: string | undefined;
      try {
        real = fs.realpathSync(probe);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') refuse(rel, `it cannot be resolved (${(e as NodeJS.ErrnoException).code})`);
        if (isSymlink(probe)) refuse(rel, 'it goes through a symlink that points nowhere');
      }
      if (real !== undefined) {
        if (!isInside(this.root, real)) refuse(rel, 'a symlink leads outside the workspace');
        return { rel: norm, abs: path.join(real, ...rest.reverse()) };
      }
      rest.push(path.basename(probe));
      probe = path.dirname(probe);
    }
  }

  /** Workspace-relative form of an absolute path (resolved through symlinks), or undefined when it is outside. */
  relative(abs: string): string | undefined {
    const resolved = path.resolve(abs);
    const dir = safeReal(path.dirname(resolved));
    const real = safeReal(resolved) ?? (dir === undefined ? resolved : path.join(dir, path.basename(resolved)));
    if (!isInside(this.root, real) || real === this.root) return undefined;
    return path.relative(this.root, real).split(path.sep).join('/');
  }
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function safeReal(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}
