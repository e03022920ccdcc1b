/**
 * A datagram's received byte ranges ("pieces": flat (start, end,
 * capturedEnd) triples, sorted by start) and the frame rebuilt from them.
 */

/** Inserts (s, e, ce) keeping the triples sorted by start. */
export function insertPiece(pieces: number[], s: number, e: number, ce: number): void {
  let i = pieces.length;
  while (i > 0 && pieces[i - 3] > s) i -= 3;
  pieces.splice(i, 0, s, e, ce);
}

export function maxEnd(pieces: number[]): number {
  let m = 0;
  for (let i = 0; i < pieces.length; i += 3) if (pieces[i + 1] > m) m = pieces[i + 1];
  return m;
}

/** True when the sorted pieces leave no hole in [0, total). */
export function covers(pieces: number[], total: number): boolean {
  let at = 0;
  for (let i = 0; i < pieces.length; i += 3) {
    if (pieces[i] > at) return false;
    if (pieces[i + 1] > at) at = pieces[i + 1];
    if (at >= total) return true;
  }
  return at >= total;
}

/** Bytes from 0 that were captured, up to the first piece the snaplen cut. */
export function capturedPrefix(pieces: number[]): number {
  let at = 0;
  for (let i = 0; i < pieces.length; i += 3) {
    if (pieces[i] > at) break;
    at = Math.max(at, pieces[i + 2]);
    if (pieces[i + 2] < pieces[i + 1]) break;
  }
  return at;
}

/**
 * The rebuilt frame: link and IP header with the fragment fields cleared
 * (IPv6: the fragment header left out and its next header moved up), then
 * the captured payload. The length fields say `total` payload bytes, so a
 * snaplen cut stays visible as one, as in any unfragmented packet.
 */
export function assemble(head: Uint8Array, linkLen: number, nextAt: number, innerNext: number, v6: boolean, payload: Uint8Array, total: number): Uint8Array {
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  const ip = linkLen;
  if (v6) {
    out[nextAt] = innerNext;
    const plen = head.length - ip - 40 + total;
    out[ip + 4] = plen >> 8;
    out[ip + 5] = plen & 0xff;
  } else {
    const ihl = head.length - ip;
    const len = ihl + total;
    out[ip + 2] = len >> 8;
    out[ip + 3] = len & 0xff;
    out[ip + 6] &= 0x40; // keep DF, clear MF and the offset
    out[ip + 7] = 0;
    out[ip + 10] = 0;
    out[ip + 11] = 0;
    let sum = 0;
    for (let i = 0; i < ihl; i += 2) sum += (out[ip + i] << 8) | out[ip + i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const ck = ~sum & 0xffff;
    out[ip + 10] = ck >> 8;
    out[ip + 11] = ck & 0xff;
  }
  return out;
}
