// Script names as the engine writes them in errors (absolute, cwd-relative, or shortened by Lua to "...tail"),
// turned into the workspace-relative path the editor opens.
import type { FileEntry } from '../../engine/api/contract';

/** `path/to/x.lua:12:` in a message -> the file as written and the line. */
export function scriptPlaceIn(text: string): { file: string; line: number } | undefined {
  const m = /((?:\.\.\.)?[\w./\\-]*?[\w.-]+\.lua):(\d+):/.exec(text);
  return m ? { file: m[1], line: Number(m[2]) } : undefined;
}

/** The workspace file a script name stands for, or undefined when it is not one of the workspace's files. */
export function workspacePath(name: string, workspace: string, files: FileEntry[]): string | undefined {
  const known = files.filter((f) => f.kind === 'file').map((f) => f.path);
  let n = name.replace(/\\/g, '/').replace(/^@/, '');
  const root = workspace.replace(/\\/g, '/').replace(/\/+$/, '');
  if (root && n.startsWith(`${root}/`)) n = n.slice(root.length + 1);
  n = n.replace(/^\.\//, '');
  if (known.includes(n)) return n;
  const tail = n.startsWith('...') ? n.slice(3) : `/${n}`;
  const hits = known.filter((k) => `/${k}`.endsWith(tail));
  return hits.length === 1 ? hits[0] : undefined;
}
