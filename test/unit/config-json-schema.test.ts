// The config's JSON Schema (what the studio's YAML editor completes, explains and marks) agrees with the engine's
// validator: every config the engine loads is valid against it, and the mistakes the engine refuses are marked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import YAML from 'yaml';
import { configJsonSchema } from '../../engine/config/config-json-schema';
import { loadConfigFile, parseConfigText } from '../../engine/config/load';

const ROOT = path.join(__dirname, '..', '..', '..');
const SCHEMA_FILE = path.join(ROOT, 'renderer', 'src', 'generated', 'config-schema.json');

function validator(layout: '1.x' | '3.x') {
  const ajv = new Ajv({ allErrors: true, strict: false });
  return ajv.compile(configJsonSchema(layout));
}

function errorsOf(layout: '1.x' | '3.x', text: string): string[] {
  const validate = validator(layout);
  return validate(YAML.parse(text)) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

test('the sample workspace config (lua-plugins.d/authstudio.yml) is valid against the 1.x schema', () => {
  const file = path.join(ROOT, 'lua-plugins.d', 'authstudio.yml');
  loadConfigFile(file); // the engine accepts it
  assert.deepEqual(errorsOf('1.x', fs.readFileSync(file, 'utf8')), []);
});

test('every fixture config the engine loads is valid against the schema of its layout', () => {
  const dirs = ['ws-libs', 'ws-basic', 'seed', 'convert-1x'].map((d) => path.join(ROOT, 'test', 'fixtures', d));
  let checked = 0;
  for (const dir of dirs) {
    for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.yml'))) {
      const file = path.join(dir, name);
      try {
        loadConfigFile(file);
      } catch {
        continue; // a fixture of a mistake
      }
      const text = fs.readFileSync(file, 'utf8');
      const layout = /^(runtime|storage|auth|observability):/m.test(text) ? '3.x' : '1.x';
      assert.deepEqual(errorsOf(layout, text), [], `${path.relative(ROOT, file)} (${layout})`);
      checked++;
    }
  }
  assert.ok(checked >= 4, `only ${checked} fixture configs checked`);
});

test('a wrong type and an unknown key are errors in the schema, as in the engine', () => {
  const wrongType = 'server:\n  address: 127.0.0.1:9080\n  max_concurrent_requests: many\n';
  assert.throws(() => parseConfigText(wrongType, path.join(ROOT, 'x.yml'), { checkFiles: false }), /max_concurrent_requests/);
  assert.match(errorsOf('1.x', wrongType).join('\n'), /\/server\/max_concurrent_requests must be integer/);
  assert.match(errorsOf('1.x', 'server:\n  bogus_key: 1\n').join('\n'), /\/server must NOT have additional properties.*bogus_key/);
  assert.match(errorsOf('3.x', 'storage:\n  redis:\n    pool_size: lots\n').join('\n'), /\/storage\/redis.*must be integer/);
});

test('keys carry descriptions for hover, and the generated file is the one the renderer bundles', () => {
  const s = configJsonSchema('1.x') as { properties: Record<string, { properties?: Record<string, { description?: string }> }> };
  assert.match(String(s.properties.server.properties?.max_concurrent_requests?.description), /integer/);
  const bundled = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
  assert.deepEqual(bundled, JSON.parse(JSON.stringify({ '1.x': configJsonSchema('1.x'), '3.x': configJsonSchema('3.x') })), 'run node scripts/gen-config-schema.js');
});

