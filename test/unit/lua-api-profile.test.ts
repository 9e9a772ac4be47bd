// The editor's Lua API data by workspace profile: scripts/gen-lua-api.js (a real VM and a real request per profile,
// the Nauthilus inventories) marks every item with the versions that have it, and the renderer's view of a profile
// (renderer/src/editor/lua-api-profile.ts, what completion offers) keeps only what that version has.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { apiForProfile, versionsNote, type LuaApi } from '../../renderer/src/editor/lua-api-profile';

const ROOT = path.join(__dirname, '..', '..', '..');
const gen = require(path.join(ROOT, 'scripts', 'gen-lua-api.js')) as { generate(o: { write: boolean }): Promise<LuaApi>; OUT: string };

let api: LuaApi;
before(async () => {
  api = await gen.generate({ write: false });
});

const mod = (a: LuaApi, name: string) => a.modules.find((m) => m.name === name);
const member = (a: LuaApi, m: string, name: string) => mod(a, m)?.members.find((x) => x.name === name);
const requireNames = (a: LuaApi) => a.modules.filter((m) => !m.global).map((m) => m.name);
const loaderNames = (a: LuaApi) => a.modules.flatMap((m) => m.loader_names);

test('the committed renderer data is what the generator gives (regenerate: node scripts/gen-lua-api.js)', () => {
  assert.deepEqual(JSON.parse(fs.readFileSync(gen.OUT, 'utf8')), api);
});

test('every item says which Nauthilus versions have it and which profiles offer it', () => {
  assert.deepEqual(api.profiles, ['1.10', '1.12', '3.0', '3.1']);
  const items = [...api.modules, ...api.modules.flatMap((m) => [...m.members, ...m.methods]), ...api.entry_points, ...api.request_fields];
  assert.ok(items.length > 400, String(items.length));
  for (const i of items) {
    assert.ok(Array.isArray(i.nauthilus) && Array.isArray(i.profiles), JSON.stringify(i).slice(0, 80));
    // offered only in a profile of a version that has it, unless no version has it (an AuthStudio extension)
    if (i.nauthilus.length) assert.deepEqual(i.profiles.filter((p) => !i.nauthilus.includes(p)), [], JSON.stringify(i).slice(0, 80));
  }
});

test('Nauthilus 1.10 workspace: no nauthilus_policy, no glua_crypto, no 3.x entry points or fields; dynamic_loader names', () => {
  const v = apiForProfile(api, '1.10');
  assert.ok(!requireNames(v).includes('nauthilus_policy'), 'nauthilus_policy came with 3.0');
  assert.ok(!requireNames(v).includes('glua_crypto'), '1.10 gives gluacrypto as crypto (dynamic_loader("nauthilus_gluacrypto"))');
  assert.ok(requireNames(v).includes('crypto') && member(v, 'crypto', 'hmac'), 'gluacrypto\'s hmac under crypto');
  assert.ok(loaderNames(v).includes('nauthilus_gluacrypto') && loaderNames(v).includes('nauthilus_redis'));
  const entries = v.entry_points.map((e) => e.name);
  assert.ok(entries.includes('nauthilus_call_feature') && entries.includes('nauthilus_call_filter'));
  assert.ok(!entries.includes('nauthilus_call_environment') && !entries.includes('nauthilus_call_subject'));
  const fields = v.request_fields.map((f) => f.name);
  assert.ok(fields.includes('feature') && fields.includes('client_ip'));
  assert.ok(!fields.includes('environment') && !fields.includes('mfa_completed') && !fields.includes('redis_prefix'));
  assert.equal(member(v, 'nauthilus_util', 'log_info'), undefined, 'nauthilus_util.log_info is 1.12+');
  assert.ok(member(v, 'nauthilus_builtin', 'FEATURE_TRIGGER_YES') && !member(v, 'nauthilus_builtin', 'SUBJECT_REJECT'));
  assert.ok(!mod(v, 'nauthilus_backend_result')!.methods.some((m) => m.name === 'groups'), 'groups() is 3.0');
});

