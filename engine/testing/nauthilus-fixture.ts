// Nauthilus `--test-lua` fixture files (Nauthilus 2.1+, as in 3.0's testing/luatest): reading them as they are,
// the ordered expected_calls check, and the expected_output comparison with its error texts.
import { AuthStudioError } from '../errors/registry';

/** The callback types of `nauthilus --test-callback`. */
export const FIXTURE_CALLBACKS = ['subject', 'environment', 'action', 'backend', 'hook', 'cache_flush'] as const;
export type FixtureCallback = (typeof FIXTURE_CALLBACKS)[number];

/** Fixture keys whose `expected_calls` list method names, and the module each one stands for. */
export const TRACKED_MODULES: Readonly<Record<string, string>> = Object.freeze({
  context: 'nauthilus_context', redis: 'nauthilus_redis', policy: 'nauthilus_policy', i18n: 'nauthilus_i18n',
  ldap: 'nauthilus_ldap', backend: 'nauthilus_backend', misc: 'nauthilus_misc', password: 'nauthilus_password',
  soft_whitelist: 'nauthilus_soft_whitelist', mail: 'nauthilus_mail', dns: 'nauthilus_dns',
  opentelemetry: 'nauthilus_opentelemetry', brute_force: 'nauthilus_brute_force', psnet: 'nauthilus_psnet',
  prometheus: 'nauthilus_prometheus', util: 'nauthilus_util', cache: 'nauthilus_cache',
  backend_result: 'nauthilus_backend_result', http_request: 'nauthilus_http_request',
  http_response: 'nauthilus_http_response', http_client: 'glua_http',
});

/** Keys of a fixture file (Nauthilus's MockData); others are ignored, as Go's json.Unmarshal does. */
const KNOWN_KEYS = new Set([...Object.keys(TRACKED_MODULES), 'db', 'expected_output']);

export interface ExpectedCall {
  method: string;
  arg_contains?: string;
}

/** A parsed fixture: the raw sections, checked for the types this runner reads. */
export interface NauthilusFixture {
  file: string;
  data: Record<string, Record<string, unknown>>;
  /** Keys Nauthilus does not know (a typo such as "expected_ouput" silently checks nothing there). */
  unknownKeys: string[];
}

function fail(file: string, keyPath: string, message: string): never {
  throw new AuthStudioError('AS_ERR_TEST_FILE', `${keyPath}: ${message}`, { location: { file } });
}

/** Parse a fixture's JSON text. Throws AS_ERR_TEST_FILE naming the file and key path of what is wrong. */
export function parseFixture(file: string, text: string): NauthilusFixture {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AuthStudioError('AS_ERR_TEST_FILE', `not valid JSON: ${(e as Error).message}`, { location: { file } });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(file, '(top level)', 'a JSON object expected');
  const data: Record<string, Record<string, unknown>> = {};
  const unknownKeys: string[] = [];
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!KNOWN_KEYS.has(k)) {
      unknownKeys.push(k);
      continue;
    }
    if (v === null) continue;
    if (typeof v !== 'object' || Array.isArray(v)) fail(file, k, `an object expected, got ${Array.isArray(v) ? 'an array' : typeof v}`);
    data[k] = v as Record<string, unknown>;
    const calls = (v as Record<string, unknown>).expected_calls;
    if (calls !== undefined && calls !== null) {
      if (!Array.isArray(calls)) fail(file, `${k}.expected_calls`, 'an array expected');
      calls.forEach((c, i) => {
        if (c === null || typeof c !== 'object' || typeof (c as ExpectedCall).method !== 'string') {
          fail(file, `${k}.expected_calls[${i}]`, 'an object with a "method" string expected');
        }
      });
    }
  }
  const exp = data.expected_output;
  if (exp) {
    for (const k of ['subject_result', 'environment_result', 'backend_return_code', 'used_backend_port']) {
      if (exp[k] !== undefined && exp[k] !== null && !Number.isInteger(exp[k])) fail(file, `expected_output.${k}`, `a whole number expected, got ${JSON.stringify(exp[k])}`);
    }
    for (const k of ['subject_rejected', 'environment_triggered', 'environment_abort', 'action_result', 'backend_result', 'backend_authenticated', 'backend_user_found', 'error_expected']) {
      if (exp[k] !== undefined && exp[k] !== null && typeof exp[k] !== 'boolean') fail(file, `expected_output.${k}`, `true or false expected, got ${JSON.stringify(exp[k])}`);
    }
    for (const k of ['status_message_contain', 'status_message_not_contain', 'logs_contain', 'logs_not_contain', 'cache_flush_additional_keys']) {
      const v = exp[k];
      if (v !== undefined && v !== null && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) fail(file, `expected_output.${k}`, 'a list of strings expected');
    }
  }
  return { file, data, unknownKeys };
}

