/**
 * One direction of a TCP stream: puts segments in sequence order, drops
 * retransmitted bytes, holds out-of-order segments (copied, bounded) and
 * declares a gap when the hole is never filled. In-order segments are
 * handed on in place, without copying.
 */
import type { Direction } from './analyzer.ts';

export interface StreamReceiver {
  /**
   * In-order bytes buf[off, off + len) of one direction, valid only during
   * the call. The receiver knows the time (no number passed per segment).
   */
  streamData(dir: Direction, buf: Uint8Array, off: number, len: number): void;
  streamGap(dir: Direction, len: number): void;
}

interface Held {
  seq: number;
  data: Uint8Array;
}

/** Out-of-order bytes held per direction before the hole is declared a gap. */
export const MAX_HELD_BYTES = 512 * 1024;

const NONE_HELD: Held[] = [];

/**
 * Sequence numbers are kept as signed 32-bit integers (`| 0`), not as
 * unsigned ones (`>>> 0`): the upper half of the unsigned range is not a
 * small integer to V8 and would be boxed on every call. Comparisons are
 * differences taken modulo 2^32 either way.
 */
export class TcpHalf {
  /** Next expected sequence number, once `started`. */
  next = 0;
  started = false;
  finSeen = false;
  /** Out-of-order segments, oldest hole first; shared empty array until needed. */
  held: Held[] = NONE_HELD;
  heldBytes = 0;
  retransmitted = 0;
  gaps = 0;
  gapBytes = 0;

  /** A SYN fixes the initial sequence number; data starts one after it. */
  syn(isn: number): void {
    if (!this.started) {
      this.next = (isn + 1) | 0;
      this.started = true;
    }
  }

  segment(dir: Direction, seq: number, buf: Uint8Array, off: number, len: number, rx: StreamReceiver): void {
    if (len <= 0) return;
    if (!this.started) {
      this.next = seq;
      this.started = true;
    }
    let rel = (seq - this.next) | 0;
    if (rel < 0) {
      if (rel + len <= 0) {
        this.retransmitted += len;
        return;
      }
      // Overlaps what was delivered: keep only the new tail.
      this.retransmitted += -rel;
      off -= rel;
      len += rel;
      seq = this.next;
      rel = 0;
    }
    if (rel === 0) {
      this.next = (this.next + len) | 0;
      rx.streamData(dir, buf, off, len);
      if (this.held.length) this.drain(dir, rx);
      return;
    }
    while (this.heldBytes + len > MAX_HELD_BYTES && this.held.length) this.skipToHeld(dir, rx);
    if (this.heldBytes + len > MAX_HELD_BYTES || this.held.length === 0 && len > MAX_HELD_BYTES) {
      // Too far ahead to hold: give up on the hole.
      this.declareGap(dir, (seq - this.next) | 0, rx);
      this.next = seq;
      this.segment(dir, seq, buf, off, len, rx);
      return;
    }
    const h: Held = { seq, data: buf.slice(off, off + len) };
    if (this.held === NONE_HELD) this.held = [];
    let i = this.held.length;
    while (i > 0 && ((this.held[i - 1].seq - seq) | 0) > 0) i--;
    this.held.splice(i, 0, h);
    this.heldBytes += len;
  }

  /** End of the connection or capture: whatever is held is delivered across its holes. */
  flush(dir: Direction, rx: StreamReceiver): void {
    while (this.held.length) this.skipToHeld(dir, rx);
  }

  private skipToHeld(dir: Direction, rx: StreamReceiver): void {
    const first = this.held[0];
    const hole = (first.seq - this.next) | 0;
    if (hole > 0) {
      this.declareGap(dir, hole, rx);
      this.next = first.seq;
    }
    this.drain(dir, rx);
  }

  private declareGap(dir: Direction, len: number, rx: StreamReceiver): void {
    if (len <= 0) return;
    this.gaps++;
    this.gapBytes += len;
    rx.streamGap(dir, len);
  }

  private drain(dir: Direction, rx: StreamReceiver): void {
    while (this.held.length) {
      const h = this.held[0];
      const rel = (h.seq - this.next) | 0;
      if (rel > 0) return;
      this.held.shift();
      this.heldBytes -= h.data.length;
      const skip = -rel;
      if (skip >= h.data.length) {
        this.retransmitted += h.data.length;
        continue;
      }
      this.retransmitted += skip;
      const len = h.data.length - skip;
      this.next = (this.next + len) | 0;
      rx.streamData(dir, h.data, skip, len);
    }
  }
}
