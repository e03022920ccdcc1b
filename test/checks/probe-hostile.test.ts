import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { runProbe, type PortSpec } from '../../src/checks/probe/run.ts';
import type { DicomPortResult } from '../../src/checks/probe/dicom/probe.ts';
import type { HttpPortResult } from '../../src/checks/probe/http.ts';

/** Hostile and broken servers on loopback, written here; each probe must end within its timeout. */
type Behaviour = (s: Socket) => void;

const servers: Server[] = [];
const sockets = new Set<Socket>();
const timers = new Set<NodeJS.Timeout>();

function every(ms: number, fn: () => void): void {
  const t = setInterval(fn, ms);
  timers.add(t);
}

async function serve(b: Behaviour): Promise<number> {
  const srv = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    b(s);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as { port: number }).port;
}

const BEHAVIOURS: Record<string, Behaviour> = {
  rst: (s) => s.resetAndDestroy(),
  silent: () => {},
  garbage: (s) => s.write(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n\u0000\u00ff garbage garbage')),
  // Announces a 2 GiB PDU and streams forever.
  endlessPdu: (s) => {
    const h = Buffer.from([0x04, 0, 0x7f, 0xff, 0xff, 0xff]);
    s.write(h);
    every(5, () => { if (!s.destroyed) s.write(Buffer.alloc(16384, 0x41)); });
  },
  // A well-formed A-ASSOCIATE-AC header, then one byte every 200 ms.
  slowDrip: (s) => {
    s.once('data', () => {
      s.write(Buffer.from([0x02, 0, 0, 0, 0x10, 0]));
      every(200, () => { if (!s.destroyed) s.write(Buffer.from([0x20])); });
    });
  },
  // HTTP headers that never end.
  endlessHeaders: (s) => {
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\n');
      every(5, () => { if (!s.destroyed) s.write(`X-Filler: ${'a'.repeat(1000)}\r\n`); });
    });
  },
  // MLLP start byte and endless payload without the end marker.
  endlessMllp: (s) => {
    s.once('data', () => {
      s.write(Buffer.from([0x0b]));
      every(5, () => { if (!s.destroyed) s.write(Buffer.alloc(8192, 0x42)); });
    });
  },
  // Closes as soon as the request arrives.
  closeOnData: (s) => s.once('data', () => s.end()),
};

const ports: Record<string, number> = {};
let closedPort = 0;

before(async () => {
  for (const [name, b] of Object.entries(BEHAVIOURS)) ports[name] = await serve(b);
  // A port nobody listens on: bind, note, close.
  const tmp = createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  closedPort = (tmp.address() as { port: number }).port;
  await new Promise<void>((r) => tmp.close(() => r()));
});

