import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzz } from '../../fuzz/audit.ts';

test('fuzz smoke: 3000 mutated configurations never throw or hang the readers and the audit', () => {
  const { failures } = fuzz(3000, 7);
  assert.deepEqual(failures, []);
});
