/**
 * Link layer, IP and transport headers, decoded in place into one reused
 * DecodedPacket: no allocation per packet. Offsets point into the capture
 * buffer, which is only valid during the packet callback.
 */

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
/** IP Authentication Header (RFC 4302): stepped over to the header it protects. ESP (50) stays opaque. */
export const PROTO_AH = 51;
export const PROTO_ICMP6 = 58;

/** decodePacket results. */
export const DECODE_OK = 0;
export const DECODE_NOT_IP = 1;
export const DECODE_MALFORMED = 2;
export const DECODE_FRAGMENT = 3;
export const DECODE_UNSUPPORTED_LINK = 4;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

export class DecodedPacket {
  family: 0 | 4 | 6 = 0;
  proto = 0;
  /** IPv4 addresses as unsigned 32-bit numbers. */
  src4 = 0;
  dst4 = 0;
  /** IPv6 addresses: offsets of the 16 bytes in buf. */
  src6 = 0;
  dst6 = 0;
  /** Ethernet source MAC offset, or -1. */
  macOff = -1;
  /** IP bytes as the header declares them (header + payload). */
  ipLen = 0;
  sport = 0;
  dport = 0;
  flags = 0;
  seq = 0;
  ack = 0;
  /** Transport payload: captured bytes at buf[payOff, payOff + payLen). */
  payOff = 0;
  payLen = 0;
  /** Payload length the IP header declares; more than payLen when the snaplen cut the packet. */
  segLen = 0;
  /** What went wrong, for anomaly messages. */
  error = '';
  /** Offset of the IP header; set only for DECODE_FRAGMENT, for the reassembler (src/decoders/fragments.ts). */
  ipOff = 0;
}

/** Decodes link, IP and TCP/UDP headers. Never throws; returns one of DECODE_*. */
export function decodePacket(linktype: number, buf: Uint8Array, off: number, len: number, d: DecodedPacket): number {
  const end = off + len;
  d.macOff = -1;
  let etype: number;
  let o = off;
  switch (linktype) {
    case LINKTYPE_ETHERNET: {
      if (len < 14) return malformed(d, 'ethernet frame shorter than its header');
      d.macOff = off + 6;
      etype = (buf[off + 12] << 8) | buf[off + 13];
      o = off + 14;
      // 802.1Q, 802.1ad (QinQ) and the older 0x9100 tag: skip each 4-byte tag.
      while (etype === 0x8100 || etype === 0x88a8 || etype === 0x9100) {
        if (o + 4 > end) return malformed(d, 'VLAN tag cut short');
        etype = (buf[o + 2] << 8) | buf[o + 3];
        o += 4;
      }
      break;
    }
    case LINKTYPE_LINUX_SLL:
      if (len < 16) return malformed(d, 'Linux cooked header cut short');
      etype = (buf[off + 14] << 8) | buf[off + 15];
      o = off + 16;
      break;
    case LINKTYPE_LINUX_SLL2:
      if (len < 20) return malformed(d, 'Linux cooked v2 header cut short');
      etype = (buf[off] << 8) | buf[off + 1];
      o = off + 20;
      break;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (len < 4) return malformed(d, 'loopback header cut short');
      // NULL carries the address family in the capturing host's byte order, LOOP in network order.
      const le = buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24);
      const be = (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
      const fam = linktype === LINKTYPE_LOOP ? be : le > 0 && le < 256 ? le : be;
      etype = fam === 2 ? 0x0800 : fam === 24 || fam === 28 || fam === 30 || fam === 10 ? 0x86dd : 0;
      o = off + 4;
      break;
    }
    case LINKTYPE_RAW:
    case 12:
    case 14:
      if (len < 1) return malformed(d, 'empty packet');
      etype = buf[off] >> 4 === 4 ? 0x0800 : buf[off] >> 4 === 6 ? 0x86dd : 0;
      break;
    case LINKTYPE_IPV4:
      etype = 0x0800;
      break;
    case LINKTYPE_IPV6:
      etype = 0x86dd;
      break;
    default:
      d.error = `link type ${linktype}`;
      return DECODE_UNSUPPORTED_LINK;
  }
  if (etype === 0x0800) return ipv4(buf, o, end, d);
  if (etype === 0x86dd) return ipv6(buf, o, end, d);
  return DECODE_NOT_IP;
}

function malformed(d: DecodedPacket, why: string): number {
  d.error = why;
  return DECODE_MALFORMED;
}

function ipv4(buf: Uint8Array, o: number, end: number, d: DecodedPacket): number {
  if (o + 20 > end) return malformed(d, 'IPv4 header cut short');
  const vihl = buf[o];
  if (vihl >> 4 !== 4) return malformed(d, 'IPv4 version field is not 4');
  const ihl = (vihl & 15) * 4;
  const total = (buf[o + 2] << 8) | buf[o + 3];
  if (ihl < 20 || total < ihl || o + ihl > end) return malformed(d, 'IPv4 header length invalid');
  d.family = 4;
  const proto = buf[o + 9];
  d.proto = proto;
  d.src4 = ((buf[o + 12] << 24) | (buf[o + 13] << 16) | (buf[o + 14] << 8) | buf[o + 15]) >>> 0;
  d.dst4 = ((buf[o + 16] << 24) | (buf[o + 17] << 16) | (buf[o + 18] << 8) | buf[o + 19]) >>> 0;
  d.ipLen = total;
  const fragField = ((buf[o + 6] << 8) | buf[o + 7]) & 0x3fff;
  if (fragField !== 0) {
    d.ipOff = o;
    return DECODE_FRAGMENT;
  }
  // Trust the header over the frame: Ethernet pads short frames.
  const ipEnd = Math.min(end, o + total);
  if (proto === PROTO_AH) return ah4(buf, o + ihl, ipEnd, total - ihl, d);
  return transport(buf, o + ihl, ipEnd, total - ihl, d);
}

