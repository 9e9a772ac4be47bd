// Parse Lua error messages ("features/demo.lua:12: message") into file, line and message.

export interface ParsedLuaError {
  file?: string;
  line?: number;
  message: string;
  /** The full text as Lua produced it, traceback included. */
  raw: string;
}

const LOCATED = /^(?:\[string "[^"]*"\]|([^\s:][^:]*?)):(\d+): ([\s\S]*)$/;

/** Split `file:line: message` (the first block of a Lua error); `message` has neither location nor traceback. */
export function parseLuaError(text: string): ParsedLuaError {
  const raw = text;
  const firstBlock = text.split('\nstack traceback:')[0].trim();
  const m = LOCATED.exec(firstBlock);
  if (!m) return { message: firstBlock, raw };
  return { file: m[1], line: Number(m[2]), message: m[3].trim(), raw };
}

/** One frame of a Lua traceback that runs in a workspace file (a script or a module it required). */
export interface LuaFrame {
  /** Workspace-relative path, as the script's chunk name gives it. */
  file: string;
  line: number;
  /** What Lua calls the frame: "function 'helper'", "local 'check'", "main chunk", "function <x.lua:3>". */
  function?: string;
}

/** A traceback keeps at most this many frames (a deep recursion must not fill a trace). */
const MAX_FRAMES = 20;
const FRAME = /^\s*(.+?):(\d+): in (.*)$/;

/**
 * The workspace frames of `luaL_traceback` text, innermost first: C functions and the engine's own chunks
 * (`[authstudio prelude]`, `[string "..."]`) are left out, so each frame is a place the user can open.
 */
export function parseTraceback(text: string): LuaFrame[] {
  const frames: LuaFrame[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && frames.length < MAX_FRAMES; i++) {
    const m = FRAME.exec(lines[i]);
    if (!m || m[1].startsWith('[') || m[1].includes('"')) continue;
    // Lua names a function by its caller's variable: an entry function called by the engine would read
    // "local 'fn'" (the dispatcher's name for it), which is no name in the user's script
    const calledByEngine = /^\s*\[authstudio /.test(lines[i + 1] ?? '');
    const fn = calledByEngine ? '' : m[3].trim();
    frames.push({ file: m[1], line: Number(m[2]), ...(fn && fn !== '?' ? { function: fn } : {}) });
  }
  return frames;
}

/** `file:line` of each frame, one a line, as a Lua traceback prints it (logs, CLI). */
export function formatFrames(frames: LuaFrame[]): string {
  return frames.map((f) => `  ${f.file}:${f.line}${f.function ? `: in ${f.function}` : ''}`).join('\n');
}
