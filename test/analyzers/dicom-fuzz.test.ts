/** Smoke run of the DICOM fuzzer (fuzz/dicom.ts runs 100k+ cases). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzDicom } from '../../fuzz/dicom.ts';

test('dicom fuzz smoke: 2000 mutated associations, no throw, bounded output', () => {
  const res = fuzzDicom(2000, 20261128);
  assert.deepEqual(res.failures, []);
  assert.ok(res.records > 0 && res.anomalies > 0, 'mutations both parse and get flagged');
});
