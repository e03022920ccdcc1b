/**
 * IP fragment reassembly (issue #3): DNS answers that arrive in IPv4 and
 * IPv6 fragments decode as tshark decodes them (tshark reassembles by
 * default), in the corpus and from a real resolver whose loopback MTU
 * forces the kernel to fragment; TCP over fragments (out of order,
 * repeated) gives the same streams as the unfragmented capture; IPv4
 * overlaps keep the first bytes and are reported; IPv6 overlaps drop the
 * datagram and its later fragments (RFC 5722) while exact copies are
 * dropped alone (RFC 8200); missing fragments time out on capture time; the
 * reassembler's bounds hold. A connection counts every fragment frame of
 * its datagrams, as tshark's conversation table counts frames on the wire.
 * IPv6 and IPv4 Authentication Headers are stepped over (RFC 4302).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { datagramAnalyzers, streamAnalyzers } from '../../src/analyzers/registry.ts';
import { FragmentReassembler } from '../../src/decoders/fragments.ts';
import { PacketPipeline, type PipelineStats } from '../../src/decoders/pipeline.ts';
import { FlowAggregator } from '../../src/observations/aggregate.ts';
import type { Anomaly, ProtocolRecord } from '../../src/observations/types.ts';
import { openInput } from '../../src/sources/input.ts';
import { CaptureParser } from '../../src/sources/pcap.ts';
import type { ConnectionRecord } from '../../src/decoders/connection.ts';
import { WebNamespace, tshark, tsharkFields } from '../analyzers/web-helpers.ts';
import { corpusFile } from '../helpers/corpus.ts';
import { fragmentFrame, fragmentPcap, ipv4Checksum, withAuthHeader } from './fraggen.ts';
import { runPipeline } from './harness.ts';
import { readPcap, toIPv6, writePcap, type Pcap } from './pcapgen.ts';

const DNS = corpusFile('pcap', 'zeek_dns-edns-ecs.pcap');
const LAB = corpusFile('lab', 'lab_hospital.pcap');
const FRAGMENT_FILTER = 'ip.flags.mf==1 || ip.frag_offset>0 || ipv6.fraghdr';
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wl-capture-frag-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  records: ProtocolRecord[];
  anomalies: Anomaly[];
  stats: PipelineStats;
}

/** The capture through the real pipeline with every analyzer. */
async function run(file: string): Promise<Run> {
  const records: ProtocolRecord[] = [];
  const agg = new FlowAggregator({ onRecord: (r) => records.push(r) });
  const pipe = new PacketPipeline({ streamAnalyzers, datagramAnalyzers, sink: agg });
  pipe.inputName = 'capture';
  const input = await openInput(file);
  const parser = new CaptureParser(input.name, (p) => pipe.packet(p));
  for await (const c of input.chunks) parser.push(c);
  parser.end();
  pipe.end();
  return { records, anomalies: agg.toObservations().anomalies, stats: pipe.stats };
}

/** "id name answers=N A=... AAAA=..." of every DNS response over UDP, as tshark decodes the file. */
function tsharkResponses(file: string): string[] {
  return tsharkFields(file, ['dns.id', 'dns.qry.name', 'dns.count.answers', 'dns.resp.type', 'dns.a', 'dns.aaaa'], 'dns.flags.response==1 && udp')
    .map(([id, name, count, types, a, aaaa]) => {
      // dns.a / dns.aaaa list every section; the answers come first.
      const n = Number(count || 0);
      const t = (types ?? '').split(',').slice(0, n);
      const as = (a ?? '').split(',').slice(0, t.filter((x) => x === '1').length);
      const aaaas = (aaaa ?? '').split(',').slice(0, t.filter((x) => x === '28').length);
      return `${Number(id)} ${name} answers=${n} A=${as.join(',')} AAAA=${aaaas.join(',')}`;
    })
    .sort();
}

function ourResponses(records: ProtocolRecord[]): string[] {
  return records.filter((r) => r.log === 'dns' && r.qr === 'response' && r.transport === 'udp')
    .map((r) => {
      const ans = (r.answers ?? []) as Array<{ type: string; data?: string }>;
      const of = (t: string) => ans.filter((x) => x.type === t).map((x) => x.data).join(',');
      return `${r.id} ${r.query} answers=${ans.length} A=${of('A')} AAAA=${of('AAAA')}`;
    })
    .sort();
}

function count(anomalies: Anomaly[], kind: string): number {
  return anomalies.find((a) => a.kind === kind)?.count ?? 0;
}

function fragmentAnomalies(anomalies: Anomaly[]): string[] {
  return anomalies.filter((a) => a.kind.startsWith('ip-fragment')).map((a) => `${a.kind} x${a.count}`).sort();
}

function write(name: string, p: Pcap): string {
  const f = join(dir, name);
  writePcap(f, p);
  return f;
}

