import type { Anomaly } from '../../observations/types.ts';

/** Distinct anomaly entries kept; beyond this only counts grow, so hostile input cannot exhaust memory. */
const MAX_DISTINCT = 200;

/**
 * Collects input anomalies, folding repeats of the same kind and message into
 * one entry with a count; the first location is kept as the example.
 */
export class AnomalyLog {
  readonly #byKey = new Map<string, Anomaly>();
  #dropped = 0;

  add(kind: string, message: string, where?: string): void {
    const key = `${kind}\u0000${message}`;
    const a = this.#byKey.get(key);
    if (a) {
      a.count++;
      return;
    }
    if (this.#byKey.size >= MAX_DISTINCT) {
      this.#dropped++;
      return;
    }
    this.#byKey.set(key, { kind, message, where, count: 1 });
  }

  get total(): number {
    let n = this.#dropped;
    for (const a of this.#byKey.values()) n += a.count;
    return n;
  }

  list(): Anomaly[] {
    const out = [...this.#byKey.values()].map((a) => ({ ...a }));
    if (this.#dropped > 0) out.push({ kind: 'anomalies.truncated', message: 'further distinct anomalies were not kept', count: this.#dropped });
    return out;
  }
}
