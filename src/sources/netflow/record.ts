/**
 * One decoded flow record. The decoder owns a single instance and refills it
 * for every record (no allocation per record); a callback that wants to keep
 * values must copy them before returning.
 */
export interface FlowRecord {
  version: 5 | 9 | 10;
  /** Exporter address (the UDP source, or the configured name for payload files). */
  exporter: string;
  /** v9 source id or IPFIX observation domain id; v5 engine type << 8 | engine id. */
  domain: number;
  /** Template id, 0 for v5. */
  templateId: number;
  /** 4 or 6 when addresses were present, 0 otherwise. */
  family: 0 | 4 | 6;
  srcV4: number;
  dstV4: number;
  /** Reused 16-byte buffers, valid when family is 6. */
  srcV6: Uint8Array;
  dstV6: Uint8Array;
  srcPort: number;
  dstPort: number;
  /** IP protocol number, -1 when absent. */
  protocol: number;
  tos: number;
  tcpFlags: number;
  bytes: number;
  packets: number;
  /** Responder-to-initiator counters of bidirectional records (NSEL, RFC 5103 style); -1 when absent. */
  reverseBytes: number;
  reversePackets: number;
  /** Epoch milliseconds; NaN when the record carries no usable time. */
  firstMs: number;
  lastMs: number;
  inputIf: number;
  outputIf: number;
  /** 1-in-N packet sampling in effect for this record, 0 when unsampled or unknown. */
  samplingInterval: number;
  /** Flow direction (IE 61): 0 ingress, 1 egress, -1 unknown. */
  direction: number;
  /** IE 136 flowEndReason, -1 when absent. */
  endReason: number;
}

export function createFlowRecord(): FlowRecord {
  return {
    version: 5, exporter: '', domain: 0, templateId: 0, family: 0,
    srcV4: 0, dstV4: 0, srcV6: new Uint8Array(16), dstV6: new Uint8Array(16),
    srcPort: 0, dstPort: 0, protocol: -1, tos: 0, tcpFlags: 0,
    bytes: 0, packets: 0, reverseBytes: -1, reversePackets: -1,
    firstMs: NaN, lastMs: NaN, inputIf: 0, outputIf: 0, samplingInterval: 0, direction: -1, endReason: -1,
  };
}

export function resetFlowRecord(r: FlowRecord): void {
  r.family = 0;
  r.srcV4 = 0;
  r.dstV4 = 0;
  r.srcPort = 0;
  r.dstPort = 0;
  r.protocol = -1;
  r.tos = 0;
  r.tcpFlags = 0;
  r.bytes = 0;
  r.packets = 0;
  r.reverseBytes = -1;
  r.reversePackets = -1;
  r.firstMs = NaN;
  r.lastMs = NaN;
  r.inputIf = 0;
  r.outputIf = 0;
  r.samplingInterval = 0;
  r.direction = -1;
  r.endReason = -1;
}

/** Compressed RFC 5952 text of a 16-byte IPv6 address. */
export function formatIPv6(b: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function formatV4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function srcAddress(r: FlowRecord): string {
  return r.family === 6 ? formatIPv6(r.srcV6) : formatV4(r.srcV4);
}

export function dstAddress(r: FlowRecord): string {
  return r.family === 6 ? formatIPv6(r.dstV6) : formatV4(r.dstV4);
}
