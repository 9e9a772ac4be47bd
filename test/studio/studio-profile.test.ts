// The studio status names the Nauthilus version the workspace targets: detected from the config layout, or set by
// `nauthilus:`; a save that switches the config to the 3.x layout changes it after the reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStudio, TRANSPORTS } from './studio-fixture';

// ws-basic's scripts under a Nauthilus 3.0 config (our own text)
const V3 = [
  'nauthilus: "3.0"',
  'runtime: { servers: { http: { address: "127.0.0.1:0" } } }',
  'storage: { redis: mock }',
  'auth:',
  '  backends:',
  '    order: [lua]',
  '    lua: { backend: { default: { backend_script_path: ./backend/backend.lua } } }',
  '  policy:',
  '    attribute_sources:',
  '      lua:',
  '        environment: [{ name: blocklist, script_path: ./features/blocklist.lua }]',
  '',
].join('\n');

for (const transport of TRANSPORTS) {
  test(`studio status (${transport}): profile detected from the 1.x layout, then set by nauthilus: in a 3.x config`, async () => {
    const h = await startStudio(transport);
    try {
      assert.deepEqual((await h.client.getStatus()).profile, { nauthilus: '1.10', layout: '1.x', detected: true });
      const current = await h.client.readFile({ path: 'authstudio.yml' });
      const saved = await h.client.saveFile({ path: 'authstudio.yml', content: V3, base_version: current.version });
      assert.equal(saved.reload?.ok, true, JSON.stringify(saved.reload?.diagnostics));
      const status = await h.client.getStatus();
      assert.deepEqual(status.profile, { nauthilus: '3.0', layout: '3.x', detected: false });
    } finally {
      await h.close();
    }
  });
}
