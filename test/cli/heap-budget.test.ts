import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapStatistics } from 'node:v8';
import { HeapBudget } from '../../src/cli/heap-budget.ts';

test('the heap budget tightens growth only once the heap has passed its threshold', () => {
  const heapMb = getHeapStatistics().total_heap_size / 1048576;
  const roomy = new HeapBudget(heapMb + 4096);
  roomy.check();
  assert.equal(roomy.tightened, false);
  const small = new HeapBudget(1);
  small.check();
  assert.equal(small.tightened, true);
  small.check();
  assert.equal(small.tightened, true);
});
