#!/usr/bin/env node
// Enforces the layering of docs/architecture: engine/ never imports electron, main/ or renderer/;
// renderer/ imports only the engine's API contract (types) and the Lua checker (engine/lint, kept free of Node) —
// checked on the TypeScript sources.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const RULES = [
  { dir: 'engine', forbid: [/^electron$/, /(^|\/)main\//, /(^|\/)renderer\//], why: 'engine/ is plain Node: it never imports electron, main/ or renderer/' },
  { dir: 'renderer', forbid: [/^electron$/, /(^|\/)engine\/(?!api\/contract|lint\/)/, /^node:/, /^(fs|path|child_process|net)$/], why: 'renderer/ talks only to the studio client (engine/api/contract types) and runs the Lua checker (engine/lint)' },
  // the studio bundles the checker: it stays free of Node and of the rest of the engine (number-text-lint is plain text work)
  { dir: 'engine/lint', forbid: [/^node:/, /^(fs|path|child_process|net|os)$/, /(^|\/)engine\/(?!lint\/|lua\/number-text-lint$|errors\/registry$|config\/suggest$)/], why: 'engine/lint/ runs in the browser too: no Node, no engine code besides number-text-lint, the error codes and config/suggest' },
];
const IMPORT = /(?:import\s[^'"]*?from\s*|import\s*\(|require\s*\(|export\s[^'"]*?from\s*)['"]([^'"]+)['"]/g;

function* files(dir) {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (e.name !== 'node_modules') yield* files(p); }
    else if (/\.(ts|tsx|js|mjs)$/.test(e.name)) yield p;
  }
}

const problems = [];
for (const rule of RULES) {
  for (const file of files(path.join(root, rule.dir))) {
    const src = fs.readFileSync(file, 'utf8');
    for (const m of src.matchAll(IMPORT)) {
      const spec = m[1];
      const resolved = spec.startsWith('.') ? path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep).join('/') : spec;
      if (rule.forbid.some((re) => re.test(resolved))) {
        const line = src.slice(0, m.index).split('\n').length;
        problems.push(`${path.relative(root, file)}:${line}: imports "${spec}": ${rule.why}`);
      }
    }
  }
}
if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log('layers: ok');
