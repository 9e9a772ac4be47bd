// Issue 17, item 16: `npm run dist` without downloading Electron. electron-builder.yml is read and validated by
// electron-builder itself; every path it packages exists after the build; the main script, staged with only the
// files electron-builder would package, starts against a stand-in of the Electron API and serves the studio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { ensureRendererBuilt } from '../e2e/studio-process';
import { CALL_CHANNELS } from '../../main/ipc-channels';

const ROOT = path.join(__dirname, '..', '..', '..');
const STAND_IN = path.join(__dirname, '..', 'helpers', 'electron-stand-in.js');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;

interface BuilderConfig {
  electronVersion?: string;
  npmRebuild?: boolean;
  buildDependenciesFromSource?: boolean;
  extraMetadata?: { main?: string };
  /** Normalised by electron-builder's loader into file sets. */
  files?: Array<{ from?: string; to?: string; filter: string[] }>;
  asarUnpack?: string[];
  extraResources?: Array<{ from: string; to: string; filter?: string[] }>;
}

/** The patterns of the app's own file set (the one without `from`, copied to the app root). */
function filePatterns(config: BuilderConfig): string[] {
  const sets = (config.files ?? []).filter((s) => s.from === undefined);
  assert.equal(sets.length, 1, JSON.stringify(config.files));
  return sets[0].filter;
}

/** The config as electron-builder reads it (its own loader: YAML, defaults, extends). */
async function loadBuilderConfig(file = 'electron-builder.yml'): Promise<BuilderConfig> {
  // electron-builder logs "loaded configuration" on stdout, which is the test runner's channel to this file's
  // process: a line landing inside one of its messages failed the whole file once ("Unable to deserialize cloned
  // data"). Its log lines go to stderr.
  (require('builder-util/out/log') as { log: { stream: NodeJS.WritableStream } }).log.stream = process.stderr;
  const { getConfig } = require('app-builder-lib/out/util/config/config') as { getConfig(dir: string, file: string | null, opts: null): Promise<BuilderConfig> };
  return getConfig(ROOT, file, null);
}

/** electron-builder's own check against its JSON schema (what `electron-builder` does before building). */
async function validate(config: BuilderConfig): Promise<void> {
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration(c: unknown, logger: unknown): Promise<void> };
  const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
  await validateConfiguration(config, new DebugLogger(false));
}

/** An electron-builder file pattern (minimatch style, as used in our config) as a RegExp on posix paths. */
function patternRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Files of the project (node_modules, release, .git left out) that `files` selects, as posix paths. */
function packagedFiles(patterns: string[]): string[] {
  const include = patterns.filter((p) => !p.startsWith('!')).map(patternRegExp);
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => patternRegExp(p.slice(1)));
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!['node_modules', 'release', '.git'].includes(p)) walk(p);
      } else if (include.some((r) => r.test(p)) && !exclude.some((r) => r.test(p))) out.push(p);
    }
  };
  walk('');
  return out;
}

test('issue 17: electron-builder.yml loads with electron-builder and is valid for its schema (a wrong key is not)', async () => {
  const config = await loadBuilderConfig();
  await validate(config);
  assert.equal(config.extraMetadata?.main, 'dist/main/electron-main.js');
  // the validation is real: a misspelt option fails it
  await assert.rejects(validate({ ...config, npmRebuilt: true } as BuilderConfig), /npmRebuilt/);
});

test('issue 17: npm run dist packages with electron-builder, rebuilding better-sqlite3 for the Electron version the lockfile pins', async () => {
  const config = await loadBuilderConfig();
  assert.equal(PKG.scripts.dist, 'node scripts/dist.js');
  assert.ok(PKG.devDependencies['electron-builder'], 'electron-builder is a devDependency');
  assert.ok(PKG.dependencies['better-sqlite3'], 'better-sqlite3 is still a (native) dependency');
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; dev?: boolean; optional?: boolean }> };
  assert.equal(config.electronVersion, lock.packages['node_modules/electron'].version, 'electronVersion in electron-builder.yml = the electron version package-lock.json resolves');
  assert.equal(config.npmRebuild, true);
  assert.equal(config.buildDependenciesFromSource, false);
  assert.ok(config.asarUnpack?.includes('node_modules/better-sqlite3/**/*'));
  // every production dependency with a native addon is rebuilt, kept out of the asar and restored after packaging
  const { NATIVE_MODULES } = require(path.join(ROOT, 'scripts', 'dist.js')) as { NATIVE_MODULES: string[] };
  const native = Object.entries(lock.packages)
    .filter(([k, v]) => k.startsWith('node_modules/') && !v.dev && !v.optional && fs.existsSync(path.join(ROOT, k, 'binding.gyp')))
    .map(([k]) => k.slice('node_modules/'.length));
  assert.deepEqual(native.sort(), [...NATIVE_MODULES].sort());
  for (const m of NATIVE_MODULES) assert.ok(config.asarUnpack?.includes(`node_modules/${m}/**/*`), `${m} unpacked from the asar`);
});

