// `authstudio replay CORPUS --workspace A [--against B] [--json]`: the corpus through one workspace or two, every
// request whose decision, status message or stage path changes with both traces; exit 0 unchanged, 1 changed, 2 error.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfigFile } from '../config/load';
import { AuthStudioError } from '../errors/registry';
import type { OptionSpec } from '../cli-args';
import type { ReplayReport, ReplaySide } from '../api/contract-types';
import { formatTrace } from '../testing/run-request';
import { readCorpus } from './corpus';
import { CorpusKey } from './password-key';
import { changeSummary, replayCorpus } from './replay-run';

export const REPLAY_OPTIONS: Record<string, OptionSpec> = {
  workspace: { type: 'string', required: true, description: 'the workspace folder (with authstudio.yml) or config file to replay through' },
  against: { type: 'string', description: 'a second workspace or config: list what changes from --workspace to this one (otherwise: from what was recorded)' },
  json: { type: 'boolean', description: 'print the report as one JSON object' },
};

export const REPLAY_USAGE_HEAD = 'authstudio replay CORPUS';

/** A workspace folder's authstudio.yml, or the config file given. */
function configFileOf(p: string): string {
  try {
    return fs.statSync(p).isDirectory() ? path.join(p, 'authstudio.yml') : p;
  } catch {
    throw new AuthStudioError('AS_ERR_CLI_USAGE', `replay: no workspace or config file at ${p}`);
  }
}

/** Run the command; returns the exit code (errors other than usage throw and are reported by the CLI). */
export async function replayCommand(corpusDir: string | undefined, args: Record<string, string | boolean | undefined>, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  if (!corpusDir || corpusDir.startsWith('--')) throw new AuthStudioError('AS_ERR_CLI_USAGE', 'replay: give the corpus folder first: authstudio replay CORPUS --workspace A [--against B]');
  const corpus = readCorpus(corpusDir);
  for (const s of corpus.skipped) stderr.write(`replay: skipped ${s}\n`);
  const a = String(args.workspace);
  const b = args.against as string | undefined;
  const sideA = { label: a, config: loadConfigFile(configFileOf(a), { redisOverride: 'mock' }) };
  const sideB = b === undefined ? undefined : { label: b, config: loadConfigFile(configFileOf(b), { redisOverride: 'mock' }) };
  const total = corpus.entries.length;
  const step = Math.max(500, Math.ceil(total / 20));
  const report = await replayCorpus(corpus.entries, sideA, sideB, {
    key: CorpusKey.load({ create: false }), skipped: corpus.skipped,
    onProgress: (done, n) => {
      if (n >= 1000 && (done % step === 0 || done === n)) stderr.write(`replay: ${done}/${n} requests\n`);
    },
  });
  stdout.write(args.json ? JSON.stringify(report) + '\n' : formatReport(report));
  return report.changed.length > 0 ? 1 : 0;
}

function sideLines(label: string, s: ReplaySide): string {
  const head = `    ${label}: ${s.decision}${s.status_message ? ` "${s.status_message}"` : ''}${s.refused_by ? ` (refused by ${s.refused_by})` : ''}`;
  const body = s.trace ? formatTrace(s.trace, '      ') : s.stage_path.map((p) => `      ${p}`).join('\n');
  return body ? `${head}\n${body}` : head;
}

/** The report as text: one block per changed request with both sides' traces, then the totals. */
export function formatReport(r: ReplayReport): string {
  const out: string[] = [];
  for (const c of r.changed) {
    const who = [c.username || '(no user)', c.protocol, c.client_ip].filter(Boolean).join(' ');
    const what = c.changed.includes('decision') ? `decision ${c.before.decision} -> ${c.after.decision}` : c.changed.map((k) => k.replace('_', ' ')).join(', ') + ' changed';
    out.push(`#${c.index + 1} ${new Date(c.time).toISOString()} ${who}: ${what}${c.lookup_because ? ' (replayed as a lookup: no password)' : ''}`);
    out.push(sideLines(r.before_label, c.before));
    out.push(sideLines(r.after_label, c.after));
    out.push('');
  }
  out.push(`${r.entries} request${r.entries === 1 ? '' : 's'} replayed (${r.before_label} -> ${r.after_label}): ${r.changed.length} changed; ${changeSummary(r)}`);
  if (r.password_note) out.push(r.password_note);
  if (r.skipped.length) out.push(`${r.skipped.length} corpus line${r.skipped.length === 1 ? '' : 's'} skipped (listed above)`);
  return out.join('\n') + '\n';
}
