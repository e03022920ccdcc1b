/**
 * Tails conn.log in a Zeek log directory across rotation. Zeek renames the
 * live conn.log (to conn.<timestamp>.log) and opens a new one: the tailer
 * keeps its descriptor on the renamed file, reads it to the end, then
 * switches to the new file by inode. Truncation restarts at offset 0.
 *
 * Restarts: `position()` is where the lines handed out so far end (a line
 * boundary) plus what is needed to parse on from there (the header lines);
 * the monitor commits it with the window those lines fed. Given that
 * position back, the tailer resumes in the same file (found by device and
 * inode, also when it was rotated away while the monitor was down) if the
 * file still holds those bytes and starts with the same bytes as before;
 * otherwise it starts conn.log at offset 0.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineSplitter, ZeekConnParser, type ZeekConn } from '../sources/zeek/index.ts';

export interface TailPosition {
  /** "device:inode" of the file. */
  file: string;
  /** Byte offset just after the last complete line handed out. */
  offset: number;
  /** Lines read up to offset (for anomaly locations). */
  line: number;
  /** The current header's directive lines (#separator, #fields...), in file order. */
  header: string[];
  /** sha256 (hex) of the first fingerprintLen bytes of the file. */
  fingerprint: string;
  fingerprintLen: number;
}

/** How the tailer started: where a stored position led. */
export type ResumeOutcome = 'fresh' | 'resumed' | 'resumed-rotated' | 'stale';

/** Directives that shape parsing (#close too: data after it is parsed with default columns); a new #separator starts a new header. */
const HEADER_KEYS = new Set(['#separator', '#set_separator', '#empty_field', '#unset_field', '#path', '#open', '#fields', '#types', '#close']);
/** Bytes of the file start compared on resume: covers Zeek's header with its #open time. */
const FINGERPRINT_MAX = 4096;

export class ZeekTailer {
  readonly dir: string;
  parser: ZeekConnParser;
  #fd = -1;
  /** The file last opened ("device:inode"); kept after close for the final position. */
  #file: string | undefined;
  #offset = 0;
  /** Offset just after the last newline read: where a restart may resume. */
  #lineEnd = 0;
  #header = new Map<string, string>();
  #fingerprint = '';
  #fingerprintLen = 0;
  #splitter: LineSplitter;
  readonly #buf = Buffer.allocUnsafe(256 * 1024);
  #timer: NodeJS.Timeout | undefined;
  readonly #onConn: (c: ZeekConn) => void;
  rotations = 0;
  /** Set by the constructor when a position was given. */
  readonly resume: ResumeOutcome;

