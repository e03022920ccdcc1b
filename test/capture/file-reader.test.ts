/**
 * The plain-file reader: every byte delivered once and in order, whatever
 * the chunk size; the consumer can stop it; a read error comes after the
 * chunks before it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { forEachFileChunk } from '../../src/sources/file-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'wl-file-reader-'));
writeFileSync(join(dir, 'empty'), '');
after(() => rmSync(dir, { recursive: true, force: true }));

test('every byte arrives once, in order, for chunk sizes that divide the file and ones that do not', () => {
  const data = randomBytes(100_003);
  const path = join(dir, 'data.bin');
  writeFileSync(path, data);
  for (const size of [1 << 10, 4096, 99_999, 100_003, 1 << 20]) {
    const parts: Buffer[] = [];
    const n = forEachFileChunk(path, (c) => {
      assert.ok(c.length > 0 && c.length <= size);
      parts.push(Buffer.from(c));
    }, size);
    assert.equal(n, data.length);
    assert.ok(Buffer.concat(parts).equals(data), `chunk size ${size}`);
  }
  assert.equal(forEachFileChunk(join(dir, 'empty'), () => assert.fail('no chunk for an empty file'), 1024), 0);
});

test('the consumer stops the reading by returning false', () => {
  const path = join(dir, 'stop.bin');
  writeFileSync(path, randomBytes(10_000));
  let calls = 0;
  const n = forEachFileChunk(path, () => ++calls < 3, 1000);
  assert.equal(calls, 3);
  assert.equal(n, 3000);
});

test('a read error is thrown, not swallowed', () => {
  const d = join(dir, 'a-directory');
  mkdirSync(d);
  assert.throws(() => forEachFileChunk(d, () => {}, 1024), /EISDIR/);
});
