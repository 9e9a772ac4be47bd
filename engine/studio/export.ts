// Export a workspace as a production bundle: nauthilus.yml with paths under a prefix, every referenced script, a README.
// Secrets become ${NAUTHILUS_...} references unless asked for; everything is written owner-only (files 0600, folders 0700),
// and never into the workspace (the studio would serve the copies).
import fs from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, parseDocument, type Document } from 'yaml';
import type { ExportReport } from '../api/contract';
import { loadConfigFile } from '../config/load';
import type { AuthStudioConfig, ConfigLayout } from '../config/types';
import { convertConfigText, formatNote } from '../config/convert/convert';
import { featuresOfSections } from '../config/server-features';
import { BRUTE_FORCE_PROTOCOLS_WRITTEN } from '../config/brute-force-protocols';
import { parseRedisString, type RedisConnection } from '../config/redis-section';
import { AuthStudioError } from '../errors/registry';
import { layoutOf, pathNodes, packageDirs } from './config-paths';
import { exportReadme } from './export-readme';
import { credentialLines, replaceSecrets } from './export-secrets';
import { isInside, realPathSoFar } from './workspace-paths';

/** Where scripts live on a Nauthilus host unless told otherwise. */
export const DEFAULT_PREFIX = '/etc/nauthilus/lua-plugins.d';
export const EXPORT_CONFIG = 'nauthilus.yml';

export interface ExportInput {
  configFile: string;
  out: string;
  prefix?: string;
  /** The studio's Redis choice: written (with its password) only when given, i.e. when the user asked. */
  studioRedisUrl?: string;
  /** Write the config's secrets as they are (`--include-secrets`); otherwise they become ${NAUTHILUS_...} references. */
  includeSecrets?: boolean;
  env?: Record<string, string | undefined>;
  /** The layout of the exported nauthilus.yml (default: the workspace's own). */
  format?: ConfigLayout;
}

function bad(message: string, at: string): never {
  throw new AuthStudioError('AS_ERR_BAD_REQUEST', message, { path: at });
}

function checkFormat(format: unknown): ConfigLayout | undefined {
  if (format === undefined || format === '1.x' || format === '3.x') return format;
  return bad('format must be "1.x" or "3.x"', 'format');
}

function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !prefix.startsWith('/') || /[\u0000-\u001f]/.test(prefix) || prefix.split('/').includes('..')) {
    bad(`prefix must be an absolute path such as ${DEFAULT_PREFIX}`, 'prefix');
  }
  return prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
}

/** Owner-only: a secret may be in it (also when an earlier export left the file world-readable). */
function writePrivate(file: string, content: string | Buffer): void {
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
  } finally {
    fs.closeSync(fd);
  }
}

/** Folders 0700 and files 0600 all through an export folder (an earlier export may have left them readable); symlinks untouched. */
function ownerOnly(dir: string): void {
  fs.chmodSync(dir, 0o700);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) ownerOnly(abs);
    else if (e.isFile()) fs.chmodSync(abs, 0o600);
  }
}

/** Refuse to write over anything that is not an earlier export, or into (or around) the workspace being exported. */
function prepareOut(out: unknown, baseDir: string): string {
  if (typeof out !== 'string' || !path.isAbsolute(out)) bad('out must be an absolute directory path', 'out');
  const abs = path.resolve(out);
  const real = realPathSoFar(abs);
  const ws = realPathSoFar(baseDir);
  if (isInside(real, ws)) bad('out must not be the workspace or a folder that contains it', 'out');
  if (isInside(ws, real)) bad(`out must be outside the workspace (${abs} is inside ${ws}${real !== abs ? ` through a symlink` : ''}): the studio would serve the exported copies as workspace files`, 'out');
  if (fs.existsSync(abs)) {
    if (!fs.statSync(abs).isDirectory()) bad(`${abs} is not a directory`, 'out');
    const entries = fs.readdirSync(abs);
    if (entries.length > 0 && !entries.includes(EXPORT_CONFIG)) bad(`${abs} is not empty and holds no earlier export (${EXPORT_CONFIG}): choose an empty folder`, 'out');
  }
  fs.mkdirSync(abs, { recursive: true, mode: 0o700 });
  fs.chmodSync(abs, 0o700);
  return abs;
}

