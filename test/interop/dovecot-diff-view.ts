// What the Dovecot differential tests (2.3 and 2.4) compare on either side: the outcome, the code, the fields (less
// the ones Dovecot adds itself), the IMAP answer and the log lines, each normalised by the version's own rules.
import type { DovecotResult } from '../../engine/dovecot/types';

export interface View {
  outcome: string;
  code?: string;
  fields: Record<string, string>;
  imap?: string;
  logs: string[];
}

/** Fields doveadm prints that are not the script's: the failure code and reason are compared on their own. */
export const HIDDEN = new Set(['code', 'reason']);

/** doveadm's fields without the hidden ones and without `user` when it is the login name itself. */
export function scriptFields(fields: Record<string, string>, login: string): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([k, v]) => !HIDDEN.has(k) && !(k === 'user' && v === login.toLowerCase())));
}

/** An IMAP answer without the parts that differ per run (the timestamped reference of a temporary failure). */
export function normaliseImap(answer: string): string {
  if (answer.startsWith('OK ')) return 'OK Logged in';
  return answer.replace(/ \[[^\]]*:\d{4}-[^\]]*\]$/, '');
}

/** The harness's result as a View; `normaliseLog` drops or rewrites log lines as the version's test needs. */
export function harnessView(r: DovecotResult, normaliseLog: (line: string) => string | undefined): View {
  return {
    outcome: r.outcome, ...(r.failCode ? { code: r.failCode } : {}), fields: r.fields,
    logs: r.logs.map((l) => normaliseLog(l.text)).filter((l): l is string => l !== undefined),
  };
}

/** Fields as one sorted line for the printed comparison table. */
export const fieldText = (v: View): string => Object.entries(v.fields).map(([k, x]) => (x === '' ? k : `${k}=${x}`)).sort().join(' ');
