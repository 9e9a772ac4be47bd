// TLS check: a login without TLS from a network not in `cleartext_networks` is a temporary failure.
import type { BuiltinCheck, CheckResult } from '../pipeline/extensions';
import type { StageState } from '../pipeline/pipeline';
import { IpList } from './ip-list';

export const TLS_REQUIRED_MESSAGE = 'TLS transport encryption required';

/** Whether the client's connection was encrypted, from the fields the integrations send. */
export function usedTls(fields: { ssl: string; ssl_protocol: string }): boolean {
  const v = fields.ssl.trim().toLowerCase();
  if (v !== '' && v !== 'off' && v !== 'false' && v !== '0' && v !== 'no') return true;
  return fields.ssl_protocol.trim() !== '';
}

export class TlsCheck implements BuiltinCheck {
  readonly name = 'tls_encryption';
  readonly stage = 'tls_encryption' as const;
  readonly phase = 'after_features' as const;
  readonly actionType = 'tls_encryption';
  private readonly cleartext: IpList;

  constructor(networks: readonly string[]) {
    this.cleartext = new IpList(networks);
  }

  async run(state: StageState): Promise<CheckResult | undefined> {
    const f = state.req.fields;
    if (usedTls(f)) return undefined;
    if (f.client_ip && this.cleartext.has(f.client_ip)) return { result: 'cleartext_allowed' };
    return { result: 'tls_required', decision: 'tempfail', statusMessage: TLS_REQUIRED_MESSAGE, error: TLS_REQUIRED_MESSAGE };
  }
}
