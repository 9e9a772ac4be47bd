// Extension points of the pipeline: built-in checks (brute force, TLS, relay domains, RBL) and the password cache.
import type { AuthRequest } from './auth-request';
import type { LuaRequestFields } from './lua-request';
import type { StageKind } from './trace';
import type { AuthOutcome, Decision, StageState } from './pipeline';

/** What a Lua backend returned (the prelude's plain form of nauthilus_backend_result). */
export interface BackendOutcome {
  authenticated: boolean;
  user_found: boolean;
  account_field?: string | null;
  totp_secret_field?: string | null;
  totp_recovery_field?: string | null;
  unique_user_id_field?: string | null;
  display_name_field?: string | null;
  attributes: Record<string, string | string[]>;
  /** Set by the pipeline: which backend answered. */
  backend?: string;
}

export interface CheckResult {
  /** Trace result text ("pass", "blocked", "listed", ...). */
  result: string;
  /** Set when the check decides the request (it then stops). */
  decision?: Decision;
  statusMessage?: string;
  error?: string;
  /** Request fields the check sets for later scripts (brute_force_bucket, repeating, ...). */
  luaFields?: LuaRequestFields;
}

/** A built-in check run by the pipeline at its slot. */
export interface BuiltinCheck {
  name: string;
  stage: StageKind;
  phase: 'before_features' | 'after_features';
  /** Action type run when the check decides the request (brute_force, tls_encryption, ...). */
  actionType?: string;
  /** Returns undefined when the check does not apply (no trace record). */
  run(state: StageState): Promise<CheckResult | undefined>;
  /** Called when a Nauthilus 3.x scheduler guard or run_if skipped the check for this request. */
  skipped?(state: StageState): void;
  /** Called once the decision is known (e.g. to count a failed login). */
  afterDecision?(out: AuthOutcome, state: StageState): Promise<void>;
}

/** The positive password cache (`server.backends: [cache, ...]`). */
export interface PasswordCache {
  lookup(cacheName: string, req: AuthRequest): Promise<BackendOutcome | undefined>;
  store(cacheName: string, req: AuthRequest, result: BackendOutcome): Promise<void>;
}
