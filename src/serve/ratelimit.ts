/**
 * Login rate limit: failed attempts per client address and per user name in
 * a sliding window; past the limit every attempt is refused (429) until the
 * window has moved on, whether or not the password would have been right.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  readonly limit: number;
  readonly windowMs: number;

  constructor(opts: { limit?: number; windowMs?: number } = {}) {
    this.limit = opts.limit ?? 5;
    this.windowMs = opts.windowMs ?? 5 * 60_000;
  }

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Milliseconds until another attempt is allowed for these keys; 0 when allowed now. */
  retryAfter(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const k of keys) {
      const list = this.recent(k, now);
      if (list.length >= this.limit) wait = Math.max(wait, list[list.length - this.limit] + this.windowMs - now);
    }
    return wait;
  }

  fail(keys: string[], now = Date.now()): void {
    for (const k of keys) {
      const list = this.recent(k, now);
      list.push(now);
      this.failures.set(k, list);
    }
    // Bound memory under a spray of names or addresses.
    if (this.failures.size > 50_000) for (const k of [...this.failures.keys()].slice(0, 10_000)) this.failures.delete(k);
  }

  succeed(keys: string[]): void {
    for (const k of keys) this.failures.delete(k);
  }
}
