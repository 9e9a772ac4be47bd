// Realtime blackhole lists: weighted DNS lookups of the client address; at the threshold the login fails.
import dns from 'node:dns/promises';
import net from 'node:net';
import type { RblConfig, RblList } from '../config/types';
import type { BuiltinCheck, CheckResult } from '../pipeline/extensions';
import type { StageState } from '../pipeline/pipeline';
import { IpList } from './ip-list';
import type { SoftWhitelist } from './soft-whitelist';
import { isRoutableIp } from '../lua/modules/util';

/** The DNS name to look up for `ip` in `zone` (reversed octets, or nibbles for IPv6). */
export function rblQueryName(ip: string, zone: string): string {
  if (net.isIP(ip) === 4) return `${ip.split('.').reverse().join('.')}.${zone}`;
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const words = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((w) => w.padStart(4, '0'));
  return `${words.join('').split('').reverse().join('.')}.${zone}`;
}

export class RblCheck implements BuiltinCheck {
  readonly name = 'rbl';
  readonly stage = 'rbl' as const;
  readonly phase = 'after_features' as const;
  readonly actionType = 'rbl';
  private readonly allow: IpList;
  private readonly resolver: dns.Resolver;

  constructor(private readonly config: RblConfig, resolverAddress: string | undefined, timeoutMs = 2000, private readonly soft?: SoftWhitelist) {
    this.allow = new IpList(config.ipWhitelist);
    this.resolver = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
    if (resolverAddress) this.resolver.setServers([resolverAddress]);
  }

  private async listed(list: RblList, ip: string): Promise<boolean> {
    try {
      const answers = await this.resolver.resolve4(rblQueryName(ip, list.rbl));
      // Nauthilus 1.10 core/rbl.go: an answer equal to return_code or to any of return_codes is a listing
      const codes = list.returnCodes ?? [list.returnCode];
      return answers.some((a) => codes.includes(a));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return false;
      throw e;
    }
  }

  async run(state: StageState): Promise<CheckResult | undefined> {
    const ip = state.req.fields.client_ip;
    if (!ip || state.req.mode !== 'auth' || !isRoutableIp(ip)) return undefined;
    // Nauthilus 1.10: a user soft-whitelisted for rbl from this address skips the lookups
    if (this.soft && (await this.soft.covers('rbl', state.req.fields.username, ip))) return { result: 'soft whitelisted' };
    if (this.allow.has(ip)) return { result: 'allowlisted' };
    const v6 = net.isIP(ip) === 6;
    const lists = this.config.lists.filter((l) => (v6 ? l.ipv6 : l.ipv4));
    if (lists.length === 0) return undefined;
    const results = await Promise.allSettled(lists.map((l) => this.listed(l, ip)));
    let score = 0;
    const hits: string[] = [];
    for (let i = 0; i < lists.length; i++) {
      const r = results[i];
      if (r.status === 'rejected') {
        if (lists[i].allowFailure) continue;
        return { result: 'error', decision: 'tempfail', error: `RBL ${lists[i].name}: ${(r.reason as Error).message}` };
      }
      if (r.value) {
        score += lists[i].weight;
        hits.push(lists[i].name);
      }
    }
    if (hits.length > 0 && score >= this.config.threshold) {
      return { result: `listed (${hits.join(', ')}; score ${score})`, decision: 'fail' };
    }
    return { result: hits.length ? `below threshold (${hits.join(', ')}; score ${score})` : 'not_listed' };
  }
}
