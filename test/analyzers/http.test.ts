import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { REPO, corpusFile } from '../helpers/corpus.ts';
import { httpAnalyzer } from '../../src/analyzers/http/analyzer.ts';
import { classifyRequest } from '../../src/analyzers/http/template.ts';
import {
  RecordingSink, WebNamespace, recordsOf, runCapture, runStream, tcpStreams, tsharkFields,
} from './web-helpers.ts';
import type { ConnectionInfo } from '../../src/decoders/analyzer.ts';

const HTTP_CAPTURES = [
  'pcap/arkime_http-basicauth.pcap',
  'pcap/arkime_http-post-upload.pcap',
  'pcap/arkime_http-simple-get.pcap',
  'pcap/zeek_conn-size.pcap',
  'pcap/zeek_http_get.pcap',
  'lab/lab_hospital.pcap',
];

function sorted(a: string[]): string[] {
  return [...a].sort();
}

/** Requests and status codes as tshark decodes them. */
function tsharkHttp(file: string): { requests: string[]; statuses: string[]; uris: string[] } {
  const req = tsharkFields(file, ['http.request.method', 'http.host', 'http.request.uri'], 'http.request');
  const resp = tsharkFields(file, ['http.response.code'], 'http.response');
  return {
    requests: req.map(([m, h]) => `${m} ${(h ?? '').toLowerCase()}`),
    uris: req.map((r) => r[2]),
    statuses: resp.map(([c]) => c),
  };
}

test('corpus HTTP captures: methods, hosts and status codes equal tshark\'s decode', async () => {
  for (const rel of HTTP_CAPTURES) {
    const file = corpusFile(...rel.split('/'));
    const want = tsharkHttp(file);
    const run = await runCapture(file);
    const recs = recordsOf(run, 'http');
    assert.ok(want.requests.length > 0, `${rel}: tshark sees requests`);
    assert.deepEqual(sorted(recs.map((r) => `${r.method} ${r.host ?? ''}`)), sorted(want.requests), `${rel}: requests`);
    assert.deepEqual(sorted(recs.filter((r) => r.status !== undefined).map((r) => String(r.status))), sorted(want.statuses), `${rel}: statuses`);
    const authorized = tsharkFields(file, ['http.authorization'], 'http.authorization').length;
    assert.equal(recs.filter((r) => r.credentials).length, authorized, `${rel}: credentials flagged exactly where tshark sees Authorization`);
    // Every HTTP edge carries folded facts; statuses add up to the responses.
    const edges = run.obs.edges.filter((e) => e.facts.http);
    assert.ok(edges.length > 0, `${rel}: an edge with http facts`);
    const total = edges.reduce((n, e) => n + Object.values(e.facts.http!.statuses).reduce((a, b) => a + b, 0), 0);
    assert.equal(total, want.statuses.length, `${rel}: folded statuses`);
  }
});

test('path templates keep the path, drop query strings and replace identifiers', async () => {
  for (const rel of HTTP_CAPTURES) {
    const file = corpusFile(...rel.split('/'));
    const uris = tsharkHttp(file).uris;
    const paths = recordsOf(await runCapture(file), 'http').map((r) => String(r.path));
    for (const p of paths) assert.ok(!p.includes('?'), `${rel}: no query string in ${p}`);
    // Paths without digits come through unchanged (minus the query).
    const plain = uris.map((u) => u.split('?')[0]).filter((u) => !/\d/.test(u));
    for (const u of plain) assert.ok(paths.includes(u), `${rel}: ${u} kept`);
  }
  const lab = recordsOf(await runCapture(corpusFile('lab', 'lab_hospital.pcap')), 'http');
  const keys = new Set(lab.map((r) => `${r.method} ${r.path}`));
  assert.ok(keys.has('GET /patients'), 'Orthanc /patients?expand templated');
  assert.ok(keys.has('POST /modalities/{id}/echo'), 'modality name with digits templated');
  assert.ok(lab.every((r) => r.api === 'orthanc'), 'Orthanc REST recognised');
});

