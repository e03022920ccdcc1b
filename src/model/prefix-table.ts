import { parseCidr } from '../core/net.ts';

/**
 * Longest-prefix match as a sorted table of disjoint address ranges, each
 * mapped to the most specific prefix covering it. A lookup is one binary
 * search over a typed array: no parsing, no allocation, which is what the
 * per-flow evaluators need.
 */

interface Span { start: bigint; end: bigint; prefix: number; order: number; value: number }

/** Flattens nested/disjoint prefixes into range starts and values (-1 = nothing). */
function flatten(spans: Span[], max: bigint): { starts: bigint[]; values: number[] } {
  // Containing prefixes first; among identical prefixes the first definition wins (it is pushed
  // last, so it is on top of the stack); validation reports the clash.
  spans.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.prefix - b.prefix || b.order - a.order));
  const starts: bigint[] = [];
  const values: number[] = [];
  const emit = (from: bigint, value: number) => {
    if (values.length && values[values.length - 1] === value) return;
    if (starts.length && starts[starts.length - 1] === from) { values[values.length - 1] = value; return; }
    starts.push(from);
    values.push(value);
  };
  const stack: Span[] = [];
  let cursor = 0n;
  const popUntil = (limit: bigint | undefined) => {
    while (stack.length && (limit === undefined || stack[stack.length - 1].end < limit)) {
      const top = stack.pop()!;
      if (cursor <= top.end) { emit(cursor, top.value); cursor = top.end + 1n; }
    }
  };
  for (const s of spans) {
    popUntil(s.start);
    if (cursor < s.start) { emit(cursor, stack.length ? stack[stack.length - 1].value : -1); cursor = s.start; }
    stack.push(s);
  }
  popUntil(undefined);
  if (cursor <= max) emit(cursor, -1);
  if (!starts.length || starts[0] !== 0n) { starts.unshift(0n); values.unshift(-1); }
  return { starts, values };
}

export class PrefixTable<T> {
  private readonly v4Starts: Uint32Array;
  private readonly v4Values: Int32Array;
  private readonly v6Starts: bigint[];
  private readonly v6Values: Int32Array;
  private readonly items: T[];

  /** `entries`: each item with its prefixes; items earlier in the list win ties on identical prefixes. */
  constructor(entries: Array<{ item: T; cidrs: readonly string[] }>) {
    this.items = entries.map((e) => e.item);
    const s4: Span[] = [];
    const s6: Span[] = [];
    let order = 0;
    entries.forEach((e, value) => {
      for (const text of e.cidrs) {
        const c = parseCidr(text);
        if (!c) continue;
        const bits = c.family === 4 ? 32 : 128;
        const size = 1n << BigInt(bits - c.prefix);
        (c.family === 4 ? s4 : s6).push({ start: c.base, end: c.base + size - 1n, prefix: c.prefix, order: order++, value });
      }
    });
    const f4 = flatten(s4, 0xffffffffn);
    this.v4Starts = Uint32Array.from(f4.starts, (b) => Number(b));
    this.v4Values = Int32Array.from(f4.values);
    const f6 = flatten(s6, (1n << 128n) - 1n);
    this.v6Starts = f6.starts;
    this.v6Values = Int32Array.from(f6.values);
  }

  /** IPv4 as an unsigned 32-bit number (what parseIPv4 returns). */
  lookupV4(ip: number): T | undefined {
    const starts = this.v4Starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= ip) lo = mid; else hi = mid - 1;
    }
    const v = this.v4Values[lo];
    return v < 0 ? undefined : this.items[v];
  }

  lookupV6(ip: bigint): T | undefined {
    const starts = this.v6Starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= ip) lo = mid; else hi = mid - 1;
    }
    const v = this.v6Values[lo];
    return v < 0 ? undefined : this.items[v];
  }

  /** Number of disjoint ranges (for tests and sizing). */
  get size(): number {
    return this.v4Starts.length + this.v6Starts.length;
  }
}
