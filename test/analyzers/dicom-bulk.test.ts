/**
 * Bulk C-STORE between real DCMTK peers with a small negotiated PDU, so that
 * every image spans dozens of PDVs and PDUs: every store is counted once,
 * with its status, and data sets are walked without being looked into.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Collector, freePort, recordingProxy, rechunk, runStream, type RecordingProxy } from './helpers.ts';
import { dicomAnalyzer } from '../../src/analyzers/dicom/analyzer.ts';

const run = promisify(execFile);
const FILES = 5;
const MAX_PDU = 4096;

const MAKE = `
import sys
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian
for i in range(int(sys.argv[2])):
    out = '%s/img%d.dcm' % (sys.argv[1], i)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.4'
    meta.MediaStorageSOPInstanceUID = '1.2.826.0.1.3680043.8.498.4242.%d' % i
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(out, {}, file_meta=meta, preamble=b'\\0' * 128)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = '1.2.826.0.1.3680043.8.498.4242'
    ds.SeriesInstanceUID = '1.2.826.0.1.3680043.8.498.4242.0'
    ds.PatientName = 'ZZCANARY^PHINEAS'
    ds.PatientID = 'CANARY-7731'
    ds.Modality = 'MR'
    ds.Rows = 256
    ds.Columns = 256
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = bytes((j * 7 + i) & 255 for j in range(256 * 256 * 2))
    ds.save_as(out, write_like_original=False)
`;

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`storescp did not listen on ${port}`);
}

describe('bulk C-STORE with a 4 kB PDU (DCMTK storescu -> storescp)', () => {
  let dir = '';
  let scp: ChildProcess | undefined;
  let proxy: RecordingProxy | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wl-dicom-hl7-'));
    execFileSync('/usr/bin/python3', ['-c', MAKE, dir, String(FILES)]);
    const port = await freePort();
    scp = spawn('storescp', ['--ignore', '--max-pdu', String(MAX_PDU), '-aet', 'WLSTORE', String(port)], { stdio: 'ignore' });
    await waitForPort(port);
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
