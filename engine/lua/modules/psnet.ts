// `nauthilus_psnet`: connection targets a script registers (usually in an init script) and their counts of
// established TCP connections (Nauthilus 1.10's connection manager; counted while server.insights.monitor_connections is on).
import type { LuaModule } from '../module';
import type { EngineServices } from '../services';
import { ConnectionTargets } from '../connection-targets';
import { pair } from '../values';
import { luaNumberText } from '../go-number';

/** Threads built without an engine (tests, tools) get one set of targets per services object. */
const fallback = new WeakMap<EngineServices, ConnectionTargets>();

/** The connection targets of the thread these services belong to. */
export function connectionTargetsOf(services: EngineServices): ConnectionTargets {
  if (services.connections) return services.connections;
  let t = fallback.get(services);
  if (!t) {
    t = new ConnectionTargets({ logger: services.logger, metrics: services.metrics, dnsResolver: services.dnsResolver, dnsTimeoutMs: services.dnsTimeoutMs });
    fallback.set(services, t);
  }
  return t;
}

/** gopher-lua's L.ToString: strings and numbers as text (integral numbers without ".0"), anything else "". */
function luaText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return luaNumberText(v);
  return '';
}

export const psnetModule: LuaModule = {
  name: 'nauthilus_psnet',
  legacyLoaderName: 'nauthilus_psnet',
  summary: 'register_connection_target(target, direction, description); get_connection_target(target) -> count.',
  install(host) {
    const targets = connectionTargetsOf(host.services);
    return {
      functions: {
        // returns nothing; a target that is not host:port or does not resolve is logged and left out
        register_connection_target: async (target: unknown, direction: unknown, description: unknown) => {
          await targets.register(luaText(target), luaText(direction), luaText(description));
          return undefined;
        },
        get_connection_target: (target: unknown) => {
          const n = targets.count(luaText(target));
          return n === undefined ? pair(undefined, 'Target not registered') : n;
        },
      },
      async: ['register_connection_target'],
    };
  },
};
