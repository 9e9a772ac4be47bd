// Saved requests in the studio: the workspace's tests/*.test.yml (one request per file when saved from the studio,
// plain YAML in git), listed, written with their expected outcome, and run as a collection by `authstudio test`'s
// own runner, so the CLI and the studio agree on every result.
import path from 'node:path';
import YAML from 'yaml';
import type { CollectionRunInput, CollectionRunResult, EnvironmentsInfo, SavedRequestInfo, SaveRequestInput } from '../api/contract';
import { AuthStudioError, isAuthStudioError } from '../errors/registry';
import { ENVIRONMENTS_FILE, loadEnvironments } from '../testing/environments';
import { runTestSuite } from '../testing/suite';
import { findTestFiles, parseTestFile, type WorkspaceTest } from '../testing/test-files';
import type { Workspace } from './workspace';

function summaryOf(t: WorkspaceTest): string {
  switch (t.kind) {
    case 'request': return `${t.mode === 'auth' ? '' : `${t.mode} `}${t.request.username ?? ''} ${t.request.protocol ?? ''} ${t.request.client_ip ?? ''}`.trim();
    case 'hook': return `${t.hook.method} ${t.hook.path}`;
    case 'lua_test': return `${t.callback} ${t.script}`;
    case 'dovecot': return `${t.action} ${t.login.user} (${t.script})`;
  }
}

/** Every saved request and test (a malformed file is listed as one entry naming its problem). */
export function listSavedRequests(ws: Workspace): SavedRequestInfo[] {
  const out: SavedRequestInfo[] = [];
  for (const file of findTestFiles(path.join(ws.root, 'tests'))) {
    const rel = path.relative(ws.root, file).split(path.sep).join('/');
    try {
      for (const t of parseTestFile(ws.root, file, null)) out.push({ name: t.name, file: t.file, line: t.line, kind: t.kind, summary: summaryOf(t) });
    } catch (e) {
      out.push({ name: rel, file: rel, line: 1, kind: 'request', summary: isAuthStudioError(e) ? e.message : String(e) });
    }
  }
  return out;
}

/** tests/<slug>.test.yml for a request name ("Alice logs in" -> tests/alice-logs-in.test.yml). */
export function savedRequestPath(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
  if (!slug) throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'name must contain letters or digits', { path: 'name' });
  return `tests/${slug}.test.yml`;
}

/** The YAML of one saved request (the format `authstudio test` reads). */
export function savedRequestText(a: SaveRequestInput): string {
  if (typeof a.name !== 'string' || !a.name.trim()) throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'name must be a non-empty string', { path: 'name' });
  if (!!a.login === !!a.hook) throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'exactly one of login and hook expected', { path: a.login ? 'hook' : 'login' });
  const expect = a.expect && typeof a.expect === 'object' && !Array.isArray(a.expect) ? a.expect : {};
  const test: Record<string, unknown> = { name: a.name.trim() };
  if (a.login) {
    const request = Object.fromEntries(Object.entries(a.login.request ?? {}).filter(([, v]) => v !== '' && v !== undefined).map(([k, v]) => [k, String(v)]));
    if (a.login.mode && a.login.mode !== 'auth') test.mode = a.login.mode;
    test.request = request;
  } else if (a.hook) {
    const hook: Record<string, unknown> = { method: String(a.hook.method ?? 'GET').toUpperCase(), path: a.hook.path };
    if (a.hook.headers && Object.keys(a.hook.headers).length) hook.headers = a.hook.headers;
    if (a.hook.body) hook.body = a.hook.body;
    test.hook = hook;
  }
  test.expect = expect;
  return `# Saved from the studio; run with \`authstudio test\` or the studio's Collections panel.\n${YAML.stringify(test, { lineWidth: 0 })}`;
}

/** Run saved requests with the CLI's runner; failures say what differed (decided_by names the stage). */
export async function runCollection(ws: Workspace, a: CollectionRunInput, redis?: string): Promise<CollectionRunResult> {
  if (a.files !== undefined && (!Array.isArray(a.files) || a.files.some((f) => typeof f !== 'string'))) {
    throw new AuthStudioError('AS_ERR_BAD_REQUEST', 'files must be a list of workspace paths', { path: 'files' });
  }
  const r = await runTestSuite({
    workspace: ws.root, files: a.files?.map((f) => ws.paths.normalise(f)), environment: a.environment || undefined, redis,
    write: () => undefined,
  });
  const result: CollectionRunResult = {
    passed: r.passed, failed: r.failed,
    cases: r.cases.map((c) => ({
      name: c.name, file: c.file, line: c.line, kind: c.kind, passed: c.passed, failures: c.failures, duration_ms: Math.round(c.durationMs),
      ...(c.summary ? { summary: c.summary } : {}),
      ...(!c.passed && c.detail?.includes('trace:') ? { trace: c.detail.slice(c.detail.indexOf('trace:') + 7) } : {}),
    })),
  };
  if (a.environment) result.environment = a.environment;
  return result;
}

export function environmentsInfo(ws: Workspace): EnvironmentsInfo {
  const environments = loadEnvironments(ws.root);
  return { file: ENVIRONMENTS_FILE, exists: Object.keys(environments).length > 0, environments };
}
