// Replay a corpus through one workspace (against what was recorded) or two (side by side), each side on its own
// fresh embedded Redis so brute-force counters and script state never leak from one side to the other.
//
//   entry ──> side A engine ──┐
//         └─> side B engine ──┴─> compare decision, status message, stage path ──> ReplayChange
import pino from 'pino';
import { AuthEngine } from '../engine';
import type { AuthStudioConfig } from '../config/types';
import type { ReplayChange, ReplayPasswordState, ReplayReport, ReplaySide } from '../api/contract-types';
import { TestRedis } from '../testing/test-redis';
import { outcomeOf, requestOf, type CorpusEntry } from './corpus-entry';
import type { CorpusKey } from './password-key';

export interface ReplaySideSpec {
  label: string;
  config: AuthStudioConfig;
}

export interface ReplayOptions {
  /** The machine's corpus key (absent: no key here, passwords cannot be opened). */
  key?: CorpusKey;
  /** Lines the corpus reader skipped, carried into the report. */
  skipped?: string[];
  /** Told after each entry (long corpora report progress). */
  onProgress?: (done: number, total: number) => void;
}

/** One side's engine: the workspace on a private embedded Redis, scripts on this thread, the entry's clock. */
class ReplayEngine {
  private constructor(readonly engine: AuthEngine, private readonly clock: { at: number; since: number }) {}

  static async start(config: AuthStudioConfig): Promise<ReplayEngine> {
    const clock = { at: Date.now(), since: Date.now() };
    const redis = TestRedis.for(config, false).open();
    const cfg = { ...config, server: { ...config.server, redis: { ...config.server.redis, mode: 'mock' as const, addresses: [] } } };
    try {
      const engine = await AuthEngine.create(cfg, {
        logger: pino({ level: 'silent' }), redis, workers: 0, clock: () => clock.at + (Date.now() - clock.since),
      });
      return new ReplayEngine(engine, clock);
    } catch (e) {
      await redis.close(0).catch(() => undefined);
      throw e;
    }
  }

  async run(entry: CorpusEntry, key: CorpusKey | undefined): Promise<{ side: ReplaySide; password: ReturnType<typeof requestOf>['password'] }> {
    const { req, password } = requestOf(entry, key);
    this.clock.at = entry.time;
    this.clock.since = Date.now();
    const out = await this.engine.authenticate(req);
    await out.postActions;
    return { side: { ...outcomeOf(out), trace: out.trace }, password };
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}

function differences(a: ReplaySide, b: ReplaySide): ReplayChange['changed'] {
  const changed: ReplayChange['changed'] = [];
  if (a.decision !== b.decision) changed.push('decision');
  if ((a.status_message ?? '') !== (b.status_message ?? '')) changed.push('status_message');
  if (a.stage_path.join('\n') !== b.stage_path.join('\n')) changed.push('stage_path');
  return changed;
}

/** Why a login replays without its password, in words. */
export const PASSWORD_WHY: Record<ReplayPasswordState, string> = {
  'not-recorded': 'recorded without --record-passwords',
  'other-machine': 'sealed with another machine\'s key: passwords are unavailable here',
  'no-key': 'sealed, but this machine has no corpus key: passwords are unavailable here',
  'unreadable': 'sealed with this machine\'s key but altered or damaged since',
};

/**
 * Run every entry through `a`, and through `b` when given. With `b`, the changes are a's answer -> b's answer;
 * without, the recorded answer -> a's. Logins whose password is not at hand run as lookups (everything but the
 * password check); against the recording they cannot be judged and are only counted.
 */
export async function replayCorpus(entries: CorpusEntry[], a: ReplaySideSpec, b: ReplaySideSpec | undefined, opts: ReplayOptions = {}): Promise<ReplayReport> {
  const first = await ReplayEngine.start(a.config);
  let second: ReplayEngine | undefined;
  try {
    second = b ? await ReplayEngine.start(b.config) : undefined;
    const report: ReplayReport = {
      before_label: b ? a.label : 'recorded', after_label: b ? b.label : a.label, entries: entries.length, changed: [],
      now_refused: 0, now_accepted: 0, without_password: 0, skipped: opts.skipped ?? [],
    };
    const why = new Map<ReplayPasswordState, number>();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const ra = await first.run(entry, opts.key);
      const lookup = ra.password === 'none-needed' || ra.password === 'opened' ? undefined : ra.password;
      if (lookup) {
        report.without_password++;
        why.set(lookup, (why.get(lookup) ?? 0) + 1);
      }
      let before: ReplaySide;
      let after: ReplaySide;
      if (second) {
        before = ra.side;
        after = (await second.run(entry, opts.key)).side;
      } else if (lookup) {
        opts.onProgress?.(i + 1, entries.length);
        continue; // a lookup says nothing about a login recorded with its password
      } else {
        before = entry.outcome;
        after = ra.side;
      }
      const changed = differences(before, after);
      if (changed.length > 0) {
        report.changed.push({
          index: i, time: entry.time, username: entry.fields.username ?? '', protocol: entry.fields.protocol ?? '',
          ...(entry.fields.client_ip ? { client_ip: entry.fields.client_ip } : {}), ...(lookup ? { lookup_because: lookup } : {}),
          changed, before, after,
        });
        if (before.decision === 'ok' && after.decision !== 'ok') report.now_refused++;
        if (before.decision !== 'ok' && after.decision === 'ok') report.now_accepted++;
      }
      opts.onProgress?.(i + 1, entries.length);
    }
    if (report.without_password > 0) {
      const reasons = [...why].map(([k, n]) => `${n} ${PASSWORD_WHY[k]}`).join('; ');
      report.password_note = b
        ? `${report.without_password} login${report.without_password === 1 ? '' : 's'} ran as lookups without a password (${reasons}): changes that depend on the password check cannot show in them`
        : `${report.without_password} login${report.without_password === 1 ? '' : 's'} could not be judged without a password (${reasons})`;
    }
    return report;
  } finally {
    await first.close();
    await second?.close();
  }
}

/** The banner line of a report, e.g. "this change refuses 3 logins that succeed today". */
export function changeSummary(r: ReplayReport): string {
  if (r.changed.length === 0) return `no change in ${r.entries} recorded request${r.entries === 1 ? '' : 's'}`;
  const parts: string[] = [];
  const logins = (n: number) => `${n} login${n === 1 ? '' : 's'}`;
  if (r.now_refused > 0) parts.push(`refuses ${logins(r.now_refused)} that succeed${r.now_refused === 1 ? 's' : ''} today`);
  if (r.now_accepted > 0) parts.push(`accepts ${logins(r.now_accepted)} that ${r.now_accepted === 1 ? 'is' : 'are'} refused today`);
  const other = r.changed.length - r.now_refused - r.now_accepted;
  if (other > 0) parts.push(`changes the status message or stage path of ${other} other request${other === 1 ? '' : 's'}`);
  return `this change ${parts.join(', ')}`;
}