/** Index of each fragment frame in a pcap (0-based), grouped by datagram in capture order. */
function fragmentGroups(p: Pcap): number[][] {
  const groups = new Map<string, number[]>();
  p.records.forEach((r, i) => {
    const f = r.data;
    if (((f[12] << 8) | f[13]) !== 0x0800) return;
    if ((((f[20] << 8) | f[21]) & 0x3fff) === 0) return;
    const key = Array.from(f.subarray(26, 34)).join('.') + `/${(f[18] << 8) | f[19]}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  return [...groups.values()];
}

/** What one address sent another: frames, their bytes on the wire, their IP bytes. Keyed "src dst". */
type Traffic = Map<string, { frames: number; frameBytes: number; ipBytes: number }>;

function addTraffic(m: Traffic, key: string, frames: number, frameBytes: number, ipBytes: number): void {
  if (frames === 0) return;
  const t = m.get(key) ?? { frames: 0, frameBytes: 0, ipBytes: 0 };
  t.frames += frames;
  t.frameBytes += frameBytes;
  t.ipBytes += ipBytes;
  m.set(key, t);
}

/**
 * Every IP frame of the file as tshark reads it, by sender and receiver: the
 * conversation table's definition applied frame by frame, with the IP length
 * of each frame's (outer) header.
 */
function tsharkTraffic(file: string): Traffic {
  const m: Traffic = new Map();
  const first = (v: string) => v.split(',')[0];
  const rows = tsharkFields(file, ['ip.src', 'ip.dst', 'ip.len', 'ipv6.src', 'ipv6.dst', 'ipv6.plen', 'frame.len'], 'ip || ipv6');
  for (const [s4, d4, len4, s6, d6, plen6, frameLen] of rows) {
    if (s4) addTraffic(m, `${first(s4)} ${first(d4)}`, 1, Number(frameLen), Number(first(len4)));
    else addTraffic(m, `${first(s6)} ${first(d6)}`, 1, Number(frameLen), 40 + Number(first(plen6)));
  }
  return m;
}

/** The same from our connection records (packets[0] went from client to server). */
function ourTraffic(conns: ConnectionRecord[]): Traffic {
  const m: Traffic = new Map();
  for (const c of conns) {
    addTraffic(m, `${c.client} ${c.server}`, c.packets[0], c.frameBytes[0], c.ipBytes[0]);
    addTraffic(m, `${c.server} ${c.client}`, c.packets[1], c.frameBytes[1], c.ipBytes[1]);
  }
  return m;
}

/** Frames and frame bytes only, sorted by key, for comparing with a conversation table. */
function framesOf(m: Traffic): Array<[string, number, number]> {
  return [...m.entries()].map(([k, t]): [string, number, number] => [k, t.frames, t.frameBytes]).sort((a, b) => a[0].localeCompare(b[0]));
}

/**
 * tshark's conversation table (`-z conv,ip` or `conv,ipv6`) as [src dst,
 * frames, bytes] each way. The capture must be small enough for exact byte
 * counts (tshark writes "kB" beyond 10 000).
 */
function tsharkConversations(file: string, table: 'ip' | 'ipv6'): Array<[string, number, number]> {
  const out: Array<[string, number, number]> = [];
  for (const line of tshark(['-r', file, '-q', '-z', `conv,${table}`]).split('\n')) {
    const m = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+) (\S+)\s+(\d+)\s+(\d+) (\S+)/.exec(line);
    if (!m) continue;
    const [, a, b, inFrames, inBytes, inUnit, outFrames, outBytes, outUnit] = m;
    assert.equal(`${inUnit} ${outUnit}`, 'bytes bytes', `exact byte counts: ${line}`);
    // "<-" is what B sent A, "->" what A sent B.
    if (Number(inFrames)) out.push([`${b} ${a}`, Number(inFrames), Number(inBytes)]);
    if (Number(outFrames)) out.push([`${a} ${b}`, Number(outFrames), Number(outBytes)]);
  }
  return out.sort((x, y) => x[0].localeCompare(y[0]));
}

/** Packets and IP bytes of the edges between each pair of addresses, both ways together. */
function edgeTotals(edges: Array<{ src: string; dst: string; packets: number; bytes: number }>): string[] {
  const m = new Map<string, [number, number]>();
  for (const e of edges) {
    const key = [e.src, e.dst].sort().join(' ');
    const t = m.get(key) ?? [0, 0];
    m.set(key, [t[0] + e.packets, t[1] + e.bytes]);
  }
  return [...m.entries()].map(([k, [p, b]]) => `${k} ${p} ${b}`).sort();
}

/** The same pairs from tshark's frames: packets, and IP bytes (what an edge's bytes are). */
function pairTotals(t: Traffic): string[] {
  const m = new Map<string, [number, number]>();
  for (const [k, v] of t) {
    const key = k.split(' ').sort().join(' ');
    const x = m.get(key) ?? [0, 0];
    m.set(key, [x[0] + v.frames, x[1] + v.ipBytes]);
  }
  return [...m.entries()].map(([k, [p, b]]) => `${k} ${p} ${b}`).sort();
}

describe('corpus: zeek_dns-edns-ecs.pcap', () => {
  test('the DNSSEC answers in IPv4 fragments decode as tshark decodes them', async () => {
    const r = await run(DNS);
    const want = tsharkResponses(DNS);
    assert.deepEqual(ourResponses(r.records), want);
    const fragmentFrames = tsharkFields(DNS, ['frame.number'], FRAGMENT_FILTER).length;
    const rebuilt = tsharkFields(DNS, ['frame.number'], 'ip.fragments || ipv6.fragments').length;
    assert.equal(fragmentFrames, 8);
    assert.equal(rebuilt, 4);
    assert.equal(r.stats.fragments, fragmentFrames);
    assert.equal(r.stats.reassembled, rebuilt);
    // The four responses are among ours (before reassembly they were missing).
    const fragmentedIds = tsharkFields(DNS, ['dns.id'], 'dns.flags.response==1 && ip.fragments').map(([id]) => Number(id));
    assert.equal(fragmentedIds.length, 4);
    for (const id of fragmentedIds) assert.ok(r.records.some((x) => x.log === 'dns' && x.id === id), `response ${id}`);
    assert.deepEqual(fragmentAnomalies(r.anomalies), []);
  });

  test('fragments in reverse order, and repeated, give the same answers', async () => {
    const p = readPcap(DNS);
    const groups = fragmentGroups(p);
    assert.equal(groups.length, 4);
    const records = p.records.slice();
    for (const g of groups) {
      const rev = g.map((i) => p.records[i]).reverse();
      g.forEach((i, k) => { records[i] = rev[k]; });
    }
    // The fragment that now comes first, twice more, as a capture point on a loop would see it.
    records.splice(groups[0][0] + 1, 0, records[groups[0][0]], records[groups[0][0]]);
    const f = write('dns-reversed.pcap', { ...p, records });
    const r = await run(f);
    assert.deepEqual(ourResponses(r.records), tsharkResponses(DNS));
    assert.equal(r.stats.reassembled, 4);
    // Identical bytes again: reported as duplicates, not as an evasion.
    assert.deepEqual(fragmentAnomalies(r.anomalies), ['ip-fragment-duplicate x2']);
    assert.equal(r.stats.fragments, 10);
  });

  test('an overlapping fragment with other bytes: the first bytes win, and it is reported (tshark sees the conflict too)', async () => {
    const p = readPcap(DNS);
    const [g] = fragmentGroups(p);
    assert.equal(g.length, 2);
    const [first, second] = g.map((i) => p.records[i]);
    // The second fragment again, its payload rewritten (an IDS evasion attempt), before the first completes the datagram.
    const forged = Uint8Array.from(second.data);
    for (let i = 14 + 20; i < forged.length; i++) forged[i] ^= 0x5a;
    const records = p.records.slice();
    records.splice(g[0], 2, second, { ...second, data: forged }, first);
    const f = write('dns-overlap.pcap', { ...p, records });
    const r = await run(f);
    assert.deepEqual(ourResponses(r.records), tsharkResponses(DNS));
    assert.equal(count(r.anomalies, 'ip-fragment-overlap'), 1);
    assert.equal(r.stats.reassembled, 4);
    assert.ok(tsharkFields(f, ['frame.number'], 'ip.fragment.overlap.conflict').length > 0, 'tshark flags the conflicting overlap');
  });

  test('a missing last fragment times out on capture time, when a later fragment arrives 30 s on', async () => {
    const p = readPcap(DNS);
    const groups = fragmentGroups(p);
    const lost = groups[0][groups[0].length - 1];
    const records = p.records.filter((_, i) => i !== lost);
    const f = write('dns-lost.pcap', { ...p, records });
    const r = await run(f);
    const want = tsharkResponses(f);
    assert.equal(want.length, tsharkResponses(DNS).length - 1, 'tshark misses that answer too');
    assert.deepEqual(ourResponses(r.records), want);
    assert.equal(r.stats.reassembled, 3);
    const timeout = r.anomalies.find((a) => a.kind === 'ip-fragment-timeout');
    assert.ok(timeout);
    assert.equal(timeout.count, 1);
    // Reported during the capture, at the next fragment more than 30 s later, not at the end.
    const next = groups.find((g) => p.records[g[0]].sec - p.records[groups[0][0]].sec > 30);
    assert.ok(next, 'the capture has a fragment more than 30 s after the first');
    // 1-based frame number in the file without the lost frame.
    assert.equal(timeout.where, `capture#${next[0]}`);
  });
});

