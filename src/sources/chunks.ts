/** The byte chunks of a file path, a stream or an async iterable, as the flow-log readers take them. */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

export type ChunkInput = string | Readable | AsyncIterable<Uint8Array>;

export async function* inputChunks(input: ChunkInput): AsyncIterable<Uint8Array> {
  const src = typeof input === 'string' ? createReadStream(input) : input;
  // A stream with an encoding set yields strings; the readers parse bytes.
  for await (const c of src as AsyncIterable<Uint8Array | string>) yield typeof c === 'string' ? Buffer.from(c) : c;
}
