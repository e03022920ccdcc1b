/** Recognising NetFlow v5 / v9 / IPFIX export datagrams by their headers alone. */
import { PcapUdpWalker, isPcap } from './pcap-walk.ts';


function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

/** Walks the set headers from `off` to `end`: every set must fit and have a legal id. */
function setsChain(b: Uint8Array, off: number, end: number, v9: boolean): boolean {
  let sets = 0;
  while (off + 4 <= end) {
    const id = u16(b, off);
    const len = u16(b, off + 2);
    if (v9 && id === 0 && len === 0 && sets > 0) return true; // trailing padding
    if (len < 4 || off + len > end) return false;
    if (v9 ? id !== 0 && id !== 1 && id < 256 : id !== 2 && id !== 3 && id < 256) return false;
    off += len;
    sets++;
  }
  return sets > 0;
}

/**
 * True when `b` is plausibly one export datagram: a known version whose
 * header and set structure are self-consistent. `partial` accepts a prefix
 * (the first bytes of a file) where later sets may be cut off.
 */
export function looksLikeExport(b: Uint8Array, partial = false): boolean {
  if (b.length < 16) return false;
  const version = u16(b, 0);
  if (version === 5) {
    if (b.length < 24) return false;
    const count = u16(b, 2);
    if (count === 0) return false;
    const fits = 24 + count * 48 <= b.length || partial;
    // Some exporters pad or mis-count; a whole number of 48-byte records still identifies v5.
    return fits || (b.length - 24) % 48 === 0;
  }
  if (version === 9) {
    if (b.length < 24) return false;
    const count = u16(b, 2);
    if (count > 4096) return false;
    if (partial) {
      const id = u16(b, 20);
      const len = u16(b, 22);
      return len >= 4 && (id === 0 || id === 1 || id >= 256);
    }
    return setsChain(b, 20, b.length, true);
  }
  if (version === 10) {
    const len = u16(b, 2);
    if (len < 20 || (!partial && len > b.length)) return false;
    if (partial) {
      const id = u16(b, 16);
      const slen = u16(b, 18);
      return slen >= 4 && slen <= len - 16 && (id === 2 || id === 3 || id >= 256);
    }
    return setsChain(b, 16, len, false);
  }
  return false;
}

/**
 * True for the first bytes of a raw NetFlow/IPFIX export payload file.
 * Pcaps of export traffic are recognised by `sniffExportPcap`.
 */
export function sniff(firstBytes: Uint8Array): boolean {
  return looksLikeExport(firstBytes, true);
}

/** True when the first UDP datagram within `firstBytes` of a pcap/pcapng is NetFlow/IPFIX export. */
export function sniffExportPcap(firstBytes: Uint8Array): boolean {
  if (!isPcap(firstBytes)) return false;
  let found = false;
  let seen = false;
  const w = new PcapUdpWalker((d) => {
    if (seen) return;
    seen = true;
    found = looksLikeExport(d.payload);
  });
  w.push(firstBytes);
  return found;
}
