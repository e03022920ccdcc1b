/**
 * wardline discover / flows / assets end to end on the lab capture: DICOM
 * associations and HL7 message types equal tshark's decode, the store
 * merges runs, standard input works, logs are Zeek-style JSON lines, bad
 * input exits 2, and no patient name or ID reaches the store, logs, JSON or
 * diagrams.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { corpusFile, REPO } from '../helpers/corpus.ts';
import { wardline as runCli } from '../helpers/cli.ts';
import { tshark } from './harness.ts';

const LAB = corpusFile('lab', 'lab_hospital.pcap');
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wl-capture-discover-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const wardline = (args: string[], input?: Buffer) => runCli(args, { input, cwd: dir });

interface Edge {
  src: string;
  dst: string;
  dport: number;
  protocol: string;
  sessions: number;
  bytes: number;
  facts: {
    dicom?: { aePairs: Array<{ calling: string; called: string; outcome: string; count: number }> };
    hl7?: { messageTypes: Record<string, number> };
  };
  label?: { process: string; handover: string };
}

describe('discover on the lab capture', () => {
  let edges: Edge[];
  const db = () => join(dir, 'store.db');

  test('DICOM associations (AE pairs per host pair) equal tshark A-ASSOCIATE-RQ decode', () => {
    const r = wardline(['discover', LAB, '--json', '--db', db(), '--logs', join(dir, 'logs')]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { edges: Edge[]; inputs: Array<{ packets: number; format: string }> };
    edges = out.edges;
    assert.equal(out.inputs[0].packets, 774);
    assert.equal(out.inputs[0].format, 'pcap');
    const theirs = new Map<string, number>();
    for (const line of tshark(['-r', LAB, '-Y', 'dicom.pdu.type==1', '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'dicom.assoc.ae.calling', '-e', 'dicom.assoc.ae.called']).split('\n')) {
      if (!line) continue;
      const [s, d, calling, called] = line.split('\t').map((x) => x.trim());
      const k = `${s}>${d} ${calling}>${called}`;
      theirs.set(k, (theirs.get(k) ?? 0) + 1);
    }
    const ours = new Map<string, number>();
    for (const e of edges) {
      for (const p of e.facts.dicom?.aePairs ?? []) {
        const k = `${e.src}>${e.dst} ${p.calling}>${p.called}`;
        ours.set(k, (ours.get(k) ?? 0) + p.count);
      }
    }
    assert.deepEqual(new Map([...ours].sort()), new Map([...theirs].sort()));
    assert.equal([...ours.values()].reduce((a, b) => a + b, 0), 22);
  });

  test('association outcomes (accepted, rejected, aborted) equal tshark decode', () => {
    // Per TCP stream: the RQ names the AEs; an A-ABORT, A-ASSOCIATE-RJ or -AC decides the outcome.
    const streams = new Map<string, { pair: string; types: Set<number> }>();
    for (const line of tshark(['-r', LAB, '-Y', 'dicom', '-T', 'fields', '-e', 'tcp.stream', '-e', 'dicom.pdu.type', '-e', 'dicom.assoc.ae.calling', '-e', 'dicom.assoc.ae.called']).split('\n')) {
      if (!line) continue;
      const [stream, types, calling, called] = line.split('\t');
      const s = streams.get(stream) ?? { pair: '', types: new Set<number>() };
      for (const t of types.split(',')) s.types.add(Number(t));
      if (types.split(',').includes('0x01')) s.pair = `${calling.split(',')[0].trim()}>${called.split(',')[0].trim()}`;
      streams.set(stream, s);
    }
    const theirs = new Map<string, number>();
    for (const s of streams.values()) {
      const outcome = s.types.has(7) ? 'aborted' : s.types.has(3) ? 'rejected' : s.types.has(2) ? 'accepted' : 'unknown';
      const k = `${s.pair} ${outcome}`;
      theirs.set(k, (theirs.get(k) ?? 0) + 1);
    }
    const ours = new Map<string, number>();
    for (const e of edges) for (const p of e.facts.dicom?.aePairs ?? []) ours.set(`${p.calling}>${p.called} ${p.outcome}`, (ours.get(`${p.calling}>${p.called} ${p.outcome}`) ?? 0) + p.count);
    assert.deepEqual(new Map([...ours].sort()), new Map([...theirs].sort()));
    assert.equal(theirs.get('ROGUE>ORTHANC aborted'), 1);
  });

  test('HL7 message types equal tshark decode', () => {
    const theirs = new Map<string, number>();
    for (const line of tshark(['-r', LAB, '-d', 'tcp.port==2575,hl7', '-Y', 'hl7', '-T', 'fields', '-e', 'hl7.message.type', '-e', 'hl7.event.type']).split('\n')) {
      if (!line) continue;
      const [t, ev] = line.split('\t');
      theirs.set(`${t}^${ev}`, (theirs.get(`${t}^${ev}`) ?? 0) + 1);
    }
    const ours = new Map<string, number>();
    for (const e of edges) for (const [t, n] of Object.entries(e.facts.hl7?.messageTypes ?? {})) ours.set(t, (ours.get(t) ?? 0) + n);
    assert.deepEqual(new Map([...ours].sort()), new Map([...theirs].sort()));
  });

  test('DICOM flows are labelled with their clinical handover', () => {
    const store = edges.find((e) => e.protocol === 'dicom' && e.dport === 104)!;
    assert.ok(store.label?.handover.startsWith('Radiology:'), store.label?.handover);
  });

  test('logs are Zeek-style JSON lines', () => {
    const files = readdirSync(join(dir, 'logs')).sort();
    assert.ok(files.includes('dicom.log') && files.includes('hl7.log'), files.join());
    const hl7 = readFileSync(join(dir, 'logs', 'hl7.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(hl7.length, 8);
    for (const rec of hl7) {
      assert.equal(rec['id.resp_p'], 2575);
      assert.ok(typeof rec.ts === 'number' && rec.ts > 1.7e9 && rec.ts < 2e10, 'ts in epoch seconds');
    }
  });

  test('a second run merges into the store: same edges, twice the sessions', () => {
    const r = wardline(['discover', LAB, '--db', db(), '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const flows = wardline(['flows', '--json', '--db', db()]);
    assert.equal(flows.code, 0, flows.stderr);
    const stored = (JSON.parse(flows.stdout) as { edges: Edge[] }).edges;
    assert.equal(stored.length, edges.length);
    for (const e of edges) {
      const s = stored.find((x) => x.src === e.src && x.dst === e.dst && x.dport === e.dport && x.protocol === e.protocol)!;
      assert.equal(s.sessions, 2 * e.sessions);
      assert.equal(s.bytes, 2 * e.bytes);
    }
    const dicomPairs = stored.flatMap((e) => e.facts.dicom?.aePairs ?? []).reduce((n, p) => n + p.count, 0);
    assert.equal(dicomPairs, 44);
  });

  test('assets lists hosts with roles, AE titles and listening ports', () => {
    const r = wardline(['assets', '--json', '--db', db()]);
    assert.equal(r.code, 0, r.stderr);
    const hosts = (JSON.parse(r.stdout) as { hosts: Array<{ address: string; roles: string[]; aeTitles: string[]; macs: string[]; listeningPorts: Array<{ port: number }> }> }).hosts;
    const pacs = hosts.find((h) => h.address === '10.77.0.10')!;
    assert.ok(pacs.roles.includes('dicom-scp'));
    assert.ok(pacs.aeTitles.includes('ORTHANC'));
    assert.deepEqual(pacs.macs, ['02:77:00:00:00:10']);
    assert.ok(pacs.listeningPorts.some((p) => p.port === 4242));
    const table = wardline(['assets', '--db', db()]);
    assert.match(table.stdout, /10\.77\.0\.20 .*hl7-receiver/);
  });

  test('flows draw as Mermaid and dot', () => {
    const m = wardline(['flows', '--format', 'mermaid', '--db', db()]);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /^flowchart LR/);
    assert.match(m.stdout, /-->\|"dicom\/104 · radiology/);
    const d = wardline(['flows', '--format', 'dot', '--protocol', 'hl7', '--db', db()]);
    assert.match(d.stdout, /^digraph wardline \{/);
    assert.equal((d.stdout.match(/->/g) ?? []).length, 2);
    const bad = wardline(['flows', '--format', 'png', '--db', db()]);
    assert.equal(bad.code, 2);
  });

  test('standard input (-) gives the same result as the file', () => {
    const r = wardline(['discover', '-', '--json', '--no-store'], readFileSync(LAB));
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { edges: Edge[]; inputs: Array<{ path: string }> };
    assert.equal(out.inputs[0].path, 'stdin');
    assert.deepEqual(out.edges.map((e) => `${e.src}>${e.dst}:${e.dport}/${e.protocol} ${e.sessions} ${e.bytes}`).sort(),
      edges.map((e) => `${e.src}>${e.dst}:${e.dport}/${e.protocol} ${e.sessions} ${e.bytes}`).sort());
  });

  test('no patient name or ID reaches the store, logs, JSON or diagrams', () => {
    // The lab's synthetic patients travel in cleartext in the capture.
    const raw = readFileSync(LAB).toString('latin1');
    const canaries = ['DOE^JOHN', 'SMITH^JANE', 'GARCIA^MARIA', 'MRN0001', 'MRN0002', 'MRN0003'];
    assert.ok(canaries.some((c) => raw.includes(c)), 'the capture carries the canaries');
    const outputs = [
      wardline(['discover', LAB, '--json', '--no-store']).stdout,
      wardline(['flows', '--json', '--db', db()]).stdout,
      wardline(['assets', '--json', '--db', db()]).stdout,
      wardline(['flows', '--format', 'dot', '--db', db()]).stdout,
      wardline(['assets', '--format', 'mermaid', '--db', db()]).stdout,
      readFileSync(db()).toString('latin1'),
      ...readdirSync(join(dir, 'logs')).map((f) => readFileSync(join(dir, 'logs', f), 'utf8')),
    ];
    for (const text of outputs) for (const c of canaries) assert.ok(!text.includes(c) && !text.includes(c.replace('^', ' ')), `${c} leaked`);
  });
});

test('the example hospital capture: its PHI canary never reaches the store, logs, JSON or diagrams', () => {
  const pcap = join(REPO, 'examples', 'hospital', 'captures', 'hospital.pcap');
  const canaries = ['ZZCANARY', 'PHINEAS', 'CANARY-7731'];
  assert.ok(readFileSync(pcap).toString('latin1').includes('CANARY-7731'), 'the capture carries the canary');
  const store = join(dir, 'example.db');
  const logs = join(dir, 'example-logs');
  const r = wardline(['discover', pcap, '--json', '--db', store, '--logs', logs]);
  assert.equal(r.code, 0, r.stderr);
  const protocols = new Set((JSON.parse(r.stdout) as { edges: Edge[] }).edges.map((e) => e.protocol));
  for (const p of ['dicom', 'hl7', 'fhir', 'tls', 'dns']) assert.ok(protocols.has(p), `${p} decoded`);
  const texts = [
    r.stdout,
    wardline(['flows', '--db', store]).stdout,
    wardline(['flows', '--format', 'mermaid', '--db', store]).stdout,
    wardline(['assets', '--json', '--db', store]).stdout,
    readFileSync(store).toString('latin1'),
    ...readdirSync(logs).map((f) => readFileSync(join(logs, f), 'utf8')),
  ];
  for (const t of texts) for (const c of canaries) assert.ok(!t.includes(c), `${c} leaked`);
});

test('with the example site model: flows carry asset names, diagrams group by zone, inventory lists what the model lacks', () => {
  const pcap = join(REPO, 'examples', 'hospital', 'captures', 'hospital.pcap');
  const model = join(REPO, 'examples', 'hospital');
  const store = join(dir, 'model.db');
  const r = wardline(['discover', pcap, '--model', model, '--json', '--db', store]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { edges: Edge[]; hosts: Array<{ address: string }>; inventory: { unmodelled: string[]; unseen: string[] } };
  const modelText = ['assets.yaml', 'partners.yaml', 'site.yaml'].map((f) => readFileSync(join(model, f), 'utf8')).join('\n');
  // Hosts the model names (as an address or inside a CIDR) are not reported as missing.
  for (const a of out.inventory.unmodelled) assert.ok(!modelText.includes(`${a}`), `${a} is in the model`);
  assert.ok(out.inventory.unseen.length > 0);
  const dicom = out.edges.filter((e) => e.protocol === 'dicom');
  assert.ok(dicom.some((e) => /-> PACS_MAIN/.test(e.label?.handover ?? '')), 'DICOM handovers name the PACS');
  const mermaid = wardline(['flows', '--model', model, '--format', 'mermaid', '--db', store]).stdout;
  assert.match(mermaid, /subgraph z\d+\["imaging-servers"\]/);
  assert.match(mermaid, /\["interface-engine \(10\.30\.20\.10\)"\]/);
  const assets = JSON.parse(wardline(['assets', '--model', model, '--json', '--db', store]).stdout) as { hosts: Array<{ address: string; asset?: string }>; unmodelled: string[] };
  assert.equal(assets.hosts.find((h) => h.address === '10.30.20.10')?.asset, 'interface-engine');
  assert.deepEqual(assets.unmodelled, out.inventory.unmodelled);
});

describe('discover: bad input', () => {
  test('a file that is not a capture exits 2 with its name', () => {
    const f = join(dir, 'readme.txt');
    writeFileSync(f, 'not a capture at all\n');
    const r = wardline(['discover', f, '--no-store']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /readme\.txt: not a recognised input/);
  });

  test('a missing file and no input at all exit 2', () => {
    assert.equal(wardline(['discover', join(dir, 'nope.pcap'), '--no-store']).code, 2);
    assert.equal(wardline(['discover', '--no-store']).code, 2);
  });

  test('a truncated capture warns with the packet number, keeps the results and exits 0', () => {
    const f = join(dir, 'cut.pcap');
    const b = readFileSync(LAB);
    writeFileSync(f, b.subarray(0, b.length - 100));
    const r = wardline(['discover', f, '--json', '--no-store']);
    assert.equal(r.code, 0, r.stderr);
    const complete = tshark(['-r', f, '-T', 'fields', '-e', 'frame.number']).trim().split('\n').length;
    assert.match(r.stderr, new RegExp(`warning: .*cut\\.pcap: truncated: packet ${complete + 1} is cut short`));
    const out = JSON.parse(r.stdout) as { edges: Edge[]; inputs: Array<{ packets: number }>; anomalies: Array<{ kind: string }> };
    assert.equal(out.inputs[0].packets, complete);
    assert.ok(out.edges.some((e) => e.protocol === 'dicom'));
    assert.ok(out.anomalies.some((a) => a.kind === 'truncated-input'));
  });

  test('--help has examples', () => {
    const r = wardline(['discover', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Examples:\n {2}wardline discover/);
  });
});
