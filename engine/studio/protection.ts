// The Protection panel's service side: which networks and accounts brute-force detection blocks now, and unblocking
// them with the same deletes as Nauthilus' flush endpoints.
import type { ProtectionList, UnblockInput, UnblockResult } from '../api/contract';
import type { AuthEngine } from '../engine';
import { AuthStudioError } from '../errors/registry';
import { normaliseIp } from '../pipeline/auth-request';

/** Blocked networks (bucket, counter, TTL, ban time, when) and affected accounts, read from Redis. */
export async function listBlocked(engine: AuthEngine): Promise<ProtectionList> {
  const bf = engine.protection.bruteForce;
  if (!bf) return { enabled: false, networks: [], accounts: [] };
  const [networks, accounts] = await Promise.all([bf.list(), bf.affectedAccounts()]);
  networks.sort((a, b) => b.blocked_at - a.blocked_at || a.network.localeCompare(b.network));
  return { enabled: true, networks, accounts };
}

/**
 * Unblock `{network, bucket?}` (a listed network such as 198.18.7.0/24, or one address) or `{account}`.
 * @example await unblock(engine, { network: '198.18.7.0/24', bucket: 'b_1h_ipv4_24' })
 */
export async function unblock(engine: AuthEngine, arg: UnblockInput): Promise<UnblockResult> {
  const bf = engine.protection.bruteForce;
  if (!bf) throw new AuthStudioError('AS_ERR_NOT_FOUND', 'brute-force protection is not configured (brute_force.buckets)');
  const removed: string[] = [];
  if ('account' in arg && arg.account !== undefined) {
    if (typeof arg.account !== 'string' || arg.account === '') throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'account must be a non-empty string', { path: 'account' });
    await bf.flushAccount(arg.account, removed);
    return { removed_keys: removed };
  }
  const { network, bucket } = arg as { network?: unknown; bucket?: unknown };
  if (typeof network !== 'string' || network === '') throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'send {"network": "<network or address>", "bucket"?: "<bucket>"} or {"account": "<account>"}', { path: 'network' });
  const ip = normaliseIp(network.split('/')[0], 'network');
  if (bucket !== undefined && (typeof bucket !== 'string' || !engine.config.bruteForce?.buckets.some((b) => b.name === bucket))) {
    throw new AuthStudioError('AS_ERR_BAD_REQUEST', `no brute-force bucket named "${String(bucket)}"`, { path: 'bucket' });
  }
  await bf.flush(ip, (bucket as string | undefined) ?? '*', removed);
  return { removed_keys: removed };
}