  constructor(dir: string, onConn: (c: ZeekConn) => void, opts: { resume?: TailPosition } = {}) {
    this.dir = dir;
    this.#onConn = onConn;
    this.parser = new ZeekConnParser(onConn, { file: 'conn.log' });
    this.#splitter = new LineSplitter(this.#line);
    this.resume = opts.resume ? this.#resumeAt(opts.resume) : 'fresh';
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
    const id = fileId(this.path);
    if (!id) return;
    if (this.#fd >= 0 && id !== this.#file) {
      // Rotated: the old file was drained above; the new one starts with its own header.
      this.#close();
      this.rotations++;
    }
    if (this.#fd < 0) {
      if (!this.#open(this.path)) return;
      this.#restart();
    }
    this.#drain();
  }

  /** Where the lines handed out so far end; undefined before any file was opened. */
  position(): TailPosition | undefined {
    if (this.#file === undefined) return undefined;
    return {
      file: this.#file, offset: this.#lineEnd, line: this.parser.lineNo, header: [...this.#header.values()],
      fingerprint: this.#fingerprint, fingerprintLen: this.#fingerprintLen,
    };
  }

  /** Opens the stored file again (conn.log, or a rotated file of the directory) if it is still that file. */
  #resumeAt(p: TailPosition): ResumeOutcome {
    const candidates = [this.path];
    try {
      for (const name of readdirSync(this.dir).sort()) if (name !== 'conn.log') candidates.push(join(this.dir, name));
    } catch {
      // unreadable directory: poll() reports nothing either
    }
    for (const path of candidates) {
      if (fileId(path) !== p.file) continue;
      if (!this.#open(path)) continue;
      const same = p.fingerprintLen === 0 ? p.offset === 0 : p.fingerprintLen <= p.offset && this.#hashHead(p.fingerprintLen) === p.fingerprint;
      if (fstatSync(this.#fd).size < p.offset || !same) {
        this.#close();
        return 'stale';
      }
      this.#restart();
      // The header is parsed again (so are the columns), then the file continues where the committed lines ended.
      for (const h of p.header) this.#line(h);
      this.parser.lineNo = p.line;
      this.#offset = this.#lineEnd = p.offset;
      this.#fingerprint = p.fingerprint;
      this.#fingerprintLen = p.fingerprintLen;
      return path === this.path ? 'resumed' : 'resumed-rotated';
    }
    return 'stale';
  }

  /** Every line passes here: directives are remembered so that a restart can parse on mid-file. */
  readonly #line = (l: string): void => {
    const c0 = l.charCodeAt(0);
    // The parser also accepts a directive after stray whitespace (seen in hand-edited logs).
    if (c0 === 35 /* # */ || ((c0 === 9 || c0 === 32) && l.trimStart().startsWith('#'))) {
      const key = /^\s*(#[a-z_]+)/.exec(l)?.[1] ?? '';
      if (key === '#separator') this.#header.clear();
      if (HEADER_KEYS.has(key)) this.#header.set(key, l);
    }
    this.parser.line(l);
  };

  #open(path: string): boolean {
    try {
      this.#fd = openSync(path, 'r');
    } catch {
      return false;
    }
    const st = fstatSync(this.#fd, { bigint: true });
    this.#file = `${st.dev}:${st.ino}`;
    return true;
  }

  /** A file read from its start: a fresh parser reads its own #fields header. */
  #restart(): void {
    this.#offset = 0;
    this.#lineEnd = 0;
    this.#header = new Map();
    this.#fingerprint = '';
    this.#fingerprintLen = 0;
    this.#splitter = new LineSplitter(this.#line);
    this.parser = new ZeekConnParser(this.#onConn, { file: 'conn.log', anomalies: this.parser.anomalies });
  }

  #drain(): void {
    const size = fstatSync(this.#fd).size;
    if (size < this.#offset) this.#restart();
    for (;;) {
      const n = readSync(this.#fd, this.#buf, 0, this.#buf.length, this.#offset);
      if (n <= 0) break;
      const nl = this.#buf.lastIndexOf(10, n - 1);
      const at = this.#offset;
      this.#offset += n;
      this.#splitter.push(this.#buf.subarray(0, n));
      if (nl >= 0) this.#lineEnd = at + nl + 1;
    }
    // Only while the file is young: the fingerprint grows with it up to FINGERPRINT_MAX bytes of whole lines.
    const want = Math.min(this.#lineEnd, FINGERPRINT_MAX);
    if (want > this.#fingerprintLen) {
      this.#fingerprint = this.#hashHead(want);
      this.#fingerprintLen = want;
    }
  }

  #hashHead(len: number): string {
    const b = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.#fd, b, got, len - got, got);
      if (n <= 0) break;
      got += n;
    }
    return createHash('sha256').update(b.subarray(0, got)).digest('hex');
  }

  #close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#fd >= 0) this.#drain();
    this.#close();
  }
}

/** "device:inode" of path; undefined when it does not exist. */
function fileId(path: string): string | undefined {
  try {
    const st = statSync(path, { bigint: true, throwIfNoEntry: false });
    return st ? `${st.dev}:${st.ino}` : undefined;
  } catch {
    return undefined;
  }
}
