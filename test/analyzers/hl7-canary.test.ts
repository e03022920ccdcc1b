/**
 * PHI canary over a real HL7 sender: python-hl7's mllp_send delivers ADT and
 * ORU messages for a canary patient through a loopback relay to an MLLP
 * listener that acknowledges each one. The analyzer must report which
 * patient fields were populated and nothing of their values.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Collector, recordingProxy, runStream, type RecordingProxy } from './helpers.ts';
import { hl7Analyzer } from '../../src/analyzers/hl7/analyzer.ts';

const run = promisify(execFile);
const CANARIES = ['ZZCANARY', 'PHINEAS', 'PENELOPE', 'CANARY-7731', '19700101', 'INS-7731', '7731 Canary Lane'];

const MESSAGES = [
  'MSH|^~\\&|WL_HIS|WL_HOSP|WL_RIS|WL_RAD|20240101120000||ADT^A01^ADT_A01|CTL0001|P|2.5.1',
  'EVN|A01|20240101120000',
  'PID|1||CANARY-7731^^^WL_HOSP^MR||ZZCANARY^PHINEAS||19700101|M|||7731 Canary Lane^^Springfield',
  'NK1|1|ZZCANARY^PENELOPE|SPO',
  'PV1|1|I|WARD^101^1',
  'IN1|1|PLAN01|INS-7731|Canary Insurance',
  'GT1|1||ZZCANARY^PHINEAS',
  '',
  'MSH|^~\\&|WL_LAB|WL_HOSP|WL_EMR|WL_HOSP|20240101120500||ORU^R01^ORU_R01|CTL0002|P|2.5.1',
  'PID|1||CANARY-7731^^^WL_HOSP^MR||ZZCANARY^PHINEAS||19700101|M',
  'OBR|1||LAB7731|2345-7^Glucose^LN',
  'OBX|1|NM|2345-7^Glucose^LN||95|mg/dL|||||F',
  '',
].join('\r\n');

/** An MLLP listener that answers every frame with an ACK (MSA-1 AA). */
function ackServer(): Promise<Server> {
  const server = createServer((sock) => {
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\x1c\r'); end >= 0; end = buf.indexOf('\x1c\r')) {
        const msg = buf.slice(buf.indexOf('\x0b') + 1, end);
        buf = buf.slice(end + 2);
        const msh = msg.split('\r')[0].split('|');
        const ack = `MSH|^~\\&|WL_ENGINE|WL_HOSP|${msh[2]}|${msh[3]}|20240101120001||ACK^${(msh[8] ?? '').split('^')[1] ?? ''}|A${msh[9]}|P|2.5.1\rMSA|AA|${msh[9]}\r`;
        sock.write(`\x0b${ack}\x1c\r`);
      }
    });
    sock.on('error', () => sock.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('hl7 PHI canary with mllp_send', () => {
  let dir = '';
  let server: Server | undefined;
  let proxy: RecordingProxy | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wl-dicom-hl7-'));
    writeFileSync(join(dir, 'messages.hl7'), MESSAGES, 'latin1');
    server = await ackServer();
    const addr = server.address();
    proxy = await recordingProxy(typeof addr === 'object' && addr ? addr.port : 0);
  });

  after(async () => {
    await proxy?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('ADT and ORU for a canary patient: fields by presence, values nowhere', async () => {
    await run('mllp_send', ['--loose', '--quiet', '-f', join(dir, 'messages.hl7'), '-p', String(proxy!.port), '127.0.0.1']);
    await Promise.all(proxy!.connections.map((c) => c.closed));
    assert.equal(proxy!.connections.length, 1);
    const conn = proxy!.connections[0];
    const raw = Buffer.concat(conn.chunks.map((x) => x.bytes)).toString('latin1');
    for (const canary of CANARIES) assert.ok(raw.includes(canary), `the wire carried ${canary}`);

    const c = new Collector();
    assert.equal(runStream([hl7Analyzer], conn, c), hl7Analyzer);
    const records = c.recordsOf('hl7');
    assert.deepEqual(records.map((r) => [r.from, r.messageType, r.process, r.ackCode]), [
      ['client', 'ADT^A01', 'emr', undefined], ['server', 'ACK^A01', 'control', 'AA'],
      ['client', 'ORU^R01', 'results', undefined], ['server', 'ACK^R01', 'control', 'AA'],
    ]);
    assert.deepEqual(records[0].fields, ['PID-1', 'PID-3', 'PID-5', 'PID-7', 'PID-8', 'PID-11', 'NK1-1', 'NK1-2', 'NK1-3', 'PV1-1', 'PV1-2', 'PV1-3',
      'IN1-1', 'IN1-2', 'IN1-3', 'IN1-4', 'GT1-1', 'GT1-3']);
    assert.equal(records[0].phi, true);
    const edge = [...c.edges.values()][0];
    assert.equal(edge.phi, true);
    assert.deepEqual(edge.facts.hl7!.acks, { AA: 2 });
    assert.deepEqual(c.anomalies, []);

    const dump = c.dump();
    for (const canary of CANARIES) assert.ok(!dump.includes(canary), `${canary} leaked`);
    assert.ok(!dump.includes('CTL0001'), 'control ids are counted, not kept');
  });
});
