// `authstudio convert <in.yml> [-o out.yml] [--to 3.x|1.x]`: a config file in the other layout, and what did not carry
// over on stderr. Exit 0 (also with notes), 2 when the input cannot be read or the arguments are wrong.

import fs from 'node:fs';
import path from 'node:path';
import { AuthStudioError } from '../../errors/registry';
import { convertConfigFile, formatNote } from './convert';

export const CONVERT_USAGE = [
  'authstudio convert <in.yml> [-o|--out out.yml] [--to 3.x|1.x]',
  '  writes the config in the Nauthilus 3.x layout (--to 1.x: back to 1.x) to out.yml, or to stdout;',
  '  prints each key it could not carry over, with its key path and why (exit 0); exit 2 when in.yml cannot be read',
].join('\n');

function usageError(message: string): never {
  throw new AuthStudioError('AS_ERR_CLI_USAGE', `convert: ${message}\n${CONVERT_USAGE}`);
}

/** Parses the arguments: one input file, -o/--out, --to. */
export function convertArgs(argv: string[]): { input: string; out?: string; to: '1.x' | '3.x' } {
  let input: string | undefined;
  let out: string | undefined;
  let to: string = '3.x';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (name === '-o' || name === '--out' || name === '--to') {
      const value = inline ?? argv[++i];
      if (value === undefined) usageError(`${name} needs a value`);
      if (name === '--to') to = value;
      else out = value;
    } else if (arg.startsWith('-') && arg !== '-') usageError(`unknown option ${arg}`);
    else if (input === undefined) input = arg;
    else usageError(`unexpected argument "${arg}" (one input file)`);
  }
  if (input === undefined) usageError('the input file is missing');
  if (to !== '1.x' && to !== '3.x') usageError(`--to must be 3.x or 1.x, not "${to}"`);
  return { input, out, to };
}

/** Runs the command; returns the exit code. */
export function runConvert(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process): number {
  const args = convertArgs(argv);
  let result;
  try {
    result = convertConfigFile(args.input, args.to);
  } catch (e) {
    if (!(e instanceof AuthStudioError)) throw e;
    io.stderr.write(`${e.format()}\n`);
    return 2;
  }
  const text = result.doc.toString();
  if (args.out !== undefined) fs.writeFileSync(args.out, text);
  else io.stdout.write(text);
  const shown = args.out !== undefined ? path.relative(process.cwd(), args.out) || args.out : 'stdout';
  if (result.from === result.to) io.stderr.write(`${args.input} already uses the ${result.to} layout: written as it is to ${shown}\n`);
  else io.stderr.write(`converted ${args.input} (Nauthilus ${result.from} layout) to ${result.to}: ${shown}\n`);
  for (const n of result.notes) io.stderr.write(`${formatNote(n, args.input)}\n`);
  const dropped = result.notes.filter((n) => n.kind === 'dropped').length;
  const changed = result.notes.filter((n) => n.kind === 'changed').length;
  if (dropped || changed) io.stderr.write(`${dropped} not carried over, ${changed} changed: review them before deploying\n`);
  return 0;
}
