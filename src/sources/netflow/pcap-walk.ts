/**
 * UDP payloads (with their source address) out of pcap/pcapng captures of
 * NetFlow / IPFIX export traffic. Framing is the capture reader's
 * (src/sources/pcap.ts); here only the few link, IP and UDP headers needed
 * to reach the export datagrams are walked. Full packet decoding belongs to
 * src/decoders; of it only the fragment reassembler is borrowed (a leaf
 * module), since exporters' large template and data datagrams get
 * fragmented on the way to the collector.
 */
import { InputError } from '../../core/errors.ts';
import { FragmentReassembler } from '../../decoders/fragments.ts';
import { CaptureParser, isCaptureMagic, type CapturePacket } from '../pcap.ts';
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

export function isPcap(b: Uint8Array): boolean {
  return isCaptureMagic(b);
}

/** Feed capture bytes in chunks of any size; UDP datagrams are delivered as their frames complete. */
export class PcapUdpWalker {
  udp = 0;
  /** Problems met; frame 0 when the capture reader's message names the packet itself. */
  readonly problems: Array<{ kind: string; message: string; frame: number }> = [];
  readonly #onUdp: UdpHandler;
  readonly #parser: CaptureParser;
  #bad = false;
  #frameNo = 0;
  readonly #d: UdpDatagram = { payload: new Uint8Array(0), src: '', srcPort: 0, dstPort: 0, ts: 0, frame: 0 };
  /** Made at the first UDP fragment. */
  #frags: FragmentReassembler | undefined;

  constructor(onUdp: UdpHandler, name = 'capture') {
    this.#onUdp = onUdp;
    this.#parser = new CaptureParser(name, (p: CapturePacket) => {
      this.#frameNo = p.num;
      this.#frame(p.buf, p.off, p.off + p.len, p.linktype, Math.floor(p.ts));
    });
  }

  get frames(): number {
    return this.#parser.packets;
  }

  get format(): string {
    return this.#bad ? 'bad' : (this.#parser.format ?? 'unknown');
  }

  push(chunk: Uint8Array): void {
    if (this.#bad) return;
    try {
      this.#parser.push(chunk);
    } catch (err) {
      this.#fail(err);
    }
  }

  /** Call at the end of input: reports a cut-off last frame and the reader's warnings. */
  end(): void {
    if (this.#bad) return;
    try {
      const summary = this.#parser.end();
      for (const w of summary.warnings) this.problems.push({ kind: 'pcap', message: w, frame: 0 });
      this.#frags?.end();
    } catch (err) {
      this.#fail(err);
    }
  }

  #fail(err: unknown): void {
    this.#bad = true;
    this.problems.push({ kind: 'pcap', message: err instanceof InputError || err instanceof Error ? err.message : String(err), frame: 0 });
  }

  /** Datagrams rebuilt from IP fragments. */
  get reassembled(): number {
    return this.#frags?.stats.reassembled ?? 0;
  }

  /** A UDP fragment; the datagram it completes is walked like any frame of the capture. */
  #fragment(b: Uint8Array, frameOff: number, ipOff: number, end: number, link: number, ts: number): void {
    this.#frags ??= new FragmentReassembler({ anomaly: (kind, message) => this.problems.push({ kind, message, frame: this.#frameNo }) });
    const whole = this.#frags.add(b, frameOff, ipOff, end, ts);
    if (whole) this.#frame(whole, 0, whole.length, link, ts);
  }

  #frame(b: Uint8Array, p: number, end: number, link: number, ts: number): void {
    const frameOff = p;
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
        this.#fragment(b, frameOff, p, end, link, ts);
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
      const ipOff = p;
      const ipEnd = Math.min(end, p + 40 + ((b[p + 4] << 8) | b[p + 5]));
      d.src = formatIPv6(b, p + 8);
      p += 40;
      // Hop-by-hop, routing and destination options precede UDP or the fragment header.
      while ((next === 0 || next === 43 || next === 60) && p + 8 <= ipEnd) {
        next = b[p];
        p += (b[p + 1] + 1) * 8;
      }
      if (next === 44 && p + 8 <= ipEnd && b[p] === 17) {
        this.#fragment(b, frameOff, ipOff, end, link, ts);
        return;
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
      this.problems.push({ kind: 'pcap.snaplen', message: `UDP datagram cut by the capture (${end - p - 8} of ${udpLen - 8} bytes)`, frame: this.#frameNo });
    }
    d.payload = b.subarray(p + 8, stop);
    d.ts = ts;
    d.frame = this.#frameNo;
    this.udp++;
    this.#onUdp(d);
  }
}
