// Converting a config file between the Nauthilus 1.x and 3.x layouts: `authstudio convert`, `export --format` and the
// studio's convertConfig. Text in, text out, with a note for everything that did not carry over as it was.

import fs from 'node:fs';
import { LineCounter, isMap, isScalar, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { AuthStudioError } from '../../errors/registry';
import type { ConfigLayout } from '../types';
import { V3_SECTIONS } from '../nauthilus3-schema';
import { convertTo1x } from './to-1x';
import { convertTo3x } from './to-3x';
import type { ConvertNote, NoteSink } from './yaml-nodes';

export type { ConvertNote } from './yaml-nodes';

/** What a conversion produced. */
export interface ConversionResult {
  from: ConfigLayout;
  to: ConfigLayout;
  /** The converted document (not yet written). */
  doc: Document;
  notes: ConvertNote[];
}

/**
 * Parses `text` (the file `file`, for error locations) and converts it to the layout `to`. A file already in that
 * layout comes back as written. Unreadable YAML throws AS_ERR_CONFIG_YAML with file:line:column.
 *
 * @example
 *   const { doc, notes } = convertConfigText(fs.readFileSync('nauthilus.yml', 'utf8'), 'nauthilus.yml', '3.x');
 */
export function convertConfigText(text: string, file: string, to: ConfigLayout): ConversionResult {
  const lineCounter = new LineCounter();
  const src = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = src.errors[0];
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    throw new AuthStudioError('AS_ERR_CONFIG_YAML', `${first.code === 'DUPLICATE_KEY' ? 'duplicate key: map keys must be unique' : `YAML syntax error: ${first.message}`}`, { location: { file, line, column: col } });
  }
  if (src.contents !== null && !isMap(src.contents)) {
    const offset = src.contents.range?.[0] ?? 0;
    throw new AuthStudioError('AS_ERR_CONFIG_TYPE', 'the configuration must be a map of sections (server, lua, ... or runtime, storage, auth, ...)', { location: { file, line: lineCounter.linePos(offset).line, column: lineCounter.linePos(offset).col } });
  }
  const notes: ConvertNote[] = [];
  const note: NoteSink = ({ node, ...n }) => {
    const offset = (node as YamlNode | null | undefined)?.range?.[0];
    notes.push(offset === undefined ? n : { ...n, line: lineCounter.linePos(offset).line });
  };
  const from: ConfigLayout = isMap(src.contents) && src.contents.items.some((p) => isScalar(p.key) && (V3_SECTIONS as readonly unknown[]).includes(p.key.value)) ? '3.x' : '1.x';
  if (from === to) return { from, to, doc: src, notes };
  const doc = to === '3.x' ? convertTo3x(src, note) : convertTo1x(src, note);
  return { from, to, doc, notes };
}

/** Reads and converts a file; a missing or unreadable file is an AS_ERR_CONFIG_YAML naming it. */
export function convertConfigFile(file: string, to: ConfigLayout): ConversionResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new AuthStudioError('AS_ERR_CONFIG_YAML', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { location: { file, line: 1, column: 1 } });
  }
  return convertConfigText(text, file, to);
}

/** One line per note: `path (line N): why`. */
export function formatNote(n: ConvertNote, file?: string): string {
  const where = n.line === undefined ? '' : ` (${file ? `${file}:` : 'line '}${n.line})`;
  return `${n.kind === 'dropped' ? 'not carried over' : n.kind === 'changed' ? 'changed' : 'note'}: ${n.path}${where}: ${n.why}`;
}
