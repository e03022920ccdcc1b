/** A short run of the NetFlow/IPFIX fuzzer (fuzz/netflow.ts runs 100k+): mutated real export datagrams never throw. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runNetflowFuzz } from '../../fuzz/netflow.ts';

test('3000 mutated export sessions and pcaps decode without a failure', () => {
  const res = runNetflowFuzz(3000, 20261128);
  assert.deepEqual(res.failures, []);
  assert.equal(res.cases, 3000);
  assert.ok(res.records > 0, 'mutations keep much of the input decodable');
  assert.ok(res.anomalies > 0, 'and much of it is reported as broken');
});
