#!/usr/bin/env node
// Builds the studio UI into renderer/dist/ (index.html, app.js, app.css, editor.worker.js, yaml.worker.js, codicon.ttf,
// stylua-wasm.js: the Lua formatter) and the
// Electron preload into dist/main/preload.bundle.js. Runs after `tsc -p tsconfig.json` (it reads dist/engine).
//
//   node scripts/build-renderer.js            generate the Lua API data, type-check the renderer, bundle
//   node scripts/build-renderer.js --no-check skip the renderer type check (the e2e tests' quick rebuild)
//   node scripts/build-renderer.js --dev      unminified, with source maps
//
// The page's entry is composed here, not in renderer/: the UI (renderer/src/boot.ts) gets a StudioClient from the
// engine's HTTP transport (engine/api/http-client.ts, fetch + streams only) or, inside Electron, from the preload's
// IPC bridge. renderer/ itself only knows the contract (scripts/check-layers.js enforces it).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const esbuild = require('esbuild');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'renderer', 'dist');
const args = new Set(process.argv.slice(2));
const dev = args.has('--dev');

const ENTRY = `
import { createHttpClient } from './engine/api/http-client';
import { createIpcClient } from './renderer/src/transport/ipc-client';
import { boot } from './renderer/src/boot';

const params = new URLSearchParams(location.hash.slice(1));
const bridge = window.authstudio;
const client = bridge ? createIpcClient(bridge) : createHttpClient(location.origin, { token: params.get('token') || undefined });
const listen = new URLSearchParams(location.search).get('listen') || location.host;
boot(document.getElementById('root'), client, { listen, transport: bridge ? 'ipc' : 'http' });
`;

function typeCheck() {
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'renderer', 'tsconfig.web.json')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('the renderer does not type-check (see above)');
}

const MONACO_ESM = path.join(ROOT, 'node_modules', 'monaco-editor', 'esm', 'vs');

/** monaco-yaml's worker imports monaco-editor/esm/vs/..., which 0.57's package exports would map to esm/vs/esm/vs/. */
const yamlWorkerPaths = {
  name: 'yaml-worker-paths',
  setup(b) {
    b.onResolve({ filter: /^monaco-editor\/esm\/vs\// }, (a) => ({ path: path.join(MONACO_ESM, a.path.replace(/^monaco-editor\/esm\/vs\//, '')) }));
  },
};

async function build() {
  const t0 = Date.now();
  await require('./gen-lua-api').generate();
  require('./gen-config-schema').generate();
  if (!args.has('--no-check')) typeCheck();
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const common = {
    bundle: true, minify: !dev, sourcemap: dev ? 'linked' : false, target: ['chrome120'], logLevel: 'warning',
    legalComments: 'none', define: { 'process.env.NODE_ENV': dev ? '"development"' : '"production"' },
  };
  await Promise.all([
    esbuild.build({
      ...common,
      stdin: { contents: ENTRY, resolveDir: ROOT, sourcefile: 'renderer-entry.ts', loader: 'ts' },
      outfile: path.join(OUT, 'app.js'), format: 'iife', platform: 'browser',
      loader: { '.ttf': 'file', '.json': 'json' }, assetNames: '[name]',
    }),
    esbuild.build({
      ...common,
      entryPoints: [path.join(ROOT, 'node_modules', 'monaco-editor', 'esm', 'vs', 'editor', 'editor.worker.js')],
      outfile: path.join(OUT, 'editor.worker.js'), format: 'iife', platform: 'browser',
    }),
    esbuild.build({
      ...common,
      entryPoints: [path.join(ROOT, 'node_modules', 'monaco-yaml', 'yaml.worker.js')],
      outfile: path.join(OUT, 'yaml.worker.js'), format: 'iife', platform: 'browser', plugins: [yamlWorkerPaths],
    }),
    esbuild.build({
      ...common,
      entryPoints: [path.join(ROOT, 'main', 'preload.ts')],
      outfile: path.join(ROOT, 'dist', 'main', 'preload.bundle.js'), format: 'cjs', platform: 'node', target: ['node20'],
      external: ['electron'],
    }),
  ]);
  fs.copyFileSync(path.join(ROOT, 'renderer', 'static', 'index.html'), path.join(OUT, 'index.html'));
  // the Lua formatter's WebAssembly as a script (a fetch would need connect-src, which the desktop page does not have)
  const wasm = fs.readFileSync(require.resolve('@johnnymorganz/stylua/stylua_lib_bg.wasm')).toString('base64');
  fs.writeFileSync(path.join(OUT, 'stylua-wasm.js'), `self.__authstudioStyluaWasm=${JSON.stringify(wasm)};\n`);
  const size = (f) => `${(fs.statSync(path.join(OUT, f)).size / 1024).toFixed(0)} KiB`;
  process.stdout.write(`renderer: ${path.relative(process.cwd(), OUT) || OUT} (app.js ${size('app.js')}, app.css ${size('app.css')}, editor.worker.js ${size('editor.worker.js')}, yaml.worker.js ${size('yaml.worker.js')}) in ${Date.now() - t0} ms\n`);
}

module.exports = { build };

if (require.main === module) {
  build().catch((e) => {
    process.stderr.write(`build-renderer: ${e.message ?? e}\n`);
    process.exit(1);
  });
}
