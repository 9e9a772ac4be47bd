// Issue 13, findings 12 and 18: the studio's export and import never bring a host file into the workspace (where
// readFile serves it), import reads nothing outside its bundle (symlinks resolved), and an export writes no secret
// unless asked: `${NAUTHILUS_...}` references named in its README, files 0600, folders 0700.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../../engine/config/load';
import { exportBundle } from '../../engine/studio/export';
import { openStudio, type Studio } from '../../engine/studio/open-studio';
import { editFile, ROOT, tempWorkspace } from '../studio/studio-fixture';

const MARKER = 'HOST-SECRET-CONTENT';
/** A valid feature script that a user keeps private on the host (mode 0600). */
const HOST_SCRIPT = `-- ${MARKER}\nfunction nauthilus_call_feature(request) return false, false, 0 end\n`;

let parent: string;
let hostDir: string;
let ws: string;
let studio: Studio;

function hostFile(rel: string): string {
  const file = path.join(hostDir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, HOST_SCRIPT, { mode: 0o600 });
  return file;
}

/** Every file under `dir` (following nothing) whose content holds the host file's marker. */
function leaked(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .filter((f) => fs.readFileSync(f, 'utf8').includes(MARKER));
}

before(async () => {
  parent = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'as-attack-files-')));
  hostDir = path.join(parent, 'host');
  const secret = hostFile('private/secret.lua');
  ws = tempWorkspace('ws-basic', (dir) => editFile(dir, 'authstudio.yml', '  features:\n', `  features:\n    - name: host-file\n      script_path: ${secret}\n`));
  studio = await openStudio({ workspace: ws, listen: '127.0.0.1:0', watch: false });
});

