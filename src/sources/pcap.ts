/**
 * Streaming reader for libpcap (micro/nanosecond, either byte order) and
 * pcapng (several sections and interfaces, EPB/SPB/OPB, per-interface
 * timestamp resolution and offset). Input arrives in chunks of any size; a
 * record is parsed in place from the chunk and copied only when it spans two
 * chunks, so memory stays constant whatever the file size.
 */
import { InputError } from '../core/errors.ts';

/** One packet, a reused object: valid only during the callback. */
export interface CapturePacket {
  /** LINKTYPE_* of the interface the packet came from. */
  linktype: number;
  /** Epoch milliseconds (fractional). */
  ts: number;
  /** The captured bytes are buf[off, off + len). */
  buf: Uint8Array;
  off: number;
  len: number;
  /** Length on the wire (may exceed len when the snaplen cut it). */
  wireLen: number;
  /** 1-based packet number, as Wireshark counts. */
  num: number;
}

export type PacketCallback = (p: CapturePacket) => void;

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureSummary {
  format: CaptureFormat;
  packets: number;
  /** Bytes of capture input consumed (after decompression). */
  bytes: number;
  warnings: string[];
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;
/** No sane link layer frame is larger; a bigger caplen means a corrupt record header. */
const MAX_RECORD = 16 * 1024 * 1024;

export function isCaptureMagic(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const be = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  const le = ((head[3] << 24) | (head[2] << 16) | (head[1] << 8) | head[0]) >>> 0;
  return be === PCAPNG_SHB || be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS || le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS;
}

interface Iface {
  linktype: number;
  snaplen: number;
  /** Multiply a raw timestamp by this to get milliseconds. */
  toMs: number;
  /** Seconds added to every timestamp (if_tsoffset). */
  offsetMs: number;
}

const STATE_MAGIC = 0;
const STATE_PCAP_HEADER = 1;
const STATE_PCAP = 2;
const STATE_PCAPNG = 3;
const STATE_STOPPED = 4;

/**
 * The incremental parser: push() chunks, then end(). Never throws on bad
 * records: it warns with the packet number and stops, keeping what it read.
 * Only a first block that is not a capture at all throws InputError.
 */
export class CaptureParser {
  readonly name: string;
  format: CaptureFormat | undefined;
  packets = 0;
  bytes = 0;
  readonly warnings: string[] = [];
  private readonly cb: PacketCallback;
  private readonly pkt: CapturePacket;
  private state = STATE_MAGIC;
  private le = true;
  private dv: DataView;
  private dvBuf: Uint8Array | undefined;
  private pend = new Uint8Array(65536);
  private pendLen = 0;
  // pcap
  private pcapLinktype = 1;
  private pcapToMs = 1e-3;
  private pcapSnap = 262144;
  // pcapng
  private ifaces: Iface[] = [];
  private lastTs = 0;

  constructor(name: string, cb: PacketCallback) {
    this.name = name;
    this.cb = cb;
    this.pkt = { linktype: 0, ts: 0, buf: this.pend, off: 0, len: 0, wireLen: 0, num: 0 };
    this.dv = new DataView(this.pend.buffer);
  }

  get stopped(): boolean {
    return this.state === STATE_STOPPED;
  }

  push(chunk: Uint8Array): void {
    if (this.state === STATE_STOPPED) return;
    this.bytes += chunk.length;
    let pos = 0;
    const n = chunk.length;
    if (this.pendLen > 0) {
      // Finish the record that spans chunks: take just enough bytes to know
      // its length, then just enough to complete it.
      for (;;) {
        const need = this.need(this.pend, 0, this.pendLen);
        if (need < 0) return;
        if (this.pendLen >= need) {
          this.pendLen = 0;
          this.record(this.pend, 0, need);
          if (this.state === STATE_STOPPED) return;
          break;
        }
        if (pos >= n) return;
        const take = Math.min(need - this.pendLen, n - pos);
        this.grow(need);
        this.pend.set(chunk.subarray(pos, pos + take), this.pendLen);
        this.pendLen += take;
        pos += take;
      }
    }
    while (pos < n) {
      const need = this.need(chunk, pos, n - pos);
      if (need < 0) return;
      if (need > n - pos) {
        this.grow(n - pos);
        this.pend.set(chunk.subarray(pos), 0);
        this.pendLen = n - pos;
        return;
      }
      this.record(chunk, pos, need);
      if (this.state === STATE_STOPPED) return;
      pos += need;
    }
  }

  end(): CaptureSummary {
    if (this.state === STATE_MAGIC || this.state === STATE_PCAP_HEADER) {
      if (this.bytes === 0) throw new InputError('empty input: not a pcap or pcapng capture', { location: { file: this.name } });
      if (this.state === STATE_MAGIC) this.notCapture(this.pend.subarray(0, this.pendLen));
      throw new InputError('capture header is cut short', { location: { file: this.name } });
    }
    if (this.pendLen > 0 && this.state !== STATE_STOPPED) {
      const need = this.need(this.pend, 0, this.pendLen);
      this.warn(`truncated: packet ${this.packets + 1} is cut short (${this.pendLen} of ${need > 0 ? need : '?'} bytes); keeping the ${this.packets} packets before it`);
    }
    this.pendLen = 0;
    return { format: this.format ?? 'pcap', packets: this.packets, bytes: this.bytes, warnings: this.warnings };
  }

  private warn(msg: string): void {
    if (this.warnings.length < 100) this.warnings.push(`${this.name}: ${msg}`);
  }

  private stop(msg: string): void {
    this.warn(msg);
    this.state = STATE_STOPPED;
    this.pendLen = 0;
  }

  private grow(size: number): void {
    if (size <= this.pend.length) return;
    let cap = this.pend.length;
    while (cap < size) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.pend.subarray(0, this.pendLen));
    this.pend = next;
  }

  private view(buf: Uint8Array): DataView {
    if (this.dvBuf !== buf) {
      this.dvBuf = buf;
      this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    return this.dv;
  }

  private u32(buf: Uint8Array, o: number): number {
    return this.le
      ? (buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)) >>> 0
      : ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
  }

  private u16(buf: Uint8Array, o: number): number {
    return this.le ? buf[o] | (buf[o + 1] << 8) : (buf[o] << 8) | buf[o + 1];
  }

  /**
   * Length of the next record at off, when `avail` bytes are there: the full
   * length once its header is readable, else the header size (> avail).
   * -1 stops parsing.
   */
  private need(buf: Uint8Array, off: number, avail: number): number {
    switch (this.state) {
      case STATE_MAGIC:
        if (avail < 4) return 4;
        this.magic(buf, off);
        return this.need(buf, off, avail);
      case STATE_PCAP_HEADER:
        return 24;
      case STATE_PCAP: {
        if (avail < 16) return 16;
        const cap = this.u32(buf, off + 8);
        if (cap > MAX_RECORD) {
          this.stop(`corrupt record header at packet ${this.packets + 1} (captured length ${cap}); keeping the ${this.packets} packets before it`);
          return -1;
        }
        return 16 + cap;
      }
      case STATE_PCAPNG: {
        if (avail < 12) return 12;
        const type = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
        if (type === PCAPNG_SHB) {
          // A new section may switch byte order: read it from the BOM.
          const bomLe = (buf[off + 8] | (buf[off + 9] << 8) | (buf[off + 10] << 16) | (buf[off + 11] << 24)) >>> 0;
          if (bomLe === BOM) this.le = true;
          else if (((buf[off + 8] << 24) | (buf[off + 9] << 16) | (buf[off + 10] << 8) | buf[off + 11]) >>> 0 === BOM) this.le = false;
          else {
            this.stop(`corrupt section header after packet ${this.packets} (bad byte-order magic)`);
            return -1;
          }
        }
        const blen = this.u32(buf, off + 4);
        if (blen < 12 || (blen & 3) !== 0 || blen > MAX_RECORD) {
          this.stop(`corrupt pcapng block after packet ${this.packets} (block length ${blen}); keeping the ${this.packets} packets before it`);
          return -1;
        }
        return blen;
      }
      default:
        return -1;
    }
  }

  private record(buf: Uint8Array, off: number, len: number): void {
    switch (this.state) {
      case STATE_PCAP_HEADER:
        return this.pcapHeader(buf, off);
      case STATE_PCAP:
        return this.pcapRecord(buf, off, len);
      case STATE_PCAPNG:
        return this.pcapngBlock(buf, off, len);
    }
  }

  private magic(buf: Uint8Array, off: number): void {
    const be = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
    const le = ((buf[off + 3] << 24) | (buf[off + 2] << 16) | (buf[off + 1] << 8) | buf[off]) >>> 0;
    if (be === PCAPNG_SHB) {
      this.format = 'pcapng';
      // The SHB is then parsed as an ordinary block.
      this.state = STATE_PCAPNG;
      return;
    }
    if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) this.le = false;
    else if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) this.le = true;
    else return this.notCapture(buf.subarray(off, off + 4));
    this.pcapToMs = be === PCAP_MAGIC_NS || le === PCAP_MAGIC_NS ? 1e-6 : 1e-3;
    this.format = 'pcap';
    this.state = STATE_PCAP_HEADER;
  }

  private notCapture(head: Uint8Array): never {
    const hex = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new InputError(`not a pcap or pcapng capture (starts with ${hex || 'nothing'})`, {
      location: { file: this.name },
      hint: 'discover reads pcap, pcapng (optionally gzip-compressed), Zeek conn.log and NetFlow/IPFIX',
    });
  }

  private pcapHeader(buf: Uint8Array, off: number): void {
    this.pcapSnap = this.u32(buf, off + 16);
    // The top bits of the link-type field carry FCS information (pcap-linktype(7)).
    this.pcapLinktype = this.u32(buf, off + 20) & 0x0fffffff;
    this.state = STATE_PCAP;
  }

  private pcapRecord(buf: Uint8Array, off: number, len: number): void {
    const sec = this.u32(buf, off);
    const frac = this.u32(buf, off + 4);
    const p = this.pkt;
    p.linktype = this.pcapLinktype;
    p.ts = sec * 1000 + frac * this.pcapToMs;
    p.buf = buf;
    p.off = off + 16;
    p.len = len - 16;
    p.wireLen = this.u32(buf, off + 12);
    p.num = ++this.packets;
    this.cb(p);
  }

  private pcapngBlock(buf: Uint8Array, off: number, len: number): void {
    const type = this.u32(buf, off);
    const trailer = this.u32(buf, off + len - 4);
    if (trailer !== len) {
      this.stop(`corrupt pcapng block after packet ${this.packets} (trailing length ${trailer} != ${len}); keeping the ${this.packets} packets before it`);
      return;
    }
    switch (type) {
      case PCAPNG_SHB:
        this.ifaces = [];
        return;
      case 1:
        return this.idb(buf, off, len);
      case 6:
      case 2:
        return this.epb(buf, off, len, type === 2);
      case 3:
        return this.spb(buf, off, len);
      default:
        // Name resolution, statistics, custom and unknown blocks carry no packets.
        return;
    }
  }

  private idb(buf: Uint8Array, off: number, len: number): void {
    if (len < 20) return this.stop(`corrupt interface description block after packet ${this.packets}`);
    const iface: Iface = { linktype: this.u16(buf, off + 8), snaplen: this.u32(buf, off + 12), toMs: 1e-3, offsetMs: 0 };
    let o = off + 16;
    const endOpt = off + len - 4;
    while (o + 4 <= endOpt) {
      const code = this.u16(buf, o);
      const olen = this.u16(buf, o + 2);
      const v = o + 4;
      if (code === 0 || v + olen > endOpt) break;
      if (code === 9 && olen >= 1) {
        const r = buf[v];
        const unitsPerSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        iface.toMs = 1000 / unitsPerSec;
      } else if (code === 14 && olen >= 8) {
        const dv = this.view(buf);
        const secs = Number(dv.getBigInt64(v, this.le));
        iface.offsetMs = secs * 1000;
      }
      o = v + ((olen + 3) & ~3);
    }
    this.ifaces.push(iface);
  }

  private epb(buf: Uint8Array, off: number, len: number, obsolete: boolean): void {
    if (len < 32) return this.stop(`corrupt packet block at packet ${this.packets + 1}`);
    const id = obsolete ? this.u16(buf, off + 8) : this.u32(buf, off + 8);
    const iface = this.ifaces[id];
    if (!iface) {
      this.warn(`packet ${this.packets + 1} names interface ${id}, which was not described; skipped`);
      this.packets++;
      return;
    }
    const hi = this.u32(buf, off + 12);
    const lo = this.u32(buf, off + 16);
    let cap = this.u32(buf, off + 20);
    if (cap > len - 32) {
      this.warn(`packet ${this.packets + 1}: captured length ${cap} exceeds its block; cut to ${len - 32}`);
      cap = len - 32;
    }
    const p = this.pkt;
    p.linktype = iface.linktype;
    p.ts = (hi * 4294967296 + lo) * iface.toMs + iface.offsetMs;
    this.lastTs = p.ts;
    p.buf = buf;
    p.off = off + 28;
    p.len = cap;
    p.wireLen = this.u32(buf, off + 24);
    p.num = ++this.packets;
    this.cb(p);
  }

  private spb(buf: Uint8Array, off: number, len: number): void {
    const iface = this.ifaces[0];
    if (!iface || len < 16) {
      this.warn(`simple packet block at packet ${this.packets + 1} without an interface; skipped`);
      this.packets++;
      return;
    }
    const wire = this.u32(buf, off + 8);
    let cap = Math.min(wire, len - 16);
    if (iface.snaplen > 0) cap = Math.min(cap, iface.snaplen);
    const p = this.pkt;
    p.linktype = iface.linktype;
    // SPBs carry no timestamp: the best guess is the previous packet's.
    p.ts = this.lastTs;
    p.buf = buf;
    p.off = off + 12;
    p.len = cap;
    p.wireLen = wire;
    p.num = ++this.packets;
    this.cb(p);
  }
}

/** Parses a whole capture from a stream of chunks. */
export async function readCapture(chunks: AsyncIterable<Uint8Array>, name: string, cb: PacketCallback): Promise<CaptureSummary> {
  const parser = new CaptureParser(name, cb);
  for await (const c of chunks) {
    parser.push(c);
    if (parser.stopped) break;
  }
  return parser.end();
}
