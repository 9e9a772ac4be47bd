// Test helper for config tests: temp workspaces, and the errors (or formatted lines) a config text produces.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigValidationError, parseConfigText, type LoadOptions } from '../../engine/config/load';
import type { AuthStudioError } from '../../engine/errors/registry';

export const FILE = 'lua-plugins.d/authstudio.yml';

/** YAML from lines. */
export const yml = (...lines: string[]): string => lines.join('\n') + '\n';

const tempDirs: string[] = [];
let cleanupRegistered = false;

/** A temp workspace (removed after the test file) holding the given files. */
export function workspace(files: Record<string, string> = {}): string {
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    after(() => {
      for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'authstudio-config-'));
  tempDirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

/** The errors a config produces (fails the test when it loads). */
export function errorsOf(text: string, opts: LoadOptions = {}, file = FILE): AuthStudioError[] {
  try {
    parseConfigText(text, file, { checkFiles: false, env: {}, ...opts });
  } catch (e) {
    assert.ok(e instanceof ConfigValidationError, `expected ConfigValidationError, got ${String(e)}`);
    return e.errors;
  }
  assert.fail('config loaded without errors');
}

/** The formatted lines a user sees. */
export function linesOf(text: string, opts: LoadOptions = {}, file = FILE): string[] {
  return errorsOf(text, opts, file).map((e) => e.format());
}

/**
 * The opening lines of a Nauthilus 3.x workspace on any free port with the Lua backend ./backend.lua, ending in
 * `auth.controls.enabled`; callers go on with `auth` keys (indented two spaces).
 */
export function v3LuaBackendHead(controls: string): string[] {
  return [
    'runtime:', '  servers:', '    http:', '      address: 127.0.0.1:0',
    'auth:', '  backends:', '    order: [lua]', '    lua:', '      backend:', '        default:', '          backend_script_path: ./backend.lua',
    '  controls:', `    enabled: ${controls}`,
  ];
}