/** Write the bundle; the config is validated first (ConfigValidationError when it is not valid). */
export function exportBundle(input: ExportInput): ExportReport {
  const config = loadConfigFile(input.configFile, { env: input.env });
  const prefix = checkPrefix(input.prefix ?? DEFAULT_PREFIX);
  const baseDir = config.baseDir;
  const out = prepareOut(input.out, baseDir);
  const format = checkFormat(input.format);
  const text = fs.readFileSync(config.file, 'utf8');
  const report: ExportReport = { out, prefix, config: path.join(out, EXPORT_CONFIG), files: [], warnings: [] };
  let doc: Document = parseDocument(text);
  if (format !== undefined && format !== layoutOf(doc)) {
    // the other layout: converted first, then paths, Redis and secrets are rewritten as for any export
    const converted = convertConfigText(text, config.file, format);
    doc = converted.doc;
    report.warnings.push(`${EXPORT_CONFIG} is written in the Nauthilus ${format} layout (the workspace uses ${converted.from})`);
    for (const n of converted.notes) if (n.kind !== 'info') report.warnings.push(formatNote(n));
  }
  const placed = new Map<string, string>(); // source abs -> bundle-relative path
  const place = (abs: string): string => {
    let rel = placed.get(abs);
    if (rel !== undefined) return rel;
    const inside = isInside(baseDir, abs) && abs !== baseDir;
    rel = inside ? path.relative(baseDir, abs).split(path.sep).join('/') : `external/${path.basename(abs)}`;
    if (!inside) report.warnings.push(`${abs} is outside the workspace: copied to ${rel}`);
    while ([...placed.values()].includes(rel)) rel = rel.replace(/(\.[^./]*)?$/, (ext) => `-1${ext}`);
    placed.set(abs, rel);
    const target = path.join(out, ...rel.split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    const content = fs.readFileSync(abs);
    writePrivate(target, content);
    const lines = credentialLines(content.toString('utf8'));
    if (lines.length) report.warnings.push(`${rel} line ${lines.slice(0, 5).join(', ')} looks like a credential (user:password@host): scripts are copied as written, move it to the environment`);
    report.files.push({ source: abs, target, referenced_as: path.posix.join(prefix, rel) });
    return rel;
  };

  for (const node of pathNodes(doc)) {
    if (node.written.includes('${')) {
      report.warnings.push(`${node.at.join('.')} uses a variable (${node.written}): copied as written, not rewritten`);
      continue;
    }
    if (node.kind === 'script') {
      doc.setIn(node.at, path.posix.join(prefix, place(path.resolve(baseDir, node.written))));
      continue;
    }
    doc.setIn(node.at, rewritePackagePath(node.written, baseDir, prefix, out, place, report));
  }
  const layout = layoutOf(doc);
  rewriteRedis(doc, input.studioRedisUrl, report, REDIS_AT[layout]);
  if (layout === '3.x') writeControls(doc, config, report);
  else {
    writeServerFeatures(doc, config, report);
    writeBruteForceProtocols(doc, config, report);
  }
  const secrets = input.includeSecrets ? [] : replaceSecrets(doc);
  if (secrets.length) report.warnings.push(`secrets were replaced by environment references (${secrets.map((r) => r.variable).join(', ')}): set them on the target, see README.md`);
  if (input.includeSecrets) report.warnings.push(`${EXPORT_CONFIG} holds secrets as written (include secrets): keep it private`);

  const header = `# Exported by AuthStudio from ${config.file} on ${new Date().toISOString()}.\n# Scripts are referenced under ${prefix}; see README.md.\n`;
  writePrivate(report.config, header + doc.toString());
  writePrivate(path.join(out, 'README.md'), exportReadme(report, doc, fs.readFileSync(config.file, 'utf8'), secrets));
  ownerOnly(out);
  return report;
}

/**
 * AuthStudio runs a protection feature when its section is there; Nauthilus 1.x only when `server.features` lists it.
 * An export without that list gets one naming what ran here, so the target decides the same.
 */
function writeServerFeatures(doc: Document, config: AuthStudioConfig, report: ExportReport): void {
  if (config.server.features !== undefined || doc.hasIn(['server', 'features'])) return;
  const features = featuresOfSections(config);
  if (features.length === 0) return;
  doc.setIn(['server', 'features'], doc.createNode(features, { flow: true }));
  report.warnings.push(`server.features was added (${features.join(', ')}): Nauthilus 1.x runs only the features listed there; these are the ones whose sections are configured`);
}

/**
 * A 1.x brute_force without server.brute_force_protocols: AuthStudio checked every protocol, Nauthilus 1.x checks only
 * the listed ones (none without the list), so the export lists the protocols mail clients use.
 */
function writeBruteForceProtocols(doc: Document, config: AuthStudioConfig, report: ExportReport): void {
  if (!config.bruteForce || config.server.bruteForceProtocols !== undefined || doc.hasIn(['server', 'brute_force_protocols'])) return;
  doc.setIn(['server', 'brute_force_protocols'], doc.createNode([...BRUTE_FORCE_PROTOCOLS_WRITTEN], { flow: true }));
  report.warnings.push(`server.brute_force_protocols was added (${BRUTE_FORCE_PROTOCOLS_WRITTEN.join(', ')}): Nauthilus 1.x checks brute force only for the protocols listed there; AuthStudio checked every protocol`);
}

/** package_path templates inside the workspace move under the prefix; the modules they load are copied along. */
function rewritePackagePath(written: string, baseDir: string, prefix: string, out: string, place: (abs: string) => string, report: ExportReport): string {
  const dirs = new Set(packageDirs(written).map((d) => path.resolve(baseDir, d)));
  // only folders inside the workspace are copied along (a template outside it is kept as written, below)
  for (const dir of dirs) if (isInside(realPathSoFar(baseDir), realPathSoFar(dir))) for (const f of luaFilesUnder(dir)) place(f);
  return written
    .split(';')
    .map((t) => {
      const tpl = t.trim();
      if (tpl === '') return tpl;
      const abs = path.resolve(baseDir, tpl);
      if (!isInside(baseDir, path.dirname(abs))) {
        report.warnings.push(`package_path template ${tpl} is outside the workspace: kept as written`);
        return tpl;
      }
      return path.posix.join(prefix, path.relative(baseDir, abs).split(path.sep).join('/'));
    })
    .join(';');
}

function luaFilesUnder(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const abs = path.join(dir, e.name);
    if (e.isDirectory() && !e.name.startsWith('.')) return luaFilesUnder(abs);
    return e.isFile() && e.name.endsWith('.lua') ? [abs] : [];
  });
}

