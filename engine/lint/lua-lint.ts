// The Lua checker: what `authstudio check` and the editor (as you type) report about a script before it goes live.
//
//   source ──luaparse (5.3 grammar; 5.4's <const>/<close> blanked)──> AST ──lint-walker──> findings
//          └─ number-text-lint (a division's result in `..`)  ──────────────────────────┘
//
// Findings: syntax errors; reads of globals the profile's VM does not have and the script never assigns; fields of
// host modules (and of string, math, ...) the profile does not provide; host calls with an argument count the API
// docs exclude; Lua 5.3+/5.4 constructs Nauthilus' Lua 5.1 (gopher-lua) lacks, and a division's result concatenated
// (the one number text the engine cannot print as gopher-lua does: docs/lua-api/dynamic_loader.md). The API comes
// from generated/host-api.ts (what the engine and the Dovecot harness report, per profile). No Node imports: the
// studio bundles this module and runs it in the browser.
import { parse } from 'luaparse';
import { DOVECOT_HOST_API, NAUTHILUS_HOST_API } from './generated/host-api';
import type { HostApiData } from './host-api-data';
import { LintWalker } from './lint-walker';
import { findFloatConcatenations } from '../lua/number-text-lint';
import type { ErrorCode } from '../errors/registry';

/** What a finding is about. */
export type LintKind = 'syntax' | 'undefined-global' | 'unknown-field' | 'argument-count' | 'lua-version' | 'number-text';

/** One finding, 1-based lines and columns (end exclusive). */
export interface LintFinding {
  kind: LintKind;
  severity: 'error' | 'warning';
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** The error code (engine/errors/registry.ts, docs/errors.md) each kind of finding reports under. */
export const LINT_CODES = {
  syntax: 'AS_ERR_LUA_SYNTAX', 'undefined-global': 'AS_ERR_LUA_UNDEFINED', 'unknown-field': 'AS_ERR_LUA_UNDEFINED',
  'argument-count': 'AS_ERR_LUA_ARGUMENTS', 'lua-version': 'AS_ERR_LUA_VERSION', 'number-text': 'AS_ERR_LUA_NUMBER_TEXT',
} as const satisfies Record<LintKind, ErrorCode>;

export interface LintOptions {
  /** Whose API the script runs against: a Nauthilus script (the engine) or a Dovecot auth script (the harness). */
  api: 'nauthilus' | 'dovecot';
  /** The workspace's Nauthilus profile (1.10, 1.12, 3.0, 3.1) or the Dovecot version (2.3, 2.4); absent: any. */
  profile?: string;
  /** lua_allow_io: the script may use `io`. */
  allowIo?: boolean;
  /**
   * Whether the workspace names its profile (the config's `nauthilus:` key). False: the profile was guessed from the
   * config's layout (a 1.x layout cannot tell 1.10 from 1.12), so a name only another version has is a warning that
   * says how to set it, not an error. Absent: named.
   */
  profileExplicit?: boolean;
  /**
   * Modules `require` loads from the workspace's own files (lua.config.package_path) rather than a built-in module of
   * that name: name -> the fields the file exports (module-exports.ts), undefined when they cannot be told.
   */
  userModules?: ReadonlyMap<string, readonly string[] | undefined>;
}

/** The API data a script is checked against. */
export function hostApi(api: LintOptions['api']): HostApiData {
  return api === 'dovecot' ? DOVECOT_HOST_API : NAUTHILUS_HOST_API;
}

/** Lua 5.4's variable attributes, which the 5.3 grammar of luaparse lacks: blanked (columns kept) and reported. */
const ATTRIB = /(?<=\blocal\s+(?:[A-Za-z_]\w*\s*(?:<\s*\w+\s*>\s*)?,\s*)*[A-Za-z_]\w*\s*)<\s*(const|close)\s*>/g;

/**
 * Check a Lua script; never throws for bad input (a syntax error is a finding).
 *
 * @example
 *   lintLua('nauthilus_bultin.custom_log_add("k", "v")', { api: 'nauthilus', profile: '3.0' })
 *   // [{ kind: 'undefined-global', severity: 'error', line: 1, column: 1,
 *   //    message: "undefined global 'nauthilus_bultin' (did you mean 'nauthilus_builtin'?)", ... }]
 */
export function lintLua(source: string, opts: LintOptions): LintFinding[] {
  const findings: LintFinding[] = [];
  const nauthilus = opts.api === 'nauthilus';
  const lines = source.split('\n');
  const text = source.replace(ATTRIB, (m, attrib: string, offset: number) => {
    if (nauthilus) findings.push(at(offset, m.length, 'lua-version', 'warning', `<${attrib}> is Lua 5.4: Nauthilus (Lua 5.1) cannot compile this script`));
    return ' '.repeat(m.length);
  });
  function at(offset: number, length: number, kind: LintKind, severity: LintFinding['severity'], message: string): LintFinding {
    let line = 1;
    let start = 0;
    for (const l of lines) {
      if (start + l.length >= offset) break;
      start += l.length + 1;
      line++;
    }
    const column = offset - start + 1;
    return { kind, severity, message, line, column, endLine: line, endColumn: column + length };
  }
  let chunk;
  try {
    chunk = parse(text, { luaVersion: '5.3', locations: true, encodingMode: 'none', comments: false });
  } catch (e) {
    const err = e as { line?: number; column?: number; message?: string };
    const line = err.line ?? 1;
    const column = (err.column ?? 0) + 1;
    const message = String(err.message ?? e).replace(/^\[\d+:\d+\]\s*/, '');
    findings.push({ kind: 'syntax', severity: 'error', message: `syntax error: ${message}`, line, column, endLine: line, endColumn: Math.max(column + 1, (lines[line - 1]?.length ?? 0) + 1) });
    return findings;
  }
  findings.push(...new LintWalker(hostApi(opts.api), opts).run(chunk));
  if (nauthilus) {
    for (const f of findFloatConcatenations(source)) {
      const l = lines[f.line - 1] ?? '';
      const indent = l.length - l.trimStart().length;
      findings.push({ kind: 'number-text', severity: 'warning', message: f.message, line: f.line, column: indent + 1, endLine: f.line, endColumn: l.length + 1 });
    }
  }
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}
