/** Smoke run of the HL7 fuzzer (fuzz/hl7.ts runs 100k+ cases). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzHl7 } from '../../fuzz/hl7.ts';

test('hl7 fuzz smoke: 3000 mutated MLLP streams, no throw, bounded output', () => {
  const res = fuzzHl7(3000, 20261128);
  assert.deepEqual(res.failures, []);
  assert.ok(res.records > 0 && res.anomalies > 0, 'mutations both parse and get flagged');
});
