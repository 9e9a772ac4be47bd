// One corpus entry: the request as the engine saw it (without its password unless sealed), when it came, and what
// the engine decided (decision, status message, stage path). Entries are JSON lines; see docs/replay.md.
import type { AuthOutcome } from '../pipeline/pipeline';
import { CLIENT_FIELDS, newSessionId, type AuthRequest, type ClientField, type RequestMode } from '../pipeline/auth-request';
import type { HookHttpRequest } from '../lua/call-context';
import type { StageRecord } from '../pipeline/trace';
import type { CorpusKey, SealedPassword } from './password-key';

export const CORPUS_VERSION = 1;

/** What the engine decided, as recorded and as replayed. */
export interface RecordedOutcome {
  decision: string;
  status_message?: string;
  refused_by?: string;
  /** Every stage that ran, in order, as "stage:name=result". */
  stage_path: string[];
}

export interface CorpusEntry {
  v: number;
  /** When the engine saw the request (ms since the epoch); replays run with this clock. */
  time: number;
  session: string;
  mode: RequestMode;
  endpoint: AuthRequest['endpoint'];
  /** The non-empty client fields, without the password. */
  fields: Partial<Record<ClientField, string>>;
  /** The HTTP request scripts read, without credentials headers and without a body. */
  http?: Omit<HookHttpRequest, 'body'>;
  peer?: { ip: string; trustedProxy: boolean };
  /** Whether the request carried a password at all, and (opt-in) the password sealed with the machine's key. */
  had_password: boolean;
  password?: SealedPassword;
  outcome: RecordedOutcome;
}

/** Headers that carry credentials: never written to a corpus. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|auth-pass)$|token|secret|passw/i;

/** The stage path of a trace: which stages ran and what each decided. */
export function stagePath(trace: StageRecord[]): string[] {
  return trace.map((r) => `${r.stage}:${r.name}=${r.result}`);
}

export function outcomeOf(out: AuthOutcome): RecordedOutcome {
  const o: RecordedOutcome = { decision: out.decision, stage_path: stagePath(out.trace) };
  if (out.statusMessage && out.decision !== 'ok') o.status_message = out.statusMessage;
  if (out.refusedBy) o.refused_by = out.refusedBy;
  return o;
}

/** The entry for a request the engine answered; the password is sealed only when a key is given. */
export function entryOf(req: AuthRequest, out: AuthOutcome, key: CorpusKey | undefined, time = Date.now()): CorpusEntry {
  const fields: Partial<Record<ClientField, string>> = {};
  for (const f of CLIENT_FIELDS) if (f !== 'password' && req.fields[f] !== '') fields[f] = req.fields[f];
  const e: CorpusEntry = {
    v: CORPUS_VERSION, time, session: req.session, mode: req.mode, endpoint: req.endpoint, fields,
    had_password: req.fields.password !== '', outcome: outcomeOf(out),
  };
  if (req.http) {
    const headers: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(req.http.headers)) if (!SECRET_HEADER.test(k)) headers[k] = v;
    const query: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(req.http.query)) if (!SECRET_HEADER.test(k)) query[k] = v;
    e.http = { method: req.http.method, path: req.http.path, query, headers };
  }
  if (req.peer) e.peer = req.peer;
  if (key && e.had_password) e.password = key.seal(req.fields.password);
  return e;
}

/** How a replay can run an entry: with its password, or as a lookup (no-auth) when none is at hand. */
export type PasswordState = 'none-needed' | 'opened' | 'not-recorded' | 'other-machine' | 'no-key' | 'unreadable';

/** The request to replay (a fresh session id) and whether its password could be used. */
export function requestOf(e: CorpusEntry, key: CorpusKey | undefined): { req: AuthRequest; password: PasswordState } {
  const fields = {} as Record<ClientField, string>;
  for (const f of CLIENT_FIELDS) fields[f] = typeof e.fields[f] === 'string' ? (e.fields[f] as string) : '';
  let mode = e.mode;
  let password: PasswordState = 'none-needed';
  if (e.mode === 'auth' && e.had_password) {
    const opened = e.password && key ? key.open(e.password) : undefined;
    if (opened !== undefined) {
      fields.password = opened;
      password = 'opened';
    } else {
      password = !e.password ? 'not-recorded' : !key ? 'no-key' : e.password.key_id !== key.id ? 'other-machine' : 'unreadable';
      // without the password the most a replay can judge is everything but the password check: a lookup
      mode = 'no-auth';
    }
  }
  const req: AuthRequest = { session: newSessionId(), mode, fields, endpoint: e.endpoint };
  if (e.http) req.http = { ...e.http, body: '' };
  if (e.peer) req.peer = e.peer;
  return { req, password };
}

/** Check a parsed line's shape; returns what is wrong, or undefined. */
export function entryProblem(x: unknown): string | undefined {
  const e = x as Partial<CorpusEntry>;
  if (!e || typeof e !== 'object' || Array.isArray(e)) return 'not a JSON object';
  if (e.v !== CORPUS_VERSION) return `unknown corpus version ${JSON.stringify(e.v)} (this AuthStudio reads version ${CORPUS_VERSION})`;
  if (typeof e.time !== 'number') return '"time" must be a number';
  if (e.mode !== 'auth' && e.mode !== 'no-auth' && e.mode !== 'list-accounts') return '"mode" must be auth, no-auth or list-accounts';
  if (!e.fields || typeof e.fields !== 'object') return '"fields" must be an object';
  if (!e.outcome || typeof e.outcome.decision !== 'string' || !Array.isArray(e.outcome.stage_path)) return '"outcome" must have a decision and a stage_path';
  return undefined;
}
