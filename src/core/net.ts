/** IP addresses and CIDRs, IPv4 and IPv6, as bigints for exact containment. */

export interface Cidr {
  family: 4 | 6;
  base: bigint;
  prefix: number;
  text: string;
}

/** Dotted quad to a number; by character codes, as it runs per flow edge and per model lookup. */
export function parseIPv4(s: string): number | undefined {
  const len = s.length;
  if (len < 7 || len > 15) return undefined;
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (++digits > 3) return undefined;
      part = part * 10 + (c - 48);
      if (part > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return n * 256 + part;
}

export function parseIPv6(s: string): bigint | undefined {
  if (!s.includes(':')) return undefined;
  let head = s;
  let tailV4: number | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIPv4(s.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = s.slice(0, lastColon) + ':0:0';
  }
  const dbl = head.split('::');
  if (dbl.length > 2) return undefined;
  const left = dbl[0] ? dbl[0].split(':') : [];
  const right = dbl.length === 2 && dbl[1] ? dbl[1].split(':') : [];
  const missing = 8 - left.length - right.length;
  if (dbl.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...Array<string>(dbl.length === 2 ? missing : 0).fill('0'), ...right];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== undefined) n = (n & ~0xffffffffn) | BigInt(tailV4);
  return n;
}

export function parseIp(s: string): { family: 4 | 6; value: bigint } | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { family: 4, value: BigInt(v4) };
  const v6 = parseIPv6(s);
  if (v6 !== undefined) return { family: 6, value: v6 };
  return undefined;
}

/** Parses "10.0.0.0/24", "fd00::/64" or a bare address (a host route). */
export function parseCidr(s: string): Cidr | undefined {
  const [addr, len, extra] = s.trim().split('/');
  if (extra !== undefined) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const bits = ip.family === 4 ? 32 : 128;
  const prefix = len === undefined ? bits : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(prefix >= 0 && prefix <= bits)) return undefined;
  const mask = prefixMask(prefix, bits);
  return { family: ip.family, base: ip.value & mask, prefix, text: s.trim() };
}

function prefixMask(prefix: number, bits: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return prefix === 0 ? 0n : (all >> BigInt(bits - prefix)) << BigInt(bits - prefix);
}

export function cidrContains(c: Cidr, ip: string | { family: 4 | 6; value: bigint }): boolean {
  const p = typeof ip === 'string' ? parseIp(ip) : ip;
  if (!p || p.family !== c.family) return false;
  const mask = prefixMask(c.prefix, c.family === 4 ? 32 : 128);
  return (p.value & mask) === c.base;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const bits = a.family === 4 ? 32 : 128;
  const p = Math.min(a.prefix, b.prefix);
  const mask = prefixMask(p, bits);
  return (a.base & mask) === (b.base & mask);
}

export function formatIPv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

const PRIVATE_V4_CIDRS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16', '100.64.0.0/10'].map((n) => parseCidr(n)!);
/** Networks and masks as unsigned 32-bit numbers, side by side. */
const PRIVATE_V4_NET = PRIVATE_V4_CIDRS.map((c) => Number(c.base));
const PRIVATE_V4_MASK = PRIVATE_V4_CIDRS.map((c) => (c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0));
const PRIVATE_V6 = ['fc00::/7', 'fe80::/10', '::1/128'].map((n) => parseCidr(n)!);

/** RFC 1918, loopback, link-local, CGNAT, ULA: addresses that are not on the internet. Called per flow edge. */
export function isPrivateAddress(s: string): boolean {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) {
    for (let i = 0; i < PRIVATE_V4_NET.length; i++) if (((v4 & PRIVATE_V4_MASK[i]) >>> 0) === PRIVATE_V4_NET[i]) return true;
    return false;
  }
  const v6 = parseIPv6(s);
  return v6 !== undefined && PRIVATE_V6.some((c) => cidrContains(c, { family: 6, value: v6 }));
}
