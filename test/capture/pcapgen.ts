/**
 * Test helpers that derive captures from a real one: other link types,
 * VLAN tags, IPv6, byte order, reordering. Every derived file is checked
 * against tshark's reading of that same file, so the helpers need not be
 * perfect, only readable by tshark.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { rng } from '../../fuzz/lib.ts';

export interface Rec {
  sec: number;
  /** Microseconds (or nanoseconds when nano). */
  frac: number;
  data: Uint8Array;
  wireLen: number;
}

export interface Pcap {
  linktype: number;
  nano: boolean;
  records: Rec[];
}

/** Reads a small little-endian classic pcap whole (test fixtures only). */
export function readPcap(path: string): Pcap {
  const b = readFileSync(path);
  const magic = b.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error('test helper reads little-endian pcap only');
  const linktype = b.readUInt32LE(20);
  const records: Rec[] = [];
  let o = 24;
  while (o + 16 <= b.length) {
    const cap = b.readUInt32LE(o + 8);
    records.push({ sec: b.readUInt32LE(o), frac: b.readUInt32LE(o + 4), wireLen: b.readUInt32LE(o + 12), data: new Uint8Array(b.subarray(o + 16, o + 16 + cap)) });
    o += 16 + cap;
  }
  return { linktype, nano: magic === 0xa1b23c4d, records };
}

export function writePcap(path: string, p: Pcap, opts: { bigEndian?: boolean } = {}): void {
  writeFileSync(path, encodePcap(p, opts));
}