test('Nauthilus 3.0 workspace: nauthilus_policy, require("glua_crypto"), 3.x names; no dynamic_loader names, no 1.x-only names', () => {
  const v = apiForProfile(api, '3.0');
  assert.ok(requireNames(v).includes('nauthilus_policy'));
  assert.ok(requireNames(v).includes('glua_crypto') && member(v, 'glua_crypto', 'hmac'), 'gluacrypto is glua_crypto in 3.0');
  assert.equal(member(v, 'crypto', 'hmac'), undefined, 'crypto is gopher-lua-libs\' crypto only in 3.0');
  assert.ok(member(v, 'crypto', 'sha256'));
  assert.deepEqual(loaderNames(v), [], 'Nauthilus 3.0 has no dynamic_loader names (its dynamic_loader only logs)');
  const entries = v.entry_points.map((e) => e.name);
  assert.ok(entries.includes('nauthilus_call_environment') && entries.includes('nauthilus_call_subject') && entries.includes('nauthilus_call_action'));
  assert.ok(!entries.includes('nauthilus_call_feature'));
  const fields = v.request_fields.map((f) => f.name);
  assert.ok(fields.includes('environment') && fields.includes('mfa_completed') && fields.includes('redis_prefix'));
  assert.ok(!fields.includes('feature'), '3.0 calls it environment');
  assert.ok(member(v, 'nauthilus_util', 'log_info'));
  assert.ok(member(v, 'nauthilus_builtin', 'SUBJECT_REJECT') && !member(v, 'nauthilus_builtin', 'FILTER_REJECT'));
  assert.ok(mod(v, 'nauthilus_backend_result')!.methods.some((m) => m.name === 'groups'));
});

test('the 1.12 inventory is Nauthilus v1.12.5\'s: preloaded modules (no dynamic_loader names), glua_crypto, opentelemetry', () => {
  const inv = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs', 'lua-api', 'inventory-nauthilus-1.12.json'), 'utf8'));
  assert.equal(inv.nauthilus, 'v1.12.5');
  const modules = [...inv.own.modules, ...inv.bundled];
  assert.ok(modules.every((m: { module: string; loader_name: string }) => m.module === m.loader_name));
  assert.ok(modules.some((m: { module: string }) => m.module === 'glua_crypto') && modules.some((m: { module: string }) => m.module === 'nauthilus_opentelemetry'));
  assert.ok(!modules.some((m: { module: string }) => m.module === 'nauthilus_policy'));
});

test('Nauthilus 1.12 workspace: glua_crypto and redis_prefix (1.12 added them), still the 1.x entry points', () => {
  const v = apiForProfile(api, '1.12');
  assert.ok(requireNames(v).includes('glua_crypto') && !requireNames(v).includes('nauthilus_policy'));
  assert.ok(v.request_fields.some((f) => f.name === 'redis_prefix'));
  assert.ok(v.entry_points.some((e) => e.name === 'nauthilus_call_feature'));
  assert.deepEqual(loaderNames(v), []);
});

test('AuthStudio extensions are offered in every profile and marked as such', () => {
  const ext = mod(api, 'nauthilus_builtin')!.members.find((m) => m.name === 'ENVIRONMENTS_ABORT_YES')!;
  assert.deepEqual(ext.nauthilus, []);
  assert.deepEqual(ext.profiles, api.profiles);
  assert.match(versionsNote(ext, '1.10'), /AuthStudio only/);
});

test('the hover line names the versions, and says when the workspace\'s profile does not have the item', () => {
  const policy = mod(api, 'nauthilus_policy')!;
  assert.equal(versionsNote(policy, '3.0'), 'Nauthilus 3.0, 3.1');
  assert.equal(versionsNote(policy, '1.10'), 'Nauthilus 3.0, 3.1 — not in Nauthilus 1.10, this workspace\'s profile');
  assert.equal(versionsNote(policy, undefined), 'Nauthilus 3.0, 3.1');
  // without a profile (or an unknown one) the editor offers everything
  assert.equal(apiForProfile(api, undefined), api);
});
