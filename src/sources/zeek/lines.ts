/**
 * Splits a byte stream into text lines across chunk boundaries. Only a line
 * that spans chunks is copied; the monitor reuses it to tail a growing log.
 */
export class LineSplitter {
  readonly #onLine: (line: string) => void;
  readonly #decoder = new TextDecoder('utf-8', { fatal: false });
  #carry: Uint8Array | undefined;
  /** Lines longer than this are cut, so a file without newlines cannot exhaust memory. */
  readonly maxLine: number;
  /** Lines that hit `maxLine`. */
  overlong = 0;

  constructor(onLine: (line: string) => void, opts: { maxLine?: number } = {}) {
    this.#onLine = onLine;
    this.maxLine = opts.maxLine ?? 1024 * 1024;
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      let piece = chunk.subarray(start, i);
      if (this.#carry) {
        piece = concat(this.#carry, piece);
        this.#carry = undefined;
      }
      this.#emit(piece);
      start = i + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      // new Uint8Array copies even when the chunk is a Buffer (whose slice() is a view into memory the caller may reuse).
      this.#carry = this.#carry ? concat(this.#carry, rest) : new Uint8Array(rest);
      if (this.#carry.length > this.maxLine) {
        this.overlong++;
        this.#emit(this.#carry.subarray(0, this.maxLine));
        this.#carry = undefined;
      }
    }
  }

  /** Flushes a last line without a newline (a log still being written, or cut short). */
  end(): void {
    if (this.#carry && this.#carry.length > 0) this.#emit(this.#carry);
    this.#carry = undefined;
  }

  #emit(bytes: Uint8Array): void {
    const n = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
    this.#onLine(this.#decoder.decode(bytes.subarray(0, n)));
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
