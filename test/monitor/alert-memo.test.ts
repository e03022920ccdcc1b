/**
 * The alert memo stays bounded: an entry stops saving store writes once it
 * is touchEveryMs old, so it is forgotten then, whether the alert resolved
 * here, elsewhere, or never came back; forgetting moves the epoch so that
 * cached copies ask again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Finding } from '../../src/core/finding.ts';
import { AlertMemo, observeFindings, resolveStale } from '../../src/monitor/alerts.ts';
import { openStore } from '../../src/store/open.ts';

const TMP = mkdtempSync(join(tmpdir(), 'wl-alert-memo-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

function finding(i: number): Finding {
  return { id: `memo.test:${i}`, rule: 'memo.test', title: `test ${i}`, severity: 'medium', source: 'monitor', subject: `10.0.0.${i % 250}`, evidence: {}, references: [] };
}

test('entries older than the touch interval are forgotten, and the epoch moves', () => {
  const memo = new AlertMemo(1000);
  for (let i = 0; i < 100; i++) memo.touched.set(`a${i}`, i < 60 ? 0 : 900);
  const epoch = memo.epoch;
  memo.forgetStale(1500);
  assert.equal(memo.touched.size, 40);
  assert.ok([...memo.touched.values()].every((t) => t === 900));
  assert.equal(memo.epoch, epoch + 1);
  memo.forgetStale(1500);
  assert.equal(memo.epoch, epoch + 1, 'nothing forgotten: the epoch stays');
});

test('through the store: alerts that stopped coming leave the memo at the next resolution pass, resolved or not', async () => {
  const db = await openStore(join(TMP, 'memo.db'));
  try {
    const memo = new AlertMemo(1000);
    const many = Array.from({ length: 500 }, (_, i) => finding(i));
    await db.tx((t) => observeFindings(t, many, 10_000, '', memo));
    assert.equal(memo.touched.size, 500);
    // Another process resolved them (or they are still open): either way this memo must not keep them.
    await db.tx((t) => resolveStale(t, 10_500, 60_000, '', memo));
    assert.equal(memo.touched.size, 500, 'within the touch interval they still save writes');
    await db.tx((t) => observeFindings(t, many.slice(0, 3), 11_200, '', memo));
    await db.tx((t) => resolveStale(t, 11_200, 60_000, '', memo));
    assert.equal(memo.touched.size, 3, 'only the ones touched within the interval remain');
  } finally {
    await db.close();
  }
});
