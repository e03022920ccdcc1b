import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzFeeds } from '../../fuzz/feeds.ts';

test('fuzz smoke: 3000 mutated feeds and SBOMs only ever raise InputError', () => {
  // A generous hang threshold: CI runs the whole suite on two busy cores.
  const res = fuzzFeeds(3000, 20261128, 10_000);
  assert.deepEqual(res.failures, []);
  // Both paths are exercised: files rejected with a location and files that parse (partly) anyway.
  assert.ok(res.inputErrors > 300, `${res.inputErrors} InputErrors`);
  assert.ok(res.parsed > 300, `${res.parsed} parsed`);
});
