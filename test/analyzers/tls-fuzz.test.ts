import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzz } from '../../fuzz/tls.ts';

test('fuzz smoke: 3000 mutated TLS handshakes never throw, hang or produce a malformed JA4', () => {
  const res = fuzz(3000, 12);
  assert.deepEqual(res.failures, []);
  assert.ok(res.records > 0, 'mutated handshakes still decode');
});
