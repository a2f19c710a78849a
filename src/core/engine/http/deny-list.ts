/**
 * Network deny-list for outbound requests (server-side request forgery guard).
 * Checked on the resolved IP at connect time, so a hostname that resolves to a
 * denied address (DNS rebinding, nip.io-style names) is blocked too.
 */
import { isIP } from 'node:net';

/** Link-local ranges and the cloud metadata endpoints (AWS, GCP, Azure, Alibaba, AWS IPv6). */
export const DEFAULT_DENIED_NETWORKS = ['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128', '100.100.100.200/32'];
export const DEFAULT_DENIED_HOSTS = ['metadata.google.internal', 'metadata.goog', 'metadata'];

interface Cidr {
  text: string;
  family: 4 | 6;
  bits: bigint;
  prefix: number;
}

function ipv4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part) & 255), 0n);
}

function ipv6ToBigInt(ip: string): bigint {
  let addr = ip.toLowerCase();
  const zone = addr.indexOf('%');
  if (zone >= 0) addr = addr.slice(0, zone);
  // Embedded IPv4 tail (::ffff:1.2.3.4)
  const v4 = addr.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const n = ipv4ToBigInt(v4[1]);
    addr = addr.slice(0, -v4[1].length) + ((n >> 16n) & 0xffffn).toString(16) + ':' + (n & 0xffffn).toString(16);
  }
  const [head, tail] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

export function parseCidr(text: string): Cidr {
  const [addr, prefixText] = text.trim().split('/');
  const family = isIP(addr);
  if (family !== 4 && family !== 6) throw new Error(`Invalid network in deny-list: ${text} (use CIDR notation like 169.254.0.0/16)`);
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`Invalid prefix length in deny-list entry: ${text}`);
  return { text: text.trim(), family, bits: family === 4 ? ipv4ToBigInt(addr) : ipv6ToBigInt(addr), prefix };
}

function inCidr(value: bigint, family: 4 | 6, cidr: Cidr): boolean {
  if (family !== cidr.family) return false;
  const width = family === 4 ? 32 : 128;
  const shift = BigInt(width - cidr.prefix);
  return value >> shift === cidr.bits >> shift;
}

const normalizeHost = (h: string) => h.trim().toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');

export class NetworkDenyList {
  private readonly cidrs: Cidr[];
  private readonly hosts: Set<string>;
  /** from '*.example.com' entries: '.example.com' (sub-domains only) */
  private readonly suffixes: string[];

  /** `hosts` are exact names, or '*.domain' for every name below domain. */
  constructor(networks: string[] = DEFAULT_DENIED_NETWORKS, hosts: string[] = DEFAULT_DENIED_HOSTS) {
    this.cidrs = networks.map(parseCidr);
    const names = hosts.map(normalizeHost);
    this.hosts = new Set(names.filter((h) => !h.startsWith('*.')));
    this.suffixes = names.filter((h) => h.startsWith('*.')).map((h) => h.slice(1));
  }

  /** The denied network an address falls in, or undefined when allowed. */
  matchAddress(ip: string): string | undefined {
    let family = isIP(ip) as 0 | 4 | 6;
    if (!family) return undefined;
    let value = family === 4 ? ipv4ToBigInt(ip) : ipv6ToBigInt(ip);
    // IPv4-mapped IPv6 (::ffff:a.b.c.d) is checked as IPv4 as well.
    if (family === 6 && value >> 32n === 0xffffn) {
      const mapped = value & 0xffffffffn;
      const hit = this.cidrs.find((c) => inCidr(mapped, 4, c));
      if (hit) return hit.text;
    }
    return this.cidrs.find((c) => inCidr(value, family as 4 | 6, c))?.text;
  }

  matchHost(hostname: string): boolean {
    const h = normalizeHost(hostname);
    return this.hosts.has(h) || this.suffixes.some((suffix) => h.endsWith(suffix));
  }
}
