/**
 * Per-rule token buckets: a burst of alerts of one rule is forwarded up to
 * `burst`, then at `perMinute`; the rest are stored but not forwarded, and
 * one summary per rule says how many were held back.
 */
export interface RateLimitOptions {
  burst: number;
  perMinute: number;
}

interface Bucket {
  tokens: number;
  at: number;
  suppressed: number;
}

export class RateLimiter {
  readonly #o: RateLimitOptions;
  readonly #buckets = new Map<string, Bucket>();

  constructor(o: RateLimitOptions) {
    this.#o = o;
  }

  /** True when an alert of `rule` may be forwarded now. */
  take(rule: string, now: number): boolean {
    let b = this.#buckets.get(rule);
    if (!b) this.#buckets.set(rule, (b = { tokens: this.#o.burst, at: now, suppressed: 0 }));
    b.tokens = Math.min(this.#o.burst, b.tokens + ((now - b.at) / 60_000) * this.#o.perMinute);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    b.suppressed++;
    return false;
  }

  /** Rules with alerts held back since the last call, and how many; resets the counts. */
  drainSuppressed(): Array<{ rule: string; count: number }> {
    const out: Array<{ rule: string; count: number }> = [];
    for (const [rule, b] of this.#buckets) {
      if (b.suppressed > 0) out.push({ rule, count: b.suppressed });
      b.suppressed = 0;
    }
    return out;
  }
}
