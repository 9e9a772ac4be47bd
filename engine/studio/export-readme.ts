// The README of an export bundle: what was exported, where it goes, and what the target host needs.
import path from 'node:path';
import type { Document } from 'yaml';
import type { ExportReport } from '../api/contract';
import type { SecretReference } from './export-secrets';

/** server: keys AuthStudio's engine reads that a Nauthilus release may not know. */
const AUTHSTUDIO_SERVER_KEYS = ['max_concurrent_requests', 'lua_memory_limit', 'lua_cache_memory_limit', 'max_body_size', 'lua_allow_io'];

/** The README text for a finished export. */
export function exportReadme(report: ExportReport, doc: Document, sourceText: string, secrets: SecretReference[] = []): string {
  const vars = [...new Set([...sourceText.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]))].sort();
  const redis = doc.getIn(['server', 'redis']) as Record<string, unknown> | undefined;
  const address = (redis?.master as Record<string, unknown> | undefined)?.address;
  const studioKeys = AUTHSTUDIO_SERVER_KEYS.filter((k) => doc.getIn(['server', k]) !== undefined);
  const EXPORT_CONFIG = path.basename(report.config);
  const lines = [
    '# AuthStudio export',
    '',
    `Exported ${new Date().toISOString()}. This folder is a production bundle for Nauthilus 1.x (or \`authstudio serve\`).`,
    '',
    '## What is here',
    '',
    `- \`${EXPORT_CONFIG}\`: the configuration, with every script path rewritten to start with \`${report.prefix}\`.`,
    ...report.files.map((f) => `- \`${path.relative(report.out, f.target).split(path.sep).join('/')}\`: referenced as \`${f.referenced_as}\``),
    '',
    '## Installing on the target',
    '',
    `1. Copy the scripts so that they live under \`${report.prefix}\` with the same layout as here`,
    `   (e.g. \`rsync -a --exclude ${EXPORT_CONFIG} --exclude README.md ./ ${report.prefix}/\`).`,
    `2. Install \`${EXPORT_CONFIG}\` where Nauthilus reads its configuration (e.g. \`/etc/nauthilus/nauthilus.yml\`).`,
    `3. Redis: the configuration expects ${address ? `a Redis at \`${String(address)}\`` : 'the Redis named in server.redis'}.`,
    '   Studio settings (the Redis chosen in the studio, its password) are not part of an export unless asked for.',
  ];
  if (secrets.length) {
    lines.push(
      '4. Secrets: set the variables listed under "Secrets" below for the service.',
    );
  }
  if (vars.length) {
    lines.push(`${secrets.length ? 5 : 4}. Environment: the configuration references these variables; set them for the service, or substitute`, '   them before deploying (e.g. with `envsubst`) if your Nauthilus does not expand `${VAR}`:', ...vars.map((v) => `   - \`${v}\``));
  }
  lines.push('', 'This folder is private: its files are readable by their owner only (0600, folders 0700); keep them so on the target.');
  if (secrets.length) {
    lines.push(
      '', '## Secrets', '',
      `\`${EXPORT_CONFIG}\` holds no secret: each one was replaced by a reference to an environment variable (export with`,
      '`--include-secrets` to write them as they are). Set these for the service: AuthStudio and Nauthilus 3.x expand',
      '`${NAME}` in the configuration themselves; for Nauthilus 1.x substitute them before deploying',
      `(e.g. \`envsubst < ${EXPORT_CONFIG} > /etc/nauthilus/nauthilus.yml\`, then make that file readable by the service only).`,
      '', '| variable | configuration key |', '|---|---|',
      ...secrets.map((r) => `| \`${r.variable}\` | \`${r.key}\` |`),
    );
  }
  if (studioKeys.length) {
    lines.push('', '## AuthStudio settings in the configuration', '', `\`server:\` holds AuthStudio engine settings (${studioKeys.map((k) => `\`${k}\``).join(', ')}). Remove them if your Nauthilus release rejects unknown keys.`);
  }
  const warnings = [...report.warnings];
  // AuthStudio monitors backend servers when the section is there; Nauthilus only with the feature switched on too
  const features = doc.getIn(['server', 'features']);
  const featureList = features && typeof (features as { toJSON?: unknown }).toJSON === 'function' ? (features as { toJSON(): unknown }).toJSON() : features;
  if (doc.getIn(['backend_server_monitoring']) !== undefined && !(Array.isArray(featureList) && featureList.includes('backend_server_monitoring'))) {
    warnings.push('`backend_server_monitoring` is configured: Nauthilus monitors the servers (and gives nginx the one a filter selects) only with `backend_server_monitoring` listed in `server.features`; add it there.');
  }
  if (warnings.length) lines.push('', '## Check before deploying', '', ...warnings.map((w) => `- ${w}`));
  lines.push('', '## Checking the bundle with AuthStudio', '', `\`authstudio check --config ${EXPORT_CONFIG}\` works when the prefix is this folder (export with \`--prefix "$PWD"\`).`, '');
  return lines.join('\n');
}
