// nauthilus_util under a Nauthilus 3.x profile (config.profile): if_error_raise lets "OK" pass and the log
// functions exist; under 1.10 both stay as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { runLua, testServices } from '../helpers/lua-harness';
import type { NauthilusProfile } from '../../engine/config/types';

function servicesFor(profile: NauthilusProfile | undefined, lines: string[] = []) {
  const services = testServices();
  services.profile = profile;
  services.logger = pino({ level: 'debug' }, { write: (line: string) => { lines.push(line); } });
  return services;
}

test('Nauthilus 3.0: if_error_raise ignores "OK" (and "redis: nil"), raises anything else', async () => {
  const [okOk, okNil, errMsg] = await runLua(`
    local u = require("nauthilus_util")
    local a = pcall(u.if_error_raise, "OK")
    local b = pcall(u.if_error_raise, "redis: nil")
    local _, e = pcall(u.if_error_raise, "boom")
    return a, b, e`, { services: servicesFor('3.0') });
  assert.equal(okOk, true);
  assert.equal(okNil, true);
  assert.match(String(errMsg), /boom/);
});

test('Nauthilus 1.10: if_error_raise raises on "OK" and has no log_info (1.x unchanged)', async () => {
  for (const profile of [undefined, '1.10'] as const) {
    const [raised, hasLog] = await runLua(`
      local u = require("nauthilus_util")
      return not pcall(u.if_error_raise, "OK"), type(u.log_info)`, { services: servicesFor(profile) });
    assert.equal(raised, true);
    assert.equal(hasLog, 'nil');
  }
});

test('Nauthilus 3.0: log_<level>(logging, result) writes a print_result line when the level reaches logging.log_level', async () => {
  const lines: string[] = [];
  await runLua(`
    local u = require("nauthilus_util")
    local logging = { log_level = "notice", log_format = "json" }
    u.log_debug(logging, { caller = "t", step = "debug" })
    u.log_info(logging, { caller = "t", step = "info" })
    u.log_notice(logging, { caller = "t", step = "notice" })
    u.log_warn(logging, { caller = "t", step = "warn" })
    u.log_error(logging, { caller = "t", step = "error" }, "it broke")
    u.log({ log_level = "debug", log_format = "json" }, "DEBUG", { caller = "t", step = "explicit" })
    return true`, { services: servicesFor('3.1', lines) });
  const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.script_log).map((l) => JSON.parse(l.script_log));
  assert.deepEqual(logged.map((l) => [l.step, l.level]), [['notice', 'notice'], ['warn', 'warn'], ['error', 'error'], ['explicit', 'debug']]);
  assert.equal(logged[2].error, 'it broke');
  assert.match(logged[0].ts, /^\d{4}-\d\d-\d\dT/);
});