describe('connection counters: a datagram counts the fragment frames it came in', () => {
  test('zeek_dns-edns-ecs.pcap: packets and frame bytes each way equal tshark\'s conv,ip (and conv,ipv6), edges\' packets and IP bytes too', async () => {
    // tshark's IP conversation table counts each frame at the IP layer, fragments included, with its frame length:
    // the packets on the wire, as NetFlow exporters count them too. Not conv,udp: the UDP dissector runs only on the
    // reassembled datagram, so conv,udp counts a fragmented datagram once, with the bytes of the frame that completed it
    // (173.194.169.104:59464 <-> 193.24.227.238:53 shows one 52-byte answer frame where two frames of 1566 bytes went).
    // The IPv6 traffic of this file is not fragmented: tshark 4.0's conv,ipv6 counts a fragmented IPv6 datagram once
    // (the frame that completes it, as conv,udp does), so fragmented IPv6 is compared frame by frame in the next test.
    assert.equal(tsharkFields(DNS, ['frame.number'], 'ipv6.fraghdr').length, 0);
    const r = await runPipeline(DNS);
    const ours = ourTraffic(r.conns);
    const conv = [...tsharkConversations(DNS, 'ip'), ...tsharkConversations(DNS, 'ipv6')].sort((x, y) => x[0].localeCompare(y[0]));
    assert.deepEqual(framesOf(ours), conv);
    // Each of the four answers went in two fragments.
    const answers = conv.filter(([k]) => k.startsWith('193.24.227.238 '));
    assert.deepEqual(answers.map(([k, frames, bytes]) => `${k} ${frames} ${bytes}`).sort(), [
      '193.24.227.238 172.217.40.76 2 1778',
      '193.24.227.238 173.194.169.104 2 1566',
      '193.24.227.238 194.247.5.6 2 1806',
      '193.24.227.238 74.125.47.136 2 1778',
    ]);
    const wire = tsharkTraffic(DNS);
    assert.deepEqual([...ours.entries()].sort(), [...wire.entries()].sort(), 'IP bytes: the sum of each frame\'s IP total length');
    assert.deepEqual(edgeTotals(r.agg.edges), pairTotals(wire));
    // The payload stays the datagram's: one UDP payload per answer.
    const answer = r.conns.find((c) => c.client === '173.194.169.104');
    assert.ok(answer);
    assert.deepEqual([answer.packets, answer.payloadBytes[1]], [[1, 2], 1566 - 2 * 14 - 2 * 20 - 8]);
    assert.equal(r.stats.packets, 89, 'one per capture record');
  });

  test('every DNS message fragmented, in any order, some fragments twice, over IPv4 and IPv6: the counters equal tshark\'s frames; a datagram that never completes counts in none', async () => {
    const p = readPcap(DNS);
    const orders = ['duplicate', 'reverse', 'shuffle', 'in-order'] as const;
    const isFragment = (f: Uint8Array) => (((f[12] << 8) | f[13]) === 0x0800 ? (((f[20] << 8) | f[21]) & 0x3fff) !== 0 : f[20] === 44);
    const { pcap, fragmented } = fragmentPcap(p, { size: 128, order: (n) => orders[n % orders.length], seed: 5, select: (f) => !isFragment(f) });
    const v6 = pcap.records.filter((r) => ((r.data[12] << 8) | r.data[13]) === 0x86dd && r.data[20] === 44).length;
    assert.ok(fragmented > 40 && v6 > 40, `${fragmented} frames fragmented, ${v6} IPv6 fragments`);
    // Two of three fragments of one more answer: tshark counts them, the reassembler times them out.
    const answer = p.records[Number(tsharkFields(DNS, ['frame.number'], 'ip && dns.flags.response==1 && !ip.fragments && frame.len > 300')[0][0]) - 1];
    const lost = fragmentFrame(answer.data, 128, 0x7777).slice(0, 2);
    const last = pcap.records[pcap.records.length - 1];
    const records = [...pcap.records, ...lost.map((data) => ({ ...last, data, wireLen: data.length }))];
    const f = write('dns-all-fragmented.pcap', { ...pcap, records });
    const r = await runPipeline(f);
    assert.equal(r.stats.reassembled, fragmented + 4);
    assert.equal(r.stats.packets, records.length);
    const wire = tsharkTraffic(f);
    const ours = ourTraffic(r.conns);
    // The lost answer's fragments are tshark's only frames we do not count.
    const ip4 = (o: number) => Array.from(answer.data.subarray(o, o + 4)).join('.');
    const w = wire.get(`${ip4(26)} ${ip4(30)}`);
    assert.ok(w, 'the lost answer\'s direction');
    w.frames -= 2;
    w.frameBytes -= lost[0].length + lost[1].length;
    w.ipBytes -= lost[0].length - 14 + lost[1].length - 14;
    assert.deepEqual([...ours.entries()].sort(), [...wire.entries()].sort());
    // Where tshark's conversation table counts every frame (IPv4), it agrees with the frame-by-frame reading.
    const conv4 = tsharkConversations(f, 'ip');
    assert.deepEqual(framesOf(tsharkTraffic(f)).filter(([k]) => !k.includes(':')), conv4);
    assert.deepEqual(edgeTotals(r.agg.edges), pairTotals(wire));
    const anomalies = r.agg.toObservations().anomalies;
    assert.deepEqual(anomalies.filter((a) => a.kind.startsWith('ip-fragment')).map((a) => a.kind).sort(), ['ip-fragment-duplicate', 'ip-fragment-timeout']);
    assert.equal(count(anomalies, 'ip-fragment-timeout'), 1);
  });
});

