// Test helper: a real Lua VM with real engine services, to run a snippet of Lua against host modules.
import pino from 'pino';
import { Registry } from 'prom-client';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';
import type { EngineServices } from '../../engine/lua/services';
import { RedisStore } from '../../engine/redis/store';
import { MemoryCache } from '../../engine/lua/shared-cache';
import type { RedisSettings } from '../../engine/config/types';

export interface HarnessOptions {
  env?: Record<string, string>;
  redis?: RedisStore;
  baseDir?: string;
  dnsResolver?: string;
  timeoutMs?: number;
  /** The CallContext the snippet runs with (to preset httpRequest or read recorded events); a fresh one by default. */
  call?: CallContext;
  /** server.lua_allow_io (off by default). */
  allowIo?: boolean;
}

export const MOCK_REDIS: RedisSettings = {
  mode: 'mock', addresses: [], prefix: '', positiveCacheTtlSec: 3600, negativeCacheTtlSec: 3600,
};

/** Build engine services for tests (embedded Redis unless one is given). */
export function testServices(opts: HarnessOptions = {}): EngineServices {
  return {
    logger: pino({ level: 'silent' }),
    redis: opts.redis ?? new RedisStore(MOCK_REDIS),
    metrics: new Registry(),
    cache: new MemoryCache(),
    getenv: (n) => (opts.env && n in opts.env ? opts.env[n] : undefined),
    baseDir: opts.baseDir ?? process.cwd(),
    dnsResolver: opts.dnsResolver,
  };
}

/**
 * Run `body` (Lua statements ending in a `return`) as a feature script's entry function and return
 * what it returned, as JS values. Use `request` inside the body for the request table.
 *
 * @example
 *   const [n] = await runLua('local json = require("json"); return json.encode({1,2})');
 */
export async function runLua(body: string, opts: HarnessOptions & { services?: EngineServices; request?: Record<string, string> } = {}): Promise<unknown[]> {
  const services = opts.services ?? testServices(opts);
  const vm = await LuaVm.create({ poolName: 'test', services, memoryLimitBytes: 64 << 20, allowIo: opts.allowIo ?? false });
  try {
    const src = `function nauthilus_call_action(request)\n__as_test_result = table.pack((function()\n${body}\nend)())\nreturn 0\nend\nfunction __as_test_get() return table.unpack(__as_test_result, 1, __as_test_result.n) end`;
    const script = await vm.loadScript('test.lua', src, opts.timeoutMs ?? 10000);
    const encoded = Object.entries(opts.request ?? {}).map(([k, v]) => `s${k}=${v}`).join('\x01');
    const call = opts.call ?? new CallContext('test-session', { recordEvents: true });
    await vm.dispatch('action', script, encoded, [], call, opts.timeoutMs ?? 10000);
    return await vm.evalEnv(script, '__as_test_get', call, opts.timeoutMs ?? 10000);
  } finally {
    vm.close();
  }
}
