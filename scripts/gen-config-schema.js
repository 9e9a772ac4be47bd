#!/usr/bin/env node
// Writes renderer/src/generated/config-schema.json: the config file's JSON Schema in the 1.x and the 3.x layout,
// generated from the engine's own validator (engine/config/config-json-schema.ts) for the studio's YAML editor.
// Needs the compiled engine in dist/ (run after `tsc -p tsconfig.json`); scripts/build-renderer.js runs it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'renderer', 'src', 'generated', 'config-schema.json');

function generate({ write = true } = {}) {
  const { configJsonSchema } = require(path.join(ROOT, 'dist', 'engine', 'config', 'config-json-schema.js'));
  const data = { '1.x': configJsonSchema('1.x'), '3.x': configJsonSchema('3.x') };
  const text = `${JSON.stringify(data, null, 1)}\n`;
  if (write && (!fs.existsSync(OUT) || fs.readFileSync(OUT, 'utf8') !== text)) fs.writeFileSync(OUT, text);
  return data;
}

module.exports = { generate, OUT };

if (require.main === module) {
  generate();
  process.stdout.write(`${path.relative(process.cwd(), OUT)}\n`);
}