describe('IPv6 overlaps (RFC 5722): the datagram is dropped, not rebuilt', () => {
  /** The corpus, and the largest DNS answer in it over IPv6 and UDP, cut in 128-byte fragments (and in 256-byte ones). */
  function v6Answer() {
    const p = readPcap(DNS);
    const [[frame, id]] = tsharkFields(DNS, ['frame.number', 'dns.id', 'frame.len'], 'ipv6 && udp && dns.flags.response==1 && !ipv6.fraghdr')
      .sort((a, b) => Number(b[2]) - Number(a[2]));
    const index = Number(frame) - 1;
    const rec = p.records[index];
    const small = fragmentFrame(rec.data, 128, 0x1234);
    const large = fragmentFrame(rec.data, 256, 0x1234);
    assert.ok(small.length >= 4 && large.length >= 2, `${small.length} and ${large.length} fragments`);
    /** tshark's answers for the unaltered corpus, without this one. */
    const others = tsharkResponses(DNS).filter((x) => !x.startsWith(`${Number(id)} `));
    assert.equal(others.length, tsharkResponses(DNS).length - 1);
    /** The corpus with this answer replaced by the given frames, and the 1-based frame number of each of them. */
    const withFrames = (name: string, frames: Uint8Array[]) => {
      const records = p.records.slice();
      records.splice(index, 1, ...frames.map((data) => ({ ...rec, data, wireLen: data.length })));
      return write(name, { ...p, records });
    };
    return { index, small, large, others, withFrames };
  }

  /** A copy of a fragment with its payload (after Ethernet, IPv6 and fragment headers) rewritten. */
  function forge(frag: Uint8Array, xor: number): Uint8Array {
    const f = Uint8Array.from(frag);
    for (let i = 14 + 40 + 8; i < f.length; i++) f[i] ^= xor;
    return f;
  }

  test('a fragment again with other bytes: the DNS answer is not delivered, the overlap is reported (tshark sees the conflict too)', async () => {
    const { index, small: [f0, f1, ...rest], others, withFrames } = v6Answer();
    const f = withFrames('v6-overlap.pcap', [f0, f1, forge(f1, 0x5a), ...rest]);
    const r = await run(f);
    assert.deepEqual(ourResponses(r.records), others);
    // Only the overlap: the fragments after it start no reassembly that would time out.
    assert.deepEqual(fragmentAnomalies(r.anomalies), ['ip-fragment-overlap x1']);
    const a = r.anomalies.find((x) => x.kind === 'ip-fragment-overlap');
    assert.match(a?.message ?? '', /different bytes.*dropped.*RFC 5722/);
    assert.equal(a?.where, `capture#${index + 3}`, 'reported at the forged copy');
    assert.equal(r.stats.fragments, 8 + 3 + rest.length);
    assert.equal(r.stats.reassembled, 4, 'the IPv4 answers only');
    assert.ok(tsharkFields(f, ['frame.number'], 'ipv6.fragment.overlap.conflict').length > 0, 'tshark flags the conflicting overlap');
  });

  test('an overlap with the same bytes at other boundaries: dropped too', async () => {
    const { small: [f0, f1, ...rest], large: [g0], others, withFrames } = v6Answer();
    // g0 covers f0 and f1 with their own bytes, as a second fragmentation of the datagram would.
    const f = withFrames('v6-overlap-same.pcap', [f0, f1, g0, ...rest]);
    const r = await run(f);
    assert.deepEqual(ourResponses(r.records), others);
    assert.deepEqual(fragmentAnomalies(r.anomalies), ['ip-fragment-overlap x1']);
    assert.match(r.anomalies.find((x) => x.kind === 'ip-fragment-overlap')?.message ?? '', /same bytes.*dropped.*RFC 5722/);
    assert.equal(r.stats.reassembled, 4);
    const overlaps = tsharkFields(f, ['frame.number'], 'ipv6.fragment.overlap');
    assert.ok(overlaps.length > 0, 'tshark flags the overlap');
    assert.equal(tsharkFields(f, ['frame.number'], 'ipv6.fragment.overlap.conflict').length, 0, 'without a conflict');
  });

  test('two spoofed fragments that conflict, then the whole genuine datagram: none of it is rebuilt within the timeout', async () => {
    const { small, others, withFrames } = v6Answer();
    // Fragments that arrive after the drop would complete the datagram on their own, were it forgotten.
    const f = withFrames('v6-poisoned.pcap', [forge(small[1], 0x5a), forge(small[1], 0xa5), ...small]);
    const r = await run(f);
    assert.deepEqual(ourResponses(r.records), others);
    assert.deepEqual(fragmentAnomalies(r.anomalies), ['ip-fragment-overlap x1']);
    assert.equal(r.stats.fragments, 8 + 2 + small.length);
    assert.equal(r.stats.reassembled, 4);
  });

  test('an exact copy of a fragment is dropped alone (RFC 8200): the answer is delivered, the copy reported as a duplicate', async () => {
    const { small: [f0, f1, ...rest], withFrames } = v6Answer();
    const f = withFrames('v6-duplicate.pcap', [f0, f1, Uint8Array.from(f1), ...rest]);
    const r = await run(f);
    assert.deepEqual(ourResponses(r.records), tsharkResponses(DNS));
    assert.deepEqual(fragmentAnomalies(r.anomalies), ['ip-fragment-duplicate x1']);
    assert.equal(r.stats.reassembled, 5);
    assert.equal(tsharkFields(f, ['frame.number'], 'ipv6.fragment.overlap.conflict').length, 0);
  });
});

