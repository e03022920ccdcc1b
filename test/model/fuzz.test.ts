import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzModel } from '../../fuzz/model.ts';

test('fuzz smoke: 2000 mutated models only ever raise InputError', () => {
  // A generous hang threshold: CI runs the whole suite on two busy cores.
  const res = fuzzModel(2000, 20261128, 10_000);
  assert.deepEqual(res.failures, []);
  // Both paths are exercised: broken YAML and models that parse but have problems.
  assert.ok(res.inputErrors > 100, `${res.inputErrors} InputErrors`);
  assert.ok(res.withProblems > 100, `${res.withProblems} with problems`);
});
