// Redis Cluster: a batch, pipeline or multi-key DEL whose keys live in different hash slots is split by slot.
//
//   commands --group by the slot of each command's key (key prefix included)--> one pipeline / MULTI per slot,
//            all at once --> replies put back in the order the commands were given
//
// ioredis refuses a pipeline whose keys span nodes ("All keys in the pipeline should belong to the same slots
// allocation group") and Redis refuses a MULTI or DEL across slots (CROSSSLOT). go-redis, which Nauthilus uses,
// sends a cluster pipeline to each node and a cluster TxPipeline as one MULTI per slot; this does the same, so a
// MULTI on a Cluster is atomic per slot, not as a whole. Outside a Cluster nothing is split.
import { Cluster } from 'ioredis';
import type { RedisClient, RedisCommand } from './store';

// cluster-key-slot (ioredis' own slot function) ships no type declarations
const calculateSlot = require('cluster-key-slot') as (key: string) => number;

/** The Redis Cluster hash slot of a full key (hash tag `{...}` rules included). */
export function keySlot(key: string): number {
  return calculateSlot(key);
}

/** True when `client` is a Redis Cluster client. */
export function isCluster(client: unknown): client is Cluster {
  return client instanceof Cluster;
}

/** The key a command is routed by: its first key (EVAL/EVALSHA: the first of KEYS), or none. */
export function commandKey(command: RedisCommand): string | undefined {
  const [name, ...args] = command;
  if (/^eval(sha)?(_ro)?$/i.test(name)) return Number(args[1]) > 0 ? String(args[2]) : undefined;
  return args.length > 0 ? String(args[0]) : undefined;
}

/** The key prefix ioredis adds to every key of this client. */
function prefixOf(client: Cluster): string {
  return (client.options as { keyPrefix?: string }).keyPrefix ?? '';
}

/** Indexes of `keys` grouped by slot, in first-seen order; keyless items (undefined) form a group of their own. */
export function groupBySlot(keys: Array<string | undefined>, prefix = ''): number[][] {
  const groups = new Map<number, number[]>();
  keys.forEach((k, i) => {
    const slot = k === undefined ? -1 : keySlot(prefix + k);
    const g = groups.get(slot);
    if (g) g.push(i);
    else groups.set(slot, [i]);
  });
  return [...groups.values()];
}

type ExecReply = Array<[Error | null, unknown]>;
type Queue = Record<string, (...args: unknown[]) => unknown> & { exec(): Promise<ExecReply | null> };

/**
 * Run `commands` as one pipeline (or MULTI when `atomic`) and answer like ioredis' exec(): [error, reply] per
 * command. On a Cluster, one pipeline / MULTI per slot; a MULTI that was aborted answers an error for each of
 * its commands.
 */
export async function execSplitBySlot(client: RedisClient, commands: RedisCommand[], atomic: boolean): Promise<ExecReply> {
  const run = async (cmds: RedisCommand[]): Promise<ExecReply> => {
    const q = (atomic ? client.multi() : client.pipeline()) as unknown as Queue;
    for (const [cmd, ...args] of cmds) q[cmd](...args);
    const res = await q.exec();
    if (!res) return cmds.map(() => [new Error('the Redis transaction was aborted'), null]);
    return res;
  };
  if (!isCluster(client)) return run(commands);
  const groups = groupBySlot(commands.map(commandKey), prefixOf(client));
  if (groups.length === 1) return run(commands);
  const out: ExecReply = new Array(commands.length);
  await Promise.all(groups.map(async (g) => {
    const res = await run(g.map((i) => commands[i]));
    g.forEach((idx, j) => (out[idx] = res[j]));
  }));
  return out;
}

/** DEL of several keys: one DEL per slot on a Cluster. Returns how many keys were removed. */
export async function deleteKeys(client: RedisClient, keys: string[]): Promise<number> {
  if (keys.length === 0) return 0;
  if (!isCluster(client)) return client.del(...keys);
  const groups = groupBySlot(keys, prefixOf(client));
  const counts = await Promise.all(groups.map((g) => client.del(...g.map((i) => keys[i]))));
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Every key matching `match` (a SCAN pattern of full keys, prefix included), as full keys. On a Cluster every
 * master is scanned (SCAN walks one node only).
 */
export async function scanAll(client: RedisClient, match: string, count = 200): Promise<string[]> {
  const nodes = isCluster(client) ? client.nodes('master') : [client];
  const out = new Set<string>();
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', count);
      cursor = next;
      for (const k of keys) out.add(k);
    } while (cursor !== '0');
  }
  return [...out];
}
