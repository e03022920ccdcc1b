import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from '../../fuzz/design.ts';

test('fuzz smoke: mutated hospital models and edges never crash check, compile, segment, simulate or blast', () => {
  const s = runFuzz(2000, 7);
  assert.equal(s.ok + s.inputErrors, 2000);
  // Some mutations must be refused as input errors and most cases must still run through.
  assert.ok(s.inputErrors > 0 && s.ok > 1000, JSON.stringify(s));
});
