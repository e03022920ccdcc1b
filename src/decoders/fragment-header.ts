/**
 * Where an IP fragment's fields are: version, reassembly key, offset, the
 * unfragmentable part of the header, the payload and how much of it was
 * captured. One reader for both families (IPv6: through the extension
 * headers that may precede the fragment header). Never throws: returns why
 * a packet cannot be reassembled instead.
 */

/** Where one fragment's header fields are; filled by parseFragment(). */
export interface Fragment {
  v6: boolean;
  key: string;
  /** Payload byte offset within the datagram, and the fragment's payload in buf. */
  offset: number;
  payOff: number;
  /** Payload length the header declares, and how much of it was captured. */
  declared: number;
  captured: number;
  more: boolean;
  /** IP header start, its unfragmentable length (IPv4: the IHL; IPv6: up to the fragment header). */
  ipOff: number;
  headLen: number;
  /** IPv6: offset of the byte naming the fragment header, and the header after it. */
  nextAt: number;
  innerNext: number;
}

/**
 * Reads the fragment fields of the IP packet at buf[o, end) into f.
 * Returns why it cannot be reassembled, or '' when it can.
 */
export function parseFragment(buf: Uint8Array, o: number, end: number, f: Fragment): string {
  if (o + 20 > end) return 'fragment header cut short';
  const version = buf[o] >> 4;
  if (version === 4) {
    const ihl = (buf[o] & 15) * 4;
    const total = (buf[o + 2] << 8) | buf[o + 3];
    if (ihl < 20 || total < ihl || o + ihl > end) return 'IPv4 fragment header length invalid';
    const field = (buf[o + 6] << 8) | buf[o + 7];
    f.v6 = false;
    f.offset = (field & 0x1fff) * 8;
    f.more = (field & 0x2000) !== 0;
    f.ipOff = o;
    f.headLen = ihl;
    f.payOff = o + ihl;
    f.declared = total - ihl;
    f.captured = Math.max(0, Math.min(end, o + total) - f.payOff);
    f.nextAt = -1;
    f.innerNext = buf[o + 9];
    if (f.more && f.declared % 8 !== 0) return 'IPv4 fragment with more to follow is not a multiple of 8 bytes';
    if (f.declared === 0) return 'IPv4 fragment without payload';
    // Source, destination, id and protocol (RFC 791).
    let key = '4';
    for (let i = 12; i < 20; i += 2) key += String.fromCharCode((buf[o + i] << 8) | buf[o + i + 1]);
    f.key = key + String.fromCharCode((buf[o + 4] << 8) | buf[o + 5], buf[o + 9]);
    return '';
  }
  if (version !== 6) return 'fragment with an IP version other than 4 or 6';
  if (o + 40 > end) return 'IPv6 fragment header cut short';
  const plen = (buf[o + 4] << 8) | buf[o + 5];
  const ipEnd = Math.min(end, o + 40 + plen);
  let next = buf[o + 6];
  let nextAt = o + 6;
  let p = o + 40;
  // Hop-by-hop, routing and destination options may precede the fragment
  // header (the unfragmentable part), and so may an Authentication Header:
  // RFC 4302 section 3.1.1 puts it after the fragment header, but tshark and
  // the decoder's walk (packet.ts) read it before one too. Its length counts
  // 4-octet units minus 2 (RFC 4302 section 2.2).
  for (let hops = 0; hops < 16 && (next === 0 || next === 43 || next === 60 || next === 51); hops++) {
    const ah = next === 51;
    if (p + (ah ? 12 : 8) > ipEnd) return 'IPv6 extension header cut short';
    const hlen = ah ? (buf[p + 1] + 2) * 4 : (buf[p + 1] + 1) * 8;
    if (ah && hlen < 12) return 'IPv6 AH header length invalid';
    nextAt = p;
    next = buf[p];
    p += hlen;
  }
  if (next !== 44) return 'IPv6 fragment header not found after the unfragmentable headers';
  if (p + 8 > ipEnd) return 'IPv6 fragment header cut short';
  const field = (buf[p + 2] << 8) | buf[p + 3];
  f.v6 = true;
  f.offset = field & 0xfff8;
  f.more = (field & 1) !== 0;
  f.ipOff = o;
  f.headLen = p - o;
  f.nextAt = nextAt;
  f.innerNext = buf[p];
  f.payOff = p + 8;
  f.declared = o + 40 + plen - f.payOff;
  f.captured = Math.max(0, ipEnd - f.payOff);
  if (f.declared < 0) return 'IPv6 payload length shorter than its headers';
  if (f.more && (f.declared === 0 || f.declared % 8 !== 0)) return 'IPv6 fragment with more to follow is not a positive multiple of 8 bytes';
  // Source, destination, identification (RFC 8200) and the next header.
  let key = '6';
  for (let i = 8; i < 40; i += 2) key += String.fromCharCode((buf[o + i] << 8) | buf[o + i + 1]);
  f.key = key + String.fromCharCode((buf[p + 4] << 8) | buf[p + 5], (buf[p + 6] << 8) | buf[p + 7], buf[p]);
  return '';
}
