// End-to-end: a simulated request in the studio (Chromium, a real `authstudio studio` process) shows the
// OpenTelemetry spans the backend script made with nauthilus_opentelemetry (Nauthilus 1.12.5 tracing on) in the
// backend stage of the trace: nested by parent, with kind, status and attributes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { browserMissing, screenshot, type Browser } from './browser';
import { closeStudio, ensureRendererBuilt, openStudioPage, startStudioProcess, type StudioProcess } from './studio-process';

const BACKEND = `
local otel = require("nauthilus_opentelemetry")
function nauthilus_backend_verify_password(request)
  local tr = otel.tracer("e2e/backend")
  local ok = tr:with_span("account.lookup", function(span)
    span:set_attribute("enduser.id", request.username)
    local check = tr:start_span("password.verify", { kind = "client" })
    if request.password ~= "alice-secret" then check:record_error("wrong password") end
    check:finish()
    return request.password == "alice-secret"
  end)
  local b = nauthilus_backend_result.new()
  b:user_found(true)
  b:account_field("account")
  b:attributes({ account = request.username })
  b:authenticated(ok)
  return nauthilus_builtin.BACKEND_RESULT_OK, b
end
`;

describe('trace spans in Chromium', { skip: browserMissing(), concurrency: false }, () => {
  let studio: StudioProcess;
  let browser: Browser;
  let workspace: string;

  before(async () => {
    ensureRendererBuilt();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'as-e2e-otel-'));
    fs.writeFileSync(path.join(workspace, 'authstudio.yml'), [
      'nauthilus: "1.12"',
      'server:', '  backends: [lua]', '  insights:', '    tracing:', '      enabled: true', '      sampler_ratio: 1',
      'lua:', '  config:', '    backend_script_path: ./backend.lua', '',
    ].join('\n'));
    fs.writeFileSync(path.join(workspace, 'backend.lua'), BACKEND);
    studio = await startStudioProcess(workspace);
    browser = await openStudioPage(studio);
  });

  after(() => closeStudio(browser, studio, workspace));

  test('nauthilus_opentelemetry (1.12.5): the backend stage lists the script\'s spans, the child under its parent, an error span marked', async () => {
    const { page } = browser;
    await page.fill('.sim-form input[name=password]', 'not-the-password');
    await page.click('.sim-form button[type=submit]');
    const spans = page.locator('[data-testid=trace] [data-stage=backend] [data-testid=stage-spans]');
    await spans.waitFor();
    assert.match(await spans.locator('summary').innerText(), /OpenTelemetry spans \(2\)/);
    const lookup = spans.locator('[data-span="account.lookup"]');
    const verify = spans.locator('[data-span="password.verify"]');
    assert.match(await lookup.innerText(), /internal[\s\S]*e2e\/backend · under POST \/api\/v1\/auth\/json[\s\S]*enduser\.id=alice/);
    assert.match(await verify.innerText(), /client[\s\S]*error: wrong password[\s\S]*exception/);
    assert.equal(await verify.evaluate((el) => (el as unknown as { classList: { contains(c: string): boolean } }).classList.contains('bad')), true);
    // the child is drawn indented under its parent, after it
    const [lx, vx] = [await lookup.boundingBox(), await verify.boundingBox()];
    assert.ok(lx && vx && vx.x > lx.x && vx.y > lx.y, `password.verify at ${JSON.stringify(vx)}, account.lookup at ${JSON.stringify(lx)}`);
    await screenshot(browser.page, 'trace-spans');
  });
});
