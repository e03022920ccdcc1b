/**
 * Reads Query/Retrieve Level (0008,0052) from a C-FIND/C-MOVE/C-GET
 * identifier as it streams past, and nothing else: every other element's
 * value (patient names, IDs, dates) is skipped by length without being
 * looked at or copied. Elements are in ascending tag order, so the walk
 * stops at the first tag past (0008,0052).
 */

const LEVEL_TAG = 0x00080052;
const HEADER = 0;
const SKIP = 1;
const CAPTURE = 2;
const DONE = 3;

/** Explicit-VR VRs with a 2-byte reserved field and a 4-byte length (PS3.5 §7.1.2). */
function longVr(a: number, b: number): boolean {
  const vr = String.fromCharCode(a, b);
  return vr === 'OB' || vr === 'OD' || vr === 'OF' || vr === 'OL' || vr === 'OV' || vr === 'OW' || vr === 'SQ'
    || vr === 'SV' || vr === 'UC' || vr === 'UN' || vr === 'UR' || vr === 'UT' || vr === 'UV';
}

export class LevelReader {
  private phase = DONE;
  private implicit = true;
  private bigEndian = false;
  private readonly hdr = new Uint8Array(12);
  private hdrFill = 0;
  private hdrNeed = 8;
  private remaining = 0;
  private value = '';
  /** The level, once read; undefined when absent. */
  level: string | undefined;

  get active(): boolean {
    return this.phase !== DONE;
  }

  start(implicitVr: boolean, bigEndian: boolean): void {
    this.phase = HEADER;
    this.implicit = implicitVr;
    this.bigEndian = bigEndian;
    this.hdrFill = 0;
    this.hdrNeed = 8;
    this.value = '';
    this.level = undefined;
  }

  stop(): void {
    this.phase = DONE;
  }

  /** Feeds identifier bytes b[start, end). */
  feed(b: Uint8Array, start: number, end: number): void {
    let p = start;
    while (p < end && this.phase !== DONE) {
      if (this.phase === SKIP) {
        const n = Math.min(this.remaining, end - p);
        p += n;
        this.remaining -= n;
        if (this.remaining === 0) this.beginHeader();
      } else if (this.phase === CAPTURE) {
        const n = Math.min(this.remaining, end - p);
        for (let i = 0; i < n && this.value.length < 16; i++) {
          const c = b[p + i];
          if (c >= 0x20 && c < 0x7f) this.value += String.fromCharCode(c);
        }
        p += n;
        this.remaining -= n;
        if (this.remaining === 0) {
          this.level = this.value.trim() || undefined;
          this.phase = DONE;
        }
      } else {
        const n = Math.min(this.hdrNeed - this.hdrFill, end - p);
        this.hdr.set(b.subarray(p, p + n), this.hdrFill);
        this.hdrFill += n;
        p += n;
        if (this.hdrFill === this.hdrNeed) this.header();
      }
    }
  }

  private beginHeader(): void {
    this.phase = HEADER;
    this.hdrFill = 0;
    this.hdrNeed = 8;
  }

  private u16(i: number): number {
    const h = this.hdr;
    return this.bigEndian ? (h[i] << 8) | h[i + 1] : h[i] | (h[i + 1] << 8);
  }

  private u32(i: number): number {
    const h = this.hdr;
    return this.bigEndian
      ? ((h[i] << 24) | (h[i + 1] << 16) | (h[i + 2] << 8) | h[i + 3]) >>> 0
      : (h[i] | (h[i + 1] << 8) | (h[i + 2] << 16) | (h[i + 3] << 24)) >>> 0;
  }

  private header(): void {
    const h = this.hdr;
    if (!this.implicit && this.hdrNeed === 8 && longVr(h[4], h[5])) {
      this.hdrNeed = 12;
      return;
    }
    const tag = ((this.u16(0) << 16) | this.u16(2)) >>> 0;
    const len = this.implicit ? this.u32(4) : this.hdrNeed === 12 ? this.u32(8) : this.u16(6);
    if (tag > LEVEL_TAG || len === 0xffffffff) {
      // Past the element, or a sequence of undefined length: not worth walking.
      this.phase = DONE;
      return;
    }
    this.remaining = len;
    if (tag === LEVEL_TAG) {
      this.phase = CAPTURE;
      if (len === 0) this.phase = DONE;
    } else {
      this.phase = SKIP;
      if (len === 0) this.beginHeader();
    }
  }
}
