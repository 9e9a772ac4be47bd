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
