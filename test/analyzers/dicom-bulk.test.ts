/**
 * Bulk C-STORE between real DCMTK peers with a small negotiated PDU, so that
 * every image spans dozens of PDVs and PDUs: every store is counted once,
 * with its status, and data sets are walked without being looked into.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForPort } from '../helpers/net.ts';
import { writeDicomFiles } from './dicom-files.ts';
import { Collector, recordingProxy, rechunk, runStream, type RecordingProxy } from './helpers.ts';
import { dicomAnalyzer } from '../../src/analyzers/dicom/analyzer.ts';

const run = promisify(execFile);
const FILES = 5;
const MAX_PDU = 4096;

describe('bulk C-STORE with a 4 kB PDU (DCMTK storescu -> storescp)', () => {
  let dir = '';
  let scp: ChildProcess | undefined;
  let proxy: RecordingProxy | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wl-dicom-hl7-'));
    writeDicomFiles(Array.from({ length: FILES }, (_, i) => ({
      path: join(dir, `img${i}.dcm`),
      sopClass: '1.2.840.10008.5.1.4.1.1.4',
      sopInstance: `1.2.826.0.1.3680043.8.498.4242.${i}`,
      study: '1.2.826.0.1.3680043.8.498.4242',
      series: '1.2.826.0.1.3680043.8.498.4242.0',
      modality: 'MR',
      rows: 256,
      columns: 256,
      attributes: { PatientName: 'ZZCANARY^PHINEAS', PatientID: 'CANARY-7731' },
      pixels: { length: 256 * 256 * 2, step: 7, offset: i },
    })));
    const port = await freePort();
    scp = spawn('storescp', ['--ignore', '--max-pdu', String(MAX_PDU), '-aet', 'WLSTORE', String(port)], { stdio: 'ignore' });
    await waitForPort('127.0.0.1', port, 10_000);
    proxy = await recordingProxy(port);
  });

  after(async () => {
    await proxy?.close();
    scp?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  test('every store counted once, data sets in many fragments, nothing read from them', async () => {
    const files = Array.from({ length: FILES }, (_, i) => join(dir, `img${i}.dcm`));
    await run('storescu', ['-aet', 'WLMOD', '-aec', 'WLSTORE', '127.0.0.1', String(proxy!.port), ...files]);
    assert.equal(proxy!.connections.length, 1);
    const conn = proxy!.connections[0];
    await conn.closed;
    for (const chunking of [() => 1448, () => 1 << 30, () => 7]) {
      const c = new Collector();
      runStream([dicomAnalyzer], { conn: conn.conn, chunks: rechunk(conn.chunks, chunking) }, c);
      const [rec] = c.recordsOf('dicom');
      assert.deepEqual(rec.commands, { 'C-STORE': FILES });
      assert.deepEqual(rec.statuses, { 'C-STORE:success': FILES });
      const minFragments = files.reduce((a, f) => a + Math.floor((statSync(f).size - 512) / MAX_PDU), 0);
      assert.ok((rec.dataSetFragments as number) >= minFragments, `${rec.dataSetFragments} data-set fragments >= ${minFragments}`);
      assert.equal((rec.acceptor as { maxPduLength: number }).maxPduLength, MAX_PDU);
      assert.deepEqual(c.anomalies, []);
      assert.deepEqual(c.hosts.get('127.0.0.1')!.modalities, ['MR']);
      assert.ok(!c.dump().includes('ZZCANARY') && !c.dump().includes('CANARY-7731'));
    }
  });
});
