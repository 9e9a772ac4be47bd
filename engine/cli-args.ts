// A small, strict argv parser: `--name value`, `--name=value`, boolean flags; unknown options are errors.
import { AuthStudioError } from './errors/registry';

export interface OptionSpec {
  /** Takes a value (string) or is a flag (boolean). */
  type: 'string' | 'boolean';
  required?: boolean;
  description: string;
}

export function parseArgs(argv: string[], spec: Record<string, OptionSpec>, command: string): Record<string, string | boolean | undefined> {
  const out: Record<string, string | boolean | undefined> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new AuthStudioError('AS_ERR_CLI_USAGE', `${command}: unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const opt = spec[name];
    if (!opt) {
      throw new AuthStudioError('AS_ERR_CLI_USAGE', `${command}: unknown option --${name} (known: ${Object.keys(spec).map((k) => '--' + k).join(', ')})`);
    }
    if (opt.type === 'boolean') {
      out[name] = eq < 0 ? true : arg.slice(eq + 1) !== 'false';
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new AuthStudioError('AS_ERR_CLI_USAGE', `${command}: --${name} needs a value`);
    out[name] = value;
  }
  for (const [name, opt] of Object.entries(spec)) {
    if (opt.required && out[name] === undefined) throw new AuthStudioError('AS_ERR_CLI_USAGE', `${command}: --${name} is required (${opt.description})`);
  }
  return out;
}

export function usage(command: string, spec: Record<string, OptionSpec>): string {
  const lines = Object.entries(spec).map(([k, o]) => `  --${k}${o.type === 'string' ? ' VALUE' : ''}${o.required ? ' (required)' : ''}  ${o.description}`);
  return `authstudio ${command}\n${lines.join('\n')}`;
}
