/**
 * DNS messages (RFC 1035 4.1) with name compression, as carried over UDP
 * and, length-prefixed, over TCP. Malformed input yields a partial result
 * with `error` set; nothing here throws.
 */

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsAnswer {
  name: string;
  type: number;
  ttl: number;
  /** A/AAAA address, CNAME/PTR/NS/MX/SRV target name, TXT text; absent for other types. */
  data?: string;
  /** SRV port. */
  port?: number;
}

export interface DnsMessage {
  id: number;
  response: boolean;
  opcode: number;
  rcode: number;
  truncated: boolean;
  authoritative: boolean;
  recursionDesired: boolean;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
  questions: DnsQuestion[];
  answers: DnsAnswer[];
  /** Why parsing stopped early, if it did. */
  error?: string;
  /** Bytes the whole message occupied, when every section was read. */
  length?: number;
}

export const TYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 35: 'NAPTR',
  41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 52: 'TLSA', 64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 252: 'AXFR',
  255: 'ANY', 257: 'CAA',
};

export const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 6: 'YXDOMAIN', 7: 'YXRRSET',
  8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE',
};

export function typeName(t: number): string {
  return TYPE_NAMES[t] ?? `TYPE${t}`;
}

/** Limits that keep hostile messages cheap. */
const MAX_RECORDS = 64;
const MAX_JUMPS = 32;

/** Reads a possibly compressed name at `off`; returns the name and the offset after it, or undefined. */
export function readName(b: Uint8Array, off: number, end: number): { name: string; next: number } | undefined {
  let name = '';
  let i = off;
  let next = -1;
  let jumps = 0;
  let total = 0;
  for (;;) {
    if (i >= end) return undefined;
    const len = b[i];
    if (len === 0) {
      if (next < 0) next = i + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (i + 1 >= end || ++jumps > MAX_JUMPS) return undefined;
      if (next < 0) next = i + 2;
      i = ((len & 0x3f) << 8) | b[i + 1];
      continue;
    }
    if ((len & 0xc0) !== 0) return undefined; // Extended label types are obsolete.
    if (i + 1 + len > end) return undefined;
    total += len + 1;
    if (total > 255) return undefined;
    if (name.length > 0) name += '.';
    for (let k = i + 1; k <= i + len; k++) {
      const c = b[k];
      // Printable ASCII as is; anything else escaped as in zone files.
      name += c > 32 && c < 127 && c !== 46 && c !== 92 ? String.fromCharCode(c) : `\\${c.toString().padStart(3, '0')}`;
    }
    i += 1 + len;
  }
  return { name: name === '' ? '.' : name, next };
}

function u16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

function ipv6(b: Uint8Array, i: number): string {
  const groups: string[] = [];
  for (let k = 0; k < 16; k += 2) groups.push(u16(b, i + k).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let s = 0; s < 8;) {
    if (groups[s] !== '0') {
      s++;
      continue;
    }
    let e = s;
    while (e < 8 && groups[e] === '0') e++;
    if (e - s > bestLen && e - s > 1) {
      bestStart = s;
      bestLen = e - s;
    }
    s = e;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

const latin1 = new TextDecoder('latin1');

/** Parses the DNS message in b[start..end). */
export function parseDns(b: Uint8Array, start = 0, end = b.length): DnsMessage | undefined {
  if (end - start < 12) return undefined;
  const flags = u16(b, start + 2);
  const msg: DnsMessage = {
    id: u16(b, start),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    rcode: flags & 0xf,
    qdcount: u16(b, start + 4),
    ancount: u16(b, start + 6),
    nscount: u16(b, start + 8),
    arcount: u16(b, start + 10),
    questions: [],
    answers: [],
  };
  // Compression pointers are relative to the message start.
  const m = start === 0 ? b : b.subarray(start, end);
  const n = end - start;
  let i = 12;
  for (let q = 0; q < msg.qdcount; q++) {
    const r = readName(m, i, n);
    if (!r || r.next + 4 > n) {
      msg.error = 'truncated question';
      return msg;
    }
    if (msg.questions.length < MAX_RECORDS) msg.questions.push({ name: r.name, type: u16(m, r.next), class: u16(m, r.next + 2) });
    i = r.next + 4;
  }
  for (let a = 0; a < msg.ancount; a++) {
    const r = readName(m, i, n);
    if (!r || r.next + 10 > n) {
      msg.error = 'truncated answer';
      return msg;
    }
    const type = u16(m, r.next);
    const ttl = ((m[r.next + 4] << 24) >>> 0) + (m[r.next + 5] << 16) + (m[r.next + 6] << 8) + m[r.next + 7];
    const rdlen = u16(m, r.next + 8);
    const rd = r.next + 10;
    if (rd + rdlen > n) {
      msg.error = 'truncated answer data';
      return msg;
    }
    if (msg.answers.length < MAX_RECORDS) msg.answers.push(answer(m, r.name, type, ttl, rd, rdlen, n));
    i = rd + rdlen;
  }
  // Authority and additional sections are only walked, to know the message is well formed.
  for (let k = 0; k < msg.nscount + msg.arcount; k++) {
    const r = readName(m, i, n);
    if (!r || r.next + 10 > n) {
      msg.error = 'truncated authority or additional section';
      return msg;
    }
    const rdlen = u16(m, r.next + 8);
    if (r.next + 10 + rdlen > n) {
      msg.error = 'truncated record data';
      return msg;
    }
    i = r.next + 10 + rdlen;
  }
  msg.length = i;
  return msg;
}

function answer(m: Uint8Array, name: string, type: number, ttl: number, rd: number, rdlen: number, n: number): DnsAnswer {
  const a: DnsAnswer = { name, type, ttl };
  if (type === 1 && rdlen === 4) a.data = `${m[rd]}.${m[rd + 1]}.${m[rd + 2]}.${m[rd + 3]}`;
  else if (type === 28 && rdlen === 16) a.data = ipv6(m, rd);
  else if (type === 5 || type === 12 || type === 2) a.data = readName(m, rd, n)?.name;
  else if (type === 15 && rdlen > 2) a.data = readName(m, rd + 2, n)?.name;
  else if (type === 33 && rdlen > 6) {
    a.port = u16(m, rd + 4);
    a.data = readName(m, rd + 6, n)?.name;
  } else if (type === 16) {
    const parts: string[] = [];
    let k = rd;
    while (k < rd + rdlen) {
      const l = m[k];
      if (k + 1 + l > rd + rdlen) break;
      parts.push(latin1.decode(m.subarray(k + 1, k + 1 + l)));
      k += 1 + l;
    }
    a.data = parts.join('').slice(0, 255);
  }
  return a;
}

/** "10.10.100.10.in-addr.arpa" -> "10.100.10.10"; the nibble form of ip6.arpa likewise; else undefined. */
export function reverseName(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.in-addr.arpa')) {
    const parts = lower.slice(0, -13).split('.');
    if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) < 256)) return undefined;
    return parts.reverse().join('.');
  }
  if (lower.endsWith('.ip6.arpa')) {
    const nibbles = lower.slice(0, -9).split('.');
    if (nibbles.length !== 32 || !nibbles.every((x) => /^[0-9a-f]$/.test(x))) return undefined;
    const hex = nibbles.reverse().join('');
    const bytes = new Uint8Array(16);
    for (let k = 0; k < 16; k++) bytes[k] = parseInt(hex.slice(k * 2, k * 2 + 2), 16);
    return ipv6(bytes, 0);
  }
  return undefined;
}