after(async () => {
  await studio?.close();
  for (const d of [ws, parent]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

async function refused(p: Promise<unknown>, what: string): Promise<string> {
  try {
    await p;
  } catch (e) {
    return String((e as { code?: string }).code);
  }
  assert.fail(`${what} was not refused`);
}

test('issue 13 #12: export into the workspace (a sub-folder, the workspace, through a symlink) is refused; no host file reaches readFile', async () => {
  fs.symlinkSync(path.join(ws, 'features'), path.join(parent, 'link-into-ws'));
  const targets = [path.join(ws, 'exported'), path.join(ws, 'features', 'deeper', 'x'), path.join(parent, 'link-into-ws'), path.join(parent, 'link-into-ws', 'new-folder')];
  for (const out of targets) {
    const code = await refused(studio.service.exportBundle({ out }), `export to ${out}`);
    assert.equal(code, 'AS_ERR_BAD_REQUEST', out);
  }
  assert.deepEqual(leaked(ws), [], 'a host file was copied into the workspace');
  const files = await studio.service.listFiles();
  for (const f of files.filter((e) => e.kind === 'file')) {
    assert.ok(!(await studio.service.readFile({ path: f.path })).content.includes(MARKER), `readFile serves the host file as ${f.path}`);
  }
  // an export to a new folder outside the workspace still works
  const out = path.join(parent, 'bundle-out');
  const report = await studio.service.exportBundle({ out, prefix: out });
  assert.ok(fs.existsSync(report.config));
});

test('issue 13 #12: import copies nothing from outside its bundle (absolute paths, "..", symlinks, package_path) and never into the open workspace', async () => {
  const bundle = path.join(parent, 'bundle');
  fs.mkdirSync(path.join(bundle, 'lua-plugins.d', 'lib'), { recursive: true });
  fs.writeFileSync(path.join(bundle, 'lua-plugins.d', 'ok.lua'), 'function nauthilus_call_feature(request) return false, false, 0 end\n');
  fs.writeFileSync(path.join(bundle, 'lua-plugins.d', 'lib', 'mod.lua'), 'return {}\n');
  fs.symlinkSync(hostFile('private/linked.lua'), path.join(bundle, 'lua-plugins.d', 'linked.lua'));
  fs.symlinkSync(path.join(hostDir, 'private'), path.join(bundle, 'lua-plugins.d', 'dir-link'));
  hostFile('lib/hostmod.lua');
  fs.writeFileSync(path.join(bundle, 'nauthilus.yml'), [
    'lua:',
    '  features:',
    `    - { name: abs, script_path: ${path.join(hostDir, 'private', 'secret.lua')} }`,
    '    - { name: dotdot, script_path: ../host/private/secret.lua }',
    '    - { name: symlink, script_path: ./lua-plugins.d/linked.lua }',
    '    - { name: dirlink, script_path: ./lua-plugins.d/dir-link/secret.lua }',
    '    - { name: ok, script_path: ./lua-plugins.d/ok.lua }',
    '  config:',
    `    package_path: "./lua-plugins.d/lib/?.lua;${hostDir}/lib/?.lua;./lua-plugins.d/dir-link/?.lua"`,
    '',
  ].join('\n'));
  const into = path.join(parent, 'imported');
  const report = await studio.service.importConfig({ config: path.join(bundle, 'nauthilus.yml'), into });
  assert.deepEqual(leaked(into), [], 'a file from outside the bundle was imported');
  assert.ok(fs.existsSync(path.join(into, 'lua-plugins.d', 'ok.lua')), 'the bundle\'s own script is imported');
  assert.ok(fs.existsSync(path.join(into, 'lua-plugins.d', 'lib', 'mod.lua')), 'the bundle\'s own module is imported');
  const notImported = [...report.missing, ...((report as { refused?: string[] }).refused ?? [])].join('\n');
  for (const w of ['secret.lua', 'linked.lua', 'dir-link']) assert.match(notImported, new RegExp(w.replace('.', '\\.')), `${w} is not reported`);

  const inside = path.join(ws, 'imported');
  const code = await refused(studio.service.importConfig({ config: path.join(bundle, 'nauthilus.yml'), into: inside }), 'import into the open workspace');
  assert.equal(code, 'AS_ERR_BAD_REQUEST');
  assert.equal(fs.existsSync(inside), false);
});

// ---- finding 18: secrets in an export ----

const SECRETS = {
  basic: 'basic-SECRET-1-pw',
  jwt: 'jwt-SECRET-2-0123456789abcdefghijklmnop',
  user: 'user-SECRET-3-pw',
  redis: 'redis-SECRET-4-pw',
  nonce: 'nonce-SECRET-5',
  sentinel: 'sentinel-SECRET-6-pw',
};

function secretWorkspace(redis: string): string {
  return tempWorkspace('ws-basic', (dir) => {
    fs.appendFileSync(path.join(dir, 'features', 'blocklist.lua'), '-- local dsn = "user:hunter2@tcp(127.0.0.1)/nauthilus"\n');
    secretConfig(dir, redis);
  });
}

function secretConfig(dir: string, redis: string): void {
  editFile(dir, 'authstudio.yml', '  redis: mock\n', [
    redis,
    `  password_nonce: ${SECRETS.nonce}`,
    '  basic_auth: { enabled: true, username: admin, password: ' + SECRETS.basic + ' }',
    '  jwt_auth:',
    '    enabled: true',
    `    secret_key: ${SECRETS.jwt}`,
    '    users:',
    `      - { username: ops, password: ${SECRETS.user}, roles: [admin] }`,
    `      - { username: reader, password: "\${READER_PW}" }`,
    '',
  ].join('\n'));
}

/** Modes of everything in `dir` (relative path -> octal string), the folder itself as ".". */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { '.': (fs.statSync(dir).mode & 0o777).toString(8) };
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) out[rel] = (fs.statSync(path.join(dir, rel)).mode & 0o777).toString(8);
  return out;
}

test('issue 13 #18: an export without --include-secrets writes no secret: ${NAUTHILUS_...} references (expanded as Nauthilus 3.0 expands ${NAME} in config values), named in the README, files 0600, folders 0700', async () => {
  const cases = [
    ['URL form', `  redis: "redis://default:${SECRETS.redis}@127.0.0.1:6379/0"`],
    ['map form', `  redis:\n    password: ${SECRETS.redis}\n    sentinels: { master: mymaster, addresses: ["127.0.0.1:26379"], password: ${SECRETS.sentinel} }`],
  ] as const;
  for (const [form, redis] of cases) {
    const dir = secretWorkspace(redis);
    const out = path.join(parent, `secrets-${form.replace(' ', '-')}`);
    try {
      // the CLI path (authstudio export), as a user runs it
      const cli = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'authstudio'), 'export', '--config', path.join(dir, 'authstudio.yml'), '--out', out, '--prefix', out], { encoding: 'utf8', env: { ...process.env, READER_PW: 'reader-pw-123' } });
      assert.equal(cli.status, 0, cli.stderr);
      assert.match(cli.stdout, /warning: features\/blocklist\.lua line \d+ looks like a credential/, 'a DSN with a password in a script is pointed out');
      const yml = fs.readFileSync(path.join(out, 'nauthilus.yml'), 'utf8');
      const readme = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
      for (const [what, value] of Object.entries(SECRETS)) {
        if (what === 'sentinel' && form === 'URL form') continue;
        assert.ok(!yml.includes(value), `${form}: nauthilus.yml holds the ${what} secret`);
        assert.ok(!readme.includes(value) && !cli.stdout.includes(value), `${form}: the README or the output holds the ${what} secret`);
      }
      const vars = [...yml.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]);
      assert.ok(vars.includes('READER_PW'), `${form}: a reference already in the source is kept as written`);
      for (const v of vars) assert.match(readme, new RegExp(`\`${v}\``), `${form}: README does not name ${v}`);
      // the references load back to the same secrets when the variables are set
      const env = Object.fromEntries(vars.map((v) => [v, '']));
      const names = vars.filter((v) => v !== 'READER_PW');
      assert.equal(names.length, new Set(names).size, 'one variable per secret');
      const values: Record<string, string> = {};
      for (const v of names) values[v] = `value-of-${v}`;
      const loaded = loadConfigFile(path.join(out, 'nauthilus.yml'), { env: { ...env, ...values, READER_PW: 'reader-pw-123' } });
      assert.equal(loaded.server.basicAuth?.password, values[names.find((v) => /BASIC_AUTH_PASSWORD/.test(v))!]);
      assert.equal(loaded.server.jwtAuth?.secretKey.startsWith('value-of-'), true);
      assert.equal(loaded.server.jwtAuth?.users[0].password.startsWith('value-of-'), true);
      assert.equal(loaded.server.redis.password?.startsWith('value-of-'), true);
      assert.equal(loaded.server.passwordNonce.startsWith('value-of-'), true);
      if (form === 'map form') assert.equal(loaded.server.redis.sentinelPassword?.startsWith('value-of-'), true);
      const m = modes(out);
      for (const [rel, mode] of Object.entries(m)) {
        const isDir = fs.statSync(path.join(out, rel)).isDirectory();
        assert.equal(mode, isDir ? '700' : '600', `${form}: ${rel} has mode ${mode}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(out, { recursive: true, force: true });
    }
  }
});

test('issue 13 #18: with include_secrets the secrets are written as they are (still 0600), and an earlier export\'s 0644 files become 0600', () => {
  const dir = secretWorkspace(`  redis: "redis://default:${SECRETS.redis}@127.0.0.1:6379/0"`);
  const out = path.join(parent, 'with-secrets');
  try {
    fs.mkdirSync(out, { mode: 0o755 });
    fs.writeFileSync(path.join(out, 'nauthilus.yml'), '# earlier\n', { mode: 0o644 });
    fs.chmodSync(path.join(out, 'nauthilus.yml'), 0o644);
    fs.mkdirSync(path.join(out, 'features'));
    fs.chmodSync(path.join(out, 'features'), 0o755);
    fs.writeFileSync(path.join(out, 'features', 'old.lua'), '-- an earlier export\n');
    fs.chmodSync(path.join(out, 'features', 'old.lua'), 0o644);
    const report = exportBundle({ configFile: path.join(dir, 'authstudio.yml'), out, prefix: out, includeSecrets: true, env: { READER_PW: 'x'.repeat(8) } } as Parameters<typeof exportBundle>[0]);
    const yml = fs.readFileSync(report.config, 'utf8');
    assert.ok(yml.includes(SECRETS.jwt) && yml.includes(SECRETS.basic), 'asked-for secrets are written');
    for (const [rel, mode] of Object.entries(modes(out))) {
      assert.equal(mode, fs.statSync(path.join(out, rel)).isDirectory() ? '700' : '600', `${rel} has mode ${mode}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
  }
});