/** Where each layout keeps its Redis settings and the primary's key (Nauthilus 3.x: storage.redis.primary). */
const REDIS_AT = {
  '1.x': { at: ['server', 'redis'], primary: 'master' },
  '3.x': { at: ['storage', 'redis'], primary: 'primary' },
} as const;
type RedisAt = (typeof REDIS_AT)[keyof typeof REDIS_AT];

/** The Redis settings in Nauthilus' own form (a map with master/sentinels/cluster); Nauthilus has no embedded store. */
function rewriteRedis(doc: Document, studioUrl: string | undefined, report: ExportReport, where: RedisAt = REDIS_AT['1.x']): void {
  const at = [...where.at];
  const name = at.join('.');
  const node = doc.getIn(at, true);
  const placeholder = () => report.warnings.push(`${name}: AuthStudio ran on its embedded Redis; the export points at 127.0.0.1:6379: set ${where.primary}.address to your Redis`);
  if (studioUrl !== undefined) {
    const conn = parseRedisString(studioUrl);
    if (typeof conn !== 'string' && conn.mode !== 'mock') {
      const keep = isMap(node) ? (node.toJSON() as Record<string, unknown>) : {};
      doc.setIn(at, doc.createNode({ ...connectionMap(conn, report, where), ...pick(keep, ['prefix', 'positive_cache_ttl', 'negative_cache_ttl', 'pool_size', 'idle_pool_size', 'password_nonce', 'encryption_secret']) }));
      report.warnings.push(`${name}: written from the studio settings (include_secrets): the file holds the Redis password if the URL had one`);
      return;
    }
  }
  if (node === undefined || (isScalar(node) && String(node.value).trim().toLowerCase() === 'mock')) {
    if (doc.getIn([at[0]]) === undefined) doc.set(at[0], {});
    doc.setIn(at, { [where.primary]: { address: '127.0.0.1:6379' } });
    placeholder();
    return;
  }
  if (isScalar(node) && typeof node.value === 'string') {
    const conn = parseRedisString(node.value);
    // a node, not a plain object: the secrets in it are found and replaced afterwards
    if (typeof conn !== 'string') doc.setIn(at, doc.createNode(connectionMap(conn, report, where)));
    return;
  }
  if (isMap(node) && node.get('mock') === true) {
    node.delete('mock');
    if (!node.has(where.primary) && !node.has('sentinels') && !node.has('cluster')) node.set(where.primary, { address: '127.0.0.1:6379' });
    placeholder();
  }
}

/**
 * The 3.x form of writeServerFeatures: auth.controls.enabled and auth.services.enabled name what ran here, when the
 * file has neither (Nauthilus 3.x runs only the controls and services listed there).
 */
function writeControls(doc: Document, config: AuthStudioConfig, report: ExportReport): void {
  if (config.server.features !== undefined || doc.hasIn(['auth', 'controls', 'enabled']) || doc.hasIn(['auth', 'services', 'enabled'])) return;
  const features = featuresOfSections(config);
  const controls = features.filter((f) => f !== 'backend_server_monitoring');
  if (controls.length) doc.setIn(['auth', 'controls', 'enabled'], doc.createNode(controls, { flow: true }));
  if (features.includes('backend_server_monitoring')) doc.setIn(['auth', 'services', 'enabled'], doc.createNode(['backend_health_checks'], { flow: true }));
  if (features.length) report.warnings.push(`auth.controls.enabled / auth.services.enabled were added (${features.join(', ')}): Nauthilus 3.x runs only the controls and services listed there; these are the ones whose sections are configured`);
}

function connectionMap(conn: RedisConnection, report: ExportReport, where: RedisAt = REDIS_AT['1.x']): Record<string, unknown> {
  const primary: Record<string, unknown> = { address: conn.addresses[0] ?? '127.0.0.1:6379' };
  const m: Record<string, unknown> = { [where.primary]: primary };
  // Nauthilus 3.x has the credentials on the primary only (server.go Master)
  const creds = where.primary === 'primary' ? primary : m;
  if (conn.username) creds.username = conn.username;
  if (conn.password) creds.password = conn.password;
  if (conn.database) m.database_number = conn.database;
  if (conn.tls) report.warnings.push(`${where.at.join('.')}: the connection used TLS (rediss://): configure TLS for Redis on the target`);
  return m;
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}
