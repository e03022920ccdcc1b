/**
 * HTTP/1.x message framing for one direction of a connection: finds each
 * message head, hands it over as text, then skips the body (Content-Length,
 * chunked, or until close) without copying it. Heads are copied only when
 * they span chunks.
 */
import type { Direction } from '../../decoders/analyzer.ts';
import { appendBytes } from '../bytes.ts';

/** What the owner decides about the body that follows a head. */
export const BODY_NONE = 0;
export const BODY_UNTIL_CLOSE = -1;
export const BODY_CHUNKED = -2;
/** The connection stops being HTTP (CONNECT, 101 Switching Protocols). */
export const BODY_TUNNEL = -3;
/** The head was not HTTP: stop parsing this direction. */
export const BODY_INVALID = -4;

export interface FramingOwner {
  /** Returns a body length (>= 0) or one of the BODY_* codes. */
  head(dir: Direction, head: string, ts: number): number;
  /** Body bytes of the current message, only valid during the call. */
  body(dir: Direction, chunk: Uint8Array, start: number, end: number): void;
  messageEnd(dir: Direction, ts: number): void;
  /** A message head (at least one) fell into a capture gap: its message is gone. */
  lost(dir: Direction): void;
  anomaly(kind: string, message: string): void;
}

const MAX_HEAD = 64 * 1024;

const S_HEAD = 0;
const S_LENGTH = 1;
const S_CHUNK_SIZE = 2;
const S_CHUNK_EXT = 3;
const S_CHUNK_DATA = 4;
const S_CHUNK_DATA_END = 5;
const S_TRAILER = 6;
const S_UNTIL_CLOSE = 7;
const S_LOST = 8;
const S_DEAD = 9;

const decoder = new TextDecoder('latin1');

export class HttpFraming {
  private state = S_HEAD;
  private remaining = 0;
  private chunkSize = 0;
  private chunkDigits = 0;
  /** Length of the current trailer line, to spot the empty line that ends it. */
  private lineLen = 0;
  private pending: Uint8Array = new Uint8Array(0);
  private pendingLen = 0;
  /** Where the previous scan for the end of the head stopped, so rescans are linear. */
  private scanFrom = 0;
  readonly dir: Direction;
  private readonly owner: FramingOwner;

  constructor(dir: Direction, owner: FramingOwner) {
    this.dir = dir;
    this.owner = owner;
  }

  get dead(): boolean {
    return this.state === S_DEAD;
  }

  /** True while a body is being read until the connection closes. */
  get untilClose(): boolean {
    return this.state === S_UNTIL_CLOSE;
  }

