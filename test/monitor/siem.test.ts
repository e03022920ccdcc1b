/** SIEM outputs against real receivers on loopback: UDP, TCP (octet counting) and TLS syslog servers, an HTTP webhook receiver, a JSONL file. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import {
  JsonlSink, SyslogSink, WebhookSink, cefValueEscape, formatCef, parseCef, parseSyslogUrl, type SiemEvent,
} from '../../src/outputs/siem/index.ts';
import { createSinks } from '../../src/outputs/siem/index.ts';

const TMP = mkdtempSync(join(tmpdir(), 'wl-monitor-siem-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

function event(n: number, extra: Partial<SiemEvent> = {}): SiemEvent {
  return {
    id: `check:check.no-conduit:10.0.0.${n}>10.20.20.10/tcp/104/dicom#open@1700000000000`, ts: 1_700_000_000_000 + n, kind: 'alert.open',
    rule: 'check.no-conduit', severity: 'high', state: 'open', title: `No conduit allows dmz -> imaging [${n}] "quoted" a=b|c\\d`,
    subject: `10.0.0.${n}>10.20.20.10/tcp/104/dicom`, zone: 'imaging-servers', src: `10.0.0.${n}`, dst: '10.20.20.10', dport: 104, transport: 'tcp',
    evidence: { aePairs: ['CT1 -> PACS (accepted)'] }, ...extra,
  };
}

/** Parses RFC 5424: PRI, version, timestamp, host, app, procid, msgid, SD params, message. */
function parse5424(s: string): { pri: number; msgid: string; sd: Record<string, string>; msg: string; ts: string } {
  const m = /^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) \[wardline@32473((?: [a-z]+="(?:[^"\\]|\\.)*")*)\] \uFEFF([\s\S]*)$/.exec(s);
  assert.ok(m, `not RFC 5424: ${s.slice(0, 200)}`);
  const sd: Record<string, string> = {};
  for (const p of m[7].matchAll(/ ([a-z]+)="((?:[^"\\]|\\.)*)"/g)) sd[p[1]] = p[2].replace(/\\(["\\\]])/g, '$1');
  return { pri: Number(m[1]), ts: m[2], msgid: m[6], sd, msg: m[8] };
}

/** RFC 6587 octet-counting deframer. */
function deframe(onMsg: (s: string) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const sp = buf.indexOf(0x20);
      if (sp < 0) return;
      const len = Number(buf.subarray(0, sp).toString('ascii'));
      assert.ok(Number.isInteger(len) && len > 0, 'octet count');
      if (buf.length < sp + 1 + len) return;
      onMsg(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
      buf = buf.subarray(sp + 1 + len);
    }
  };
}

let certFile = '';
let keyFile = '';
before(() => {
  certFile = join(TMP, 'cert.pem');
  keyFile = join(TMP, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
});

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('syslog over UDP: one RFC 5424 message per datagram, PRI from facility and severity, SD escaped', async () => {
  const got: string[] = [];
  const srv = createSocket('udp4');
  srv.on('message', (m) => got.push(m.toString('utf8')));
  await new Promise<void>((r) => srv.bind(0, '127.0.0.1', () => r()));
  const port = srv.address().port;
  const sink = new SyslogSink(parseSyslogUrl(`udp://127.0.0.1:${port}`), { facility: 10 });
  for (let i = 1; i <= 20; i++) sink.send(event(i, i === 3 ? { severity: 'critical' } : {}));
  await sink.flush();
  await waitFor(() => got.length === 20);
  const p = got.map(parse5424);
  assert.equal(p[0].pri, 10 * 8 + 3); // authpriv.err for high
  assert.equal(p[2].pri, 10 * 8 + 2); // critical -> crit
  assert.equal(p[0].msgid, 'alert.open');
  assert.equal(p[0].sd.rule, 'check.no-conduit');
  assert.equal(p[0].sd.dport, '104');
  assert.equal(p[0].msg, event(1).title);
  assert.equal(p[0].ts, new Date(event(1).ts).toISOString());
  assert.deepEqual(p.map((x) => x.sd.src).sort(), Array.from({ length: 20 }, (_, i) => `10.0.0.${i + 1}`).sort());
  assert.equal(sink.stats.sent, 20);
  await sink.close();
  srv.close();
});

test('syslog over TCP: octet-counted frames, in order; a receiver restart loses nothing queued', async () => {
  const got: string[] = [];
  const sockets = new Set<Socket>();
  const mk = () => createTcpServer((s) => { sockets.add(s); s.on('data', deframe((m) => got.push(m))); s.on('close', () => sockets.delete(s)); });
  let srv = mk();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  const sink = new SyslogSink(parseSyslogUrl(`tcp://127.0.0.1:${port}`));
  for (let i = 1; i <= 50; i++) sink.send(event(i));
  await waitFor(() => got.length === 50);
  assert.deepEqual(got.map((g) => parse5424(g).sd.src), Array.from({ length: 50 }, (_, i) => `10.0.0.${i + 1}`));
  // The SIEM goes away; events meanwhile queue, and arrive once it is back on the same port.
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => srv.close(() => r()));
  await new Promise((r) => setTimeout(r, 100));
  for (let i = 51; i <= 60; i++) sink.send(event(i));
  await new Promise((r) => setTimeout(r, 300));
  srv = mk();
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
  await waitFor(() => got.length >= 60, 15_000);
  const srcs = new Set(got.map((g) => parse5424(g).sd.src));
  for (let i = 51; i <= 60; i++) assert.ok(srcs.has(`10.0.0.${i}`), `event ${i} delivered after reconnect`);
  await sink.close();
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => srv.close(() => r()));
});

