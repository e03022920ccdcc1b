import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzz } from '../../fuzz/http.ts';

test('fuzz smoke: 3000 mutated HTTP streams never throw, hang or report a planted credential', () => {
  const res = fuzz(3000, 11);
  assert.deepEqual(res.failures, []);
  assert.ok(res.records > 0, 'mutated streams still decode');
});
