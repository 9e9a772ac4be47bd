// `nauthilus_redis.redis_pipeline`: many commands in one round trip, one {ok, value | err} entry per command.
import { createHash } from 'node:crypto';
import type { HostFunction } from '../module';
import { checkArg, fail, ret } from '../values';
import { type RedisRunner, errorText, listValues, toNumber, goString, valueArg, lvAsNumber } from './redis-runner';
import { goRedisFloat } from '../go-number';
import { cmds } from './redis-commands';
import { evalUploaded, uploadedScripts, type UploadedScript } from './redis-scripts';
import { execSplitBySlot } from '../../redis/cluster-slots';
import type { RedisCommand } from '../../redis/store';

/** One queued command: the client method and its arguments, and how its reply becomes a Lua value. */
interface PipelineOp {
  method: string;
  args: Array<string | number>;
  key?: string;
  map?: (reply: any) => unknown;
  /** run_script: EVALSHA with an EVAL fallback where commands run one by one (the embedded Redis). */
  script?: UploadedScript;
}

/** Reads the items of one command row (`{"hget", key, field}`), 1-based as the script wrote them. */
class Row {
  constructor(readonly items: unknown[], readonly index: number) {}

  get name(): string {
    return String(this.items[0]).toLowerCase();
  }

  // Nauthilus reads row items leniently (gopher-lua's String() and LVAsNumber): nothing here raises

  /** An item as text (LValue.String(): numbers as in Lua 5.1, booleans "true"/"false", nil "nil"). */
  str(i: number): string {
    return goString(this.items[i - 1]);
  }

  /** A value to store (convert.LuaValue, its error ignored): booleans "1"/"0", nil and tables "". */
  val(i: number): string {
    const v = this.items[i - 1];
    return typeof v === 'object' && v !== null ? '' : valueArg('redis_pipeline', 3, v);
  }

  /** LVAsNumber: a number or numeric string, else 0; `dflt` when the item is nil. */
  num(i: number, dflt?: number): number {
    const v = this.items[i - 1];
    if ((v === undefined || v === null) && dflt !== undefined) return dflt;
    return lvAsNumber(v);
  }

  int(i: number, dflt?: number): number {
    return Math.trunc(this.num(i, dflt));
  }

  /** Items from position i on (up to the first nil), or the list at position i, each as text. */
  list(i: number): string[] {
    const v = this.items[i - 1];
    if (typeof v === 'object' && v !== null) return listValues('redis_pipeline', 3, v).map(goString);
    const out: string[] = [];
    for (let j = i; j <= this.items.length && this.items[j - 1] !== undefined && this.items[j - 1] !== null; j++) out.push(this.str(j));
    return out;
  }

  table(i: number): Record<string, unknown> | undefined {
    const v = this.items[i - 1];
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  }
}

const asBool = (n: number) => n === 1;
const nums = (v: unknown) => (v === null ? null : toNumber(v));

