// Which workspace the desktop app opens: --workspace or AUTHSTUDIO_WORKSPACE; in a checkout the bundled sample;
// in an installed app a copy of the bundled sample in the user's data folder (the installed one is read-only).
import fs from 'node:fs';
import path from 'node:path';

export interface WorkspaceChoiceInput {
  argv: string[];
  env: Record<string, string | undefined>;
  isPackaged: boolean;
  /** Where electron-builder put the extra resources (process.resourcesPath). */
  resourcesPath: string;
  userData: string;
  /** The checkout's lua-plugins.d (used when not packaged). */
  checkoutSample: string;
}

/** The value of `--name value` or `--name=value` in argv. */
export function argValue(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return undefined;
}

/** The workspace folder to open, and whether the sample had to be copied there first. */
export function chooseWorkspace(i: WorkspaceChoiceInput): { dir: string; copyFrom?: string } {
  const given = argValue(i.argv, 'workspace') ?? i.env.AUTHSTUDIO_WORKSPACE;
  if (given) return { dir: path.resolve(given) };
  if (!i.isPackaged) return { dir: i.checkoutSample };
  const dir = path.join(i.userData, 'workspace');
  return fs.existsSync(path.join(dir, 'authstudio.yml')) ? { dir } : { dir, copyFrom: path.join(i.resourcesPath, 'lua-plugins.d') };
}

/** Make sure the chosen workspace exists (copying the sample on first start). */
export function prepareWorkspace(choice: { dir: string; copyFrom?: string }): string {
  if (choice.copyFrom) {
    fs.mkdirSync(choice.dir, { recursive: true });
    fs.cpSync(choice.copyFrom, choice.dir, { recursive: true, errorOnExist: false, force: false });
  }
  return choice.dir;
}
