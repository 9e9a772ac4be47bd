// A list of IP addresses and CIDR networks (allowlists, cleartext_networks) with a fast membership test.
import net from 'node:net';

export class IpList {
  private readonly list = new net.BlockList();
  readonly size: number;

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const [addr, bits] = raw.trim().split('/');
      const family = net.isIP(addr) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(addr, family);
      else this.list.addSubnet(addr, Number(bits), family);
    }
    this.size = entries.length;
  }

  /** True when `ip` (already normalised: no zone, IPv4-mapped unmapped) is in the list. */
  has(ip: string): boolean {
    const family = net.isIP(ip);
    if (family === 0) return false;
    return this.list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  }
}
