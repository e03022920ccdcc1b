/**
 * Interning of what DICOM PDUs repeat: text fields (AE titles, UIDs) and
 * whole presentation context items. A site's traffic repeats the same few
 * hundred UIDs and titles in every association, and a storescu request
 * proposes ~128 contexts whose items are byte-for-byte those of the previous
 * request. Byte ranges are hashed and looked up in small direct-mapped
 * caches: a hit allocates nothing and returns the same object (for strings,
 * one whose hash V8 already computed, so the UID table lookups that follow
 * stay cheap too).
 *
 * A cache key is the raw byte range and the value is a pure function of it,
 * so a hit can never give a different result than parsing would.
 */

/** A direct-mapped cache from short byte strings to values; colliding entries replace each other. */
export class ByteCache<T> {
  private readonly slots: number;
  private readonly maxKey: number;
  private readonly keys: Uint8Array;
  /** Key length per slot plus one; 0 marks an empty slot. */
  private readonly lens: Int32Array;
  private readonly values: Array<T | undefined>;
  /** The slot the last `get` looked at, for the `set` that follows a miss. */
  private slot = 0;

  constructor(slots: number, maxKey: number) {
    this.slots = slots;
    this.maxKey = maxKey;
    this.keys = new Uint8Array(slots * maxKey);
    this.lens = new Int32Array(slots);
    this.values = new Array<T | undefined>(slots).fill(undefined);
  }

  /** The value stored for b[start, end), or undefined. `seed` separates key spaces sharing one cache. */
  get(b: Uint8Array, start: number, end: number, seed: number): T | undefined {
    const len = end - start;
    if (len > this.maxKey) {
      this.slot = -1;
      return undefined;
    }
    let h = Math.imul(0x811c9dc5 ^ seed, 0x01000193) ^ len;
    let i = start;
    // Four bytes per multiply: the bytes are hashed once per PDU item.
    for (; i + 4 <= end; i += 4) h = Math.imul(h ^ (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)), 0x01000193);
    for (; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
    const slot = (h ^ (h >>> 15) ^ (h >>> 27)) & (this.slots - 1);
    this.slot = slot;
    if (this.lens[slot] !== len + 1) return undefined;
    const keys = this.keys;
    const base = slot * this.maxKey - start;
    for (let j = start; j < end; j++) if (keys[base + j] !== b[j]) return undefined;
    return this.values[slot];
  }

  /** Stores the value for the range the last `get` missed. */
  set(b: Uint8Array, start: number, end: number, v: T): void {
    const slot = this.slot;
    if (slot < 0) return;
    this.keys.set(b.subarray(start, end), slot * this.maxKey);
    this.lens[slot] = end - start + 1;
    this.values[slot] = v;
  }
}

interface Blob<T> {
  key: Buffer;
  seed: number;
  value: T;
}

/**
 * A cache from longer byte strings (whole PDUs) to values. The hash samples
 * about a hundred bytes, so a lookup costs one comparison pass over the
 * bytes; entries whose samples collide share a small bucket. Bounded in
 * entries and bytes: when either bound is reached it starts over.
 */
export class BlobCache<T> {
  private readonly map = new Map<number, Array<Blob<T>>>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private entries = 0;
  private bytes = 0;

  constructor(maxEntries: number, maxBytes: number) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  private static hash(b: Uint8Array, start: number, end: number, seed: number): number {
    const len = end - start;
    let h = Math.imul(0x811c9dc5 ^ seed, 0x01000193) ^ len;
    const step = len > 128 ? (len >> 6) | 1 : 1;
    for (let i = start; i < end; i += step) h = Math.imul(h ^ b[i], 0x01000193);
    // The tail too: PDUs of one toolkit often differ only in their last item.
    for (let i = Math.max(start, end - 16); i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
    return h ^ (h >>> 15);
  }

  get(b: Uint8Array, start: number, end: number, seed: number): T | undefined {
    const bucket = this.map.get(BlobCache.hash(b, start, end, seed));
    if (!bucket) return undefined;
    const len = end - start;
    for (const e of bucket) {
      // Buffer#compare is a memcmp over the caller's bytes in place: no copy, no view.
      if (e.seed === seed && e.key.length === len && e.key.compare(b, start, end) === 0) return e.value;
    }
    return undefined;
  }

  set(b: Uint8Array, start: number, end: number, seed: number, value: T): void {
    const len = end - start;
    if (len > this.maxBytes) return;
    if (this.entries >= this.maxEntries || this.bytes + len > this.maxBytes) {
      this.map.clear();
      this.entries = 0;
      this.bytes = 0;
    }
    const h = BlobCache.hash(b, start, end, seed);
    let bucket = this.map.get(h);
    if (!bucket) this.map.set(h, (bucket = []));
    if (bucket.length >= 4) bucket.shift();
    bucket.push({ key: Buffer.from(b.subarray(start, end)), seed, value });
    this.entries++;
    this.bytes += len;
  }
}

/** NUL bytes are skipped (AE titles, A-ASSOCIATE UIDs padded with NUL). */
export const SKIP_NUL = 0;
/** NUL ends the text (DIMSE command set values). */
export const STOP_NUL = 1;
type Mode = typeof SKIP_NUL | typeof STOP_NUL;

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string }).latin1Slice;

/**
 * Printable ASCII of b[start, end): other bytes become '?', surrounding
 * spaces are trimmed, NUL handled per `mode`.
 */
function decode(b: Uint8Array, start: number, end: number, mode: Mode): string {
  let first = -1;
  let last = -1;
  let plain = true;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === 0) {
      if (mode === STOP_NUL) {
        end = i;
        break;
      }
      plain = false;
      continue;
    }
    if (c < 0x20 || c > 0x7e) plain = false;
    if (c !== 0x20) {
      if (first < 0) first = i;
      last = i;
    }
  }
  if (first < 0) return '';
  // One native call; for printable ASCII latin1 and ASCII agree.
  if (plain) return latin1Slice.call(b, first, last + 1);
  let s = '';
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === 0) continue;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return s.trim();
}

const texts = new ByteCache<string>(4096, 64);

/**
 * The text of b[start, min(end, start + max)), interned. Never throws;
 * never reads outside the range.
 */
export function readText(b: Uint8Array, start: number, end: number, max: number, mode: Mode = SKIP_NUL): string {
  const stop = Math.min(end, start + max, b.length);
  if (stop <= start) return '';
  let s = texts.get(b, start, stop, mode);
  if (s === undefined) {
    s = decode(b, start, stop, mode);
    texts.set(b, start, stop, s);
  }
  return s;
}
