/**
 * Keeps a long discovery run's heap near what it holds. V8 lets the old
 * generation grow to several times its live size between full collections,
 * which is right for short runs (fewer collections) but makes peak memory
 * grow with the input: the same 250 MB mix given four times in one run
 * (the same flows, 1 GB read) peaked at 227 MB against 161 MB for one.
 * Once the heap passes `tightenAtMb`, growth is held to twice the live size
 * (V8's --heap-growing-percent=100, set at run time): the 1 GB run then
 * peaked at 188-190 MB, the single 250 MB one at 160-180 MB, within the
 * noise of its time; runs whose heap stays small keep V8's default.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

export class HeapBudget {
  readonly #limit: number;
  #tightened = false;

  constructor(tightenAtMb = 80) {
    this.#limit = tightenAtMb * 1024 * 1024;
  }

  /** Call now and then (every few tens of thousands of packets): cheap. */
  check(): void {
    if (this.#tightened) return;
    if (getHeapStatistics().total_heap_size < this.#limit) return;
    this.#tightened = true;
    setFlagsFromString('--heap-growing-percent=100');
  }

  get tightened(): boolean {
    return this.#tightened;
  }
}
