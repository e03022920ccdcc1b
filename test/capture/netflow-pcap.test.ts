/**
 * `wardline discover` on a capture of NetFlow/IPFIX export traffic reads the
 * flow records inside it (the NetFlow reader), not the export datagrams as
 * packets: otherwise the result is one UDP flow from the exporter to the
 * collector and none of the flows the records describe.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { corpusFile, REPO } from '../helpers/corpus.ts';

const MAIN = join(REPO, 'src', 'cli', 'main.ts');

interface Edge {
  src: string;
  dst: string;
  dport: number;
  transport: string;
  protocol: string;
  bytes: number;
  packets: number;
}

interface Discovered {
  edges: Edge[];
  inputs: Array<{ format: string; packets?: number; records?: number }>;
}

function discover(file: string): Discovered {
  const r = spawnSync(process.execPath, [MAIN, 'discover', file, '--no-store', '--json', '--quiet'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Discovered;
}

interface PmacctFlow {
  peer_ip_src: string;
  ip_src: string;
  ip_dst: string;
  port_src: number;
  port_dst: number;
  ip_proto: string;
  packets: number;
  bytes: number;
}

const pair = (a: string, b: string, transport: string) => `${[a, b].sort().join(' ')} ${transport}`;

describe('discover on captures of flow export traffic', () => {
  test('pmacct NetFlow v9 capture: the flows nfacctd expects, not the export datagrams', () => {
    const name = 'pmacct_101-NFv9-CISCO';
    const expected = readFileSync(corpusFile('netflow', `${name}.expected-flows.json`), 'utf8')
      .split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as PmacctFlow);
    const out = discover(corpusFile('netflow', `${name}.pcap`));
    assert.equal(out.inputs[0].format, 'netflow-pcap');
    assert.equal(out.inputs[0].records, expected.length);
    // Folding may name either end the client (unidirectional records), so compare host pairs per transport.
    assert.deepEqual(
      [...new Set(out.edges.map((e) => pair(e.src, e.dst, e.transport)))].sort(),
      [...new Set(expected.map((f) => pair(f.ip_src, f.ip_dst, f.ip_proto)))].sort(),
    );
    for (const f of expected) {
      const e = out.edges.find((x) => pair(x.src, x.dst, x.transport) === pair(f.ip_src, f.ip_dst, f.ip_proto) && (x.dport === f.port_dst || x.dport === f.port_src));
      assert.ok(e, `an edge for ${f.ip_src}:${f.port_src} > ${f.ip_dst}:${f.port_dst}/${f.ip_proto}`);
    }
    assert.equal(out.edges.reduce((n, e) => n + e.bytes, 0), expected.reduce((n, f) => n + f.bytes, 0));
    assert.equal(out.edges.reduce((n, e) => n + e.packets, 0), expected.reduce((n, f) => n + f.packets, 0));
    // The exporter itself is no host of any flow it reported.
    const exporter = expected[0].peer_ip_src;
    assert.ok(!out.edges.some((e) => e.src === exporter || e.dst === exporter));
  });

  test("hospital export capture: the TCP edges of the hospital capture it was made from", () => {
    const captures = join(REPO, 'examples', 'hospital', 'captures');
    const flows = discover(join(captures, 'hospital-netflow.pcap'));
    const packets = discover(join(captures, 'hospital.pcap'));
    assert.equal(flows.inputs[0].format, 'netflow-pcap');
    assert.equal(packets.inputs[0].format, 'pcap');
    const totals = (edges: Edge[]) => {
      const m = new Map<string, { bytes: number; packets: number }>();
      for (const e of edges) {
        if (e.transport !== 'tcp') continue;
        const k = `${e.src} > ${e.dst}:${e.dport}`;
        const t = m.get(k) ?? { bytes: 0, packets: 0 };
        t.bytes += e.bytes;
        t.packets += e.packets;
        m.set(k, t);
      }
      return m;
    };
    const fromFlows = totals(flows.edges);
    const fromPackets = totals(packets.edges);
    assert.ok(fromPackets.size > 20, `hospital capture has ${fromPackets.size} TCP edges`);
    assert.deepEqual([...fromFlows.keys()].sort(), [...fromPackets.keys()].sort());
    // softflowd exported the capture twice (NetFlow v9 to udp/2055 and IPFIX to udp/4739, see
    // the captures' MANIFEST.md), and both count IP bytes as the pipeline does.
    for (const [k, t] of fromPackets) {
      assert.deepEqual(fromFlows.get(k), { bytes: 2 * t.bytes, packets: 2 * t.packets }, k);
    }
  });
});
