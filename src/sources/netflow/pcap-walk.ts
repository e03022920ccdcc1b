/**
 * A minimal incremental walk over pcap and pcapng captures that yields UDP
 * payloads with their source address: just enough to read captured NetFlow /
 * IPFIX export traffic. Full packet decoding belongs to src/decoders.
 */
import { formatIPv6, formatV4 } from './record.ts';

export interface UdpDatagram {
  /** Valid only during the callback. */
  payload: Uint8Array;
  src: string;
  srcPort: number;
  dstPort: number;
  /** Capture time, epoch ms. */
  ts: number;
  /** 1-based frame number in the capture. */
  frame: number;
}

export type UdpHandler = (d: UdpDatagram) => void;

const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1]);
const PCAPNG_SHB = 0x0a0d0d0a;

export function isPcap(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const m = ((b[0] << 24) >>> 0) + ((b[1] << 16) | (b[2] << 8) | b[3]);
  return PCAP_MAGICS.has(m) || m === PCAPNG_SHB;
}

/**
 * Feed capture bytes in chunks of any size; complete frames are decoded as
 * they become available and only a partial frame is carried over.
 */
export class PcapUdpWalker {
  frames = 0;
  udp = 0;
  /** Problems met, with the frame number; the walk goes on where it can. */
  readonly problems: Array<{ kind: string; message: string; frame: number }> = [];
  readonly #onUdp: UdpHandler;
  #buf: Uint8Array = new Uint8Array(0);
  #len = 0;
  #format: 'unknown' | 'pcap' | 'pcapng' | 'bad' = 'unknown';
  #le = true;
  #nano = false;
  #linkType = 1;
  #ngLinks: number[] = [];
  #ngTsRes: number[] = [];
  readonly #d: UdpDatagram = { payload: new Uint8Array(0), src: '', srcPort: 0, dstPort: 0, ts: 0, frame: 0 };

  constructor(onUdp: UdpHandler) {
    this.#onUdp = onUdp;
  }

  get format(): string {
    return this.#format;
  }

  push(chunk: Uint8Array): void {
    if (this.#format === 'bad') return;
    if (this.#len + chunk.length > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + chunk.length, 65536));
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
    const used = this.#walk(this.#buf, this.#len);
    if (used > 0) {
      this.#buf.copyWithin(0, used, this.#len);
      this.#len -= used;
    }
  }

  /** Call at the end of input; reports a truncated last frame. */
  end(): void {
    if (this.#len > 0 && this.#format !== 'bad') {
      this.problems.push({ kind: 'pcap.truncated', message: `capture ends inside a frame (${this.#len} bytes left over)`, frame: this.frames + 1 });
    }
    this.#len = 0;
  }

  #u32(b: Uint8Array, o: number): number {
    return this.#le
      ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + ((b[o + 3] << 24) >>> 0)
      : ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
  }

  #u16(b: Uint8Array, o: number): number {
    return this.#le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
  }

