/**
 * The pipeline's table of live connections: chained buckets in a plain
 * array, sized to the live count, chained through `Conn.hnext`.
 *
 * Not a Map. A capture churns through tens of thousands of short
 * connections, and a V8 hash table rehashed under that churn leaves each
 * replaced backing store pointing at its successor and at the connections
 * it held. Once one store is old enough to be promoted, every later store,
 * and every connection with its parser and facts, is promoted after it
 * until the next full collection: 80 MB of garbage in the old generation on
 * the 250 MB bench mix, and a fifth of the run in scavenges. Here a resized
 * bucket array is emptied before it is dropped, and a removed connection
 * keeps no link into the table.
 */
import type { Conn } from './conn-state.ts';

const MIN_BUCKETS = 64;

export class ConnTable {
  private buckets: Array<Conn | undefined>;
  private mask: number;
  size = 0;

  constructor() {
    this.buckets = new Array<Conn | undefined>(MIN_BUCKETS).fill(undefined);
    this.mask = MIN_BUCKETS - 1;
  }

  /** The first connection of the chain `hash` falls in (other hashes may share it). */
  chain(hash: number): Conn | undefined {
    return this.buckets[hash & this.mask];
  }

  add(conn: Conn): void {
    const i = conn.hash & this.mask;
    conn.hnext = this.buckets[i];
    this.buckets[i] = conn;
    if (++this.size > this.buckets.length) this.resize(this.buckets.length * 2);
  }

  remove(conn: Conn): void {
    const i = conn.hash & this.mask;
    let c = this.buckets[i];
    if (c === conn) this.buckets[i] = conn.hnext;
    else {
      while (c && c.hnext !== conn) c = c.hnext;
      if (!c) return;
      c.hnext = conn.hnext;
    }
    conn.hnext = undefined;
    this.size--;
    // Shrunk after a burst, so that sweeps stay proportional to what is live.
    if (this.buckets.length > MIN_BUCKETS && this.size < this.buckets.length >> 2) this.resize(this.buckets.length >> 1);
  }

  /** The live connections `pick` accepts, appended to `out`. */
  select(pick: (c: Conn) => boolean, out: Conn[]): Conn[] {
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) for (let c = b[i]; c; c = c.hnext) if (pick(c)) out.push(c);
    return out;
  }

  /** Every live connection, appended to `out`. */
  collect(out: Conn[]): Conn[] {
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) for (let c = b[i]; c; c = c.hnext) out.push(c);
    return out;
  }

  clear(): void {
    this.buckets.fill(undefined);
    this.size = 0;
  }

  private resize(n: number): void {
    const old = this.buckets;
    const next = new Array<Conn | undefined>(n).fill(undefined);
    const mask = n - 1;
    for (let i = 0; i < old.length; i++) {
      let c = old[i];
      while (c) {
        const after: Conn | undefined = c.hnext;
        const j = c.hash & mask;
        c.hnext = next[j];
        next[j] = c;
        c = after;
      }
    }
    // Emptied, so that if it already sits in the old generation it holds no
    // young connection alive once dropped.
    old.fill(undefined);
    this.buckets = next;
    this.mask = mask;
  }
}