test('issue 17: after the build every path electron-builder.yml packages exists', async () => {
  ensureRendererBuilt();
  const config = await loadBuilderConfig();
  const patterns = filePatterns(config);
  const files = packagedFiles(patterns);
  for (const p of patterns.filter((x) => !x.startsWith('!'))) {
    const re = patternRegExp(p);
    assert.ok(files.some((f) => re.test(f)), `nothing matches "${p}": run npm run build`);
  }
  // every Lua file under engine/ is read by the compiled engine at run time (preludes, the debugger, fixture mocks)
  const luaAssets = (fs.readdirSync(path.join(ROOT, 'engine'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.lua')).map((f) => `engine/${f.split(path.sep).join('/')}`);
  assert.ok(luaAssets.length >= 13, luaAssets.join(', '));
  for (const needed of [config.extraMetadata!.main!, 'dist/main/preload.bundle.js', 'dist/engine/workers/worker-main.js', 'renderer/dist/index.html', 'renderer/dist/app.js', 'package.json', ...luaAssets]) {
    assert.ok(files.includes(needed), `${needed} is packaged`);
  }
  assert.ok(!files.some((f) => f.startsWith('dist/test/') || f.endsWith('.map')), 'tests and source maps stay out');
  for (const r of config.extraResources ?? []) assert.ok(fs.existsSync(path.join(ROOT, r.from)), `extra resource ${r.from}`);
  assert.ok((config.extraResources ?? []).some((r) => r.from === 'docs/lua-api.md'), 'the Lua API reference the Help menu opens is a real file');
  for (const u of config.asarUnpack ?? []) assert.ok(fs.existsSync(path.join(ROOT, u.replace(/\/\*\*.*$/, ''))), `asarUnpack ${u}`);
});

test('issue 17: the packaged main process starts against a stand-in of Electron: sample workspace copied, page and preload served, Lua API reference opened, logins answered', async () => {
  ensureRendererBuilt();
  const config = await loadBuilderConfig();
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'as-packaged-'));
  const app = path.join(stage, 'app');
  const resources = path.join(stage, 'resources');
  const userData = path.join(stage, 'user-data');
  try {
    // the app folder holds only what electron-builder packages (production modules come from the project)
    for (const f of packagedFiles(filePatterns(config))) {
      fs.mkdirSync(path.dirname(path.join(app, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(app, f));
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'), 'dir');
    for (const r of config.extraResources ?? []) {
      const skip = (r.filter ?? []).filter((f) => f.startsWith('!')).map((f) => patternRegExp(f.slice(1)));
      fs.mkdirSync(path.dirname(path.join(resources, r.to)), { recursive: true });
      fs.cpSync(path.join(ROOT, r.from), path.join(resources, r.to), { recursive: true, filter: (src) => !skip.some((re) => re.test(path.relative(path.join(ROOT, r.from), src).split(path.sep).join('/'))) });
    }
    const child = spawn(process.execPath, ['-r', STAND_IN, path.join(app, config.extraMetadata!.main!), '--listen', '127.0.0.1:0'], {
      cwd: stage, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AS_STAND_IN_RESOURCES: resources, AS_STAND_IN_USER_DATA: userData, AUTHSTUDIO_WORKSPACE: '', AUTHSTUDIO_LISTEN: '' },
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const events: Array<Record<string, unknown>> = [];
    const waiters = new Set<() => void>();
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('@stand-in ')) return;
      events.push(JSON.parse(line.slice('@stand-in '.length)) as Record<string, unknown>);
      for (const w of waiters) w();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const waitFor = (name: string) => new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const e = events.find((x) => x.event === name);
        if (e) {
          waiters.delete(check);
          resolve(e);
        }
      };
      waiters.add(check);
      check();
      void exited.then((code) => reject(new Error(`the main process exited (${code}) before "${name}":\n${stderr}\n${JSON.stringify(events)}`)));
    });
    try {
      const loaded = await waitFor('loaded') as {
        url: string; index: { status: number; type: string }; script: { src: string; status: number; bytes: number };
        preload: { path: string; exists: boolean }; sandbox: boolean; ipc: string[];
      };
      assert.equal(loaded.index.status, 200);
      assert.match(loaded.index.type, /^text\/html/);
      assert.equal(loaded.script.src, 'app.js');
      assert.equal(loaded.script.status, 200);
      assert.ok(loaded.script.bytes > 100_000, 'the studio bundle is served from the packaged renderer/dist');
      assert.ok(loaded.preload.exists, loaded.preload.path);
      assert.ok(loaded.preload.path.startsWith(app), 'the preload comes from the packaged files');
      assert.equal(loaded.sandbox, true);
      assert.deepEqual(loaded.ipc, [...CALL_CHANNELS].sort());
      assert.ok(fs.existsSync(path.join(userData, 'workspace', 'authstudio.yml')), 'first start copies the sample workspace to the user data folder');
      const docs = await waitFor('open-path');
      assert.deepEqual(docs, { event: 'open-path', path: path.join(resources, 'docs', 'lua-api.md'), exists: true }, 'Help > Lua API Reference opens a real file');
      const listen = new URL(loaded.url).searchParams.get('listen')!;
      const res = await fetch(`http://${listen}/api/v1/auth/json`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-secret', client_ip: '198.51.100.7' }),
      });
      assert.equal(res.status, 200, 'the packaged engine answers logins');
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.deepEqual(events.find((e) => e.event === 'exit'), { event: 'exit', code: 0 });
      assert.ok(!events.some((e) => e.event === 'error-box'), JSON.stringify(events));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    }
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
});