  #walk(b: Uint8Array, len: number): number {
    let off = 0;
    if (this.#format === 'unknown') {
      if (len < 24) return 0;
      const m = ((b[0] << 24) >>> 0) + ((b[1] << 16) | (b[2] << 8) | b[3]);
      if (m === PCAPNG_SHB) {
        this.#format = 'pcapng';
      } else if (PCAP_MAGICS.has(m)) {
        this.#format = 'pcap';
        this.#le = m === 0xd4c3b2a1 || m === 0x4d3cb2a1;
        this.#nano = m === 0xa1b23c4d || m === 0x4d3cb2a1;
        this.#linkType = this.#u32(b, 20) & 0xffff;
        off = 24;
      } else {
        this.#format = 'bad';
        this.problems.push({ kind: 'pcap.magic', message: 'not a pcap or pcapng capture', frame: 0 });
        return len;
      }
    }
    return this.#format === 'pcap' ? this.#walkPcap(b, off, len) : this.#walkPcapng(b, off, len);
  }

  #walkPcap(b: Uint8Array, off: number, len: number): number {
    while (off + 16 <= len) {
      const incl = this.#u32(b, off + 8);
      if (incl > 262144) {
        this.problems.push({ kind: 'pcap.record', message: `frame length ${incl} is implausible; stopping`, frame: this.frames + 1 });
        this.#format = 'bad';
        return len;
      }
      if (off + 16 + incl > len) break;
      const sec = this.#u32(b, off);
      const frac = this.#u32(b, off + 4);
      const ts = sec * 1000 + (this.#nano ? Math.floor(frac / 1e6) : Math.floor(frac / 1e3));
      this.frames++;
      this.#frame(b, off + 16, off + 16 + incl, this.#linkType, ts);
      off += 16 + incl;
    }
    return off;
  }

  #walkPcapng(b: Uint8Array, off: number, len: number): number {
    while (off + 12 <= len) {
      // The byte order is fixed by each section header's byte-order magic.
      const type0 = ((b[off] << 24) >>> 0) + ((b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]);
      if (type0 === PCAPNG_SHB) {
        const bom = ((b[off + 8] << 24) >>> 0) + ((b[off + 9] << 16) | (b[off + 10] << 8) | b[off + 11]);
        this.#le = bom === 0x4d3c2b1a;
        this.#ngLinks = [];
        this.#ngTsRes = [];
      }
      const blockLen = this.#u32(b, off + 4);
      if (blockLen < 12 || blockLen % 4 !== 0 || blockLen > 16 * 1024 * 1024) {
        this.problems.push({ kind: 'pcap.record', message: `pcapng block length ${blockLen} is invalid; stopping`, frame: this.frames + 1 });
        this.#format = 'bad';
        return len;
      }
      if (off + blockLen > len) break;
      const type = this.#u32(b, off);
      if (type === 1 && blockLen >= 20) {
        this.#ngLinks.push(this.#u16(b, off + 8));
        this.#ngTsRes.push(this.#tsResolution(b, off + 16, off + blockLen - 4));
      } else if (type === 6 && blockLen >= 32) {
        const ifc = this.#u32(b, off + 8);
        const tsRaw = this.#u32(b, off + 12) * 4294967296 + this.#u32(b, off + 16);
        const cap = this.#u32(b, off + 20);
        const res = this.#ngTsRes[ifc] ?? 1e-6;
        this.frames++;
        if (28 + cap <= blockLen) this.#frame(b, off + 28, off + 28 + cap, this.#ngLinks[ifc] ?? 1, Math.floor(tsRaw * res * 1000));
      } else if (type === 3 && blockLen >= 16) {
        this.frames++;
        const orig = this.#u32(b, off + 8);
        this.#frame(b, off + 12, off + 12 + Math.min(orig, blockLen - 16), this.#ngLinks[0] ?? 1, 0);
      }
      off += blockLen;
    }
    return off;
  }

  #tsResolution(b: Uint8Array, p: number, end: number): number {
    while (p + 4 <= end) {
      const code = this.#u16(b, p);
      const l = this.#u16(b, p + 2);
      if (code === 0) break;
      if (code === 9 && l >= 1) {
        const v = b[p + 4];
        return v & 0x80 ? Math.pow(2, -(v & 0x7f)) : Math.pow(10, -v);
      }
      p += 4 + ((l + 3) & ~3);
    }
    return 1e-6;
  }

  #frame(b: Uint8Array, p: number, end: number, link: number, ts: number): void {
    let ethType: number;
    switch (link) {
      case 1: // Ethernet
        if (p + 14 > end) return;
        ethType = (b[p + 12] << 8) | b[p + 13];
        p += 14;
        while ((ethType === 0x8100 || ethType === 0x88a8) && p + 4 <= end) {
          ethType = (b[p + 2] << 8) | b[p + 3];
          p += 4;
        }
        break;
      case 113: // Linux cooked v1
        if (p + 16 > end) return;
        ethType = (b[p + 14] << 8) | b[p + 15];
        p += 16;
        break;
      case 276: // Linux cooked v2
        if (p + 20 > end) return;
        ethType = (b[p] << 8) | b[p + 1];
        p += 20;
        break;
      case 0: case 108: { // BSD loopback: host-order address family
        if (p + 4 > end) return;
        const fam = b[p] === 0 ? b[p + 3] : b[p];
        ethType = fam === 2 ? 0x0800 : 0x86dd;
        p += 4;
        break;
      }
      case 101: case 12: case 14: case 228: case 229:
        if (p >= end) return;
        ethType = b[p] >> 4 === 4 ? 0x0800 : 0x86dd;
        break;
      default:
        return;
    }
    const d = this.#d;
    if (ethType === 0x0800) {
      if (p + 20 > end || b[p] >> 4 !== 4) return;
      const ihl = (b[p] & 15) * 4;
      if (b[p + 9] !== 17) return;
      if (((b[p + 6] & 0x3f) << 8 | b[p + 7]) !== 0) {
        this.problems.push({ kind: 'pcap.fragment', message: 'fragmented UDP datagram skipped', frame: this.frames });
        return;
      }
      const totalLen = (b[p + 2] << 8) | b[p + 3];
      const ipEnd = Math.min(end, p + (totalLen >= ihl ? totalLen : end - p));
      d.src = formatV4(((b[p + 12] << 24) >>> 0) + ((b[p + 13] << 16) | (b[p + 14] << 8) | b[p + 15]));
      p += ihl;
      this.#udp(b, p, ipEnd, ts);
    } else if (ethType === 0x86dd) {
      if (p + 40 > end) return;
      let next = b[p + 6];
      const ipEnd = Math.min(end, p + 40 + ((b[p + 4] << 8) | b[p + 5]));
      d.src = formatIPv6(b, p + 8);
      p += 40;
      // Hop-by-hop, routing and destination options precede UDP; fragments are not reassembled.
      while ((next === 0 || next === 43 || next === 60) && p + 8 <= ipEnd) {
        next = b[p];
        p += (b[p + 1] + 1) * 8;
      }
      if (next !== 17) return;
      this.#udp(b, p, ipEnd, ts);
    }
  }

  #udp(b: Uint8Array, p: number, end: number, ts: number): void {
    if (p + 8 > end) return;
    const d = this.#d;
    d.srcPort = (b[p] << 8) | b[p + 1];
    d.dstPort = (b[p + 2] << 8) | b[p + 3];
    const udpLen = (b[p + 4] << 8) | b[p + 5];
    const stop = udpLen >= 8 ? Math.min(end, p + udpLen) : end;
    if (udpLen >= 8 && p + udpLen > end) {
      this.problems.push({ kind: 'pcap.snaplen', message: `UDP datagram cut by the capture (${end - p - 8} of ${udpLen - 8} bytes)`, frame: this.frames });
    }
    d.payload = b.subarray(p + 8, stop);
    d.ts = ts;
    d.frame = this.frames;
    this.udp++;
    this.#onUdp(d);
  }
}