/**
 * The ordered expected_calls of one module (Nauthilus 3.0 luatest recordModuleCall/validateModuleCalls): calls are
 * compared in order by method name (case-insensitive) and, when given, arg_contains (case-insensitive substring);
 * the first mismatch sticks; calls made when no expectation is listed are not checked.
 */
export class CallExpectations {
  private index = 0;
  private failure = '';

  constructor(private readonly module: string, private readonly expected: ExpectedCall[]) {}

  /** Record one call; returns the error text when it does not match (then every later call fails the same way). */
  record(method: string, args: string): string | undefined {
    if (this.failure) return this.failure;
    if (this.expected.length === 0) return undefined;
    if (this.index >= this.expected.length) {
      this.failure = `unexpected ${this.module} call #${this.index + 1}: method=${method} args=${JSON.stringify(args)}`;
      return this.failure;
    }
    const want = this.expected[this.index];
    if (want.method.trim().toLowerCase() !== method.trim().toLowerCase()) {
      this.failure = `${this.module} call #${this.index + 1} method mismatch: expected=${want.method} got=${method}`;
      return this.failure;
    }
    if (want.arg_contains && !args.toLowerCase().includes(want.arg_contains.toLowerCase())) {
      this.failure = `${this.module} call #${this.index + 1} args mismatch: expected to contain ${JSON.stringify(want.arg_contains)}, got ${JSON.stringify(args)}`;
      return this.failure;
    }
    this.index++;
    return undefined;
  }

  /** After the run: the sticky failure, or the first expected call that never came. */
  finish(): string | undefined {
    if (this.failure) return this.failure;
    if (this.index < this.expected.length) {
      const next = this.expected[this.index];
      return `missing expected ${this.module} call #${this.index + 1}: method=${next.method} arg_contains=${JSON.stringify(next.arg_contains ?? '')}`;
    }
    return undefined;
  }
}

/** What one callback run produced (Nauthilus's TestResult). */
export interface FixtureResult {
  success: boolean;
  subject_result?: number;
  subject_rejected?: boolean;
  environment_triggered?: boolean;
  environment_abort?: boolean;
  environment_result?: number;
  action_result?: boolean;
  backend_result?: boolean;
  backend_return_code?: number;
  backend_authenticated?: boolean;
  backend_user_found?: boolean;
  backend_account_field?: string;
  backend_display_name?: string;
  backend_unique_user_id?: string;
  cache_flush_additional_keys?: string[];
  cache_flush_account_name?: string;
  status_messages: string[];
  logs: string[];
  errors: string[];
  /** Things the user should know that do not fail the test (fixture keys Nauthilus ignores). */
  notes?: string[];
}

/**
 * Compare a result with expected_output as Nauthilus 3.0's validateOutput does: result values the callback did
 * not produce are not compared for the subject/environment/action/backend_result/return-code fields, but are for
 * the backend fields, used backend and cache flush; error_expected only turns "no error" into a failure.
 */
