/** Builds classic pcap files of UDP datagrams (Ethernet/IPv4), to hand raw export payloads to tshark and nfcapd-style peers. */

export interface UdpPacket {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Uint8Array;
  /** Epoch ms. */
  ts?: number;
}

function v4(s: string): number[] {
  return s.split('.').map(Number);
}

function checksum(b: Uint8Array, off: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += (b[off + i] << 8) | b[off + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function udpPcap(packets: UdpPacket[]): Buffer {
  const parts: Buffer[] = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(262144, 16);
  gh.writeUInt32LE(1, 20);
  parts.push(gh);
  let t = 1_700_000_000_000;
  for (const p of packets) {
    const ts = p.ts ?? (t += 1);
    const frameLen = 14 + 20 + 8 + p.payload.length;
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(Math.floor(ts / 1000), 0);
    rh.writeUInt32LE((ts % 1000) * 1000, 4);
    rh.writeUInt32LE(frameLen, 8);
    rh.writeUInt32LE(frameLen, 12);
    const f = Buffer.alloc(frameLen);
    f.set([0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0x66, 0x77, 0x88, 0x99, 0xaa, 0x08, 0x00], 0);
    const ip = 14;
    f[ip] = 0x45;
    f.writeUInt16BE(20 + 8 + p.payload.length, ip + 2);
    f[ip + 8] = 64;
    f[ip + 9] = 17;
    f.set(v4(p.src), ip + 12);
    f.set(v4(p.dst), ip + 16);
    f.writeUInt16BE(checksum(f, ip, 20), ip + 10);
    const u = ip + 20;
    f.writeUInt16BE(p.sport, u);
    f.writeUInt16BE(p.dport, u + 2);
    f.writeUInt16BE(8 + p.payload.length, u + 4);
    f.set(p.payload, u + 8);
    parts.push(rh, f);
  }
  return Buffer.concat(parts);
}
