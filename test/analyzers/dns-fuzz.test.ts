import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzz } from '../../fuzz/dns.ts';

test('fuzz smoke: 4000 mutated DNS messages (UDP and TCP) never throw or hang', () => {
  const res = fuzz(4000, 13);
  assert.deepEqual(res.failures, []);
  assert.ok(res.records > 0, 'mutated messages still decode');
});