  data(chunk: Uint8Array, ts: number): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case S_HEAD:
          i = this.headBytes(chunk, i, ts);
          break;
        case S_LENGTH: {
          const take = Math.min(this.remaining, n - i);
          this.owner.body(this.dir, chunk, i, i + take);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.finish(ts);
          break;
        }
        case S_CHUNK_SIZE: {
          const c = chunk[i++];
          const v = hexValue(c);
          if (v >= 0) {
            if (this.chunkDigits++ > 12) return this.fail('http.chunk', 'chunk size too long');
            this.chunkSize = this.chunkSize * 16 + v;
          } else if (this.chunkDigits === 0) {
            return this.fail('http.chunk', 'invalid chunk size');
          } else if (c === 10) {
            this.afterChunkSize();
          } else {
            // Extensions, whitespace or the CR: skip to the end of the line.
            this.state = S_CHUNK_EXT;
          }
          break;
        }
        case S_CHUNK_EXT: {
          const lf = chunk.indexOf(10, i);
          if (lf < 0) {
            i = n;
          } else {
            i = lf + 1;
            this.afterChunkSize();
          }
          break;
        }
        case S_CHUNK_DATA: {
          const take = Math.min(this.remaining, n - i);
          this.owner.body(this.dir, chunk, i, i + take);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = S_CHUNK_DATA_END;
          break;
        }
        case S_CHUNK_DATA_END: {
          const c = chunk[i++];
          if (c === 10) {
            this.state = S_CHUNK_SIZE;
            this.chunkSize = 0;
            this.chunkDigits = 0;
          } else if (c !== 13) {
            return this.fail('http.chunk', 'missing CRLF after chunk data');
          }
          break;
        }
        case S_TRAILER: {
          const c = chunk[i++];
          if (c === 10) {
            if (this.lineLen === 0) this.finish(ts);
            this.lineLen = 0;
          } else if (c !== 13) {
            this.lineLen++;
          }
          break;
        }
        case S_UNTIL_CLOSE:
          this.owner.body(this.dir, chunk, i, n);
          i = n;
          break;
        case S_LOST:
          // After a gap, resume at a chunk that starts a message.
          if (looksLikeMessageStart(chunk, i)) this.state = S_HEAD;
          else i = n;
          break;
        default:
          return;
      }
    }
  }

  gap(length: number): void {
    if ((this.state === S_LENGTH || this.state === S_CHUNK_DATA) && length < this.remaining) {
      this.remaining -= length;
      return;
    }
    if (this.state === S_UNTIL_CLOSE || this.state === S_DEAD || this.state === S_LOST) return;
    let headLost = this.state === S_HEAD;
    if (this.state === S_LENGTH) {
      // The body ended inside the gap; whatever followed it began a message head.
      const over = length - this.remaining;
      this.remaining = 0;
      this.finish(0);
      if (over === 0) return;
      headLost = true;
    } else if (this.state !== S_HEAD) {
      // A chunked body cannot be framed across lost bytes: the message ends here.
      this.owner.messageEnd(this.dir, 0);
    }
    if (headLost) this.owner.lost(this.dir);
    this.pendingLen = 0;
    this.scanFrom = 0;
    this.state = S_LOST;
  }

  end(ts: number): void {
    if (this.state === S_UNTIL_CLOSE) this.finish(ts);
    else if (this.state === S_HEAD && this.pendingLen > 0) {
      this.owner.anomaly('http.truncated', 'connection ended inside a message head');
    } else if (this.state !== S_HEAD && this.state !== S_DEAD && this.state !== S_LOST) {
      this.owner.anomaly('http.truncated', 'connection ended inside a message body');
    }
    this.pendingLen = 0;
    this.state = S_DEAD;
  }

  kill(): void {
    this.state = S_DEAD;
    this.pendingLen = 0;
  }

  private afterChunkSize(): void {
    if (this.chunkSize === 0) {
      this.state = S_TRAILER;
      this.lineLen = 0;
    } else {
      this.remaining = this.chunkSize;
      this.state = S_CHUNK_DATA;
    }
  }

  private finish(ts: number): void {
    this.state = S_HEAD;
    this.owner.messageEnd(this.dir, ts);
  }

  private fail(kind: string, message: string): void {
    this.owner.anomaly(kind, message);
    this.state = S_LOST;
    this.pendingLen = 0;
  }

  /** Consumes head bytes from chunk[i..]; returns the next index. */
  private headBytes(chunk: Uint8Array, i: number, ts: number): number {
    if (this.pendingLen === 0) {
      // Skip blank lines between messages (RFC 9112 2.2).
      while (i < chunk.length && (chunk[i] === 13 || chunk[i] === 10)) i++;
      if (i === chunk.length) return i;
      const end = findHeadEnd(chunk, i, i);
      if (end >= 0) {
        this.dispatch(decoder.decode(chunk.subarray(i, end)), ts);
        return end;
      }
      this.append(chunk, i, chunk.length);
      return chunk.length;
    }
    // The head spans chunks: gather it.
    const before = this.pendingLen;
    const take = Math.min(chunk.length - i, MAX_HEAD + 4 - before);
    this.append(chunk, i, i + take);
    const end = findHeadEnd(this.pending.subarray(0, this.pendingLen), this.scanFrom, 0);
    if (end >= 0) {
      const text = decoder.decode(this.pending.subarray(0, end));
      this.pendingLen = 0;
      this.scanFrom = 0;
      this.dispatch(text, ts);
      return i + (end - before);
    }
    this.scanFrom = Math.max(0, this.pendingLen - 3);
    if (this.pendingLen > MAX_HEAD) {
      this.pendingLen = 0;
      this.scanFrom = 0;
      this.fail('http.head-too-large', `message head larger than ${MAX_HEAD} bytes`);
    }
    return i + take;
  }

  private dispatch(head: string, ts: number): void {
    const plan = this.owner.head(this.dir, head, ts);
    if (plan === BODY_INVALID) {
      this.state = S_DEAD;
    } else if (plan === BODY_TUNNEL) {
      this.owner.messageEnd(this.dir, ts);
      this.state = S_DEAD;
    } else if (plan === BODY_UNTIL_CLOSE) {
      this.state = S_UNTIL_CLOSE;
    } else if (plan === BODY_CHUNKED) {
      this.state = S_CHUNK_SIZE;
      this.chunkSize = 0;
      this.chunkDigits = 0;
    } else if (plan > 0) {
      this.state = S_LENGTH;
      this.remaining = plan;
    } else {
      this.owner.messageEnd(this.dir, ts);
      this.state = S_HEAD;
    }
  }

  private append(src: Uint8Array, from: number, to: number): void {
    this.pending = appendBytes(this.pending, this.pendingLen, src, from, to);
    this.pendingLen += to - from;
  }
}

/** Index just past the blank line ending a head that starts at `start`, or -1. Accepts bare LF line ends. */
function findHeadEnd(buf: Uint8Array, from: number, start: number): number {
  let i = Math.max(from, start);
  for (;;) {
    const lf = buf.indexOf(10, i);
    if (lf < 0) return -1;
    if (lf + 1 < buf.length && buf[lf + 1] === 10) return lf + 2;
    if (lf + 2 < buf.length && buf[lf + 1] === 13 && buf[lf + 2] === 10) return lf + 3;
    i = lf + 1;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const STARTS = ['GET ', 'POST ', 'PUT ', 'HEAD ', 'DELETE ', 'OPTIONS ', 'PATCH ', 'CONNECT ', 'TRACE ', 'HTTP/1.'];

function looksLikeMessageStart(chunk: Uint8Array, i: number): boolean {
  for (const s of STARTS) {
    if (chunk.length - i < s.length) continue;
    let ok = true;
    for (let k = 0; k < s.length; k++) {
      if (chunk[i + k] !== s.charCodeAt(k)) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}
