#!/usr/bin/env node
// `npm run dist [-- electron-builder options]`: build dist/ and renderer/dist/, package the desktop app with
// electron-builder (config: electron-builder.yml, output: release/), then put Node's build of the native modules
// back. electron-builder rebuilds node_modules/better-sqlite3 in place for Electron's ABI; without the last step
// the CLI, `npm start` in a browser and the tests could no longer load it after packaging.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
/** Production dependencies with a native addon (test/unit/packaging.test.ts keeps this list complete). */
const NATIVE_MODULES = ['better-sqlite3'];

function run(what, cmd, args) {
  process.stdout.write(`dist: ${what}\n`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.error) process.stderr.write(`dist: ${what} could not start: ${r.error.message}\n`);
  return r.status ?? 1;
}

/** npm itself: the one running this script, else `npm` from PATH. */
function npm(args) {
  const cli = process.env.npm_execpath;
  return cli && cli.endsWith('.js') ? [process.execPath, [cli, ...args]] : [process.platform === 'win32' ? 'npm.cmd' : 'npm', args];
}

function main() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    process.stdout.write(`dist: note: electron-builder's rebuild step (@electron/rebuild, node-abi) supports Node 22.12 or newer; this is Node ${process.versions.node}\n`);
  }
  if (run('building dist/ and renderer/dist/', ...npm(['run', 'build'])) !== 0) return 1;
  const builder = require.resolve('electron-builder/cli.js', { paths: [ROOT] });
  const packaged = run('packaging with electron-builder (Electron is downloaded on first use)', process.execPath, [builder, '--config', 'electron-builder.yml', ...process.argv.slice(2)]);
  const restored = run(`rebuilding ${NATIVE_MODULES.join(', ')} for this Node again`, ...npm(['rebuild', ...NATIVE_MODULES]));
  if (restored !== 0) process.stderr.write(`dist: run \`npm rebuild ${NATIVE_MODULES.join(' ')}\` before using the CLI or the tests again\n`);
  if (packaged === 0) process.stdout.write('dist: the packages are in release/\n');
  return packaged || restored;
}

if (require.main === module) process.exitCode = main();
module.exports = { NATIVE_MODULES };
