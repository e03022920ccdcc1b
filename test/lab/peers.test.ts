// test/helpers/peers.ts starts real Orthanc, dcmqrscp, storescp and MLLP peers,
// on loopback and in namespaces, and stops them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/corpus.ts';
import { createNet, execIn } from '../helpers/netns.ts';
import { startDcmqrscp, startMllpAck, startOrthanc, startStorescp } from '../helpers/peers.ts';

const dicomDir = mkdtempSync(join(tmpdir(), 'wl-lab-dicom-'));
execFileSync('/usr/bin/python3', [join(REPO, 'lab', 'peers', 'mkdicom.py'), dicomDir]);
process.on('exit', () => rmSync(dicomDir, { recursive: true, force: true }));
const CT = join(dicomDir, 'ct1.dcm');

test('Orthanc on loopback: C-ECHO, C-STORE, REST with the registered user, called-AE check', async () => {
  const pacs = await startOrthanc({ config: { DicomAet: 'WL_PACS', DicomCheckCalledAet: true } });
  try {
    const port = String(pacs.dicomPort);
    const echo = await execIn(null, 'echoscu', ['-aet', 'TESTER', '-aec', 'WL_PACS', '127.0.0.1', port]);
    assert.equal(echo.code, 0, echo.stderr);
    const wrong = await execIn(null, 'echoscu', ['-aet', 'TESTER', '-aec', 'NOT_PACS', '127.0.0.1', port]);
    assert.notEqual(wrong.code, 0, 'wrong called AE refused');
    const store = await execIn(null, 'storescu', ['-aet', 'TESTER', '-aec', 'WL_PACS', '127.0.0.1', port, CT]);
    assert.equal(store.code, 0, store.stderr);
    const stats = await pacs.rest('/statistics');
    assert.equal(stats.status, 200);
    assert.equal(JSON.parse(stats.body).CountInstances, 1);
    const anon = await fetch(`http://127.0.0.1:${pacs.httpPort}/system`);
    // from localhost Orthanc still asks for credentials when authentication is on
    assert.equal(anon.status, 401);
  } finally {
    await pacs.stop();
  }
  assert.equal(existsSync(pacs.dir), false);
  const after = await execIn(null, 'ss', ['-Hltn', `sport = :${pacs.dicomPort}`]);
  assert.equal(after.stdout.trim(), '');
});

test("Orthanc with its built-in defaults accepts any AE's C-ECHO and C-STORE", async () => {
  const pacs = await startOrthanc({ builtinDefaults: true });
  try {
    assert.equal(pacs.aet, 'ORTHANC');
    const port = String(pacs.dicomPort);
    const echo = await execIn(null, 'echoscu', ['-aet', 'STRANGER', '-aec', 'WHATEVER', '127.0.0.1', port]);
    assert.equal(echo.code, 0, echo.stderr);
    const store = await execIn(null, 'storescu', ['-aet', 'STRANGER', '-aec', 'WHATEVER', '127.0.0.1', port, CT]);
    assert.equal(store.code, 0, store.stderr);
    // localhost HTTP needs no credentials when nothing was configured
    const sys = await pacs.rest('/system');
    assert.equal(sys.status, 200);
    assert.equal(JSON.parse(sys.body).DicomAet, 'ORTHANC');
  } finally {
    await pacs.stop();
  }
});

test('Orthanc, dcmqrscp, storescp and MLLP in namespaces', async () => {
  const net = createNet('lab');
  try {
    const lan = net.addSwitch('lan');
    const vnaHost = net.addHost('vna', [{ sw: lan, cidr: '10.63.0.11/24' }]);
    const rcvHost = net.addHost('rcv', [{ sw: lan, cidr: '10.63.0.12/24' }]);
    const cli = net.addHost('cli', [{ sw: lan, cidr: '10.63.0.30/24' }]);
    const pacsHost = net.addHost('pacs', [{ sw: lan, cidr: '10.63.0.10/24' }]);
    const [pacs, vna, rcv, mllp] = await Promise.all([
      startOrthanc({ host: pacsHost, config: { DicomAet: 'NS_PACS' } }),
      startDcmqrscp({ host: vnaHost, aet: 'VNA_TEST', hostTable: [{ name: 'rcv', aet: 'RCV', address: rcvHost.ip, port: 104 }] }),
      startStorescp({ host: rcvHost, aet: 'RCV' }),
      startMllpAck({ host: rcvHost, app: 'ENGINE', facility: 'LAB' }),
    ]);
    try {
      assert.equal(vna.address, '10.63.0.11');
      // Orthanc in a namespace: remote access on, the registered user required
      const url = `http://${pacs.address}:${pacs.httpPort}/system`;
      const anon = await cli.exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', url]);
      assert.equal(anon.stdout, '401');
      const authed = await cli.exec('curl', ['-s', '-u', 'wardline:wardline', url]);
      assert.equal(JSON.parse(authed.stdout).DicomAet, 'NS_PACS');
      const pecho = await cli.exec('echoscu', ['-aet', 'CLI', '-aec', 'NS_PACS', pacs.address, String(pacs.dicomPort)]);
      assert.equal(pecho.code, 0, pecho.stderr);
      const ok = await cli.exec('echoscu', ['-aet', 'CLI', '-aec', 'VNA_TEST', vna.address, '11112']);
      assert.equal(ok.code, 0, ok.stderr);
      const rj = await cli.exec('echoscu', ['-aet', 'CLI', '-aec', 'WRONG', vna.address, '11112']);
      assert.notEqual(rj.code, 0);
      assert.match(rj.stdout + rj.stderr, /Called AE Title Not Recognized/i);

      const st = await cli.exec('storescu', ['-aet', 'CLI', '-aec', 'RCV', rcv.address, '104', CT]);
      assert.equal(st.code, 0, st.stderr);
      assert.equal(readdirSync(rcv.outDir).length, 1);

      const msg = 'MSH|^~\\&|TEST|LAB|ENGINE|LAB|20260314093000||ADT^A01^ADT_A01|T0001|P|2.5.1\rPID|1||MRN0001\r';
      const ack = await cli.exec('socat', ['-t', '2', '-', `TCP:${rcvHost.ip}:2575`], { input: `\x0b${msg}\x1c\r` });
      assert.match(ack.stdout, /MSA\|AA\|T0001/);
      assert.match(ack.stdout, /\|ENGINE\|LAB\|/);
      assert.equal(mllp.messages().length, 1);
      assert.match(mllp.messages()[0], /type=ADT\^A01\^ADT_A01 ctrl=T0001/);
      assert.doesNotMatch(mllp.messages()[0], /MRN0001/, 'the log holds metadata only');
    } finally {
      await Promise.all([pacs.stop(), vna.stop(), rcv.stop(), mllp.stop()]);
    }
    const left = await vnaHost.exec('ss', ['-Hltn']);
    assert.equal(left.stdout.trim(), '');
  } finally {
    await net.destroy();
  }
});
