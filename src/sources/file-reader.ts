/**
 * Reads a regular file chunk by chunk for a synchronous consumer, with
 * readSync into one reused buffer.
 *
 * Not read ahead on another thread: measured on the bench files, a read on
 * libuv's pool with a promise per chunk cost an event-loop turn per chunk
 * (more than the page-cache copy it hid), and a reader thread handing over
 * shared buffers through Atomics takes 30-45 ms to start and competes with the
 * garbage collector's helpers for the second core; plain readSync was the
 * fastest of the three on both the packet mix and the bulk C-STORE capture.
 *
 * A chunk is valid only during the callback: its buffer is reused.
 */

// Not an ESM import: see cli/main.ts.
const { closeSync, openSync, readSync } = process.getBuiltinModule('node:fs');

/**
 * Calls `cb` with each chunk of the file in order until the end or until it
 * returns false; returns the bytes delivered. A read error throws, after the
 * chunks before it were delivered.
 */
export function forEachFileChunk(path: string, cb: (chunk: Uint8Array) => boolean | void, chunkSize = 1 << 20): number {
  const fd = openSync(path, 'r');
  const buf = new Uint8Array(chunkSize);
  let pos = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, chunkSize, pos);
      if (n === 0) return pos;
      pos += n;
      if (cb(buf.subarray(0, n)) === false) return pos;
    }
  } finally {
    closeSync(fd);
  }
}