describe('the IP Authentication Header (RFC 4302) is stepped over', () => {
  /** The largest unfragmented DNS answer of each family in the corpus, and a writer of captures made of frames. */
  function answers() {
    const p = readPcap(DNS);
    const largest = (filter: string) => {
      const [[frame]] = tsharkFields(DNS, ['frame.number', 'frame.len'], filter).sort((a, b) => Number(b[1]) - Number(a[1]));
      return p.records[Number(frame) - 1];
    };
    const v4 = largest('ip && udp && dns.flags.response==1 && !ip.fragments && ip.flags.mf==0 && ip.frag_offset==0');
    const v6 = largest('ipv6 && udp && dns.flags.response==1 && !ipv6.fraghdr');
    const capture = (name: string, frames: Uint8Array[]) =>
      write(name, { ...p, records: frames.map((data, i) => ({ ...v4, sec: v4.sec + i, data, wireLen: data.length })) });
    return { v4: v4.data, v6: v6.data, capture };
  }

  /** tshark finds nothing malformed in the file. */
  function tsharkClean(file: string): boolean {
    return tsharkFields(file, ['frame.number'], '_ws.malformed || _ws.expert.severity == error').length === 0;
  }

  /** The answer in `file` decodes as tshark decodes it; tshark sees an AH in `ahFrames` frames (behind a fragment header: in the rebuilt one). */
  async function decodesAsTshark(name: string, file: string, ahFrames: number, reassembled: number): Promise<void> {
    const want = tsharkResponses(file);
    assert.equal(want.length, 1, `${name}: tshark decodes the answer`);
    assert.ok(tsharkClean(file), `${name}: tshark finds it valid`);
    assert.equal(tsharkFields(file, ['frame.number'], 'ah').length, ahFrames, `${name}: frames where tshark sees the AH`);
    const r = await run(file);
    assert.deepEqual(ourResponses(r.records), want, name);
    assert.deepEqual(r.anomalies.filter((a) => a.kind.startsWith('ip-fragment') || a.kind === 'malformed-packet'), [], name);
    assert.equal(r.stats.reassembled, reassembled, name);
    // Every frame counts in the answer's connection, AH bytes included.
    const c = await runPipeline(file);
    assert.deepEqual([...ourTraffic(c.conns)], [...tsharkTraffic(file)], name);
  }

  test('IPv6: AH before the fragment header, after it, or before UDP: the DNS answer decodes as tshark decodes it', async () => {
    const { v6, capture } = answers();
    // IPv6, AH, fragment header, UDP: the AH is in every fragment's unfragmentable part (this was ip-fragment-malformed).
    const ahFrag = fragmentFrame(v6, 128, 0x51).map((f) => withAuthHeader(f));
    assert.ok(ahFrag.length > 3);
    await decodesAsTshark('IPv6 AH, fragment', capture('v6-ah-frag.pcap', ahFrag), ahFrag.length, 1);
    // IPv6, fragment header, AH, UDP (RFC 8200's order): the AH is in the rebuilt datagram.
    await decodesAsTshark('IPv6 fragment, AH', capture('v6-frag-ah.pcap', fragmentFrame(withAuthHeader(v6), 128, 0x52)), 1, 1);
    // 28 bytes of AH, not a multiple of 8 as RFC 4302 asks of IPv6: tshark reads on, and so do we.
    await decodesAsTshark('IPv6 AH', capture('v6-ah.pcap', [withAuthHeader(v6, { icvLen: 16 })]), 1, 0);
  });

  test('IPv4: UDP behind AH, whole or fragmented, is analysed; ESP stays opaque', async () => {
    const { v4, capture } = answers();
    await decodesAsTshark('IPv4 AH', capture('v4-ah.pcap', [withAuthHeader(v4)]), 1, 0);
    // IPv4 fragments the AH with the rest of the payload: it is read in the rebuilt datagram.
    const frames = fragmentFrame(withAuthHeader(v4, { icvLen: 20 }), 128, 0x53);
    assert.ok(frames.length > 3);
    await decodesAsTshark('IPv4 AH, fragmented', capture('v4-ah-frag.pcap', frames), 1, 1);
    // ESP (50) is encrypted: its bytes are not a UDP header, whatever they look like.
    const esp = Uint8Array.from(v4);
    esp[14 + 9] = 50;
    esp[14 + 10] = 0;
    esp[14 + 11] = 0;
    const ck = ipv4Checksum(esp, 14, 20);
    esp[14 + 10] = ck >> 8;
    esp[14 + 11] = ck & 0xff;
    const e = capture('v4-esp.pcap', [esp]);
    assert.equal(tsharkFields(e, ['esp.spi'], 'esp').length, 1);
    const er = await runPipeline(e);
    assert.deepEqual(er.conns.map((c) => `${c.transport} ${c.clientPort} ${c.serverPort} ${c.packets}`), ['other 0 0 1,0']);
  });

  test('TCP behind AH: the streams are those of the capture without it, over IPv4 and IPv6', async () => {
    for (const family of ['IPv4', 'IPv6'] as const) {
      const base = family === 'IPv4' ? readPcap(LAB) : toIPv6(readPcap(LAB));
      const withAh = { ...base, records: base.records.map((r, i) => {
        const data = withAuthHeader(r.data, { seq: i + 1 });
        return { ...r, data, wireLen: r.wireLen + data.length - r.data.length };
      }) };
      const whole = write(`lab-${family}.pcap`, base);
      const ah = write(`lab-${family}-ah.pcap`, withAh);
      assert.ok(tsharkClean(ah), `${family}: tshark finds it valid`);
      assert.equal(tsharkFields(ah, ['frame.number'], 'ah && tcp').length, tsharkFields(whole, ['frame.number'], 'tcp').length);
      const a = await runPipeline(whole, { record: true });
      const b = await runPipeline(ah, { record: true });
      assert.ok(a.streams.size > 10);
      const streams = (m: typeof a.streams) => [...m.entries()].map(([k, v]) => `${k.replace(/#\d+$/, '')} ${v.c2s} ${v.s2c} ${v.gaps}`).sort();
      assert.deepEqual(streams(b.streams), streams(a.streams), family);
      const conns = (r: typeof a) => r.conns.map((c) => `${c.client}:${c.clientPort}>${c.server}:${c.serverPort}/${c.transport} ${c.state} ${c.packets} ${c.payloadBytes}`).sort();
      assert.deepEqual(conns(b), conns(a), family);
      assert.deepEqual([...ourTraffic(b.conns)].sort(), [...tsharkTraffic(ah)].sort(), family);
    }
  });

  test('an AH shorter than its 12-byte fixed part, or longer than the packet, is reported as malformed, never thrown', async () => {
    const { v4, v6, capture } = answers();
    const cases: Array<[string, Uint8Array[]]> = [
      ['IPv4 length 0', [withAuthHeader(v4, { len: 0 })]],
      ['IPv4 length 250', [withAuthHeader(v4, { len: 250 })]],
      ['IPv6 length 0', [withAuthHeader(v6, { len: 0 })]],
      ['IPv6 length 250', [withAuthHeader(v6, { len: 250 })]],
      ['IPv6 length 0 before a fragment header', fragmentFrame(v6, 128, 0x54).map((f) => withAuthHeader(f, { len: 0 }))],
      ['IPv4 cut after the IP header', [withAuthHeader(v4).subarray(0, 14 + 20 + 6)]],
    ];
    for (const [name, frames] of cases) {
      const f = capture(`ah-bad-${cases.findIndex(([n]) => n === name)}.pcap`, frames);
      const r = await run(f);
      assert.equal(r.stats.malformed, frames.length, name);
      assert.equal(count(r.anomalies, 'malformed-packet'), frames.length, name);
      assert.match(r.anomalies.find((a) => a.kind === 'malformed-packet')?.message ?? '', /AH header|extension headers exceed/, name);
      assert.deepEqual(ourResponses(r.records), [], name);
      assert.equal(r.stats.fragments, 0, name);
      if (!name.includes('fragment')) assert.ok(!tsharkClean(f), `${name}: tshark finds it malformed too`);
    }
  });
});