test('classifyRequest recognises FHIR, DICOMweb, WADO-URI and Orthanc, and never keeps identifiers', () => {
  const fhir = classifyRequest('GET', '/fhir/Patient/MRN0001?name=DOE');
  assert.equal(fhir.template, '/fhir/Patient/{id}');
  assert.equal(fhir.fhir, true);
  assert.equal(fhir.fhirResource, 'Patient');
  assert.equal(fhir.phi, true);
  const hist = classifyRequest('GET', '/baseR4/Observation/abc-123/_history/2');
  assert.equal(hist.template, '/baseR4/Observation/{id}/_history/{id}');
  assert.equal(hist.phi, true);
  const meta = classifyRequest('GET', '/fhir/metadata', '', 'application/fhir+json');
  assert.equal(meta.fhir, true);
  assert.equal(meta.phi, false);
  const vs = classifyRequest('GET', '/fhir/ValueSet/abc');
  assert.equal(vs.fhirResource, 'ValueSet');
  assert.equal(vs.phi, false);

  const qido = classifyRequest('GET', '/dicom-web/studies?PatientID=MRN0002&includefield=all');
  assert.deepEqual([qido.dicomweb, qido.template, qido.phi], ['QIDO', '/dicom-web/studies', true]);
  const wado = classifyRequest('GET', '/dicom-web/studies/1.2.840.113619.2.55.3/series/1.2.3.4/instances/1.2.3.4.5');
  assert.deepEqual([wado.dicomweb, wado.template], ['WADO', '/dicom-web/studies/{uid}/series/{uid}/instances/{uid}']);
  const qidoSeries = classifyRequest('GET', '/dicom-web/studies/1.2.840.1/series');
  assert.equal(qidoSeries.dicomweb, 'QIDO');
  const stow = classifyRequest('POST', '/dicom-web/studies', 'multipart/related; type="application/dicom"');
  assert.equal(stow.dicomweb, 'STOW');
  const uri = classifyRequest('GET', '/wado?requestType=WADO&studyUID=1.2.3&seriesUID=1.2.3.4&objectUID=1.2.3.4.5');
  assert.deepEqual([uri.dicomweb, uri.template], ['WADO', '/wado']);

  const orthanc = classifyRequest('GET', '/instances/6e2c0ec2-5d99c8ca-c1c21cee-79a09605-68391d12/file');
  assert.deepEqual([orthanc.orthanc, orthanc.template, orthanc.phi], [true, '/instances/{id}/file', true]);
  assert.equal(classifyRequest('GET', '/system').phi, false);
  assert.equal(classifyRequest('GET', '/api/patients/GARCIA/visits').template, '/api/patients/{id}/visits');
  assert.equal(classifyRequest('GET', '/patients').template, '/patients');

  const bareQido = classifyRequest('GET', '/studies?PatientName=DOE*&StudyDate=20240101-');
  assert.deepEqual([bareQido.dicomweb, bareQido.template], ['QIDO', '/studies']);
  const orthancStudies = classifyRequest('GET', '/studies?expand&limit=5');
  assert.deepEqual([orthancStudies.dicomweb, orthancStudies.orthanc], [undefined, true]);

  assert.equal(classifyRequest('GET', '/login?user=a&password=b').passwordInQuery, true);
  assert.equal(classifyRequest('GET', '/api/x?access_token=abc').passwordInQuery, true);
  const proxied = classifyRequest('GET', 'http://nurse:urlsecret@ris.local/orders;jsessionid=ABCDEF/list');
  assert.deepEqual([proxied.userinfo, proxied.template], [true, '/orders/list']);
  assert.equal(classifyRequest('GET', '/api/v2/things?limit=5').template, '/api/v2/things');
  assert.equal(classifyRequest('GET', 'http://proxy.example/a/12345').template, '/a/{id}');
});

test('basic-auth canary: credentials flagged, neither the base64 nor user:password kept anywhere', async () => {
  for (const rel of ['pcap/arkime_http-basicauth.pcap', 'lab/lab_hospital.pcap']) {
    const file = corpusFile(...rel.split('/'));
    const auth = tsharkFields(file, ['http.authorization', 'http.authbasic'], 'http.authorization');
    assert.ok(auth.length > 0, `${rel}: tshark sees an Authorization header`);
    const run = await runCapture(file);
    const flagged = recordsOf(run, 'http').filter((r) => r.credentials === 'basic');
    assert.equal(flagged.length, auth.length, `${rel}: every basic-auth request flagged`);
    assert.ok(run.obs.edges.some((e) => e.facts.http?.cleartextCredentials), `${rel}: edge marked`);
    for (const [header, decoded] of auth) {
      const b64 = header.replace(/^Basic\s+/i, '');
      const [user, password] = decoded.split(':');
      for (const secret of [b64, decoded, password, Buffer.from(b64, 'base64').toString('latin1')]) {
        assert.ok(secret.length >= 4);
        assert.ok(!run.dump.includes(secret), `${rel}: secret leaked`);
      }
      assert.ok(user.length > 0);
    }
    // The same holds when the analyzer is driven directly, one byte at a time.
    for (const s of tcpStreams(file)) {
      const sink = runStream(httpAnalyzer, s, 1);
      for (const [header, decoded] of auth) {
        assert.ok(!sink.dump().includes(header.replace(/^Basic\s+/i, '')));
        assert.ok(!sink.dump().includes(decoded));
      }
    }
  }
});

