// How `serve`, `studio` and `start` write their log: pino's JSON lines, or the same lines made readable by
// pino-pretty. `--log-format` decides; without it a terminal gets the readable form and a pipe or file gets JSON
// (log collectors and scripts read JSON; a person at a terminal reads text).
import { prettyFactory } from 'pino-pretty';
import { AuthStudioError } from './errors/registry';

export type LogFormat = 'json' | 'pretty';

/** Description of the `--log-format` option, shared by the commands that have it. */
export const LOG_FORMAT_HELP = '"pretty" (readable lines) or "json" (one JSON object per line); default: pretty on a terminal, json when stdout is a pipe or a file';

/**
 * The format to use: the option when given, else pretty for a TTY and JSON otherwise.
 * @throws AuthStudioError AS_ERR_CLI_USAGE for any other value
 */
export function chooseLogFormat(option: string | boolean | undefined, out: { isTTY?: boolean }, command: string): LogFormat {
  if (option === undefined) return out.isTTY ? 'pretty' : 'json';
  if (option === 'json' || option === 'pretty') return option;
  throw new AuthStudioError('AS_ERR_CLI_USAGE', `${command}: --log-format must be "pretty" or "json", not "${String(option)}"`, { path: '--log-format' });
}

/**
 * A line sink for pino (and for the studio's LogTap echo): JSON lines are passed through, or rewritten as
 * `[12:00:00.123] INFO: msg {fields}`; colours only on a terminal.
 */
export function logSink(format: LogFormat, out: NodeJS.WritableStream & { isTTY?: boolean }): { write(line: string): unknown } {
  if (format === 'json') return out;
  const pretty = prettyFactory({ colorize: out.isTTY === true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
  return { write: (line: string) => out.write(pretty(line)) };
}