/** Turn a row into an op, or throw with a message naming the row. */
function buildOp(row: Row, mock: boolean, uploads: Map<string, UploadedScript>): PipelineOp {
  const key = () => row.str(2);
  const one = (method: string, args: Array<string | number>, map?: PipelineOp['map']): PipelineOp => ({ method, args, key: args.length ? String(args[0]) : undefined, map });
  switch (row.name) {
    case 'ping': return { method: 'ping', args: [] };
    case 'get': case 'incr': case 'del': case 'exists': case 'hgetall': case 'hlen': case 'smembers': case 'scard':
    case 'lpop': case 'rpop': case 'llen':
      return one(row.name, [key()]);
    case 'set': {
      const ttl = row.int(4, 0);
      return one('set', ttl > 0 ? [key(), row.val(3), 'EX', ttl] : [key(), row.val(3)]);
    }
    case 'expire': return one('expire', [key(), row.int(3)], asBool);
    case 'rename': return one('rename', [key(), row.str(3)]);
    case 'hget': return one('hget', [key(), row.str(3)]);
    case 'hset': return one('hset', [key(), row.str(3), row.val(4)]);
    case 'hexists': return one('hexists', [key(), row.str(3)], asBool);
    case 'hincrby': return one('hincrby', [key(), row.str(3), row.int(4)]);
    case 'hincrbyfloat': return one('hincrbyfloat', [key(), row.str(3), row.num(4)], nums);
    case 'hmget': case 'hdel': case 'srem': case 'lpush': case 'rpush': {
      const rest = row.list(3);
      if (rest.length === 0) rest.push('');
      return one(row.name, [key(), ...rest]);
    }
    case 'sadd': return one('sadd', [key(), row.str(3)]);
    case 'sismember': return one('sismember', [key(), row.str(3)], asBool);
    case 'zadd': return one('zadd', [key(), goRedisFloat(row.num(3)), row.str(4)]);
    case 'zrem': return one('zrem', [key(), row.str(3)]);
    case 'zscore': return one('zscore', [key(), row.str(3)], nums);
    case 'zincrby': return one('zincrby', [key(), goRedisFloat(row.num(3)), row.str(4)], nums);
    case 'zrank': case 'zrevrank': return one(row.name, [key(), row.str(3)]);
    case 'zcount': case 'zremrangebyscore': return one(row.name, [key(), row.str(3), row.str(4)]);
    case 'zremrangebyrank': case 'zrange': case 'zrevrange': case 'lrange': return one(row.name, [key(), row.int(3), row.int(4)]);
    case 'zrangebyscore': {
      const o = row.table(5) ?? {};
      const offset = Math.trunc(lvAsNumber(o.offset));
      const count = Math.trunc(lvAsNumber(o.count));
      return one('zrangebyscore', [key(), row.str(3), row.str(4), ...(offset || count ? ['LIMIT', offset, count] : [])]);
    }
    case 'mget': return one('mget', row.list(2));
    case 'mset': return one('mset', row.list(2));
    case 'keys': return one('keys', [row.str(2)]);
    case 'scan': {
      const match = row.items[2] === undefined || row.items[2] === null ? '*' : row.str(3);
      return { method: 'scan', args: [String(row.int(2)), 'MATCH', match, 'COUNT', row.int(4, 10)], map: ([c, keys]: [string, string[]]) => ({ cursor: Number(c), keys }) };
    }
    case 'pfadd': {
      const vals = row.list(3);
      return mock ? one('sadd', [key(), ...(vals.length ? vals : [''])], (n: number) => (n > 0 ? 1 : 0)) : one('pfadd', [key(), ...vals]);
    }
    case 'pfcount': {
      const keys = row.list(2);
      return mock ? { method: 'sunion', args: keys, key: keys[0], map: (m: string[]) => m.length } : one('pfcount', keys);
    }
    case 'pfmerge': {
      const dest = key();
      const sources = row.list(3);
      return mock ? one('sunionstore', [dest, dest, ...sources], () => 'OK') : one('pfmerge', [dest, ...sources]);
    }
    case 'run_script': case 'evalsha': {
      // Nauthilus 1.10: {"run_script", upload_name, {keys}, {args}}; Nauthilus 1.12 (redislib/pipeline.go) takes
      // redis_run_script's order, {"run_script", script, upload_name, {keys}, {args}}: told apart by item 3, a
      // table in the 1.10 form and the upload name (a string) in the 1.12 one
      if (row.name === 'run_script' && !row.table(3) && row.items[2] !== undefined && row.items[2] !== null) {
        const source = row.str(2);
        const name = row.str(3);
        const keys = row.table(4) ? row.list(4) : [];
        const args = row.table(5) ? row.list(5) : [];
        if (name === '') {
          const raw = { sha: createHash('sha1').update(source).digest('hex'), source };
          return { method: 'eval', args: [source, keys.length, ...keys, ...args], key: keys[0], script: raw };
        }
        const script = uploads.get(name);
        if (!script) throw new Error(`could not find script with name ${name}`);
        return { method: 'eval', args: [script.source, keys.length, ...keys, ...args], key: keys[0], script };
      }
      const name = row.str(2);
      const script = uploads.get(name);
      if (!script) throw new Error(`unknown uploaded script name: ${name}`);
      const keys = row.table(3) ? row.list(3) : [];
      const args = row.table(4) ? row.list(4) : [];
      // in a real pipeline EVAL (not EVALSHA) so a server that lost its script cache still runs it
      return { method: 'eval', args: [script.source, keys.length, ...keys, ...args], key: keys[0], script };
    }
    default:
      throw new Error(`unsupported pipeline command: ${row.name}`);
  }
}

/** One result entry as Nauthilus returns it: nil replies are ok with a nil value. */
function entry(op: PipelineOp, err: unknown, reply: unknown): Record<string, unknown> {
  if (err) return { ok: false, err: errorText(err) };
  if (reply === null || reply === undefined) return { ok: true };
  try {
    return { ok: true, value: op.map ? op.map(reply) : reply };
  } catch (e) {
    return { ok: false, err: errorText(e) };
  }
}

/** redis_pipeline(handle, mode, commands) -> array of {ok = bool, value = ..., err = string}, err. */
export function pipelineCommands(r: RedisRunner): Record<string, HostFunction> {
  return {
    redis_pipeline: (pool: string, mode: unknown, commands: unknown) => {
      checkArg('redis_pipeline', 2, mode, 'string');
      const rows = listValues('redis_pipeline', 3, commands);
      const mock = r.isMock(pool);
      const uploads = uploadedScripts(r.host.services.redis);
      const ops: PipelineOp[] = [];
      for (let i = 0; i < rows.length; i++) {
        if (typeof rows[i] !== 'object' || rows[i] === null) return Promise.resolve(fail(`pipeline command at index ${i + 1} must be a table`));
        const items = listValues('redis_pipeline', 3, rows[i]);
        try {
          ops.push(buildOp(new Row(items, i + 1), mock, uploads));
        } catch (e) {
          return Promise.resolve(fail(errorText(e)));
        }
      }
      const keys = ops.map((o) => o.key).filter((k): k is string => k !== undefined);
      const detail = { mode, commands: ops.map((o) => o.method.toUpperCase()).slice(0, 50) };
      return r.run(pool, 'PIPELINE', keys, async (c) => {
        if (!mock) {
          // on a Redis Cluster one pipeline per hash slot, as go-redis' cluster pipeline sends one per node
          const res = await execSplitBySlot(c, ops.map((o) => [o.method, ...o.args] as RedisCommand), false);
          return res.map(([err, reply], i) => entry(ops[i], err, reply));
        }
        // ioredis-mock: in-process anyway, so run one by one (its pipelines have no EVAL)
        const out: Array<Record<string, unknown>> = [];
        for (const op of ops) {
          try {
            const nk = op.script ? Number(op.args[1]) : 0;
            const reply = op.script
              ? await evalUploaded(c, op.script, op.args.slice(2, 2 + nk).map(String), op.args.slice(2 + nk).map(String))
              : await cmds(c)[op.method](...op.args);
            out.push(entry(op, null, reply));
          } catch (e) {
            out.push(entry(op, e, null));
          }
        }
        return out;
      }, detail).then(ret, (e) => fail(errorText(e)));
    },
  };
}