describe('a real resolver whose loopback MTU makes the kernel fragment its answers', () => {
  test('60 AAAA answers (1.7 KB) over IPv4 and over IPv6 decode as tshark decodes them', async () => {
    const ns = new WebNamespace('frag');
    const hosts = join(dir, 'hosts');
    // 60 records: under the DNS analyzer's 64-record bound, over the 1280-byte MTU.
    const lines: string[] = [];
    for (let i = 1; i <= 60; i++) lines.push(`fd00::77:${i} big.hospital.test`);
    writeFileSync(hosts, lines.join('\n') + '\n');
    try {
      // IPv6's minimum MTU: both families fragment.
      ns.exec('ip', ['link', 'set', 'lo', 'mtu', '1280']);
      ns.spawn('dnsmasq', ['-k', '-u', 'root', '--pid-file=', '--no-resolv', '--no-hosts', `--addn-hosts=${hosts}`,
        '--listen-address=127.0.0.1', '--listen-address=::1', '--bind-interfaces', '--edns-packet-max=4096']);
      await ns.waitForPort(53);
      const pcap = join(dir, 'resolver.pcap');
      // Fragments after the first carry no ports; the warm-up connection proves the filter is live.
      const stop = await ns.capture(pcap, 'port 53 or ip[6:2] & 0x3fff != 0 or ip6[6] == 44', { warmPort: 53 });
      ns.exec('dig', ['@127.0.0.1', '+tries=1', '+time=3', '+bufsize=4096', 'big.hospital.test', 'AAAA']);
      ns.exec('dig', ['@::1', '+tries=1', '+time=3', '+bufsize=4096', 'big.hospital.test', 'AAAA']);
      await stop();

      const want = tsharkResponses(pcap);
      assert.equal(want.length, 2);
      assert.ok(want.every((w) => w.includes('answers=60 A= AAAA=fd00::77:')), 'each answer holds all 60 addresses');
      const r = await run(pcap);
      assert.deepEqual(ourResponses(r.records), want);
      const frames = tsharkFields(pcap, ['ip.version'], FRAGMENT_FILTER).map(([v]) => v);
      assert.ok(frames.filter((v) => v === '4').length >= 2 && frames.filter((v) => v === '6').length >= 2, `fragments of both families: ${frames}`);
      assert.equal(r.stats.fragments, frames.length);
      assert.equal(r.stats.reassembled, 2);
      assert.deepEqual(fragmentAnomalies(r.anomalies), []);
    } finally {
      await ns.close();
    }
  });
});

