/**
 * Capture readers and link/IP decoders against tshark: the same file, in
 * every container and link-layer variant, must give the packet count,
 * timestamps and per-direction TCP frames and bytes that tshark reports.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { corpusFile } from '../helpers/corpus.ts';
import { ourTcpConversations, runPipeline, theirTcpConversations, tsharkTcp } from './harness.ts';
import { convertLink, encodePcapng, readPcap, toIPv6, writePcap } from './pcapgen.ts';

const LAB = corpusFile('lab', 'lab_hospital.pcap');
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wl-capture-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function sameAsTshark(file: string, expectPackets?: number, opts: { timestamps?: boolean } = {}): Promise<Awaited<ReturnType<typeof runPipeline>>> {
  const ours = await runPipeline(file);
  const theirs = tsharkTcp(file);
  assert.equal(ours.summary.packets, theirs.packets, 'packet count');
  if (expectPackets !== undefined) assert.equal(ours.summary.packets, expectPackets);
  if (opts.timestamps !== false) assert.ok(Math.abs(ours.firstTs - theirs.firstTs) < 0.01, `first timestamp ${ours.firstTs} vs ${theirs.firstTs}`);
  if (opts.timestamps !== false) assert.ok(Math.abs(ours.lastTs - theirs.lastTs) < 0.01, `last timestamp ${ours.lastTs} vs ${theirs.lastTs}`);
  assert.deepEqual(ourTcpConversations(ours.conns), theirTcpConversations(theirs, ours.conns));
  assert.deepEqual(ours.summary.warnings, []);
  return ours;
}

describe('capture readers vs tshark', () => {
  test('classic pcap, microseconds, little-endian: the lab capture', async () => {
    const r = await sameAsTshark(LAB);
    assert.equal(r.summary.format, 'pcap');
    // README of the lab: 63 TCP conversations, 20 ARP frames.
    assert.equal(r.conns.filter((c) => c.transport === 'tcp').length, 63);
    assert.equal(r.stats.nonIp, 20);
  });

  test('pcapng (editcap -F pcapng)', async () => {
    const f = join(dir, 'lab.pcapng');
    execFileSync('editcap', ['-F', 'pcapng', LAB, f]);
    const r = await sameAsTshark(f, 774);
    assert.equal(r.summary.format, 'pcapng');
  });

  test('nanosecond pcap and pcapng with nanosecond if_tsresol', async () => {
    const ns = join(dir, 'lab-ns.pcap');
    execFileSync('editcap', ['-F', 'nsecpcap', LAB, ns]);
    await sameAsTshark(ns, 774);
    const nsng = join(dir, 'lab-ns.pcapng');
    execFileSync('editcap', ['-F', 'pcapng', ns, nsng]);
    await sameAsTshark(nsng, 774);
  });

  test('big-endian pcap', async () => {
    const f = join(dir, 'lab-be.pcap');
    writePcap(f, readPcap(LAB), { bigEndian: true });
    await sameAsTshark(f, 774);
  });

  test('gzip-compressed pcap and pcapng', async () => {
    const ng = join(dir, 'gz-src.pcapng');
    execFileSync('editcap', ['-F', 'pcapng', LAB, ng]);
    for (const [src, name] of [[LAB, 'lab.pcap.gz'], [ng, 'lab.pcapng.gz']] as const) {
      const f = join(dir, name);
      writeFileSync(f, execFileSync('gzip', ['-c', src], { maxBuffer: 64 << 20 }));
      await sameAsTshark(f, 774);
    }
  });

  test('pcapng with several sections and interfaces of different link types', async () => {
    // Section 1: Ethernet; section 2: two interfaces (Ethernet and Linux SLL) merged.
    const eth = join(dir, 'a.pcapng');
    execFileSync('editcap', ['-F', 'pcapng', '-r', LAB, eth, '1-300']);
    const sllPcap = join(dir, 'b.pcap');
    const p = readPcap(LAB);
    writePcap(sllPcap, convertLink({ ...p, records: p.records.slice(300) }, 'sll'));
    const merged = join(dir, 'b.pcapng');
    const ethTail = join(dir, 'b-eth.pcap');
    writePcap(ethTail, { ...p, records: p.records.slice(300, 310) });
    execFileSync('mergecap', ['-F', 'pcapng', '-w', merged, sllPcap, ethTail]);
    const two = join(dir, 'two-sections.pcapng');
    writeFileSync(two, Buffer.concat([readFileSync(eth), readFileSync(merged)]));
    const idbs = execFileSync('capinfos', ['-I', two], { encoding: 'utf8' });
    assert.match(idbs, /Number of interfaces in file: [2-9]/);
    await sameAsTshark(two);
  });

  test('pcapng: a big-endian section with nanosecond timestamps after a little-endian one', async () => {
    const p = readPcap(LAB);
    const f = join(dir, 'mixed-order.pcapng');
    writeFileSync(f, encodePcapng([
      { ifaces: [{ linktype: 1 }, { linktype: 113 }], packets: p.records.slice(0, 400).map((rec) => ({ iface: 0, rec })) },
      { bigEndian: true, ifaces: [{ linktype: 1, nano: true }], packets: p.records.slice(400).map((rec) => ({ iface: 0, rec: { ...rec, frac: rec.frac * 1000 } })) },
    ]));
    const r = await sameAsTshark(f, 774);
    assert.equal(r.conns.filter((c) => c.transport === 'tcp').length, 63);
  });

  test('pcapng simple packet blocks', async () => {
    const p = readPcap(LAB);
    const f = join(dir, 'spb.pcapng');
    writeFileSync(f, encodePcapng([{ ifaces: [{ linktype: 1 }], packets: p.records.map((rec, i) => ({ iface: 0, rec, spb: i % 5 === 4 })) }]));
    // SPBs carry no timestamp, so only counts and bytes compare.
    await sameAsTshark(f, 774, { timestamps: false });
  });

  for (const link of ['sll', 'sll2', 'null', 'loop', 'raw', 'qinq'] as const) {
    test(`link type ${link}`, async () => {
      const f = join(dir, `lab-${link}.pcap`);
      writePcap(f, convertLink(readPcap(LAB), link));
      const r = await sameAsTshark(f);
      assert.equal(r.conns.filter((c) => c.transport === 'tcp').length, 63);
    });
  }

  test('IPv6 with hop-by-hop extension headers', async () => {
    const f = join(dir, 'lab-v6.pcap');
    writePcap(f, toIPv6(readPcap(LAB)));
    const r = await sameAsTshark(f);
    assert.equal(r.conns.filter((c) => c.transport === 'tcp').length, 63);
    assert.ok(r.conns.every((c) => c.client.startsWith('fd00::')));
  });

  test('IPv6 DNS capture from the corpus', async () => {
    await sameAsTshark(corpusFile('pcap', 'zeek_dns-edns-ecs.pcap'));
  });

  test('every corpus pcap reads as tshark reads it', async () => {
    for (const name of ['tapirx_HL7-ADT.pcap', 'tapirxl_ct_to_pacs_scenario.pcap', 'arkime_http-post-upload.pcap', 'zeek_tls_chrome-34-google.pcap', 'zeek_conn-size.pcap']) {
      await sameAsTshark(corpusFile('pcap', name));
    }
  });
});

describe('bad input', () => {
  test('a truncated capture warns with the packet number and keeps the packets before it', async () => {
    const f = join(dir, 'cut.pcap');
    const whole = readFileSync(LAB);
    writeFileSync(f, whole.subarray(0, Math.floor(whole.length / 2)));
    const r = await runPipeline(f);
    const theirs = tsharkTcp(f);
    assert.equal(r.summary.packets, theirs.packets);
    assert.equal(r.summary.warnings.length, 1);
    assert.match(r.summary.warnings[0], new RegExp(`truncated: packet ${theirs.packets + 1} is cut short`));
  });

  test('a truncated gzip stream warns and keeps what was read', async () => {
    const f = join(dir, 'cut.pcap.gz');
    const gz = execFileSync('gzip', ['-c', LAB], { maxBuffer: 64 << 20 });
    writeFileSync(f, gz.subarray(0, Math.floor(gz.length * 0.7)));
    const r = await runPipeline(f);
    assert.ok(r.summary.packets > 100 && r.summary.packets < 774, `${r.summary.packets} packets`);
    assert.ok(r.inputWarnings.length + r.summary.warnings.length >= 1);
  });

  test('a corrupt record header stops with a warning, not a crash', async () => {
    const f = join(dir, 'corrupt.pcap');
    const b = Buffer.from(readFileSync(LAB));
    // Packet 11's captured length becomes 2 GB.
    let o = 24;
    for (let i = 0; i < 10; i++) o += 16 + b.readUInt32LE(o + 8);
    b.writeUInt32LE(0x7fffffff, o + 8);
    writeFileSync(f, b);
    const r = await runPipeline(f);
    assert.equal(r.summary.packets, 10);
    assert.match(r.summary.warnings[0], /corrupt record header at packet 11/);
  });

  test('a file that is not a capture is an input error', async () => {
    const f = join(dir, 'notes.txt');
    writeFileSync(f, 'hello, this is not a capture\n');
    await assert.rejects(runPipeline(f), (e: Error) => e.name === 'InputError' && /not a pcap or pcapng capture/.test(e.message));
  });
});