test('syslog over TLS (RFC 5425) to a server with a throwaway certificate, verified with --ca; refused without it', async () => {
  const got: string[] = [];
  const srv = createTlsServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (s) => s.on('data', deframe((m) => got.push(m))));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  const sink = createSinks({ syslog: [`tls://localhost:${port}`], ca: certFile })[0];
  for (let i = 1; i <= 5; i++) sink.send(event(i));
  await waitFor(() => got.length === 5);
  assert.equal(parse5424(got[4]).sd.src, '10.0.0.5');
  await sink.close();
  const untrusted = new SyslogSink(parseSyslogUrl(`tls://localhost:${port}`));
  untrusted.send(event(9));
  await waitFor(() => untrusted.stats.failed > 0);
  assert.equal(got.length, 5);
  await untrusted.close();
  await new Promise<void>((r) => srv.close(() => r()));
});

test('CEF: header and extension escaping round-trips; sent as the syslog message over UDP', async () => {
  const ev = event(7, { title: 'a|b\\c=d\nnext', zone: 'z=1' });
  const line = formatCef(ev);
  assert.ok(line.startsWith('CEF:0|Wardline|Wardline Monitor|0.1.0|check.no-conduit|a\\|b\\\\c=d next|8|'));
  assert.equal(cefValueEscape('x=y\\z\r\n'), 'x\\=y\\\\z\\n');
  const p = parseCef(line);
  assert.equal(p.header[5], 'a|b\\c=d next');
  assert.equal(p.ext.msg, 'a|b\\c=d\nnext');
  assert.equal(p.ext.cs3, 'z=1');
  assert.equal(p.ext.cs3Label, 'zone');
  assert.equal(p.ext.src, '10.0.0.7');
  assert.equal(p.ext.dpt, '104');
  assert.equal(p.ext.externalId, ev.id);
  const got: string[] = [];
  const srv = createSocket('udp4');
  srv.on('message', (m) => got.push(m.toString('utf8')));
  await new Promise<void>((r) => srv.bind(0, '127.0.0.1', () => r()));
  const sink = createSinks({ cef: [`udp://127.0.0.1:${srv.address().port}`] })[0];
  sink.send(ev);
  await waitFor(() => got.length === 1);
  assert.equal(parse5424(got[0]).msg, line);
  await sink.close();
  srv.close();
});

test('webhook: 503 then 429 then 200 is retried with backoff, Idempotency-Key set; 400 is final', async () => {
  const hits: Array<{ at: number; key: string | undefined; body: SiemEvent }> = [];
  let n = 0;
  const srv = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const ev = JSON.parse(body) as SiemEvent;
      hits.push({ at: Date.now(), key: req.headers['idempotency-key'] as string | undefined, body: ev });
      if (ev.subject.startsWith('10.0.0.99')) { res.writeHead(400).end(); return; }
      n++;
      if (n === 1) res.writeHead(503).end();
      else if (n === 2) res.writeHead(429, { 'retry-after': '0' }).end();
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const url = new URL(`http://127.0.0.1:${(srv.address() as { port: number }).port}/hook`);
  const sink = new WebhookSink(url, { baseDelayMs: 100, concurrency: 1 });
  sink.send(event(1));
  await sink.flush();
  assert.equal(hits.length, 3);
  assert.ok(hits.every((h) => h.key === event(1).id));
  assert.ok(hits[1].at - hits[0].at >= 50, 'backed off before the first retry');
  assert.equal(sink.stats.sent, 1);
  assert.equal(sink.stats.retries, 2);
  sink.send(event(99));
  await sink.flush();
  assert.equal(hits.length, 4);
  assert.equal(sink.stats.failed, 1);
  await sink.close();
  await new Promise<void>((r) => srv.close(() => r()));
});

test('webhook: a receiver that is down gets the event once it comes up within the retry budget', async () => {
  const port = await new Promise<number>((r) => { const s = createTcpServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => r(p)); }); });
  const sink = new WebhookSink(new URL(`http://127.0.0.1:${port}/`), { baseDelayMs: 200, attempts: 8 });
  sink.send(event(2));
  await new Promise((r) => setTimeout(r, 300));
  const got: string[] = [];
  const srv = createHttpServer((req, res) => { req.resume(); got.push(String(req.headers['idempotency-key'])); res.end(); });
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
  await sink.flush(20_000);
  assert.deepEqual(got, [event(2).id]);
  await sink.close();
  await new Promise<void>((r) => srv.close(() => r()));
});

test('JSON lines to a file: one parseable event per line, appended', async () => {
  const f = join(TMP, 'out', 'events.jsonl');
  for (let round = 0; round < 2; round++) {
    const sink = new JsonlSink(f);
    for (let i = 1; i <= 3; i++) sink.send(event(i + round * 3));
    await sink.close();
  }
  const lines = readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SiemEvent);
  assert.deepEqual(lines.map((l) => l.src), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
});

test('bad output specs are usage errors', () => {
  assert.throws(() => createSinks({ syslog: ['ftp://x'] }), /unsupported scheme/);
  assert.throws(() => createSinks({ syslog: ['nonsense'] }), /not a URL/);
  assert.throws(() => createSinks({ webhook: ['gopher://x'] }), /unsupported scheme/);
  assert.throws(() => createSinks({ cef: ['http://x'] }), /unsupported target/);
  assert.throws(() => createSinks({ syslog: ['udp://h:1'], facility: 'kern' }), /unknown syslog facility/);
});
