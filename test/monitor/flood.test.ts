/**
 * Flood: NetFlow v5 export at a fixed rate into the running monitor for
 * WARDLINE_FLOOD_SECONDS (default 60, the duration issue #7 asks for; set it
 * lower for a quick local run; bench/monitor.ts finds the highest rate held).
 * Every record sent must be received and folded: the monitor's counter equals
 * the sender's, and no drops are reported. The rate held is a diagnostic.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { REPO } from '../helpers/corpus.ts';
import { flood, metric, sleep, startMonitor, started, v5Datagrams } from './harness.ts';

const TMP = mkdtempSync(join(tmpdir(), 'wl-monitor-flood-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
const SECONDS = Number(process.env.WARDLINE_FLOOD_SECONDS ?? 60);
const RATE = Number(process.env.WARDLINE_FLOOD_RATE ?? 25_000);

test(`flood: ${RATE} NetFlow records/s for ${SECONDS} s, records received == records sent`, { timeout: (SECONDS + 90) * 1000 }, async (t) => {
  const m = startMonitor(['--model', join(REPO, 'examples', 'hospital'), '--netflow', '0', '--health', '0', '--window', '1s', '--db', join(TMP, 'flood.db')]);
  try {
    const { netflow, health } = await started(m);
    const datagrams = v5Datagrams(2000, 30, 2000);
    const r = await flood([netflow!], datagrams, 30, RATE, SECONDS);
    let got = -1;
    for (let i = 0, last = -2; i < 100; i++) {
      got = await metric(health!, 'wardline_monitor_records_total');
      if (got === r.records || got === last) break;
      last = got;
      await sleep(200);
    }
    // The rate held, for the report (TAP diagnostic and the spec reporter's summary).
    t.diagnostic(`rate held: ${Math.round(r.rate)} records/s for ${SECONDS} s; sent ${r.records} records in ${r.datagrams} datagrams, received ${got}`);
    assert.equal(got, r.records, 'records received == records sent');
    assert.equal(await metric(health!, 'wardline_monitor_drops_total'), 0);
    assert.ok(r.rate >= RATE * 0.9, `the sender held the rate (${Math.round(r.rate)}/s)`);
    m.proc.kill('SIGTERM');
    assert.equal(await m.exited, 0);
  } finally {
    if (m.proc.exitCode === null) m.proc.kill('SIGKILL');
  }
});
