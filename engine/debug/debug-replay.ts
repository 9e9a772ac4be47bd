// A recorded login (one corpus entry) under the debugger: the entry is picked by its number as `authstudio replay`
// prints it (#1 is the oldest), and runs as replay runs it: with its password when this machine can open it, else as
// a lookup (everything but the password check), on the entry's recorded clock.
import path from 'node:path';
import { AuthStudioError } from '../errors/registry';
import { readCorpus } from '../replay/corpus';
import { requestOf, type CorpusEntry, type PasswordState } from '../replay/corpus-entry';
import { CorpusKey } from '../replay/password-key';
import { PASSWORD_WHY } from '../replay/replay-run';
import type { AuthRequest } from '../pipeline/auth-request';
import type { DebugReplayResult } from '../api/contract-types';
import type { AuthOutcome } from '../pipeline/pipeline';

/** Which recorded login to debug: the corpus folder (relative: to the workspace) and the entry's number. */
export interface CorpusPick {
  corpus: string;
  entry: number;
}

/** The entry to replay and the request built from it (password opened, or a lookup). */
export interface ReplayPlan {
  index: number;
  entry: CorpusEntry;
  req: AuthRequest;
  password: PasswordState;
  /** What the debug output says before the login runs. */
  note: string;
}

/** Read the corpus and build entry N's request; throws AS_ERR_BAD_REQUEST naming what is wrong. */
export function planReplay(workspace: string, pick: CorpusPick): ReplayPlan {
  if (typeof pick.corpus !== 'string' || pick.corpus === '') throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'launch: "corpus" must be the folder of a recorded corpus', { path: 'corpus' });
  const n = Number(pick.entry);
  if (!Number.isInteger(n) || n < 1) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `launch: "entry" must be an entry's number as \`authstudio replay\` prints it (1 is the oldest), not ${JSON.stringify(pick.entry)}`, { path: 'entry' });
  const dir = path.resolve(workspace, pick.corpus);
  const { entries } = readCorpus(dir);
  const entry = entries[n - 1];
  if (!entry) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `launch: the corpus ${pick.corpus} has ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, no #${n}`, { path: 'entry' });
  const { req, password } = requestOf(entry, CorpusKey.load({ create: false }));
  const who = [entry.fields.username || '(no user)', entry.fields.protocol, entry.fields.client_ip].filter(Boolean).join(' ');
  const how = password === 'opened' ? 'with its recorded password'
    : password === 'none-needed' ? `as recorded (${entry.mode})`
      : `as a lookup without its password (${PASSWORD_WHY[password]}): the password check does not run`;
  const note = `replaying corpus entry #${n} (${new Date(entry.time).toISOString()} ${who}, recorded: ${entry.outcome.decision}) ${how}\n`;
  return { index: n, entry, req, password, note };
}

/** What the debug run's end reports for a replayed entry. */
export function replayResult(plan: ReplayPlan, out: AuthOutcome): DebugReplayResult {
  const lookup = plan.password === 'opened' || plan.password === 'none-needed' ? undefined : plan.password;
  return {
    entry: plan.index,
    decision: out.decision,
    recorded_decision: plan.entry.outcome.decision,
    ...(out.statusMessage && out.decision !== 'ok' ? { status_message: out.statusMessage } : {}),
    ...(lookup ? { lookup_because: lookup } : {}),
  };
}