describe('TCP over fragments', () => {
  for (const family of ['IPv4', 'IPv6 (with hop-by-hop headers)'] as const) {
    test(`${family}: out-of-order and repeated fragments give the same streams and connections`, async () => {
      const base = family === 'IPv4' ? readPcap(LAB) : toIPv6(readPcap(LAB));
      const orders = ['reverse', 'shuffle', 'duplicate', 'in-order'] as const;
      const { pcap, fragmented } = fragmentPcap(base, { size: 256, order: (n) => orders[n % orders.length], seed: 3 });
      assert.ok(fragmented > 50, `${fragmented} frames fragmented`);
      const whole = write(`lab-${family.slice(0, 4)}.pcap`, base);
      const split = write(`lab-${family.slice(0, 4)}-frag.pcap`, pcap);
      const a = await runPipeline(whole, { record: true });
      const b = await runPipeline(split, { record: true });
      assert.equal(b.stats.reassembled, fragmented);
      assert.equal(b.stats.fragments, pcap.records.length - base.records.length + fragmented);
      // tshark rebuilds as many datagrams from the same file.
      assert.equal(tsharkFields(split, ['frame.number'], 'ip.fragments || ipv6.fragments').length, fragmented);
      const streams = (m: typeof a.streams) => [...m.entries()].map(([k, v]) => `${k.replace(/#\d+$/, '')} ${v.c2s} ${v.s2c} ${v.gaps}`).sort();
      assert.deepEqual(streams(b.streams), streams(a.streams));
      const conns = (r: typeof a) => r.conns.map((c) => `${c.client}:${c.clientPort}>${c.server}:${c.serverPort}/${c.transport} ${c.state} ${c.payloadBytes}`).sort();
      assert.deepEqual(conns(b), conns(a));
      // Packets and bytes are the fragment frames', each way, as tshark reads them one by one (its conversation table here writes kB).
      assert.deepEqual([...ourTraffic(b.conns)].sort(), [...tsharkTraffic(split)].sort());
      assert.deepEqual([...ourTraffic(a.conns)].sort(), [...tsharkTraffic(whole)].sort());
      const anomalies = b.agg.toObservations().anomalies.filter((x) => x.kind.startsWith('ip-fragment'));
      assert.deepEqual(anomalies.map((x) => x.kind), anomalies.length ? ['ip-fragment-duplicate'] : []);
    });
  }
});