/**
 * IPv4 with an Authentication Header (RFC 4302, transport mode): AH sits
 * between the IP header and the one it protects, so a passive monitor
 * steps over it (the ICV is not checked: no keys) and analyses the TCP or
 * UDP behind it. d.proto becomes the protected protocol; ipLen keeps the
 * whole datagram.
 */
function ah4(buf: Uint8Array, p: number, ipEnd: number, remaining: number, d: DecodedPacket): number {
  for (let hops = 0; hops < 16 && d.proto === PROTO_AH; hops++) {
    if (p + 12 > ipEnd) return malformed(d, 'IPv4 AH header cut short');
    // 4-octet units minus 2 (RFC 4302 section 2.2); at least the 12-byte fixed part.
    const hlen = (buf[p + 1] + 2) * 4;
    if (hlen < 12 || hlen > remaining) return malformed(d, 'IPv4 AH header length invalid');
    d.proto = buf[p];
    p += hlen;
    remaining -= hlen;
  }
  return transport(buf, p, ipEnd, remaining, d);
}

function ipv6(buf: Uint8Array, o: number, end: number, d: DecodedPacket): number {
  if (o + 40 > end) return malformed(d, 'IPv6 header cut short');
  if (buf[o] >> 4 !== 6) return malformed(d, 'IPv6 version field is not 6');
  const plen = (buf[o + 4] << 8) | buf[o + 5];
  let next = buf[o + 6];
  d.family = 6;
  d.src6 = o + 8;
  d.dst6 = o + 24;
  d.ipLen = 40 + plen;
  const ipEnd = Math.min(end, o + 40 + plen);
  let p = o + 40;
  let remaining = plen;
  // Walk the extension header chain to the transport header.
  for (let hops = 0; hops < 16; hops++) {
    if (next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140) {
      if (p + 8 > ipEnd) return malformed(d, 'IPv6 extension header cut short');
      const hlen = (buf[p + 1] + 1) * 8;
      next = buf[p];
      p += hlen;
      remaining -= hlen;
    } else if (next === 44) {
      if (p + 8 > ipEnd) return malformed(d, 'IPv6 fragment header cut short');
      d.proto = buf[p];
      d.ipOff = o;
      return DECODE_FRAGMENT;
    } else if (next === PROTO_AH) {
      if (p + 12 > ipEnd) return malformed(d, 'IPv6 AH header cut short');
      // 4-octet units minus 2 (RFC 4302 section 2.2), not 8-octet units; at least the 12-byte fixed part.
      const hlen = (buf[p + 1] + 2) * 4;
      if (hlen < 12) return malformed(d, 'IPv6 AH header length invalid');
      next = buf[p];
      p += hlen;
      remaining -= hlen;
    } else break;
    if (remaining < 0 || p > ipEnd) return malformed(d, 'IPv6 extension headers exceed the payload');
  }
  d.proto = next;
  return transport(buf, p, ipEnd, remaining, d);
}

function transport(buf: Uint8Array, o: number, end: number, declared: number, d: DecodedPacket): number {
  d.sport = 0;
  d.dport = 0;
  d.flags = 0;
  d.payOff = o;
  d.payLen = Math.max(0, end - o);
  d.segLen = Math.max(0, declared);
  if (d.proto === PROTO_TCP) {
    if (o + 20 > end) return malformed(d, 'TCP header cut short');
    const hl = (buf[o + 12] >> 4) * 4;
    if (hl < 20 || hl > declared) return malformed(d, 'TCP header length invalid');
    d.sport = (buf[o] << 8) | buf[o + 1];
    d.dport = (buf[o + 2] << 8) | buf[o + 3];
    d.seq = ((buf[o + 4] << 24) | (buf[o + 5] << 16) | (buf[o + 6] << 8) | buf[o + 7]) >>> 0;
    d.ack = ((buf[o + 8] << 24) | (buf[o + 9] << 16) | (buf[o + 10] << 8) | buf[o + 11]) >>> 0;
    d.flags = buf[o + 13];
    d.payOff = Math.min(o + hl, end);
    d.payLen = Math.max(0, end - (o + hl));
    d.segLen = declared - hl;
  } else if (d.proto === PROTO_UDP) {
    if (o + 8 > end) return malformed(d, 'UDP header cut short');
    d.sport = (buf[o] << 8) | buf[o + 1];
    d.dport = (buf[o + 2] << 8) | buf[o + 3];
    const ulen = (buf[o + 4] << 8) | buf[o + 5];
    if (ulen !== 0 && ulen < 8) return malformed(d, 'UDP length invalid');
    d.payOff = o + 8;
    // A UDP length of 0 happens with jumbograms; fall back to what IP says.
    const l = ulen === 0 ? declared - 8 : Math.min(ulen, declared) - 8;
    d.segLen = Math.max(0, l);
    d.payLen = Math.max(0, Math.min(l, end - (o + 8)));
  }
  return DECODE_OK;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16));

/** RFC 5952 text of the IPv6 address at buf[off..off+16). */
export function formatIPv6(buf: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((buf[off + 2 * i] << 8) | buf[off + 2 * i + 1]);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const part = (a: number[]) => a.map((v) => v.toString(16)).join(':');
  if (bestAt < 0) return part(g);
  return `${part(g.slice(0, bestAt))}::${part(g.slice(bestAt + bestLen))}`;
}

export function formatMac(buf: Uint8Array, off: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) {
    const h = HEX[buf[off + i]];
    s += (i ? ':' : '') + (h.length === 1 ? '0' + h : h);
  }
  return s;
}
