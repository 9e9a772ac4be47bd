// Relay domains: a login name that is an e-mail address must belong to a served domain.
import type { BuiltinCheck, CheckResult } from '../pipeline/extensions';
import type { StageState } from '../pipeline/pipeline';
import type { SoftWhitelist } from './soft-whitelist';

export class RelayDomainsCheck implements BuiltinCheck {
  readonly name = 'relay_domains';
  readonly stage = 'relay_domains' as const;
  readonly phase = 'after_features' as const;
  readonly actionType = 'relay_domains';
  private readonly domains: Set<string>;

  constructor(domains: readonly string[], private readonly soft?: SoftWhitelist) {
    this.domains = new Set(domains.map((d) => d.toLowerCase()));
  }

  async run(state: StageState): Promise<CheckResult | undefined> {
    const user = state.req.fields.username;
    // Nauthilus 1.10: a user soft-whitelisted for relay_domains from this address skips the check
    if (this.soft && (await this.soft.covers('relay_domains', user, state.req.fields.client_ip))) return { result: 'soft whitelisted' };
    const at = user.lastIndexOf('@');
    if (at < 0) return undefined;
    const domain = user.slice(at + 1).toLowerCase();
    if (this.domains.has(domain)) return { result: 'served' };
    return { result: 'not_served', decision: 'fail' };
  }
}