describe('the reassembler on its own', () => {
  /** An Ethernet/IPv4 UDP frame with `n` payload bytes of value `fill`. */
  function udp4(n: number, fill: number, id: number, src = 1): Uint8Array {
    const f = new Uint8Array(14 + 20 + 8 + n);
    f[12] = 0x08;
    f[14] = 0x45;
    f[16] = (20 + 8 + n) >> 8;
    f[17] = (20 + 8 + n) & 0xff;
    f[18] = id >> 8;
    f[19] = id & 0xff;
    f[22] = 64;
    f[23] = 17;
    f.set([10, 0, 0, src, 10, 0, 0, 2], 26);
    f.set([0x30, 0x39, 0x00, 0x35, (8 + n) >> 8, (8 + n) & 0xff], 34);
    f.fill(fill, 42);
    const ck = ipv4Checksum(f, 14, 20);
    f[24] = ck >> 8;
    f[25] = ck & 0xff;
    return f;
  }

  /** An Ethernet/IPv6 UDP frame with `n` payload bytes of value `fill`. */
  function udp6(n: number, fill: number, src = 1): Uint8Array {
    const f = new Uint8Array(14 + 40 + 8 + n);
    f[12] = 0x86;
    f[13] = 0xdd;
    f[14] = 0x60;
    f[18] = (8 + n) >> 8;
    f[19] = (8 + n) & 0xff;
    f[20] = 17;
    f[21] = 64;
    f[22] = 0xfd;
    f[14 + 23] = src;
    f[38] = 0xfd;
    f[14 + 39] = 2;
    f.set([0x30, 0x39, 0x00, 0x35, (8 + n) >> 8, (8 + n) & 0xff], 54);
    f.fill(fill, 62);
    return f;
  }

  test('IPv6: a datagram dropped for an overlap is remembered for one timeout, then its id may be reassembled again', () => {
    const seen: string[] = [];
    const r = new FragmentReassembler({ anomaly: (k) => seen.push(k) });
    const orig = udp6(1992, 3);
    const [a, b] = fragmentFrame(orig, 1000, 7);
    const other = Uint8Array.from(a);
    other[100] ^= 1;
    assert.equal(r.add(a, 0, 14, a.length, 0), undefined);
    assert.equal(r.add(other, 0, 14, other.length, 1000), undefined);
    assert.equal(r.stats.discarded, 1);
    assert.equal(r.pending, 0);
    assert.equal(r.bytesHeld, 0);
    // Both fragments again would complete it: dropped, without another report.
    assert.equal(r.add(a, 0, 14, a.length, 2000), undefined);
    assert.equal(r.add(b, 0, 14, b.length, 31_000), undefined);
    assert.equal(r.stats.afterDiscard, 2);
    assert.equal(r.pending, 0);
    assert.deepEqual(seen, ['ip-fragment-overlap']);
    // 30 s after the drop, the id is free again.
    assert.equal(r.add(a, 0, 14, a.length, 31_001), undefined);
    assert.deepEqual(r.add(b, 0, 14, b.length, 31_002), orig);
    assert.equal(r.stats.afterDiscard, 2);
  });

  test('IPv6: at most maxDatagrams dropped datagrams are remembered, the oldest forgotten first', () => {
    const r = new FragmentReassembler({ maxDatagrams: 2 });
    const origs = [1, 2, 3].map((src) => udp6(1992, src, src));
    for (const [k, o] of origs.entries()) {
      const [a] = fragmentFrame(o, 1000, 9);
      const other = Uint8Array.from(a);
      other[100] ^= 1;
      r.add(a, 0, 14, a.length, k);
      r.add(other, 0, 14, other.length, k);
    }
    assert.equal(r.stats.discarded, 3);
    // The first was forgotten to keep two: it can be rebuilt; the last two cannot.
    const complete = origs.map((o, k) => {
      let out: Uint8Array | undefined;
      for (const p of fragmentFrame(o, 1000, 9)) out = r.add(p, 0, 14, p.length, 10 + k) ?? out;
      return out !== undefined;
    });
    assert.deepEqual(complete, [true, false, false]);
    r.end();
    assert.equal(r.pending, 0);
    // The end of input forgets them all.
    let out: Uint8Array | undefined;
    for (const p of fragmentFrame(origs[2], 1000, 9)) out = r.add(p, 0, 14, p.length, 20) ?? out;
    assert.deepEqual(out, origs[2]);
  });

  test('a rebuilt frame equals the original, header checksum included', () => {
    const orig = udp4(3000, 7, 99);
    const parts = fragmentFrame(orig, 1000, 99);
    assert.equal(parts.length, 4);
    const r = new FragmentReassembler();
    let out: Uint8Array | undefined;
    for (const p of [parts[2], parts[0], parts[3], parts[1]]) out = r.add(p, 0, 14, p.length, 0) ?? out;
    assert.deepEqual(out, orig);
    assert.equal(r.pending, 0);
    assert.equal(r.bytesHeld, 0);
  });

  test('more partial datagrams than allowed: the oldest are dropped and counted', () => {
    const seen: string[] = [];
    const r = new FragmentReassembler({ maxDatagrams: 4, anomaly: (k) => seen.push(k) });
    for (let id = 1; id <= 10; id++) {
      const first = fragmentFrame(udp4(1992, id, id), 1000, id)[0];
      assert.equal(r.add(first, 0, 14, first.length, id), undefined);
    }
    assert.equal(r.pending, 4);
    assert.equal(r.stats.evicted, 6);
    assert.equal(seen.filter((k) => k === 'ip-fragment-evicted').length, 6);
    // The survivors are the newest: their second halves still complete them.
    const last = fragmentFrame(udp4(1992, 10, 10), 1000, 10);
    assert.ok(r.add(last[1], 0, 14, last[1].length, 11));
    const gone = fragmentFrame(udp4(1992, 1, 1), 1000, 1);
    assert.equal(r.add(gone[1], 0, 14, gone[1].length, 12), undefined);
  });

  test('the byte cap holds across large datagrams', () => {
    const r = new FragmentReassembler({ maxBytes: 1 });
    for (let id = 1; id <= 20; id++) {
      const parts = fragmentFrame(udp4(60000, id, id, id), 8000, id);
      r.add(parts[parts.length - 2], 0, 14, parts[parts.length - 2].length, id);
      assert.ok(r.bytesHeld <= 2 * 65535 + 4096, `${r.bytesHeld} bytes held`);
    }
    assert.ok(r.stats.evicted >= 18);
  });

  test('a fragment ending past 65535 bytes (ping of death) and garbage are dropped, not thrown', () => {
    const r = new FragmentReassembler();
    const f = udp4(1000, 1, 5);
    f[20] = 0x1f; // offset 8191 * 8 = 65528, plus 1008 bytes
    f[21] = 0xff;
    assert.equal(r.add(f, 0, 14, f.length, 0), undefined);
    assert.equal(r.stats.malformed, 1);
    for (let i = 0; i < 2000; i++) {
      const g = new Uint8Array(20 + (i % 90)).map((_, k) => (k * 131 + i * 7) & 0xff);
      g[0] = i % 2 ? 0x45 : 0x60;
      r.add(g, 0, 0, g.length, i);
    }
    r.end();
    assert.equal(r.pending, 0);
    assert.equal(r.bytesHeld, 0);
  });

  test('a fragment the snaplen cut: the datagram is rebuilt up to the cut, its header still saying the full length', () => {
    const orig = udp4(1992, 9, 42);
    const [head, tail] = fragmentFrame(orig, 1000, 42);
    const r = new FragmentReassembler();
    // 600 of the first fragment's 1034 bytes captured.
    assert.equal(r.add(tail, 0, 14, tail.length, 0), undefined);
    const out = r.add(head, 0, 14, 600, 1);
    assert.ok(out);
    assert.equal(out.length, 600);
    assert.equal((out[16] << 8) | out[17], 20 + 2000, 'IP total length of the whole datagram');
    assert.deepEqual(out.subarray(42), orig.subarray(42, 600));
  });

  test('an IPv6 atomic fragment (offset 0, no more) is a datagram on its own (RFC 6946)', () => {
    const f = new Uint8Array(14 + 40 + 8 + 8 + 4);
    f[12] = 0x86;
    f[13] = 0xdd;
    f[14] = 0x60;
    f[19] = 8 + 8 + 4; // payload length
    f[20] = 44; // next: fragment header
    f[21] = 64;
    f[14 + 23] = 1;
    f[14 + 39] = 2;
    f.set([17, 0, 0, 0, 0, 0, 0, 7], 54); // UDP, offset 0, M=0, id 7
    f.set([0x30, 0x39, 0x00, 0x35, 0, 12, 0, 0, 1, 2, 3, 4], 62);
    const r = new FragmentReassembler();
    const out = r.add(f, 0, 14, f.length, 0);
    assert.ok(out);
    assert.equal(r.pending, 0);
    assert.equal(out.length, f.length - 8);
    assert.equal(out[20], 17, 'the UDP header follows the IPv6 header');
    assert.equal((out[18] << 8) | out[19], 12);
    assert.deepEqual(out.subarray(54), f.subarray(62));
  });

  test('input that ends with a datagram incomplete counts a timeout at the end', () => {
    const r = new FragmentReassembler();
    const first = fragmentFrame(udp4(1992, 1, 1), 1000, 1)[0];
    r.add(first, 0, 14, first.length, 0);
    assert.equal(r.stats.timeouts, 0);
    r.expire(30_000);
    assert.equal(r.stats.timeouts, 0, 'not before 30 s');
    r.expire(30_001);
    assert.equal(r.stats.timeouts, 1);
    r.add(first, 0, 14, first.length, 40_000);
    r.end();
    assert.equal(r.stats.timeouts, 2);
  });
});
