// How the Traffic panel counts a login: from the pipeline's outcome, not from the HTTP answer alone.
import type { TrafficOutcome } from '../api/contract';
import type { AuthOutcome } from '../pipeline/pipeline';

/** The outcome series in the order the chart stacks them. */
export const TRAFFIC_OUTCOMES: readonly TrafficOutcome[] = ['ok', 'wrong_password', 'blocked', 'refused', 'tempfail'];

/**
 * ok and tempfail as decided; a failure is "blocked" when brute-force detection refused it (its trace records a
 * block, also when it was only a fact a 3.x policy decided on), "refused" when a check, Lua feature, filter or
 * policy refused it regardless of the password, else "wrong_password" (a backend said no, or no such user).
 * @example classifyOutcome({ decision: 'fail', refusedBy: 'relay_domains', trace: [] }) // 'refused'
 */
export function classifyOutcome(out: Pick<AuthOutcome, 'decision' | 'refusedBy' | 'trace'>): TrafficOutcome {
  if (out.decision === 'ok') return 'ok';
  if (out.decision === 'tempfail') return 'tempfail';
  if (out.refusedBy === 'brute_force' || out.trace.some((s) => s.stage === 'brute_force' && s.result.startsWith('blocked'))) return 'blocked';
  if (out.refusedBy !== undefined) return 'refused';
  return 'wrong_password';
}
