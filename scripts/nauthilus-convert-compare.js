#!/usr/bin/env node
// Compares `authstudio convert` with the converter a Nauthilus release ships (scripts/convert-config-v1-to-v2.py,
// Nauthilus 3.0.1), run from a Nauthilus git checkout or bare repository on OUR 1.x configs: same keys, same values,
// same paths dropped. Their converter is read from the repository at run time and never copied; it is run with
// python3 and PyYAML (it reads YAML through `go run` otherwise; PyYAML reads YAML 1.1, go-yaml 1.2: our configs use
// nothing where they differ). Not part of `npm test`: it needs the Nauthilus sources.
//
//   npm run convert-compare -- --nauthilus-git DIR [--tag v3.0.1] [config.yml ...]
//
// Exit 0 when every config converts to what Nauthilus's converter writes, apart from the known differences listed
// below; 1 otherwise; 2 on a usage problem.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const DEFAULT_CONFIGS = [
  'lua-plugins.d/authstudio.yml',
  'test/fixtures/convert-1x/authstudio.yml',
  'test/fixtures/convert-1x/sections.yml',
  'test/fixtures/nauthilus3/v1.yml',
  'test/fixtures/ws-protect/authstudio.yml',
  'test/fixtures/attack/authstudio.yml',
];

/**
 * Where AuthStudio's output differs on purpose: keys Nauthilus's converter has no rule for although the 3.x schema has
 * a place (AuthStudio carries them over), and AuthStudio's own profile key.
 */
const KNOWN = [
  { path: 'nauthilus', why: 'AuthStudio\'s profile key: set to "3.0" (Nauthilus does not know it and drops it)' },
  { path: 'runtime.timeouts.lua_script', why: 'server.lua_script_timeout: carried over by AuthStudio, dropped by the converter' },
  { path: 'storage.redis.password_nonce', why: 'server.password_nonce: carried over by AuthStudio, dropped by the converter' },
];
const KNOWN_DROPS = new Set(['nauthilus', 'server.lua_script_timeout', 'server.password_nonce']);

// Our own driver: loads their module from a file, reads YAML with PyYAML, prints the result and the report as JSON.
const DRIVER = `
import importlib.util, json, sys
import yaml
spec = importlib.util.spec_from_file_location("nauthilus_converter", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
sys.modules["nauthilus_converter"] = mod
spec.loader.exec_module(mod)
with open(sys.argv[2], encoding="utf-8") as fh:
    source = mod.expand_dotted_keys(yaml.safe_load(fh))
converted, report = mod.LegacyConfigConverter(source).convert()
json.dump({"converted": converted, "dropped": report.dropped_paths, "warnings": report.warnings}, sys.stdout, default=str)
`;

function usage(message) {
  process.stderr.write(`${message}\nusage: node scripts/nauthilus-convert-compare.js --nauthilus-git DIR [--tag v3.0.1] [config.yml ...]\n`);
  process.exit(2);
}

function parse(argv) {
  const out = { tag: 'v3.0.1', configs: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--nauthilus-git') out.git = argv[++i];
    else if (argv[i] === '--tag') out.tag = argv[++i];
    else if (argv[i].startsWith('--')) usage(`unknown option ${argv[i]}`);
    else out.configs.push(argv[i]);
  }
  if (!out.git) usage('--nauthilus-git is required (a Nauthilus git checkout or bare repository)');
  if (!out.configs.length) out.configs = DEFAULT_CONFIGS.map((c) => path.join(ROOT, c));
  return out;
}

/** Their converter's source at `tag`, from a bare repository or a checkout. */
function converterSource(git, tag) {
  const bare = fs.existsSync(path.join(git, 'HEAD')) && !fs.existsSync(path.join(git, '.git'));
  const args = bare ? ['--git-dir', git] : ['-C', git];
  try {
    return execFileSync('git', [...args, 'show', `${tag}:scripts/convert-config-v1-to-v2.py`], { encoding: 'utf8', maxBuffer: 16 << 20 });
  } catch (e) {
    usage(`cannot read scripts/convert-config-v1-to-v2.py at ${tag} from ${git}: ${e.message.split('\n')[0]}`);
  }
}

