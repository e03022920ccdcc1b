/**
 * Splits the IPv4 and IPv6 packets of an Ethernet capture into fragments,
 * as a router with a small MTU would, for the reassembly tests and the
 * capture fuzzer. IPv6 fragments get a fragment header after the
 * unfragmentable extension headers (hop-by-hop, routing, destination
 * options). Every derived file is also read by tshark in the tests.
 */
import { rng } from '../../fuzz/lib.ts';
import type { Pcap, Rec } from './pcapgen.ts';

/** How the fragments of one datagram are put in the capture. */
export type FragmentOrder = 'in-order' | 'reverse' | 'shuffle' | 'duplicate';

export interface FragmentOptions {
  /** Payload bytes per fragment (rounded down to a multiple of 8). */
  size: number;
  order?: FragmentOrder | ((n: number) => FragmentOrder);
  seed?: number;
  /** Which frames to fragment (index in the capture); default every IP frame larger than size. */
  select?: (frame: Uint8Array, index: number) => boolean;
}

export function ipv4Checksum(b: Uint8Array, off: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += (b[off + i] << 8) | b[off + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The fragments of one Ethernet frame, in order; the frame itself when it is not IP or fits. */
export function fragmentFrame(f: Uint8Array, size: number, id: number): Uint8Array[] {
  const step = Math.max(8, size & ~7);
  const et = (f[12] << 8) | f[13];
  if (et === 0x0800) {
    const ip = 14;
    const ihl = (f[ip] & 15) * 4;
    const total = (f[ip + 2] << 8) | f[ip + 3];
    if (f.length < ip + total || total - ihl <= step) return [f];
    const out: Uint8Array[] = [];
    for (let at = 0; at < total - ihl; at += step) {
      const n = Math.min(step, total - ihl - at);
      const fr = new Uint8Array(ip + ihl + n);
      fr.set(f.subarray(0, ip + ihl));
      fr.set(f.subarray(ip + ihl + at, ip + ihl + at + n), ip + ihl);
      const len = ihl + n;
      fr[ip + 2] = len >> 8;
      fr[ip + 3] = len & 0xff;
      const field = (at / 8) | (at + n < total - ihl ? 0x2000 : 0);
      fr[ip + 4] = (id >> 8) & 0xff;
      fr[ip + 5] = id & 0xff;
      fr[ip + 6] = (f[ip + 6] & 0x40) | (field >> 8);
      fr[ip + 7] = field & 0xff;
      fr[ip + 10] = 0;
      fr[ip + 11] = 0;
      const ck = ipv4Checksum(fr, ip, ihl);
      fr[ip + 10] = ck >> 8;
      fr[ip + 11] = ck & 0xff;
      out.push(fr);
    }
    return out;
  }
  if (et === 0x86dd) {
    const ip = 14;
    const plen = (f[ip + 4] << 8) | f[ip + 5];
    if (f.length < ip + 40 + plen) return [f];
    let next = f[ip + 6];
    let nextAt = ip + 6;
    let p = ip + 40;
    while (next === 0 || next === 43 || next === 60) {
      nextAt = p;
      next = f[p];
      p += (f[p + 1] + 1) * 8;
    }
    const unfrag = p;
    const rest = ip + 40 + plen - unfrag;
    if (rest <= step) return [f];
    const out: Uint8Array[] = [];
    for (let at = 0; at < rest; at += step) {
      const n = Math.min(step, rest - at);
      const fr = new Uint8Array(unfrag + 8 + n);
      fr.set(f.subarray(0, unfrag));
      fr[nextAt] = 44;
      const pl = unfrag - ip - 40 + 8 + n;
      fr[ip + 4] = pl >> 8;
      fr[ip + 5] = pl & 0xff;
      fr[unfrag] = next;
      const field = at | (at + n < rest ? 1 : 0);
      fr[unfrag + 2] = field >> 8;
      fr[unfrag + 3] = field & 0xff;
      fr[unfrag + 4] = (id >>> 24) & 0xff;
      fr[unfrag + 5] = (id >> 16) & 0xff;
      fr[unfrag + 6] = (id >> 8) & 0xff;
      fr[unfrag + 7] = id & 0xff;
      fr.set(f.subarray(unfrag + at, unfrag + at + n), unfrag + 8);
      out.push(fr);
    }
    return out;
  }
  return [f];
}

/** Fragments the selected frames of a capture; returns the new capture and how many frames were split. */
export function fragmentPcap(p: Pcap, opts: FragmentOptions): { pcap: Pcap; fragmented: number } {
  const rand = rng(opts.seed ?? 1);
  const records: Rec[] = [];
  let fragmented = 0;
  p.records.forEach((r, i) => {
    if (opts.select && !opts.select(r.data, i)) {
      records.push(r);
      return;
    }
    const parts = fragmentFrame(r.data, opts.size, 0x4000 + i);
    if (parts.length === 1) {
      records.push(r);
      return;
    }
    fragmented++;
    const order = typeof opts.order === 'function' ? opts.order(fragmented) : opts.order ?? 'in-order';
    let seq = parts.map((_, k) => k);
    if (order === 'reverse') seq.reverse();
    else if (order === 'shuffle') {
      for (let k = seq.length - 1; k > 0; k--) {
        const j = Math.floor(rand() * (k + 1));
        [seq[k], seq[j]] = [seq[j], seq[k]];
      }
    } else if (order === 'duplicate') {
      // Not the last: a copy after completion would start a datagram that never completes.
      seq = seq.flatMap((k) => (k < parts.length - 1 && rand() < 0.5 ? [k, k] : [k]));
    }
    for (const k of seq) records.push({ ...r, data: parts[k], wireLen: parts[k].length });
  });
  return { pcap: { ...p, records }, fragmented };
}

/**
 * The Ethernet frame with an IP Authentication Header (RFC 4302) inserted
 * after the IP header (IPv6: after hop-by-hop, routing and destination
 * options, so before a fragment header if there is one): next header, length
 * ((AH length in 4-octet units) - 2), SPI, sequence number and an ICV of
 * icvLen bytes (not a real one: nobody here holds the key). `len` overrides
 * the length field, for malformed headers. Other frames come back unchanged.
 */
export function withAuthHeader(f: Uint8Array, opts: { icvLen?: number; spi?: number; seq?: number; len?: number } = {}): Uint8Array {
  const icv = opts.icvLen ?? 12;
  const ah = new Uint8Array(12 + icv);
  ah[1] = opts.len ?? ah.length / 4 - 2;
  const spi = opts.spi ?? 0x1000;
  const seq = opts.seq ?? 1;
  ah.set([spi >>> 24, (spi >> 16) & 0xff, (spi >> 8) & 0xff, spi & 0xff, seq >>> 24, (seq >> 16) & 0xff, (seq >> 8) & 0xff, seq & 0xff], 4);
  for (let i = 12; i < ah.length; i++) ah[i] = (i * 37 + spi) & 0xff;
  const et = (f[12] << 8) | f[13];
  const ip = 14;
  let at: number;
  let nextAt: number;
  if (et === 0x0800) {
    at = ip + (f[ip] & 15) * 4;
    nextAt = ip + 9;
  } else if (et === 0x86dd) {
    nextAt = ip + 6;
    at = ip + 40;
    while (f[nextAt] === 0 || f[nextAt] === 43 || f[nextAt] === 60) {
      const len = (f[at + 1] + 1) * 8;
      nextAt = at;
      at += len;
    }
  } else return f;
  const out = new Uint8Array(f.length + ah.length);
  out.set(f.subarray(0, at));
  out.set(ah, at);
  out.set(f.subarray(at), at + ah.length);
  out[at] = f[nextAt];
  out[nextAt] = 51;
  if (et === 0x0800) {
    const total = ((f[ip + 2] << 8) | f[ip + 3]) + ah.length;
    out[ip + 2] = total >> 8;
    out[ip + 3] = total & 0xff;
    out[ip + 10] = 0;
    out[ip + 11] = 0;
    const ck = ipv4Checksum(out, ip, (out[ip] & 15) * 4);
    out[ip + 10] = ck >> 8;
    out[ip + 11] = ck & 0xff;
  } else {
    const plen = ((f[ip + 4] << 8) | f[ip + 5]) + ah.length;
    out[ip + 4] = plen >> 8;
    out[ip + 5] = plen & 0xff;
  }
  return out;
}