export function encodePcap(p: Pcap, opts: { bigEndian?: boolean } = {}): Buffer {
  const le = !opts.bigEndian;
  const size = 24 + p.records.reduce((n, r) => n + 16 + r.data.length, 0);
  const b = Buffer.alloc(size);
  const u32 = (v: number, o: number) => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  const u16 = (v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  u32(p.nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(2, 4);
  u16(4, 6);
  u32(0, 8);
  u32(0, 12);
  u32(262144, 16);
  u32(p.linktype, 20);
  let o = 24;
  for (const r of p.records) {
    u32(r.sec, o);
    u32(r.frac, o + 4);
    u32(r.data.length, o + 8);
    u32(r.wireLen, o + 12);
    b.set(r.data, o + 16);
    o += 16 + r.data.length;
  }
  return b;
}

/**
 * pcapng of one or more sections, each with its interfaces; packets as EPBs
 * (or SPBs when spb is set, on interface 0). Timestamps in microseconds, or
 * nanoseconds when the interface says tsresol 9.
 */
export function encodePcapng(sections: Array<{ bigEndian?: boolean; ifaces: Array<{ linktype: number; nano?: boolean }>; packets: Array<{ iface: number; rec: Rec; spb?: boolean }> }>): Buffer {
  const parts: Buffer[] = [];
  for (const sec of sections) {
    const le = !sec.bigEndian;
    const block = (type: number, body: Buffer): Buffer => {
      const pad = (4 - (body.length % 4)) % 4;
      const len = 12 + body.length + pad;
      const b = Buffer.alloc(len);
      if (le) { b.writeUInt32LE(type, 0); b.writeUInt32LE(len, 4); b.writeUInt32LE(len, len - 4); }
      else { b.writeUInt32BE(type, 0); b.writeUInt32BE(len, 4); b.writeUInt32BE(len, len - 4); }
      body.copy(b, 8);
      return b;
    };
    const w32 = (b: Buffer, v: number, o: number) => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
    const w16 = (b: Buffer, v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
    const shb = Buffer.alloc(16);
    w32(shb, 0x1a2b3c4d, 0);
    w16(shb, 1, 4);
    shb.fill(0xff, 8, 16);
    parts.push(block(0x0a0d0d0a, shb));
    for (const i of sec.ifaces) {
      const idb = Buffer.alloc(i.nano ? 20 : 12);
      w16(idb, i.linktype, 0);
      w32(idb, 262144, 4);
      if (i.nano) {
        w16(idb, 9, 8);
        w16(idb, 1, 10);
        idb[12] = 9;
      }
      parts.push(block(1, idb));
    }
    for (const p of sec.packets) {
      if (p.spb) {
        const b = Buffer.alloc(4 + p.rec.data.length);
        w32(b, p.rec.data.length, 0);
        b.set(p.rec.data, 4);
        parts.push(block(3, b));
        continue;
      }
      const nano = sec.ifaces[p.iface]?.nano;
      const ts = BigInt(p.rec.sec) * (nano ? 1_000_000_000n : 1_000_000n) + BigInt(p.rec.frac);
      const b = Buffer.alloc(20 + p.rec.data.length);
      w32(b, p.iface, 0);
      w32(b, Number(ts >> 32n), 4);
      w32(b, Number(ts & 0xffffffffn), 8);
      w32(b, p.rec.data.length, 12);
      w32(b, p.rec.wireLen, 16);
      b.set(p.rec.data, 20);
      parts.push(block(6, b));
    }
  }
  return Buffer.concat(parts);
}

function ethertype(f: Uint8Array): number {
  return (f[12] << 8) | f[13];
}

/** Ethernet frames to another link type. Non-IP frames are kept where the link can carry them. */
export function convertLink(p: Pcap, to: 'sll' | 'sll2' | 'null' | 'loop' | 'raw' | 'qinq'): Pcap {
  const linktype = { sll: 113, sll2: 276, null: 0, loop: 108, raw: 101, qinq: 1 }[to];
  const records: Rec[] = [];
  for (const r of p.records) {
    const f = r.data;
    const et = ethertype(f);
    const l3 = f.subarray(14);
    let out: Uint8Array;
    if (to === 'sll') {
      out = new Uint8Array(16 + l3.length);
      out[1] = 0; // to us
      out[3] = 1; // ARPHRD_ETHER
      out[5] = 6;
      out.set(f.subarray(6, 12), 6);
      out[14] = et >> 8;
      out[15] = et & 255;
      out.set(l3, 16);
    } else if (to === 'sll2') {
      out = new Uint8Array(20 + l3.length);
      out[0] = et >> 8;
      out[1] = et & 255;
      out[7] = 1; // if index
      out[9] = 1; // ARPHRD_ETHER
      out[11] = 6;
      out.set(f.subarray(6, 12), 12);
      out.set(l3, 20);
    } else if (to === 'null' || to === 'loop') {
      if (et !== 0x0800 && et !== 0x86dd) continue;
      out = new Uint8Array(4 + l3.length);
      const fam = et === 0x0800 ? 2 : 30;
      if (to === 'null') out[0] = fam; // host order on a little-endian capturer
      else out[3] = fam;
      out.set(l3, 4);
    } else if (to === 'raw') {
      if (et !== 0x0800 && et !== 0x86dd) continue;
      out = new Uint8Array(l3);
    } else {
      // 802.1ad outer tag (VID 100) + 802.1Q inner tag (VID 7).
      out = new Uint8Array(f.length + 8);
      out.set(f.subarray(0, 12), 0);
      out.set([0x88, 0xa8, 0x00, 100, 0x81, 0x00, 0x00, 7], 12);
      out.set(f.subarray(12), 20);
    }
    records.push({ ...r, data: out, wireLen: r.wireLen - r.data.length + out.length });
  }
  return { linktype, nano: p.nano, records };
}

/**
 * IPv4 in Ethernet to IPv6 (addresses fd00::a.b.c.d), with a hop-by-hop
 * options header in every other packet so that the extension-header walk
 * is exercised. TCP/UDP checksums are left stale; tshark does not check them by default.
 */
export function toIPv6(p: Pcap): Pcap {
  const records: Rec[] = [];
  let k = 0;
  for (const r of p.records) {
    const f = r.data;
    if (ethertype(f) !== 0x0800) continue;
    const ip = f.subarray(14);
    const ihl = (ip[0] & 15) * 4;
    const total = (ip[2] << 8) | ip[3];
    const proto = ip[9];
    const l4 = ip.subarray(ihl, total);
    const ext = k++ % 2 === 1 ? 8 : 0;
    const out = new Uint8Array(14 + 40 + ext + l4.length);
    out.set(f.subarray(0, 12), 0);
    out[12] = 0x86;
    out[13] = 0xdd;
    const v6 = out.subarray(14);
    v6[0] = 0x60;
    const plen = ext + l4.length;
    v6[4] = plen >> 8;
    v6[5] = plen & 255;
    v6[6] = ext ? 0 : proto;
    v6[7] = 64;
    v6[8] = 0xfd;
    v6.set(ip.subarray(12, 16), 20);
    v6[24] = 0xfd;
    v6.set(ip.subarray(16, 20), 36);
    if (ext) {
      v6[40] = proto;
      v6[41] = 0; // 8 bytes
      v6[42] = 1; // PadN option filling the rest
      v6[43] = 4;
    }
    v6.set(l4, 40 + ext);
    records.push({ ...r, data: out, wireLen: out.length });
  }
  return { linktype: 1, nano: p.nano, records };
}

/** Seeded PRNG (mulberry32) for deterministic shuffles. */
export { rng };

/**
 * Reorders and duplicates TCP data segments: swaps neighbouring data
 * packets of the same flow and repeats some, as a lossy capture point would.
 */
export function reorderAndDuplicate(p: Pcap, seed: number): Pcap {
  const rand = rng(seed);
  const recs = p.records.slice();
  const isTcpData = (f: Uint8Array) => {
    if (ethertype(f) !== 0x0800 || f[14 + 9] !== 6) return false;
    const ihl = (f[14] & 15) * 4;
    const total = (f[16] << 8) | f[17];
    const thl = (f[14 + ihl + 12] >> 4) * 4;
    return total - ihl - thl > 0;
  };
  const out: Rec[] = [];
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i];
    if (isTcpData(r.data) && i + 1 < recs.length && isTcpData(recs[i + 1].data) && rand() < 0.3) {
      out.push(recs[i + 1], r);
      if (rand() < 0.5) out.push(r);
      i++;
      continue;
    }
    out.push(r);
    if (isTcpData(r.data) && rand() < 0.1) out.push(r);
  }
  return { ...p, records: out };
}
