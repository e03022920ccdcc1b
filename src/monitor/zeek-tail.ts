/**
 * Tails conn.log in a Zeek log directory across rotation. Zeek renames the
 * live conn.log (to conn.<timestamp>.log) and opens a new one: the tailer
 * keeps its descriptor on the renamed file, reads it to the end, then
 * switches to the new file by inode. Truncation restarts at offset 0.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineSplitter, ZeekConnParser, type ZeekConn } from '../sources/zeek/index.ts';

export class ZeekTailer {
  readonly dir: string;
  parser: ZeekConnParser;
  #fd = -1;
  #ino = -1;
  #offset = 0;
  #splitter: LineSplitter;
  readonly #buf = Buffer.allocUnsafe(256 * 1024);
  #timer: NodeJS.Timeout | undefined;
  readonly #onConn: (c: ZeekConn) => void;
  rotations = 0;

  constructor(dir: string, onConn: (c: ZeekConn) => void) {
    this.dir = dir;
    this.#onConn = onConn;
    this.parser = new ZeekConnParser(onConn, { file: 'conn.log' });
    this.#splitter = new LineSplitter((l) => this.parser.line(l));
  }

  get path(): string {
    return join(this.dir, 'conn.log');
  }

  start(pollMs = 250): void {
    this.poll();
    this.#timer = setInterval(() => this.poll(), pollMs);
  }

  /** Reads whatever is new; call it directly in tests for determinism. */
  poll(): void {
    if (this.#fd >= 0) this.#drain();
    let st: { ino: number; size: number } | undefined;
    try {
      st = existsSync(this.path) ? statSync(this.path) : undefined;
    } catch {
      st = undefined;
    }
    if (!st) return;
    if (this.#fd >= 0 && st.ino !== this.#ino) {
      // Rotated: the old file was drained above; the new one starts with its own header.
      this.#close();
      this.rotations++;
    }
    if (this.#fd < 0) {
      try {
        this.#fd = openSync(this.path, 'r');
      } catch {
        return;
      }
      this.#ino = fstatSync(this.#fd).ino;
      this.#offset = 0;
      this.#splitter = new LineSplitter((l) => this.parser.line(l));
      this.#resetParser();
    }
    this.#drain();
  }

  #resetParser(): void {
    // A new file has its own #fields header: a fresh parser reads it.
    this.parser = new ZeekConnParser(this.#onConn, { file: 'conn.log', anomalies: this.parser.anomalies });
  }

  #drain(): void {
    const size = fstatSync(this.#fd).size;
    if (size < this.#offset) {
      this.#offset = 0;
      this.#splitter = new LineSplitter((l) => this.parser.line(l));
      this.#resetParser();
    }
    for (;;) {
      const n = readSync(this.#fd, this.#buf, 0, this.#buf.length, this.#offset);
      if (n <= 0) break;
      this.#offset += n;
      this.#splitter.push(this.#buf.subarray(0, n));
    }
  }

  #close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
    this.#ino = -1;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#fd >= 0) this.#drain();
    this.#close();
  }
}
