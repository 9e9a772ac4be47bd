// `authstudio dovecot upgrade SCRIPT [-o OUT]`: a Dovecot 2.3 Lua script rewritten for Dovecot 2.4, with a list of
// what changed (line numbers), what needs a person, and the config block for each version.
import fs from 'node:fs';
import path from 'node:path';
import { AuthStudioError } from '../errors/registry';
import { configSnippets, upgradeScript, type UpgradeResult } from './upgrade';

export const UPGRADE_USAGE = 'authstudio dovecot upgrade SCRIPT [-o OUT] [--lua-file PATH]\n'
  + '  rewrite a Dovecot 2.3 Lua passdb/userdb script for Dovecot 2.4 (without -o the script goes to stdout, the report to stderr)\n'
  + '  --lua-file PATH  the path Dovecot reads the script from, for the config blocks (default: OUT or SCRIPT)';

/** The report: changes and manual steps with line numbers, then the config blocks. */
export function formatUpgradeReport(r: UpgradeResult, luaFile: string, userdb: boolean): string {
  const out: string[] = [];
  out.push(r.changed.length ? `changed (${r.changed.length}):` : 'changed: nothing');
  for (const c of r.changed) out.push(`  line ${c.line}: ${c.text}`);
  out.push(r.manual.length ? `could not change (${r.manual.length}), do by hand:` : 'could not change: nothing');
  for (const m of r.manual) out.push(`  line ${m.line}: ${m.text}`);
  const conf = configSnippets(luaFile, userdb);
  out.push('Dovecot 2.3 config (before):', ...conf['2.3'].split('\n').map((l) => `  ${l}`));
  out.push('Dovecot 2.4 config (after):', ...conf['2.4'].split('\n').map((l) => `  ${l}`));
  return out.join('\n') + '\n';
}

/** Exit code 0 when everything was rewritten, 3 when some lines need a person. */
export async function dovecotUpgradeCommand(argv: string[]): Promise<number> {
  let script: string | undefined;
  let outFile: string | undefined;
  let luaFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-o' || a === '--out' || a === '--lua-file') {
      const v = argv[++i];
      if (v === undefined) throw new AuthStudioError('AS_ERR_CLI_USAGE', `dovecot upgrade: ${a} needs a value\n${UPGRADE_USAGE}`);
      if (a === '--lua-file') luaFile = v;
      else outFile = v;
    } else if (a.startsWith('-')) {
      throw new AuthStudioError('AS_ERR_CLI_USAGE', `dovecot upgrade: unknown option ${a}\n${UPGRADE_USAGE}`);
    } else if (script === undefined) script = a;
    else throw new AuthStudioError('AS_ERR_CLI_USAGE', `dovecot upgrade: unexpected argument "${a}"\n${UPGRADE_USAGE}`);
  }
  if (!script) throw new AuthStudioError('AS_ERR_CLI_USAGE', `dovecot upgrade: which script? ${UPGRADE_USAGE}`);
  let source: string;
  try {
    source = fs.readFileSync(script, 'utf8');
  } catch (e) {
    throw new AuthStudioError('AS_ERR_CLI_USAGE', `dovecot upgrade: cannot read ${script}: ${(e as Error).message}`);
  }
  const r = upgradeScript(source);
  const report = formatUpgradeReport(r, luaFile ?? path.resolve(outFile ?? script), /function\s+auth_userdb_lookup\b/.test(source));
  if (outFile) {
    fs.writeFileSync(outFile, r.source);
    process.stdout.write(`wrote ${outFile}\n${report}`);
  } else {
    process.stdout.write(r.source);
    process.stderr.write(report);
  }
  return r.manual.length ? 3 : 0;
}
