// A workspace folder: list, read, create, rename, delete and atomically save files, confined to the folder.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FileContent, FileEntry } from '../api/contract';
import { AuthStudioError } from '../errors/registry';
import { WorkspacePaths, isInside } from './workspace-paths';

/** The config file a workspace holds at its root. */
export const WORKSPACE_CONFIG = 'authstudio.yml';
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_ENTRIES = 20_000;
const TEMP_SUFFIX = '.authstudio-tmp';

/** Short content hash used as a file version. */
export function versionOf(content: string | Buffer): string {
  return crypto.createHash('sha256').update(content).digest('hex').slice(0, 16);
}

/**
 * Names the studio never lists or watches: dot files (settings, .git, temp files), dependencies, editor backups
 * ("x~", ".swp", and "4913", the file vim creates to probe whether a folder is writable).
 */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules' || name.endsWith('~') || name.endsWith(TEMP_SUFFIX) || name === '4913' || name.endsWith('.swp');
}

function notFound(rel: string): never {
  throw new AuthStudioError('AS_ERR_NOT_FOUND', `no file "${rel}" in the workspace`, { path: 'path' });
}

/** Files of one workspace folder. Every path argument is workspace-relative and checked by WorkspacePaths. */
export class Workspace {
  readonly paths: WorkspacePaths;
  /** Absolute path of the config file. */
  readonly configFile: string;

  constructor(root: string, configName = WORKSPACE_CONFIG) {
    this.paths = new WorkspacePaths(root);
    this.configFile = path.join(this.paths.root, configName);
  }

  get root(): string {
    return this.paths.root;
  }

  /** Every file and folder, depth first, sorted by path; symlinks are followed only while they stay inside. */
  list(): FileEntry[] {
    const out: FileEntry[] = [];
    const seen = new Set<string>();
    const walk = (dir: string) => {
      const real = fs.realpathSync(dir);
      if (seen.has(real) || !isInside(this.root, real)) return;
      seen.add(real);
      for (const d of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (isIgnoredName(d.name) || out.length >= MAX_ENTRIES) continue;
        const abs = path.join(dir, d.name);
        let st: fs.Stats;
        try {
          if (d.isSymbolicLink() && !isInside(this.root, fs.realpathSync(abs))) continue;
          st = fs.statSync(abs);
        } catch {
          continue; // vanished or dangling
        }
        const rel = path.relative(this.root, abs).split(path.sep).join('/');
        if (st.isDirectory()) {
          out.push({ path: rel, kind: 'directory', size: 0, mtime_ms: Math.round(st.mtimeMs) });
          walk(abs);
        } else if (st.isFile()) {
          out.push({ path: rel, kind: 'file', size: st.size, mtime_ms: Math.round(st.mtimeMs) });
        }
      }
    };
    walk(this.root);
    return out;
  }

  read(relPath: unknown): FileContent {
    const { rel, abs } = this.paths.resolve(relPath);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      return notFound(rel);
    }
    if (!st.isFile()) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `"${rel}" is not a file`, { path: 'path' });
    if (st.size > MAX_FILE_BYTES) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `"${rel}" is larger than ${MAX_FILE_BYTES} bytes`, { path: 'path' });
    const buf = fs.readFileSync(abs);
    return { path: rel, content: buf.toString('utf8'), version: versionOf(buf), size: st.size, mtime_ms: Math.round(st.mtimeMs) };
  }

  /**
   * Atomic save: the content goes to a temp file in the same folder, is flushed, then renamed over the target,
   * so readers (and a crash) see the old or the new file, never half of one.
   */
  write(relPath: unknown, content: unknown, opts: { baseVersion?: string; mustNotExist?: boolean } = {}): { rel: string; abs: string; version: string } {
    if (typeof content !== 'string') throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'content must be a string', { path: 'content' });
    if (Buffer.byteLength(content) > MAX_FILE_BYTES) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `content is larger than ${MAX_FILE_BYTES} bytes`, { path: 'content' });
    const { rel, abs } = this.paths.resolve(relPath);
    const exists = fs.existsSync(abs);
    if (exists && opts.mustNotExist) throw new AuthStudioError('AS_ERR_FILE_EXISTS', `"${rel}" already exists`, { path: 'path' });
    if (exists && !fs.statSync(abs).isFile()) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `"${rel}" is not a file`, { path: 'path' });
    if (opts.baseVersion !== undefined) {
      const current = exists ? versionOf(fs.readFileSync(abs)) : undefined;
      if (current !== opts.baseVersion) {
        throw new AuthStudioError('AS_ERR_FILE_CONFLICT', `"${rel}" changed on disk since it was opened (version ${current ?? 'deleted'}, expected ${opts.baseVersion}): reload it first`, { path: 'base_version' });
      }
    }
    const dir = path.dirname(abs);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(abs)}.${crypto.randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
    const mode = exists ? fs.statSync(abs).mode & 0o777 : 0o644;
    const fd = fs.openSync(tmp, 'wx', mode);
    try {
      fs.writeSync(fd, content);
      fs.fsyncSync(fd);
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    fs.closeSync(fd);
    try {
      fs.renameSync(tmp, abs);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    return { rel, abs, version: versionOf(content) };
  }

  mkdir(relPath: unknown): { rel: string } {
    const { rel, abs } = this.paths.resolve(relPath);
    if (fs.existsSync(abs)) throw new AuthStudioError('AS_ERR_FILE_EXISTS', `"${rel}" already exists`, { path: 'path' });
    fs.mkdirSync(abs, { recursive: true });
    return { rel };
  }

  rename(fromPath: unknown, toPath: unknown): { from: string; to: string; abs: string } {
    const from = this.paths.resolve(fromPath);
    const to = this.paths.resolve(toPath);
    if (!fs.existsSync(from.abs)) notFound(from.rel);
    if (fs.existsSync(to.abs)) throw new AuthStudioError('AS_ERR_FILE_EXISTS', `"${to.rel}" already exists`, { path: 'to' });
    if (isInside(from.abs, to.abs)) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `cannot move "${from.rel}" into itself`, { path: 'to' });
    fs.mkdirSync(path.dirname(to.abs), { recursive: true });
    fs.renameSync(from.abs, to.abs);
    return { from: from.rel, to: to.rel, abs: to.abs };
  }

  /** Delete a file, or a folder (empty unless `recursive`). */
  remove(relPath: unknown, recursive = false): { rel: string; files: string[] } {
    const { rel, abs } = this.paths.resolve(relPath);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch {
      return notFound(rel);
    }
    if (st.isDirectory()) {
      const files = this.list().filter((e) => e.kind === 'file' && e.path.startsWith(rel + '/')).map((e) => e.path);
      if (!recursive && fs.readdirSync(abs).length > 0) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `folder "${rel}" is not empty (pass recursive to delete it with its files)`, { path: 'path' });
      fs.rmSync(abs, { recursive: true });
      return { rel, files };
    }
    fs.rmSync(abs);
    return { rel, files: [rel] };
  }

  /** Workspace-relative path of the config file. */
  get configRel(): string {
    return path.relative(this.root, this.configFile).split(path.sep).join('/');
  }
}
