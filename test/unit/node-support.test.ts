// Issue 17, item 13: which Node versions AuthStudio supports, stated once in package.json `engines`, and kept
// honest: every locked dependency that declares a newer Node than our oldest is known and explained in the README.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');
const semver = require('semver') as {
  satisfies(v: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const LOCK = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[]; dev?: boolean; optional?: boolean }>;
};
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/**
 * Dependencies whose `engines` exclude our oldest Node (npm prints EBADENGINE for them there), and why they still
 * work. cookie 2 is an ES module that light-my-request (fastify's inject) loads with require(): Node does that from
 * 20.19 and 22.12 on, hence our lower bounds. The other two are loaded only by `npm run dist`, with import().
 */
const NEEDS_NEWER_NODE: Record<string, 'runtime' | 'npm run dist'> = {
  cookie: 'runtime',
  '@electron/rebuild': 'npm run dist',
  'node-abi': 'npm run dist',
};

test('issue 17: package.json engines names the Node versions we support and the Node running the tests is one of them', () => {
  assert.equal(PKG.engines.node, '^20.19.0 || >=22.12.0');
  assert.equal(LOCK.packages[''].engines && (LOCK.packages[''].engines as { node: string }).node, PKG.engines.node, 'package-lock.json agrees');
  assert.ok(semver.satisfies(process.version, PKG.engines.node), `${process.version} is not in ${PKG.engines.node}`);
  for (const lts of ['20.19.0', '22.12.0', '24.0.0']) assert.ok(semver.satisfies(lts, PKG.engines.node), lts);
  assert.ok(!semver.satisfies('20.18.0', PKG.engines.node), 'Node 20 before 20.19 cannot require() ES modules (cookie 2)');
});

test('issue 17: every dependency that wants a newer Node than our oldest is a known one and the README says why', () => {
  const oldest = semver.minVersion(PKG.engines.node)!.version;
  const found = new Map<string, string>();
  for (const [key, p] of Object.entries(LOCK.packages)) {
    const range = p.engines && !Array.isArray(p.engines) ? p.engines.node : undefined;
    if (!key || !range || semver.satisfies(oldest, range)) continue;
    found.set(key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length), range);
  }
  assert.deepEqual([...found.keys()].sort(), Object.keys(NEEDS_NEWER_NODE).sort(), `engines that exclude Node ${oldest}: ${JSON.stringify([...found])}`);
  for (const name of found.keys()) assert.ok(README.includes(`\`${name}\``), `README explains ${name}`);
  assert.match(README, /Node\.js 20\.19/);
});
