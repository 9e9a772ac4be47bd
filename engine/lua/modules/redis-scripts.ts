// `nauthilus_redis` server-side Lua: redis_upload_script stores a script by name, redis_run_script runs it.
import crypto from 'node:crypto';
import type { HostFunction } from '../module';
import type { RedisStore } from '../../redis/store';
import { checkArg, fail, ret } from '../values';
import { type RedisRunner, errorText, goString, listValues, notNil } from './redis-runner';
import { cmds } from './redis-commands';
import { isCluster } from '../../redis/cluster-slots';

/** The hash tag Nauthilus' Lua redis_run_script gives KEYS on a Redis Cluster (1.10 and 3.0 alike). */
export const LUA_SCRIPT_HASH_TAG = '{lua-nauthilus}';

/** The span of a key's first "{" up to its first "}" (braces included), when "{" comes first. */
function tagSpan(key: string): [number, number] | undefined {
  const open = key.indexOf('{');
  const close = key.indexOf('}');
  return open !== -1 && close !== -1 && open < close ? [open, close + 1] : undefined;
}

/**
 * KEYS of a script run on a Redis Cluster, as Nauthilus sends them (its EnsureKeysInSameSlot): unchanged when
 * there is one key or every key already carries the same hash tag; otherwise every key gets `tag`, in place of
 * its own tag or in front ("<tag>:<key>"). A script that names its keys with one common tag keeps its names.
 */
export function keysInOneSlot(keys: string[], tag = LUA_SCRIPT_HASH_TAG): string[] {
  if (keys.length <= 1) return keys;
  const tags = keys.map((k) => {
    const span = tagSpan(k);
    return span && k.slice(span[0], span[1]);
  });
  if (tags[0] !== undefined && tags.every((t) => t === tags[0])) return keys;
  return keys.map((k) => {
    const span = tagSpan(k);
    return span ? k.slice(0, span[0]) + tag + k.slice(span[1]) : `${tag}:${k}`;
  });
}

/** A script uploaded by name: its SHA1 and its source (to EVAL when the server forgot it). */
export interface UploadedScript {
  sha: string;
  source: string;
}

// Uploads are shared by every VM of an engine (an init script uploads, features run), so they hang off the store.
const uploadsByStore = new WeakMap<RedisStore, Map<string, UploadedScript>>();

/** The scripts uploaded through this engine's Redis store, by upload name. */
export function uploadedScripts(store: RedisStore): Map<string, UploadedScript> {
  let m = uploadsByStore.get(store);
  if (!m) {
    m = new Map();
    uploadsByStore.set(store, m);
  }
  return m;
}

/** KEYS and ARGV items as Nauthilus sends them: LValue.String() (true/false, numbers as Lua 5.1 prints them). */
export function scriptArg(_fn: string, _n: number, v: unknown): string {
  return goString(v);
}

/** EVALSHA the uploaded script, EVAL its source when the server answers NOSCRIPT (restart, or ioredis-mock). */
export async function evalUploaded(c: unknown, script: UploadedScript, keys: string[], args: string[]): Promise<unknown> {
  try {
    return await cmds(c).evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (e) {
    if (!/^NOSCRIPT/.test(errorText(e))) throw e;
    return cmds(c).eval(script.source, keys.length, ...keys, ...args);
  }
}

/** redis_upload_script, redis_run_script. */
export function scriptCommands(r: RedisRunner): Record<string, HostFunction> {
  return {
    redis_upload_script: (pool: string, script: unknown, name: unknown) => {
      checkArg('redis_upload_script', 2, script, 'string');
      checkArg('redis_upload_script', 3, name, 'string');
      const source = script as string;
      const sha = crypto.createHash('sha1').update(source).digest('hex');
      // ioredis-mock has no SCRIPT LOAD: remember the source, the first run EVALs it
      const load = r.isMock(pool) ? async () => sha : (c: unknown) => cmds(c).script('LOAD', source) as Promise<string>;
      return r.run(pool, 'SCRIPT LOAD', [], load, { script: name }).then(
        (loaded) => {
          uploadedScripts(r.host.services.redis).set(name as string, { sha: loaded, source });
          return ret(loaded);
        },
        (e) => fail(errorText(e)),
      );
    },
    redis_run_script: (pool: string, script: unknown, name: unknown, keys: unknown, args: unknown) => {
      checkArg('redis_run_script', 2, script, 'string');
      checkArg('redis_run_script', 3, name, 'string');
      const ks = listValues('redis_run_script', 4, keys).map((v) => scriptArg('redis_run_script', 4, v));
      const as = listValues('redis_run_script', 5, args).map((v) => scriptArg('redis_run_script', 5, v));
      if (name !== '') {
        const uploaded = uploadedScripts(r.host.services.redis).get(name as string);
        if (!uploaded) return Promise.resolve(fail(`could not find script with name ${name as string}`));
        return r.reply(pool, 'EVALSHA', ks, (c) => evalUploaded(c, uploaded, isCluster(c) ? keysInOneSlot(ks) : ks, as), notNil, { script: name });
      }
      return r.reply(pool, 'EVAL', ks, (c) => {
        const keys = isCluster(c) ? keysInOneSlot(ks) : ks;
        return cmds(c).eval(script as string, keys.length, ...keys, ...as);
      }, notNil);
    },
  };
}
