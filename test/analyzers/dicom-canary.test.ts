/**
 * PHI canary over real DICOM peers: DCMTK's storescu, findscu and echoscu
 * talk to a real dcmqrscp through a loopback relay that keeps the bytes a
 * sensor would see. The patient's name, ID and birth date travel in the
 * C-STORE data set and in the C-FIND identifier and matches; none of it may
 * appear in any record, fact or anomaly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForPort } from '../helpers/net.ts';
import { writeDicomFiles } from './dicom-files.ts';
import { Collector, recordingProxy, runStream, type RecordingProxy } from './helpers.ts';
import { dicomAnalyzer } from '../../src/analyzers/dicom/analyzer.ts';

const run = promisify(execFile);
const CANARIES = ['ZZCANARY', 'PHINEAS', 'CANARY-7731', '19700101'];

describe('dicom PHI canary against DCMTK dcmqrscp', () => {
  let dir = '';
  let scp: ChildProcess | undefined;
  let proxy: RecordingProxy | undefined;
  /** In front of movescu's storage port: sees the C-MOVE sub-association. */
  let moveProxy: RecordingProxy | undefined;
  let movePort = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wl-dicom-hl7-'));
    mkdirSync(join(dir, 'db'));
    writeDicomFiles([{
      path: join(dir, 'ct.dcm'),
      sopClass: '1.2.840.10008.5.1.4.1.1.2',
      sopInstance: '1.2.826.0.1.3680043.8.498.7731.3',
      study: '1.2.826.0.1.3680043.8.498.7731.1',
      series: '1.2.826.0.1.3680043.8.498.7731.2',
      modality: 'CT',
      rows: 8,
      columns: 8,
      attributes: { PatientName: 'ZZCANARY^PHINEAS', PatientID: 'CANARY-7731', PatientBirthDate: '19700101', StudyDate: '20240101', AccessionNumber: 'ACC7731' },
      pixels: { length: 128, step: 1, offset: 0 },
    }]);
    const port = await freePort();
    movePort = await freePort();
    moveProxy = await recordingProxy(movePort);
    writeFileSync(join(dir, 'qr.cfg'), [
      `NetworkTCPPort = ${port}`, 'MaxPDUSize = 16384', 'MaxAssociations = 8',
      'HostTable BEGIN', `wlscu = (WLSCU, 127.0.0.1, ${moveProxy.port})`, 'HostTable END',
      'VendorTable BEGIN', 'VendorTable END',
      'AETable BEGIN', `WLQR ${join(dir, 'db')} RW (20, 64mb) ANY`, 'AETable END', '',
    ].join('\n'));
    scp = spawn('dcmqrscp', ['-c', join(dir, 'qr.cfg')], { stdio: 'ignore' });
    await waitForPort('127.0.0.1', port, 10_000);
    proxy = await recordingProxy(port);
  });

  after(async () => {
    await proxy?.close();
    await moveProxy?.close();
    scp?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  test('store, query and echo: operations seen, no patient data kept', async () => {
    const p = String(proxy!.port);
    await run('echoscu', ['-aet', 'WLSCU', '-aec', 'WLQR', '127.0.0.1', p]);
    await run('storescu', ['-aet', 'WLSCU', '-aec', 'WLQR', '127.0.0.1', p, join(dir, 'ct.dcm')]);
    await run('findscu', ['-S', '-aet', 'WLSCU', '-aec', 'WLQR', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'PatientName=ZZCANARY^PHINEAS',
      '-k', 'PatientID', '-k', 'PatientBirthDate', '-k', 'StudyInstanceUID', '127.0.0.1', p]);
    await Promise.all(proxy!.connections.map((c) => c.closed));
    assert.equal(proxy!.connections.length, 3);

    const raw = Buffer.concat(proxy!.connections.flatMap((c) => c.chunks.map((x) => x.bytes))).toString('latin1');
    for (const canary of CANARIES) assert.ok(raw.includes(canary), `the wire carried ${canary}`);

    const c = new Collector();
    for (const conn of proxy!.connections) assert.equal(runStream([dicomAnalyzer], conn, c), dicomAnalyzer);
    const records = c.recordsOf('dicom');
    assert.equal(records.length, 3);
    const ops = records.flatMap((r) => r.operations as Array<{ command: string; result?: string; queryLevel?: string; pending: number; sopClassName?: string }>);
    assert.deepEqual(ops.map((o) => [o.command, o.result]), [['C-ECHO', 'success'], ['C-STORE', 'success'], ['C-FIND', 'success']]);
    assert.equal(ops[1].sopClassName, 'CT Image Storage');
    assert.equal(ops[2].queryLevel, 'STUDY');
    assert.equal(ops[2].pending, 1, 'the stored study matched');
    assert.ok(records.every((r) => r.callingAe === 'WLSCU' && r.calledAe === 'WLQR' && r.outcome === 'accepted'));
    assert.deepEqual(c.anomalies, []);

    // The fingerprint names the DCMTK that is installed.
    const version = /v(\d+\.\d+\.\d+)/.exec(execFileSync('storescu', ['--version'], { encoding: 'utf8' }))![1];
    const client = c.hosts.get('127.0.0.1')!;
    assert.ok(client.software.some((s) => s.product === 'DCMTK' && s.version === version), JSON.stringify(client.software));

    const dump = c.dump();
    for (const canary of CANARIES) assert.ok(!dump.includes(canary), `${canary} leaked`);
  });

  test('user identity negotiation: type and flag recorded, credentials never', async () => {
    const before = proxy!.connections.length;
    // storescu is the DCMTK tool that negotiates user identity (echoscu does not).
    await run('storescu', ['-aet', 'WLSCU', '-aec', 'WLQR', '--user', 'wl-canary-user', '--password', 'wl-canary-secret', '--pos-response',
      '127.0.0.1', String(proxy!.port), join(dir, 'ct.dcm')]).catch(() => undefined);
    await Promise.all(proxy!.connections.map((c) => c.closed));
    const conn = proxy!.connections[before];
    assert.ok(Buffer.concat(conn.chunks.map((x) => x.bytes)).toString('latin1').includes('wl-canary-secret'), 'the wire carried the password');
    const c = new Collector();
    runStream([dicomAnalyzer], conn, c);
    const [rec] = c.recordsOf('dicom');
    const id = rec.userIdentity as { type: number; typeName: string; positiveResponseRequested: boolean; serverResponse: boolean };
    assert.equal(id.type, 2);
    assert.equal(id.typeName, 'username+passcode');
    assert.equal(id.positiveResponseRequested, true);
    const dump = c.dump();
    assert.ok(!dump.includes('wl-canary-user') && !dump.includes('wl-canary-secret'));
  });

  test('C-MOVE and C-GET: destination, level, sub-operations not taken for a modality', async () => {
    const first = proxy!.connections.length;
    const study = ['-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID=1.2.826.0.1.3680043.8.498.7731.1'];
    mkdirSync(join(dir, 'retrieved'), { recursive: true });
    await run('movescu', ['-S', '-aet', 'WLSCU', '-aec', 'WLQR', '-aem', 'WLSCU', '--port', String(movePort), '-od', join(dir, 'retrieved'), ...study,
      '127.0.0.1', String(proxy!.port)]);
    await run('getscu', ['-S', '-aet', 'WLSCU', '-aec', 'WLQR', '-od', join(dir, 'retrieved'), ...study, '127.0.0.1', String(proxy!.port)]);
    await Promise.all([...proxy!.connections, ...moveProxy!.connections].map((c) => c.closed));

    const c = new Collector();
    for (const conn of proxy!.connections.slice(first)) runStream([dicomAnalyzer], conn, c);
    type Op = { command: string; from: string; result?: string; queryLevel?: string; moveDestination?: string };
    const [move, get] = c.recordsOf('dicom').map((r) => r.operations as Op[]);
    assert.deepEqual(move.map((o) => [o.command, o.result, o.queryLevel, o.moveDestination]), [['C-MOVE', 'success', 'STUDY', 'WLSCU']]);
    assert.deepEqual(get.map((o) => [o.command, o.from, o.result]), [['C-GET', 'requestor', 'success'], ['C-STORE', 'acceptor', 'success']]);
    assert.equal(get[0].queryLevel, 'STUDY');

    // The sub-association dcmqrscp opened to the move destination carries the C-STORE.
    assert.equal(moveProxy!.connections.length, 1);
    const sub = new Collector();
    runStream([dicomAnalyzer], moveProxy!.connections[0], sub);
    const [rec] = sub.recordsOf('dicom');
    assert.deepEqual([rec.callingAe, rec.calledAe, rec.commands], ['WLQR', 'WLSCU', { 'C-STORE': 1 }]);
    // Neither the archive's C-MOVE nor its C-GET sub-operations make it a CT modality.
    for (const col of [c, sub]) for (const h of col.hosts.values()) assert.deepEqual(h.modalities, []);
    assert.ok(!c.dump().includes('ZZCANARY') && !sub.dump().includes('ZZCANARY'));
  });
});
