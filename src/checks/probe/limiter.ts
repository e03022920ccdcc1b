/**
 * Connection pacing for a probe run: at most `rate` new connections per
 * second across all workers (a token bucket of one), and at most
 * `concurrency` port probes at once (runPool).
 */
export function rateGate(rate: number): () => Promise<void> {
  const interval = 1000 / Math.max(0.01, rate);
  let next = 0;
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + interval;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  };
}

export async function runPool<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let i = 0;
  const worker = async () => {
    while (i < items.length) {
      const k = i++;
      out[k] = await fn(items[k]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return out;
}