test('messages spanning chunks: any chunking gives the same records', () => {
  for (const rel of HTTP_CAPTURES) {
    for (const s of tcpStreams(corpusFile(...rel.split('/')))) {
      const whole = runStream(httpAnalyzer, s).records;
      for (const split of [1, 3, 17, 512]) {
        assert.deepEqual(runStream(httpAnalyzer, s, split).records, whole, `${rel} ${s.conn.id} split ${split}`);
      }
    }
  }
});

/** Sends raw bytes to a server and collects the reply until it closes. */
function exchange(port: number, payload: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = connect(port, '127.0.0.1', () => sock.end(payload));
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', () => resolve(Buffer.concat(chunks)));
    sock.on('error', reject);
  });
}

test('pipelined keep-alive requests, chunked and sized bodies and form passwords against node:http', async () => {
  const server: Server = createServer((req, res) => {
    let n = 0;
    req.on('data', (d: Buffer) => (n += d.length));
    req.on('end', () => {
      if (req.url?.startsWith('/chunked')) {
        res.writeHead(200, { 'content-type': 'application/fhir+json' });
        for (let i = 0; i < 5; i++) res.write(`{"part":${i},"pad":"${'x'.repeat(i * 300)}"}`);
        res.end();
      } else if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-length': '1234' });
        res.end();
      } else {
        const body = `got ${n}`;
        res.writeHead(req.url === '/none' ? 204 : 200, { 'content-length': req.url === '/none' ? 0 : body.length, server: 'Wardline-Test/2.1' });
        res.end(req.url === '/none' ? undefined : body);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const form = 'username=nurse1&password=formcanary77&remember=1';
    const json = '{"user": "nurse1", "note": "password", "Password" : "jsoncanary88"}';
    const multipart = '--XyZ\r\nContent-Disposition: form-data; name="user"\r\n\r\nnurse1\r\n--XyZ\r\nContent-Disposition: form-data; name="password"\r\n\r\nmulticanary99\r\n--XyZ--\r\n';
    const request = [
      'GET /fhir/Patient/MRN0003?_format=json HTTP/1.1\r\nHost: fhir.local\r\nAccept: application/fhir+json\r\n\r\n',
      'HEAD /status HTTP/1.1\r\nHost: fhir.local\r\n\r\n',
      'GET /chunked/Observation/77 HTTP/1.1\r\nHost: fhir.local\r\n\r\n',
      `POST /login HTTP/1.1\r\nHost: fhir.local\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n${form}`,
      `POST /token HTTP/1.1\r\nHost: fhir.local\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}`,
      `POST /upload HTTP/1.1\r\nHost: fhir.local\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: ${multipart.length}\r\n\r\n${multipart}`,
      'DELETE /none HTTP/1.1\r\nHost: fhir.local\r\nConnection: close\r\n\r\n',
    ].join('');
    const reply = await exchange(port, request);
    const conn: ConnectionInfo = { id: `127.0.0.1:1>127.0.0.1:${port}/tcp`, client: '10.0.0.1', server: '10.0.0.2', clientPort: 40000, serverPort: port, transport: 'tcp' };
    const stream = { conn, ts: 1, chunks: [{ dir: 0 as const, data: new Uint8Array(Buffer.from(request, 'latin1')) }, { dir: 1 as const, data: new Uint8Array(reply) }] };
    for (const split of [0, 1, 7, 100]) {
      const sink = runStream(httpAnalyzer, stream, split, new RecordingSink());
      const recs = sink.records;
      assert.deepEqual(recs.map((r) => `${r.method} ${r.path} ${r.status}`), [
        'GET /fhir/Patient/{id} 200', 'HEAD /status 200', 'GET /chunked/Observation/{id} 200', 'POST /login 200', 'POST /token 200',
        'POST /upload 200', 'DELETE /none 204',
      ], `split ${split}`);
      assert.deepEqual(recs.map((r) => r.credentials), [undefined, undefined, undefined, 'form-password', 'json-password', 'multipart-password', undefined]);
      assert.equal(recs[5].requestBodyBytes, multipart.length);
      assert.equal(recs[2].responseBodyBytes, Array.from({ length: 5 }, (_, i) => `{"part":${i},"pad":"${'x'.repeat(i * 300)}"}`.length).reduce((a, b) => a + b));
      assert.equal(recs[3].credentials, 'form-password');
      assert.equal(recs[3].requestBodyBytes, form.length);
      assert.equal(recs[0].fhirResource, 'Patient');
      assert.equal(sink.protocol, 'fhir');
      assert.equal(sink.phi, true);
      assert.equal(sink.edge.http?.cleartextCredentials, true);
      assert.deepEqual(sink.edge.http?.fhirResources, ['Patient', 'Observation']);
      const software = sink.hosts.get('10.0.0.2')?.software ?? [];
      assert.ok(software.some((s) => s.product === 'Wardline-Test' && s.version === '2.1'));
      const dump = sink.dump();
      for (const secret of ['formcanary77', 'jsoncanary88', 'multicanary99', 'MRN0003', 'nurse1']) assert.ok(!dump.includes(secret), `${secret} leaked`);
    }
  } finally {
    server.close();
  }
});

test('capture gaps: a gap inside a sized body keeps the framing, a gap in a head resynchronises on the next message', async () => {
  const body = 'x'.repeat(3000);
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-length': body.length, server: 'GapTest/1.0' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const req = (p: string, last = false) => `GET ${p} HTTP/1.1\r\nHost: gap.local\r\n${last ? 'Connection: close\r\n' : ''}\r\n`;
    const request = req('/one') + req('/two') + req('/three', true);
    const reply = await exchange(port, request);
    const text = reply.toString('latin1');
    const second = text.indexOf('HTTP/1.1', 10);
    const third = text.indexOf('HTTP/1.1', second + 10);
    const conn: ConnectionInfo = { id: 'g/tcp', client: '10.0.0.1', server: '10.0.0.2', clientPort: 40002, serverPort: port, transport: 'tcp' };
    const sink = new RecordingSink();
    const p = httpAnalyzer.create(conn, sink);
    p.data(0, new Uint8Array(Buffer.from(request, 'latin1')), 1);
    // 1000 bytes lost in the middle of the first body: the Content-Length still frames the rest.
    const bodyStart = text.indexOf('\r\n\r\n') + 4;
    p.data(1, new Uint8Array(reply.subarray(0, bodyStart + 500)), 2);
    p.gap(1, 1000);
    p.data(1, new Uint8Array(reply.subarray(bodyStart + 1500, second + 20)), 3);
    // 20 bytes of the second head are lost too: that response is gone, /two is reported unanswered and the third pairs with /three.
    p.gap(1, 20);
    p.data(1, new Uint8Array(reply.subarray(second + 40, third)), 4);
    p.data(1, new Uint8Array(reply.subarray(third)), 5);
    p.end(6);
    assert.deepEqual(sink.records.map((r) => `${r.path} ${r.status ?? '-'}`), ['/one 200', '/two -', '/three 200']);
    assert.equal(sink.records[0].responseBodyBytes, body.length - 1000);
    assert.ok(sink.anomalies.some((a) => a.kind === 'http.gap'));

    // A request lost on the client side: its answer pairs with a placeholder, not with the next request.
    const client = new RecordingSink();
    const q = httpAnalyzer.create(conn, client);
    const r1 = req('/one');
    q.data(0, new Uint8Array(Buffer.from(r1, 'latin1')), 1);
    q.gap(0, req('/two').length);
    q.data(0, new Uint8Array(Buffer.from(req('/three', true), 'latin1')), 2);
    q.data(1, new Uint8Array(reply), 3);
    q.end(4);
    assert.deepEqual(client.records.map((r) => `${r.path} ${r.status ?? '-'}`), ['/one 200', '- 200', '/three 200']);
  } finally {
    server.close();
  }
});

test('CONNECT through a node:http proxy: 407, proxy credentials flagged, then a tunnel that is not parsed', async () => {
  const proxy: Server = createServer();
  proxy.on('connect', (req, socket) => {
    if (!req.headers['proxy-authorization']) {
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    socket.once('data', () => socket.end('\x16\x03\x03\x00\x02\x02\x00tunnelled-bytes-GET / HTTP/1.1\r\n\r\n'));
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const port = (proxy.address() as { port: number }).port;
  /** One client connection: sends `first`, then `then` once the answer contains `when`; returns the answer. */
  const talk = (first: string, when?: string, then?: string) => new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let sent = false;
    const sock = connect(port, '127.0.0.1', () => sock.write(first));
    sock.on('data', (d) => {
      chunks.push(d);
      if (when && then && !sent && Buffer.concat(chunks).includes(when)) {
        sent = true;
        sock.write(then);
      }
    });
    sock.on('end', () => resolve(Buffer.concat(chunks)));
    sock.on('error', reject);
    sock.setTimeout(10_000, () => reject(new Error('proxy did not answer')));
  });
  try {
    const auth = Buffer.from('proxyuser:proxycanary31').toString('base64');
    const plain = 'CONNECT ehr.example:443 HTTP/1.1\r\nHost: ehr.example:443\r\n\r\n';
    const withAuth = `CONNECT ehr.example:443 HTTP/1.1\r\nHost: ehr.example:443\r\nProxy-Authorization: Basic ${auth}\r\n\r\n`;
    const tunnel = '\x16\x03\x01\x00\x05hello';
    const conn: ConnectionInfo = { id: 'c>p/tcp', client: '10.0.0.1', server: '10.0.0.3', clientPort: 40001, serverPort: port, transport: 'tcp' };
    const exchanges: Array<[string, Buffer, string]> = [
      [plain, await talk(plain), 'CONNECT 407 -'],
      [withAuth + tunnel, await talk(withAuth, 'Established', tunnel), 'CONNECT 200 basic'],
    ];
    for (const [sent, reply, want] of exchanges) {
      const stream = { conn, ts: 1, chunks: [
        { dir: 0 as const, data: new Uint8Array(Buffer.from(sent, 'latin1')) }, { dir: 1 as const, data: new Uint8Array(reply) },
      ] };
      for (const split of [0, 1, 9]) {
        const sink = runStream(httpAnalyzer, stream, split);
        assert.deepEqual(sink.records.map((r) => `${r.method} ${r.status} ${r.credentials ?? '-'}`), [want], `split ${split}`);
        assert.deepEqual(sink.anomalies, [], 'tunnelled bytes are not taken for HTTP');
        assert.ok(!sink.dump().includes('proxycanary31') && !sink.dump().includes(auth));
      }
    }
  } finally {
    proxy.close();
  }
});

test('Orthanc REST traffic captured in a private namespace decodes like tshark, credentials flagged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wl-web-orthanc-'));
  const ns = new WebNamespace('orthanc');
  try {
    const httpPort = 28042;
    writeFileSync(join(dir, 'orthanc.json'), JSON.stringify({
      Name: 'WL-WEB', HttpPort: httpPort, DicomPort: 28242, DicomAet: 'WLWEB', RemoteAccessAllowed: false,
      AuthenticationEnabled: true, RegisteredUsers: { wlweb: 'orthcanary55' }, StorageDirectory: join(dir, 'db'),
      IndexDirectory: join(dir, 'db'), HttpServerEnabled: true, KeepAlive: true,
    }));
    ns.spawn('/usr/sbin/Orthanc', [`--logdir=${dir}`, join(dir, 'orthanc.json')]);
    await ns.waitForPort(httpPort);
    const pcap = join(dir, 'orthanc.pcap');
    const stop = await ns.capture(pcap, `tcp port ${httpPort}`, { warmPort: httpPort });
    const base = `http://127.0.0.1:${httpPort}`;
    ns.exec('curl', ['-s', '-o', '/dev/null', `${base}/system`]);
    // Three requests on one kept-alive connection.
    ns.exec('curl', ['-s', '-o', '/dev/null', '-o', '/dev/null', '-o', '/dev/null', '-u', 'wlweb:orthcanary55', `${base}/system`, `${base}/patients?expand`, `${base}/statistics`]);
    ns.exec('curl', ['-s', '-o', '/dev/null', '-u', 'wlweb:orthcanary55', '-d', 'user=wlweb&password=formsecret99', `${base}/tools/find`]);
    ns.exec('curl', ['-s', '-o', '/dev/null', `${base}/system?password=querysecret42`]);
    // Orthanc's built-in WADO-URI endpoint (DICOMweb's oldest form).
    ns.exec('curl', ['-s', '-o', '/dev/null', '-u', 'wlweb:orthcanary55',
      `${base}/wado?requestType=WADO&studyUID=1.2.826.0.1.3680043.8.498.1&seriesUID=1.2.826.0.1.3680043.8.498.2&objectUID=1.2.826.0.1.3680043.8.498.3`]);
    await stop();

    const want = tsharkHttp(pcap);
    assert.equal(want.requests.length, 7, 'tshark sees seven requests');
    const run = await runCapture(pcap);
    const recs = recordsOf(run, 'http');
    assert.deepEqual(sorted(recs.map((r) => `${r.method} ${r.host}`)), sorted(want.requests));
    assert.deepEqual(sorted(recs.map((r) => String(r.status))), sorted(want.statuses));
    const wado = recs.filter((r) => r.path === '/wado');
    assert.deepEqual(wado.map((r) => [r.api, r.dicomweb]), [['dicomweb', 'WADO']]);
    assert.ok(recs.filter((r) => r.path !== '/wado').every((r) => r.api === 'orthanc'));
    const wadoEdge = run.obs.edges.find((e) => e.protocol === 'dicomweb');
    assert.deepEqual([wadoEdge?.phi, wadoEdge?.facts.http?.dicomweb], [true, ['WADO']]);
    assert.ok(!run.dump.includes('1.2.826.0.1.3680043.8.498.1'), 'UIDs from the query are not kept');
    assert.deepEqual(sorted(recs.filter((r) => r.credentials).map((r) => String(r.credentials))), ['basic', 'basic', 'basic', 'basic', 'basic', 'query-password']);
    const keepAlive = recs.filter((r) => r.path === '/system' || r.path === '/patients' || r.path === '/statistics');
    assert.ok(new Set(keepAlive.map((r) => r.conn)).size < keepAlive.length, 'several requests on one connection');
    const edge = run.obs.edges.find((e) => e.dport === httpPort && e.facts.http);
    assert.ok(edge?.facts.http?.cleartextCredentials);
    assert.equal(edge?.phi, true, '/patients marks the edge as PHI-bearing');
    const server = run.obs.hosts.find((h) => h.roles.includes('http-server'));
    assert.ok(server, 'server role');
    const b64 = Buffer.from('wlweb:orthcanary55').toString('base64');
    for (const secret of ['orthcanary55', b64, 'formsecret99', 'querysecret42']) assert.ok(!run.dump.includes(secret), `${secret} leaked`);
  } finally {
    await ns.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sample hospital capture: FHIR, Orthanc, TLS and DNS names as tshark sees them, PHI canaries absent', async () => {
  const file = join(REPO, 'examples', 'hospital', 'captures', 'hospital.pcap');
  const run = await runCapture(file);
  const http = recordsOf(run, 'http');
  assert.deepEqual(sorted(http.map((r) => `${r.method} ${r.host}`)), sorted(tsharkHttp(file).requests));
  const fhirEdge = run.obs.edges.find((e) => e.protocol === 'fhir');
  assert.ok(fhirEdge, 'a FHIR edge');
  assert.equal(fhirEdge.phi, true);
  assert.deepEqual(sorted(fhirEdge.facts.http?.fhirResources ?? []), ['Appointment', 'Patient']);
  assert.ok(Object.keys(fhirEdge.facts.http?.requests ?? {}).includes('GET /fhir/Patient/{id}'));
  const sni = tsharkFields(file, ['tls.handshake.extensions_server_name'], 'tls.handshake.type == 1').map(([s]) => s);
  assert.deepEqual(sorted(recordsOf(run, 'tls').map((r) => String(r.sni))), sorted(sni));
  // The external partner reached over TLS carries the name DNS gave it.
  const answers = tsharkFields(file, ['dns.qry.name', 'dns.a'], 'dns.a');
  for (const [name, addr] of answers) {
    const host = run.obs.hosts.find((h) => h.address === addr);
    if (host) assert.ok(host.hostnames.includes(name), `${addr} named ${name}`);
  }
  assert.ok(run.obs.hosts.find((h) => h.address === '203.0.113.10')?.hostnames.includes('api.insurer.example'));
  for (const canary of ['CANARY-7731', 'PHINEAS', 'MRN0001', 'DOE^JOHN']) assert.ok(!run.dump.includes(canary), `${canary} leaked`);
});
