// `npm run samples -- --nauthilus-git <bare git dir or checkout> --tag v3.0.1`: extracts the sample configs a Nauthilus
// 3.x release ships (contrib/pam_nauthilus, contrib/identity-proxy-e2e, client/nauthilus-testing.yml and, from 3.1,
// server/docs/examples) into a temp dir, runs `check` on each and prints a table. Exit 1 when one does not load.
// Each file is checked at the root of the extracted tree, beside server/lua-plugins.d, as Nauthilus started from a
// checkout reads relative script paths (from its working directory).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { checkWorkspace } from '../engine/check';

const SAMPLES = [/^contrib\/pam_nauthilus\/nauthilus\.yml$/, /^contrib\/identity-proxy-e2e\/config\/[^/]+\.yml$/, /^client\/nauthilus-testing\.yml$/, /^server\/docs\/examples\/[^/]+\.yml$/];
const PLUGINS = 'server/lua-plugins.d';

function args(argv: string[]): { git: string; tag: string } {
  const get = (n: string) => {
    const i = argv.indexOf(n);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const git = get('--nauthilus-git');
  if (!git) {
    console.error('usage: npm run samples -- --nauthilus-git <bare git dir or checkout> [--tag v3.0.1]');
    process.exit(2);
  }
  return { git, tag: get('--tag') ?? 'HEAD' };
}

/** A git command against a bare repository or a checkout. */
function git(source: string, ...rest: string[]): Buffer {
  const where = fs.existsSync(path.join(source, '.git')) ? ['-C', source] : ['--git-dir', source];
  return execFileSync('git', [...where, ...rest], { maxBuffer: 64 << 20 });
}

/** Writes the sample configs and server/lua-plugins.d of `tag` under `dir`; returns the samples' repository paths. */
function extract(source: string, tag: string, dir: string): string[] {
  const files = git(source, 'ls-tree', '-r', '--name-only', tag).toString('utf8').split('\n').filter(Boolean);
  const samples = files.filter((f) => SAMPLES.some((re) => re.test(f)));
  for (const f of [...samples, ...files.filter((f) => f.startsWith(`${PLUGINS}/`))]) {
    const target = path.join(dir, 'tree', f);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, git(source, 'show', `${tag}:${f}`));
  }
  for (const f of samples) fs.copyFileSync(path.join(dir, 'tree', f), path.join(dir, 'tree', flat(f)));
  return samples;
}

/** contrib/pam_nauthilus/nauthilus.yml -> contrib--pam_nauthilus--nauthilus.yml (one name at the tree's root). */
function flat(f: string): string {
  return f.replace(/\//g, '--');
}

async function main(): Promise<void> {
  const { git: source, tag } = args(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nauthilus-samples-${tag.replace(/[^\w.-]/g, '_')}-`));
  let failed = 0;
  try {
    const samples = extract(source, tag, dir);
    console.log(`Nauthilus ${tag}: ${samples.length} sample configs (extracted to a temp dir)\n`);
    const rows: string[][] = [['sample', 'check', 'errors', 'warnings']];
    const details: string[] = [];
    for (const f of samples) {
      const problems = await checkWorkspace(path.join(dir, 'tree', flat(f)));
      const errors = problems.filter((p) => p.severity !== 'warning');
      const warnings = problems.filter((p) => p.severity === 'warning');
      if (errors.length) failed++;
      rows.push([f, errors.length ? 'FAIL' : 'ok', String(errors.length), String(warnings.length)]);
      for (const p of problems) details.push(`${f}:${p.location?.line ?? '?'}: ${p.severity === 'warning' ? 'warning' : 'error'}: ${p.message}`);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const [i, r] of rows.entries()) {
      console.log(r.map((c, j) => c.padEnd(widths[j])).join('  ').trimEnd());
      if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    }
    if (details.length) console.log(`\n${details.join('\n')}`);
    console.log(`\n${samples.length - failed} of ${samples.length} load with check`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
