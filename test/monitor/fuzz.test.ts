/** A short run of the monitor fuzzer (fuzz/monitor.ts): mutated sensor batches are refused or decoded, evaluated and formatted without an exception or a hang. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzz } from '../../fuzz/monitor.ts';

test('monitor fuzz smoke: 3000 mutated sensor batches', { timeout: 120_000 }, async () => {
  const s = await fuzz(3000, 20261128);
  assert.equal(s.cases, 3000);
  assert.ok(s.accepted > 300, `${s.accepted} accepted: mutations keep some batches valid`);
  assert.ok(s.refused > 300, `${s.refused} refused: mutations reach the checks`);
  assert.ok(s.dropped > 0, 'malformed parts inside accepted batches are dropped');
  assert.ok(s.findings > 0, 'accepted batches reach the window check');
});