function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}

/** Every difference between two JSON trees as "path: ours | theirs". */
function diff(ours, theirs, at = '', out = []) {
  const isObj = (x) => x && typeof x === 'object' && !Array.isArray(x);
  if ((isObj(ours) || ours === undefined) && (isObj(theirs) || theirs === undefined) && ours !== theirs) {
    // a section only one side has is named key by key (a known difference is one key)
    for (const k of new Set([...Object.keys(ours ?? {}), ...Object.keys(theirs ?? {})])) diff(ours?.[k], theirs?.[k], at ? `${at}.${k}` : k, out);
  } else if (Array.isArray(ours) && Array.isArray(theirs) && ours.length === theirs.length) {
    ours.forEach((x, i) => diff(x, theirs[i], `${at}[${i}]`, out));
  } else if (JSON.stringify(canonical(ours)) !== JSON.stringify(canonical(theirs))) {
    out.push({ path: at, ours, theirs });
  }
  return out;
}

function main() {
  const args = parse(process.argv.slice(2));
  const py = process.env.PYTHON ?? 'python3';
  try {
    execFileSync(py, ['-c', 'import yaml'], { stdio: 'ignore' });
  } catch {
    usage(`${py} with the yaml module (PyYAML) is needed to run Nauthilus's converter here`);
  }
  const { convertConfigText } = require(path.join(ROOT, 'dist', 'engine', 'config', 'convert', 'convert.js'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'as-convert-compare-'));
  let failed = 0;
  try {
    const converter = path.join(tmp, 'converter.py');
    fs.writeFileSync(converter, converterSource(args.git, args.tag));
    const driver = path.join(tmp, 'driver.py');
    fs.writeFileSync(driver, DRIVER);
    for (const file of args.configs) {
      const rel = path.relative(process.cwd(), file) || file;
      const theirs = JSON.parse(execFileSync(py, [driver, converter, file], { encoding: 'utf8', maxBuffer: 64 << 20 }));
      const ours = convertConfigText(fs.readFileSync(file, 'utf8'), file, '3.x');
      const known = [];
      const unexpected = [];
      for (const d of diff(ours.doc.toJSON(), theirs.converted)) {
        const k = KNOWN.find((x) => d.path === x.path || d.path.startsWith(`${x.path}.`));
        (k && d.theirs === undefined ? known : unexpected).push(k && d.theirs === undefined ? `${d.path}: ${k.why}` : `${d.path}: ours ${JSON.stringify(d.ours)} | Nauthilus ${JSON.stringify(d.theirs)}`);
      }
      const ourDrops = new Set(ours.notes.filter((n) => n.kind === 'dropped').map((n) => n.path));
      const theirDrops = new Set(theirs.dropped.filter((p) => !KNOWN_DROPS.has(p)));
      for (const p of theirDrops) if (!ourDrops.has(p)) unexpected.push(`${p}: dropped by Nauthilus's converter, not reported as dropped here`);
      for (const p of ourDrops) if (!theirDrops.has(p)) unexpected.push(`${p}: reported as dropped here, Nauthilus's converter keeps it`);
      if (unexpected.length) failed++;
      process.stdout.write(`${unexpected.length ? 'DIFFERS' : 'same   '} ${rel} (${theirDrops.size} dropped by both${known.length ? `, ${known.length} known differences` : ''})\n`);
      for (const k of known) process.stdout.write(`  known: ${k}\n`);
      for (const u of unexpected) process.stdout.write(`  ${u}\n`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(`${args.configs.length - failed}/${args.configs.length} configs convert as Nauthilus ${args.tag}'s converter does\n`);
  process.exit(failed ? 1 : 0);
}

main();
