/**
 * Long store loops (thousands of upserts per window on a synchronous SQLite)
 * would keep the event loop from reading the NetFlow socket, and the kernel
 * drops datagrams once its buffer fills. Yielding every few hundred steps
 * lets the socket drain into the next window meanwhile.
 */
export class Yielder {
  #n = 0;
  readonly #every: number;

  constructor(every = 200) {
    this.#every = every;
  }

  async step(): Promise<void> {
    if (++this.#n % this.#every === 0) await new Promise<void>((r) => setImmediate(r));
  }
}