after(async () => {
  for (const t of timers) clearInterval(t);
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

const TIMEOUT = 800;

async function probe(specs: PortSpec[], intrusive = false) {
  const t0 = Date.now();
  const report = await runProbe(['127.0.0.1'], { scope: ['127.0.0.1/32'], intrusive, ports: specs, onlyPorts: true, rate: 1000, concurrency: 8, timeoutMs: TIMEOUT });
  return { report, ms: Date.now() - t0, byPort: new Map(report.targets[0].ports.map((p) => [`${p.protocol}:${p.port}`, p])) };
}

test('DICOM probe against hostile servers ends in bounded time with a clear status', async () => {
  const specs: PortSpec[] = ['rst', 'silent', 'garbage', 'endlessPdu', 'slowDrip', 'closeOnData', 'endlessHeaders'].map((n) => ({ protocol: 'dicom', port: ports[n] }));
  specs.push({ protocol: 'dicom', port: closedPort });
  const { report, ms, byPort } = await probe(specs, true);
  // Everything runs in parallel: the whole run is bounded by a few timeouts, not one per server.
  assert.ok(ms < TIMEOUT * 4, `took ${ms} ms`);
  const st = (n: string) => byPort.get(`dicom:${ports[n]}`) as DicomPortResult;
  assert.equal(report.targets[0].closed, 1, 'the unused port is reported closed');
  assert.equal(st('rst').status, 'error');
  assert.match(st('rst').detail!, /^(reset|closed)/);
  assert.equal(st('silent').status, 'error');
  assert.match(st('silent').detail!, /^timeout/);
  assert.equal(st('garbage').status, 'not-dicom');
  assert.equal(st('endlessPdu').status, 'not-dicom');
  assert.match(st('endlessPdu').detail!, /PDU of 2147483647 bytes/);
  assert.equal(st('slowDrip').status, 'error');
  assert.match(st('slowDrip').detail!, /^timeout/);
  assert.equal(st('closeOnData').status, 'error');
  assert.match(st('closeOnData').detail!, /^closed/);
  assert.equal(st('endlessHeaders').status, 'not-dicom');
  // No DICOM findings come out of broken servers.
  assert.deepEqual(report.findings.filter((f) => f.rule.startsWith('probe.dicom')), []);
});

test('HTTP and MLLP probes against hostile servers end in bounded time', async () => {
  const specs: PortSpec[] = [
    { protocol: 'http', port: ports.endlessHeaders },
    { protocol: 'http', port: ports.silent },
    { protocol: 'http', port: ports.rst },
    { protocol: 'http', port: ports.garbage },
    { protocol: 'https', port: ports.garbage },
    { protocol: 'hl7', port: ports.endlessMllp },
    { protocol: 'hl7', port: ports.silent },
    { protocol: 'hl7-tls', port: ports.silent },
  ];
  const { ms, byPort } = await probe(specs, true);
  assert.ok(ms < TIMEOUT * 4, `took ${ms} ms`);
  const p = (proto: string, n: string) => byPort.get(`${proto}:${ports[n]}`)!;
  assert.equal(p('http', 'endlessHeaders').status, 'not-http');
  assert.match(p('http', 'silent').detail!, /^timeout/);
  assert.equal(p('http', 'silent').status, 'error', 'connected but silent is not a filtered port');
  assert.equal(p('http', 'rst').status, 'error');
  assert.equal(p('http', 'garbage').status, 'not-http');
  assert.equal(p('https', 'garbage').status, 'error');
  assert.match(p('https', 'garbage').detail!, /tls|reset|closed/i);
  assert.equal(p('hl7', 'endlessMllp').status, 'not-hl7');
  assert.match(p('hl7', 'endlessMllp').detail!, /too-much-data/);
  assert.equal(p('hl7', 'silent').status, 'open', 'the port is open; the test message got no answer');
  assert.match(p('hl7', 'silent').detail!, /^timeout/);
  assert.equal(p('hl7-tls', 'silent').status, 'filtered', 'no TLS handshake before the timeout');
});

test('targets outside the scope refuse the whole run', async () => {
  await assert.rejects(runProbe(['127.0.0.1', '127.0.0.2'], { scope: ['127.0.0.1/32'], intrusive: false, ports: [], rate: 100, concurrency: 1, timeoutMs: 100 }), /refusing to probe outside the scope: 127\.0\.0\.2/);
  await assert.rejects(runProbe(['10.0.0.0/8'], { scope: ['10.0.0.0/8'], intrusive: false, ports: [], rate: 100, concurrency: 1, timeoutMs: 100 }), /at most 1024 per target/);
  await assert.rejects(runProbe(['127.0.0.1'], { scope: [], intrusive: false, ports: [], rate: 100, concurrency: 1, timeoutMs: 100 }), /--scope is required/);
});

test('the rate limit spaces new connections', async () => {
  const specs: PortSpec[] = Array.from({ length: 6 }, () => ({ protocol: 'dicom' as const, port: closedPort }));
  // Distinct entries: same port under different protocols so that dedupe keeps them.
  const distinct: PortSpec[] = [{ protocol: 'dicom', port: closedPort }, { protocol: 'http', port: closedPort }, { protocol: 'hl7', port: closedPort }, { protocol: 'dicom-tls', port: closedPort }, { protocol: 'https', port: closedPort }, { protocol: 'hl7-tls', port: closedPort }];
  assert.equal(specs.length, distinct.length);
  const t0 = Date.now();
  await runProbe(['127.0.0.1'], { scope: ['127.0.0.1'], intrusive: false, ports: distinct, onlyPorts: true, rate: 20, concurrency: 6, timeoutMs: 500 });
  // 6 connections at 20/s: the last starts no earlier than 250 ms after the first.
  assert.ok(Date.now() - t0 >= 240, `took ${Date.now() - t0} ms`);
});

test('HTTPS with TLS 1.0 enabled and a self-signed certificate: versions, certificate and headers are reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wl-checks-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2', '-subj', '/CN=portal.test'], { stdio: 'ignore' });
    const srv = createHttpsServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')), minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }, (req, res) => {
      res.setHeader('Server', 'nginx/1.22.1');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.writeHead(req.url === '/' ? 200 : 404);
      res.end('portal');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const { report, byPort } = await probe([{ protocol: 'https', port }]);
      const h = byPort.get(`https:${port}`) as HttpPortResult;
      assert.equal(h.status, 'http');
      assert.equal(h.tls?.info.protocol, 'TLSv1.3');
      assert.deepEqual(h.tls?.oldProtocols, ['TLSv1', 'TLSv1.1']);
      assert.equal(h.tls?.info.certificate?.selfSigned, true);
      assert.equal(h.tls?.info.certificate?.keyBits, 2048);
      assert.deepEqual(h.missingHeaders, ['X-Frame-Options', 'Strict-Transport-Security']);
      const rules = report.findings.map((f) => f.rule).sort();
      assert.deepEqual(rules, ['probe.http.banner', 'probe.http.security-headers', 'probe.tls.cert-self-signed', 'probe.tls.old-protocol']);
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HTTPS with an expired certificate on a 1024-bit RSA key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wl-checks-tls-'));
  try {
    // openssl ca can back-date a certificate; req -x509 cannot.
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    run(['req', '-newkey', 'rsa:1024', '-nodes', '-keyout', 'k.pem', '-out', 'r.csr', '-subj', '/CN=old-viewer.test']);
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '01\n');
    writeFileSync(join(dir, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n');
    run(['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'k.pem', '-in', 'r.csr', '-out', 'c.pem', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
    const srv = createHttpsServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')), ciphers: 'DEFAULT:@SECLEVEL=0' }, (_req, res) => { res.writeHead(200); res.end(); });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const { report, byPort } = await probe([{ protocol: 'https', port }]);
      const h = byPort.get(`https:${port}`) as HttpPortResult;
      assert.equal(h.tls?.info.certificate?.expired, true);
      assert.equal(h.tls?.info.certificate?.validTo, '2020-02-01T00:00:00.000Z');
      assert.equal(h.tls?.info.certificate?.keyBits, 1024);
      const rules = report.findings.map((f) => f.rule);
      for (const id of ['probe.tls.cert-expired', 'probe.tls.weak-key', 'probe.tls.cert-self-signed']) assert.ok(rules.includes(id), id);
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
