/** A short run of the Zeek conn.log fuzzer (fuzz/zeek.ts runs 100k+): mutated real logs never throw. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runZeekFuzz } from '../../fuzz/zeek.ts';

test('2000 mutated conn.log windows parse without a failure', () => {
  const res = runZeekFuzz(2000, 20261128);
  assert.deepEqual(res.failures, []);
  assert.equal(res.cases, 2000);
  assert.ok(res.records > 0);
  assert.ok(res.anomalies > 0);
});
