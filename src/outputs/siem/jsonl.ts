/** JSON lines, one event per line, to a file (appended) or stdout. */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { newSinkStats, type SiemEvent, type Sink, type SinkStats } from './event.ts';

export class JsonlSink implements Sink {
  readonly name: string;
  readonly stats: SinkStats = newSinkStats();
  readonly #out: NodeJS.WritableStream;
  readonly #file: WriteStream | undefined;
  readonly #format: (ev: SiemEvent) => string;
  #pending = 0;
  #waiters: Array<() => void> = [];

  /** `target` is a path or "-" for stdout; `format` renders one line (JSON by default, CEF for --cef FILE). */
  constructor(target: string, format: (ev: SiemEvent) => string = (ev) => JSON.stringify(ev)) {
    this.name = target === '-' ? 'stdout' : target;
    this.#format = format;
    if (target === '-') this.#out = process.stdout;
    else {
      mkdirSync(dirname(target), { recursive: true });
      this.#file = createWriteStream(target, { flags: 'a' });
      this.#file.on('error', () => { this.stats.failed++; });
      this.#out = this.#file;
    }
  }

  send(ev: SiemEvent): void {
    this.#pending++;
    this.#out.write(`${this.#format(ev)}\n`, (err) => {
      this.#pending--;
      if (err) this.stats.failed++;
      else this.stats.sent++;
      if (this.#pending === 0) {
        const w = this.#waiters;
        this.#waiters = [];
        for (const f of w) f();
      }
    });
  }

  async flush(): Promise<void> {
    if (this.#pending === 0) return;
    await new Promise<void>((r) => this.#waiters.push(r));
  }

  async close(): Promise<void> {
    await this.flush();
    const f = this.#file;
    if (f) await new Promise<void>((r) => f.end(() => r()));
  }
}
