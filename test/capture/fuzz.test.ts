/** A short run of the capture fuzzer (fuzz/capture.ts): no exception, no hang, on mutated real captures, fragmented ones among them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzz } from '../../fuzz/capture.ts';

test('capture fuzz smoke: 3000 mutated captures decode without throwing or hanging', () => {
  const s = fuzz(3000, 20261128);
  assert.equal(s.cases, 3000);
  assert.ok(s.packets > 10_000, `${s.packets} packets decoded`);
  assert.ok(s.warnings > 0, 'mutations reach the truncation/corruption paths');
  assert.ok(s.anomalies > 0, 'mutations reach the decoders');
  // Fragmented samples: datagrams are rebuilt, and mutated fragments reach overlap, timeout and malformed paths.
  assert.ok(s.reassembled > 0, `${s.reassembled} datagrams rebuilt from ${s.fragments} fragments`);
  assert.ok(s.fragmentAnomalies > 0, `${s.fragmentAnomalies} fragment anomalies`);
});
