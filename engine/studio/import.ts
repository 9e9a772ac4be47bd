// Import a Nauthilus 1.x or 3.x config and its scripts as a new workspace: copy them in and rewrite paths relative.
// Only files inside the bundle (the config's folder, and --scripts-root when given) are read, symlinks resolved:
// a crafted config cannot pull a host file into the new workspace.
import fs from 'node:fs';
import path from 'node:path';
import type { Document } from 'yaml';
import type { ImportReport } from '../api/contract';
import { ConfigValidationError, loadConfigFile } from '../config/load';
import { parseYaml } from '../config/yaml-source';
import { AuthStudioError } from '../errors/registry';
import { pathNodes, packageDirs } from './config-paths';
import { toDiagnostics } from './diagnostics';
import { WORKSPACE_CONFIG } from './workspace';
import { isInside, realPathSoFar } from './workspace-paths';

export interface ImportInput {
  config: string;
  into: string;
  /** Where the scripts are here when the config names them by another host's absolute paths. */
  scriptsRoot?: string;
  env?: Record<string, string | undefined>;
}

function bad(message: string, at: string): never {
  throw new AuthStudioError('AS_ERR_BAD_REQUEST', message, { path: at });
}

/**
 * The folder the config's absolute script paths share on the host it came from: up to `lua-plugins.d` when
 * the paths go through one (Nauthilus' layout), else their common parent.
 */
export function hostScriptRoot(paths: string[]): string | undefined {
  const abs = paths.filter((p) => path.posix.isAbsolute(p));
  if (abs.length === 0) return undefined;
  const marker = abs.map((p) => /^(.*\/lua-plugins\.d)\//.exec(p)?.[1]).find(Boolean);
  if (marker) return marker;
  let common = path.posix.dirname(abs[0]).split('/');
  for (const p of abs.slice(1)) {
    const parts = path.posix.dirname(p).split('/');
    let i = 0;
    while (i < common.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join('/') || '/';
}

export function importNauthilusConfig(input: ImportInput): ImportReport {
  if (typeof input.config !== 'string' || input.config === '') bad('config must be the path of a Nauthilus config file', 'config');
  if (typeof input.into !== 'string' || !path.isAbsolute(input.into)) bad('into must be an absolute directory path', 'into');
  const configFile = path.resolve(input.config);
  let text: string;
  try {
    text = fs.readFileSync(configFile, 'utf8');
  } catch (e) {
    throw new AuthStudioError('AS_ERR_CONFIG_FILE', `cannot read ${configFile} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { path: 'config' });
  }
  const { doc, errors } = parseYaml(text, configFile);
  if (errors.length) throw new ConfigValidationError(errors);
  const into = path.resolve(input.into);
  if (fs.existsSync(into) && fs.readdirSync(into).length > 0) bad(`${into} is not empty: import into a new folder`, 'into');
  fs.mkdirSync(into, { recursive: true });

  const configDir = path.dirname(configFile);
  const roots = [configDir, ...(input.scriptsRoot ? [path.resolve(input.scriptsRoot)] : [])].map((r) => realPathSoFar(r));
  /** True when `p` exists and its real path (symlinks resolved) is inside the bundle. */
  const inBundle = (p: string): boolean => {
    let real: string;
    try {
      real = fs.realpathSync(p);
    } catch {
      return false;
    }
    return roots.some((r) => isInside(r, real));
  };
  const nodes = pathNodes(doc);
  const hostRoot = hostScriptRoot(nodes.flatMap((n) => (n.kind === 'script' ? [n.written] : n.written.split(';').map((t) => t.trim()))));
  const report: ImportReport = { workspace: into, config_file: path.join(into, WORKSPACE_CONFIG), files: [], missing: [], refused: [], diagnostics: [] };
  const refused = report.refused!;
  const copied = new Set<string>();
  const refuse = (written: string) => {
    if (!refused.includes(written)) refused.push(written);
  };

  /**
   * Where a path as written is in the bundle, and where it goes in the workspace. `outside` when it exists only
   * outside the bundle (a relative path leading out, a symlink out, an absolute path with no copy in the bundle).
   */
  const locate = (written: string): { src?: string; rel: string; outside?: boolean } => {
    if (!path.isAbsolute(written)) {
      const src = path.resolve(configDir, written);
      const rel = isInside(configDir, src) ? path.relative(configDir, src).split(path.sep).join('/') : `external/${path.basename(src)}`;
      if (!fs.existsSync(src)) return { rel };
      return inBundle(src) ? { src, rel } : { rel, outside: true };
    }
    const rel = hostRoot && isInside(hostRoot, written) ? path.posix.relative(hostRoot, written) : `external/${path.posix.basename(written)}`;
    const candidates = [written, ...(input.scriptsRoot ? [path.join(input.scriptsRoot, rel)] : []), path.join(configDir, rel)].filter((c) => fs.existsSync(c));
    const src = candidates.find(inBundle);
    return src ? { src, rel } : { rel, outside: candidates.length > 0 };
  };
  const copy = (src: string, rel: string) => {
    if (!inBundle(src)) return refuse(src);
    const target = path.join(into, ...rel.split('/'));
    if (copied.has(target)) return;
    copied.add(target);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(src, target);
    report.files.push({ source: src, target });
  };

  for (const node of nodes) {
    if (node.kind === 'script') {
      const { src, rel, outside } = locate(node.written);
      if (src && fs.statSync(src).isFile()) copy(src, rel);
      else if (outside) refuse(node.written);
      else report.missing.push(node.written);
      doc.setIn(node.at, `./${rel}`);
      continue;
    }
    doc.setIn(node.at, importPackagePath(node.written, locate, copy, report));
  }
  writeWorkspaceConfig(doc, configFile, report.config_file);
  try {
    loadConfigFile(report.config_file, { env: input.env });
  } catch (e) {
    if (!(e instanceof AuthStudioError)) throw e;
    report.diagnostics = toDiagnostics(e, into);
  }
  return report;
}

function importPackagePath(written: string, locate: (w: string) => { src?: string; rel: string; outside?: boolean }, copy: (src: string, rel: string) => void, report: ImportReport): string {
  for (const dir of packageDirs(written)) {
    const { src, rel, outside } = locate(dir);
    if (outside) {
      report.refused?.push(dir);
      continue;
    }
    if (!src || !fs.statSync(src).isDirectory()) {
      report.missing.push(dir);
      continue;
    }
    for (const f of fs.readdirSync(src)) if (f.endsWith('.lua')) copy(path.join(src, f), path.posix.join(rel, f));
  }
  return written
    .split(';')
    .map((t) => {
      const tpl = t.trim();
      if (tpl === '' || !tpl.includes('?')) return tpl;
      const dir = tpl.slice(0, tpl.indexOf('?')).replace(/\/+$/, '') || '.';
      return `./${path.posix.join(locate(dir).rel, tpl.slice(tpl.indexOf('?')))}`;
    })
    .join(';');
}

function writeWorkspaceConfig(doc: Document, source: string, target: string): void {
  const header = `# Imported into AuthStudio from ${source} on ${new Date().toISOString()}; script paths are relative to this file.\n`;
  fs.writeFileSync(target, header + doc.toString());
}
