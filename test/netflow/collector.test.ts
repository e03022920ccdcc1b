/** The live collector receives softflowd's IPFIX export of the lab capture on loopback and decodes what nfdump's reference totals say. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { NetflowCollector, type TemplateEvent } from '../../src/sources/netflow/index.ts';
import { corpusFile } from '../helpers/corpus.ts';

const run = promisify(execFile);

test('softflowd -> collector on loopback: every flow, the lab reference totals, templates expire', { timeout: 120_000 }, async () => {
  let flows = 0;
  let packets = 0;
  let bytes = 0;
  const expired: TemplateEvent[] = [];
  const c = new NetflowCollector({
    port: 0,
    onRecord(r) {
      flows++;
      packets += r.packets;
      bytes += r.bytes;
    },
    onExpire: (e) => expired.push(e),
  });
  await c.start();
  try {
    await run('timeout', ['120', 'softflowd', '-d', '-r', corpusFile('lab', 'lab_hospital.pcap'), '-n', `127.0.0.1:${c.port}`, '-v', '10', '-A', 'milli', '-T', 'full']);
    for (let i = 0, last = -1; i < 50 && last !== c.decoder.stats.datagrams; i++) {
      last = c.decoder.stats.datagrams;
      await new Promise((r) => setTimeout(r, 100));
    }
    // nfdump's reading of the same softflowd export (corpus lab/lab_hospital_flow-export.nfdump.csv).
    const rows = readFileSync(corpusFile('lab', 'lab_hospital_flow-export.nfdump.csv'), 'utf8').trim().split('\n').slice(1)
      .map((l) => l.split(',')).filter((cols) => /^\d+$/.test(cols[11]));
    assert.equal(flows, rows.length);
    assert.equal(packets, rows.reduce((s, cols) => s + Number(cols[11]), 0));
    assert.equal(bytes, rows.reduce((s, cols) => s + Number(cols[12]), 0));
    assert.deepEqual(c.decoder.anomalies.list(), []);
    assert.ok(c.cache.size > 0);
    c.cache.expire(Date.now() + 3_600_000, 30 * 60_000);
    assert.equal(c.cache.size, 0);
    assert.ok(expired.length > 0 && expired.every((e) => e.exporter === '127.0.0.1' && e.version === 10));
  } finally {
    await c.stop();
  }
});
