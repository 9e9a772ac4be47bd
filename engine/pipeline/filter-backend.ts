// What filters did through `nauthilus_backend`, applied to the outcome as Nauthilus 1.10 does (core/auth.go filterLua):
// attributes named by remove_from_backend_result are dropped, those of apply_backend_result added where the backend
// gave none, and the server of select_backend_server is kept for nginx when the filters accepted the login.
import type { BackendServerConfig } from '../config/types';
import type { FilterBackend } from '../lua/call-context';
import type { AuthOutcome } from './pipeline';

/** A fresh per-request state for the filters, listing the servers alive now. */
export function filterBackendState(alive: BackendServerConfig[] | undefined, current?: FilterBackend['current']): FilterBackend {
  return { servers: [...(alive ?? [])], apply: {}, remove: [], ...(current ? { current } : {}) };
}

/** The backend's attributes with what the filters so far removed and applied (Nauthilus 3.0's cumulative view). */
export function currentAttributes(b: FilterBackend): Record<string, string | string[]> {
  const attrs = { ...(b.current?.attributes ?? {}) };
  for (const name of b.remove) delete attrs[name];
  for (const [k, v] of Object.entries(b.apply)) if (!Object.prototype.hasOwnProperty.call(attrs, k)) attrs[k] = v;
  return attrs;
}

/** Apply what the filters collected; `accepted` is false when a filter rejected the login. */
export function applyFilterBackend(b: FilterBackend, out: AuthOutcome, accepted: boolean): void {
  if (b.remove.length || Object.keys(b.apply).length) {
    const attrs = { ...out.attributes };
    for (const name of b.remove) delete attrs[name];
    for (const [k, v] of Object.entries(b.apply)) if (!Object.prototype.hasOwnProperty.call(attrs, k)) attrs[k] = v;
    out.attributes = attrs;
  }
  if (accepted && b.selected && b.selected.host !== '' && b.selected.port > 0) out.backendServer = { ...b.selected };
}