export function compareExpected(expected: Record<string, unknown>, r: FixtureResult): void {
  const failWith = (msg: string) => {
    r.success = false;
    r.errors.push(msg);
  };
  const both = (key: keyof FixtureResult, label: string) => {
    const want = expected[key];
    const got = r[key];
    if (want === undefined || want === null || got === undefined) return;
    if (want !== got) failWith(`${label} mismatch: expected ${String(want)}, got ${String(got)}`);
  };
  const required = (key: keyof FixtureResult, label: string) => {
    const want = expected[key];
    if (want === undefined || want === null) return;
    const got = r[key];
    if (got === undefined) failWith(`${label} mismatch: expected ${String(want)}, got <nil>`);
    else if (want !== got) failWith(`${label} mismatch: expected ${String(want)}, got ${String(got)}`);
  };
  both('subject_result', 'subject result');
  both('subject_rejected', 'subject rejection');
  both('environment_triggered', 'environment trigger');
  both('environment_abort', 'environment abort');
  both('environment_result', 'environment result');
  both('action_result', 'action result');
  both('backend_result', 'backend result');
  both('backend_return_code', 'backend return code');
  required('backend_authenticated', 'backend authenticated');
  required('backend_user_found', 'backend user_found');
  required('backend_account_field', 'backend account_field');
  required('backend_display_name', 'backend display_name');
  required('backend_unique_user_id', 'backend unique_user_id');
  const keys = expected.cache_flush_additional_keys as string[] | undefined;
  if (keys) {
    const got = r.cache_flush_additional_keys ?? [];
    if (keys.length !== got.length) failWith(`cache flush additional keys mismatch: expected ${keys.length} keys, got ${got.length}`);
    else keys.forEach((k, i) => k !== got[i] && failWith(`cache flush additional key mismatch at index ${i}: expected ${k}, got ${got[i]}`));
  }
  required('cache_flush_account_name', 'cache flush account name');
  // Nauthilus fills these from its nauthilus_backend mock's server selection, which AuthStudio does not replace
  for (const k of ['used_backend_address', 'used_backend_port']) {
    if (expected[k] !== undefined && expected[k] !== null) failWith(`expected_output.${k} is not checked by AuthStudio (it comes from Nauthilus's nauthilus_backend test mock)`);
  }
  for (const s of (expected.status_message_contain as string[] | undefined) ?? []) {
    if (!r.status_messages.some((m) => m.includes(s))) failWith(`expected status message not found: ${s}`);
  }
  for (const s of (expected.status_message_not_contain as string[] | undefined) ?? []) {
    if (r.status_messages.some((m) => m.includes(s))) failWith(`unexpected status message found: ${s}`);
  }
  for (const s of (expected.logs_contain as string[] | undefined) ?? []) {
    if (!r.logs.some((m) => m.includes(s))) failWith(`expected log not found: ${s}`);
  }
  for (const s of (expected.logs_not_contain as string[] | undefined) ?? []) {
    if (r.logs.some((m) => m.includes(s))) failWith(`unexpected log found: ${s}`);
  }
  if (expected.error_expected === true && r.errors.length === 0) failWith('expected error but none occurred');
  else if (expected.error_expected !== true && r.errors.length > 0) r.success = false;
}

/** One expected DB interaction of a fixture's `db.expected_calls` (Nauthilus 3.0 DBExpectedCall). */
export interface DbExpectedCall {
  method: string;
  query_contains?: string;
  rows_affected?: number;
  last_insert_id?: number;
  columns?: string[];
  rows?: unknown[][];
}

/**
 * The fixture's `db` mock (Nauthilus 3.0 DBMock, declarative): open/query/exec/stmt/close calls checked in order
 * by method and query_contains; a query answers the rows of the call it matched.
 */
export class DbExpectations {
  private index = 0;
  private lastMatched = -1;
  private failure = '';

  constructor(private readonly expected: DbExpectedCall[]) {}

  /** Record one call; returns the error text when it does not match. */
  record(method: string, query: string): string | undefined {
    if (this.failure) return this.failure;
    if (this.expected.length === 0) return undefined;
    if (this.index >= this.expected.length) {
      this.failure = `unexpected db call #${this.index + 1}: method=${method} query=${JSON.stringify(query)}`;
      return this.failure;
    }
    const want = this.expected[this.index];
    if (want.method.trim().toLowerCase() !== method.trim().toLowerCase()) {
      this.failure = `db call #${this.index + 1} method mismatch: expected=${want.method} got=${method}`;
      return this.failure;
    }
    if (want.query_contains && !query.toLowerCase().includes(want.query_contains.toLowerCase())) {
      this.failure = `db call #${this.index + 1} query mismatch: expected to contain ${JSON.stringify(want.query_contains)}, got ${JSON.stringify(query)}`;
      return this.failure;
    }
    this.lastMatched = this.index++;
    return undefined;
  }

  /** The expected call matched last (its rows answer a query), or undefined. */
  lastMatchedCall(): DbExpectedCall | undefined {
    return this.lastMatched >= 0 ? this.expected[this.lastMatched] : undefined;
  }

  finish(): string | undefined {
    if (this.failure) return this.failure;
    if (this.index < this.expected.length) {
      const next = this.expected[this.index];
      return `missing expected db call #${this.index + 1}: method=${next.method} query_contains=${JSON.stringify(next.query_contains ?? '')}`;
    }
    return undefined;
  }
}
