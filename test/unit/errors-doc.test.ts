// Every error code in the registry is documented in docs/errors.md, with the same HTTP status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ERRORS } from '../../engine/errors/registry';

test('docs/errors.md documents every registry code with its status', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
  const rows = new Map<string, number>();
  for (const m of doc.matchAll(/^\| `(AS_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)) rows.set(m[1], Number(m[2]));
  for (const [code, spec] of Object.entries(ERRORS)) {
    assert.ok(rows.has(code), `${code} is missing from docs/errors.md`);
    assert.equal(rows.get(code), spec.status, `${code}: the documented status differs`);
  }
  for (const code of rows.keys()) assert.ok(code in ERRORS, `docs/errors.md lists ${code}, which the registry does not have`);
});
