// A list of IP addresses and CIDR networks (allowlists, cleartext_networks) with a fast membership test.
// Matching is done on numbers here: node's net.BlockList builds a SocketAddress object per check, which
// showed up at ~3% of a busy server's CPU.
import net from 'node:net';
import { expandIpv6, ipv4Number } from '../pipeline/auth-request';

interface V4Net { base: number; mask: number }
interface V6Net { words: number[]; bits: number }

export class IpList {
  private readonly v4: V4Net[] = [];
  private readonly v6: V6Net[] = [];
  readonly size: number;

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const [addr, bitsText] = raw.trim().split('/');
      const family = net.isIP(addr);
      if (family === 4) {
        const bits = bitsText === undefined ? 32 : Number(bitsText);
        const mask = v4Mask(bits);
        this.v4.push({ base: (ipv4Number(addr) & mask) >>> 0, mask });
      } else if (family === 6) {
        const bits = bitsText === undefined ? 128 : Number(bitsText);
        this.v6.push({ words: maskV6(expandIpv6(addr), bits), bits });
      }
    }
    this.size = entries.length;
  }

  /** True when `ip` (already normalised: no zone, IPv4-mapped unmapped) is in the list. */
  has(ip: string): boolean {
    if (ip.includes(':')) {
      if (this.v6.length === 0 || net.isIP(ip) !== 6) return false;
      const words = expandIpv6(ip);
      return this.v6.some((n) => sameWords(maskV6(words, n.bits), n.words));
    }
    if (this.v4.length === 0) return false;
    const n = ipv4Number(ip);
    if (Number.isNaN(n) || net.isIP(ip) !== 4) return false;
    return this.v4.some((e) => ((n & e.mask) >>> 0) === e.base);
  }
}

function v4Mask(bits: number): number {
  const b = Math.max(0, Math.min(32, bits));
  return b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
}

function maskV6(words: number[], bits: number): number[] {
  return words.map((w, i) => {
    const keep = Math.max(0, Math.min(16, bits - i * 16));
    return keep === 0 ? 0 : w & ((0xffff << (16 - keep)) & 0xffff);
  });
}

function sameWords(a: number[], b: number[]): boolean {
  for (let i = 0; i < 8; i++) if (a[i] !== b[i]) return false;
  return true;
}
