/**
 * The reassembly buffer the stream analyzers keep for a message that spans
 * chunks: the only place they copy bytes, so it grows by doubling and is
 * reused for the next message.
 */

/** Copies src[from, to) to buf at `len`, growing buf when it is too small; keep the returned buffer. */
export function appendBytes(buf: Uint8Array, len: number, src: Uint8Array, from: number, to: number): Uint8Array {
  const need = len + (to - from);
  let out = buf;
  if (need > buf.length) {
    out = new Uint8Array(Math.max(need, buf.length * 2, 1024));
    out.set(buf.subarray(0, len));
  }
  out.set(src.subarray(from, to), len);
  return out;
}
