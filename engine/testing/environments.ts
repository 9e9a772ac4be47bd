// tests/environments.yml: variables per environment, written into test files as {{name}} (one file for the CLI's
// `authstudio test --env NAME` and the studio's environment picker).
//
//   dev:     { user: alice, password: alice-secret }
//   staging: { user: bob, password: bob-secret }
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { AuthStudioError } from '../errors/registry';

export const ENVIRONMENTS_FILE = 'tests/environments.yml';

/** Every environment of the workspace (none when the file does not exist). */
export function loadEnvironments(workspace: string): Record<string, Record<string, string>> {
  const file = path.join(workspace, ENVIRONMENTS_FILE);
  if (!fs.existsSync(file)) return {};
  const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'));
  if (doc.errors.length) throw new AuthStudioError('AS_ERR_TEST_FILE', doc.errors[0].message.split('\n')[0], { location: { file: ENVIRONMENTS_FILE, line: doc.errors[0].linePos?.[0]?.line } });
  const v = doc.toJSON() as unknown;
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new AuthStudioError('AS_ERR_TEST_FILE', 'a mapping of environment names to variables expected', { location: { file: ENVIRONMENTS_FILE, line: 1 } });
  const out: Record<string, Record<string, string>> = {};
  for (const [name, vars] of Object.entries(v as Record<string, unknown>)) {
    if (!vars || typeof vars !== 'object' || Array.isArray(vars)) throw new AuthStudioError('AS_ERR_TEST_FILE', `${name}: a mapping of variable names to values expected`, { location: { file: ENVIRONMENTS_FILE, line: 1 } });
    out[name] = Object.fromEntries(Object.entries(vars as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
  }
  return out;
}

/** The variables of `name` (an unknown name is an error naming those that exist). */
export function environmentVariables(workspace: string, name: string | undefined): Record<string, string> {
  if (name === undefined || name === '') return {};
  const all = loadEnvironments(workspace);
  if (!Object.prototype.hasOwnProperty.call(all, name)) {
    const known = Object.keys(all);
    throw new AuthStudioError('AS_ERR_TEST_FILE', `no environment "${name}" in ${ENVIRONMENTS_FILE} (${known.length ? `it has ${known.join(', ')}` : 'the file has none'})`, { path: 'environment' });
  }
  return all[name];
}
