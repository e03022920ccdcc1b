/**
 * Memory bounds of the packet pipeline: a full connection table reports its
 * least recently active connections early instead of growing, without losing
 * packets or bytes; and the DICOM analyzer's PDU caches, shared across
 * connections, give the same facts as parsing each association afresh.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { datagramAnalyzers, streamAnalyzers } from '../../src/analyzers/registry.ts';
import { PacketPipeline } from '../../src/decoders/pipeline.ts';
import { FlowAggregator } from '../../src/observations/aggregate.ts';
import { openInput } from '../../src/sources/input.ts';
import { CaptureParser } from '../../src/sources/pcap.ts';
import { corpusFile, REPO } from '../helpers/corpus.ts';

const LAB = corpusFile('lab', 'lab_hospital.pcap');

async function run(path: string, opts: { maxConnections?: number; copies?: number } = {}) {
  const agg = new FlowAggregator();
  const pipe = new PacketPipeline({ streamAnalyzers, datagramAnalyzers, sink: agg, maxConnections: opts.maxConnections });
  let maxLive = 0;
  for (let k = 0; k < (opts.copies ?? 1); k++) {
    const input = await openInput(path);
    const parser = new CaptureParser(input.name, (p) => {
      pipe.packet(p);
      if (pipe.liveConnections > maxLive) maxLive = pipe.liveConnections;
    });
    for await (const c of input.chunks) parser.push(c);
    parser.end();
  }
  pipe.end();
  return { obs: agg.toObservations(), stats: pipe.stats, maxLive };
}

/** A log line without its times, which differ between copies. */
function normal(line: string): string {
  return JSON.stringify({ ...JSON.parse(line) as object, ts: 0, durationMs: 0 });
}

function totals(edges: Array<{ packets: number; bytes: number }>) {
  return { packets: edges.reduce((n, e) => n + e.packets, 0), bytes: edges.reduce((n, e) => n + e.bytes, 0) };
}

describe('pipeline memory bounds', () => {
  test('a full connection table reports connections early; no packet or byte is lost', async () => {
    const free = await run(LAB);
    const tight = await run(LAB, { maxConnections: 16 });
    assert.ok(free.maxLive > 16, `the lab capture has ${free.maxLive} live connections at its peak`);
    assert.ok(tight.maxLive <= 16, `live connections peaked at ${tight.maxLive}`);
    assert.deepEqual(totals(tight.obs.edges), totals(free.obs.edges));
    const full = tight.obs.anomalies.find((a) => a.kind === 'connection-table-full');
    assert.ok(full && full.count > 0, 'the early reports are counted as an anomaly');
    assert.ok(!free.obs.anomalies.some((a) => a.kind === 'connection-table-full'));
  });

  test('DICOM facts and records are the same whether the PDU caches are cold or warm', async () => {
    // Cold: a process decodes the capture once. Warm: one process decodes it three times,
    // the second and third copies hitting the caches the first one filled.
    const dir = mkdtempSync(join(tmpdir(), 'wl-capture-memory-'));
    const logs = (inputs: string[], sub: string): string[] => {
      const r = spawnSync(process.execPath, [join(REPO, 'src', 'cli', 'main.ts'), 'discover', ...inputs, '--no-store', '--quiet', '--logs', join(dir, sub)], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return readFileSync(join(dir, sub, 'dicom.log'), 'utf8').split('\n').filter((l) => l).map(normal);
    };
    try {
      const cold = logs([LAB], 'cold');
      assert.ok(cold.length >= 20, `${cold.length} DICOM records`);
      assert.deepEqual(logs([LAB, LAB, LAB], 'warm'), [...cold, ...cold, ...cold]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const once = await run(LAB);
    const thrice = await run(LAB, { copies: 3 });
    const facts = (edges: typeof once.obs.edges) => edges.filter((e) => e.protocol === 'dicom')
      .map((e) => `${e.src}>${e.dst}:${e.dport} ${JSON.stringify(e.facts.dicom)}`).sort();
    const tripled = facts(thrice.obs.edges);
    // Same addresses in every copy: the edges are the same, their counters three times as high.
    assert.equal(tripled.length, facts(once.obs.edges).length);
    for (const e of once.obs.edges.filter((x) => x.protocol === 'dicom')) {
      const t = thrice.obs.edges.find((x) => x.src === e.src && x.dst === e.dst && x.dport === e.dport && x.protocol === 'dicom')!;
      assert.deepEqual(t.facts.dicom!.aePairs.map((p) => ({ ...p, count: p.count / 3 })), e.facts.dicom!.aePairs);
      assert.deepEqual(t.facts.dicom!.sopClasses, e.facts.dicom!.sopClasses);
      assert.deepEqual(t.facts.dicom!.implementationClassUids, e.facts.dicom!.implementationClassUids);
    }
  });
});
