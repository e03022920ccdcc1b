/**
 * TCP reassembly: the bytes handed to analyzers, per direction, equal
 * tshark's "follow tcp" of the same capture; reordering and duplicates do
 * not change them; lost segments become gaps; copies of a capture that
 * reuse 5-tuples and sequence numbers stay separate connections.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { corpusFile } from '../helpers/corpus.ts';
import { runPipeline, tshark } from './harness.ts';
import { readPcap, reorderAndDuplicate, writePcap } from './pcapgen.ts';

const LAB = corpusFile('lab', 'lab_hospital.pcap');
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wl-capture-tcp-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** tshark's reassembled payload per stream: "client:port>server:port/tcp" -> [sha256 c2s, sha256 s2c]. */
function tsharkFollow(path: string): Map<string, { c2s: string; s2c: string }> {
  const conv = tshark(['-r', path, '-q', '-z', 'conv,tcp']);
  const n = conv.split('\n').filter((l) => l.includes('<->')).length;
  const args = ['-r', path, '-q'];
  for (let i = 0; i < n; i++) args.push('-z', `follow,tcp,raw,${i}`);
  const out = tshark(args);
  const res = new Map<string, { c2s: string; s2c: string }>();
  for (const block of out.split('===================================================================')) {
    const node0 = /Node 0: (\S+)/.exec(block)?.[1];
    const node1 = /Node 1: (\S+)/.exec(block)?.[1];
    if (!node0 || !node1) continue;
    const h = [createHash('sha256'), createHash('sha256')];
    for (const line of block.split('\n')) {
      const m = /^(\t?)([0-9a-f]+)$/.exec(line);
      if (m) h[m[1] ? 1 : 0].update(Buffer.from(m[2], 'hex'));
    }
    res.set(`${node0}>${node1}/tcp`, { c2s: h[0].digest('hex'), s2c: h[1].digest('hex') });
  }
  return res;
}

function streamsById(r: Awaited<ReturnType<typeof runPipeline>>): Map<string, { c2s: string; s2c: string; gaps: number; bytes: [number, number] }> {
  return new Map([...r.streams].map(([k, v]) => [k.replace(/#\d+$/, ''), v]));
}

describe('TCP reassembly', () => {
  test('reassembled bytes per direction equal tshark follow tcp, for every conversation of the lab capture', async () => {
    const theirs = tsharkFollow(LAB);
    const ours = streamsById(await runPipeline(LAB, { record: true }));
    assert.equal(theirs.size, 63);
    const empty = createHash('sha256').digest('hex');
    let compared = 0;
    for (const [id, t] of theirs) {
      const o = ours.get(id);
      compared++;
      if (!o) {
        // Analyzers are offered only connections that carry payload.
        assert.deepEqual(t, { c2s: empty, s2c: empty }, `we have no stream ${id}`);
        continue;
      }
      assert.equal(o.c2s, t.c2s, `${id} client to server`);
      assert.equal(o.s2c, t.s2c, `${id} server to client`);
      assert.equal(o.gaps, 0);
    }
    assert.equal(compared, 63);
  });

  test('an analyzer that needs several chunks of the server side before it decides still gets every byte, in order', async () => {
    const theirs = tsharkFollow(LAB);
    const ours = streamsById(await runPipeline(LAB, { record: true, minDetect: 200 }));
    let claimed = 0;
    for (const [id, o] of ours) {
      const t = theirs.get(id)!;
      assert.equal(o.c2s, t.c2s, `${id} client to server`);
      assert.equal(o.s2c, t.s2c, `${id} server to client`);
      claimed++;
    }
    assert.ok(claimed >= 10, `${claimed} connections claimed late`);
  });

  test('reordered and duplicated segments give the same streams, counted as retransmissions', async () => {
    const f = join(dir, 'reordered.pcap');
    writePcap(f, reorderAndDuplicate(readPcap(LAB), 7));
    const base = await runPipeline(LAB, { record: true });
    const shuffled = await runPipeline(f, { record: true });
    assert.deepEqual(streamsById(shuffled), streamsById(base));
    const retrans = shuffled.conns.reduce((n, c) => n + c.retransmittedBytes, 0);
    assert.ok(retrans > 0, 'duplicates are counted as retransmitted bytes');
    assert.equal(base.conns.reduce((n, c) => n + c.retransmittedBytes, 0), 0);
  });

  // 2^32: where sequence numbers wrap; 2^31: where they leave the signed 32-bit range the reassembler keeps them in.
  for (const edge of [2 ** 32, 2 ** 31]) {
    test(`streams whose sequence numbers cross ${edge === 2 ** 32 ? '2^32' : '2^31'} reassemble the same, also reordered`, async () => {
      const base = await runPipeline(LAB, { record: true });
      const big = base.conns.filter((c) => c.transport === 'tcp').sort((a, b) => b.payloadBytes[0] - a.payloadBytes[0])[0];
      assert.ok(big.payloadBytes[0] > 1000, 'the stream is long enough to cross');
      const p = readPcap(LAB);
      const tcpAt = (f: Uint8Array): number => (f[12] === 8 && f[13] === 0 && f[23] === 6 ? 14 + (f[14] & 15) * 4 : -1);
      // The biggest stream's first client sequence number, moved 1000 bytes below the edge: its data crosses it.
      let isn = -1;
      for (const r of p.records) {
        const t = tcpAt(r.data);
        const f = r.data;
        if (t < 0 || `${f[26]}.${f[27]}.${f[28]}.${f[29]}` !== big.client || ((f[t] << 8) | f[t + 1]) !== big.clientPort) continue;
        isn = Buffer.from(f).readUInt32BE(t + 4);
        break;
      }
      assert.ok(isn >= 0);
      const shift = (edge - 1000 - isn + 2 ** 32) % 2 ** 32;
      const moved = {
        ...p,
        records: p.records.map((r) => {
          const t = tcpAt(r.data);
          if (t < 0) return r;
          const f = Buffer.from(r.data);
          f.writeUInt32BE((f.readUInt32BE(t + 4) + shift) % 2 ** 32, t + 4);
          if (f[t + 13] & 0x10) f.writeUInt32BE((f.readUInt32BE(t + 8) + shift) % 2 ** 32, t + 8);
          return { ...r, data: f };
        }),
      };
      const f1 = join(dir, `moved-${edge}.pcap`);
      writePcap(f1, moved);
      assert.deepEqual(streamsById(await runPipeline(f1, { record: true })), streamsById(base));
      const f2 = join(dir, `moved-${edge}-reordered.pcap`);
      writePcap(f2, reorderAndDuplicate(moved, 11));
      assert.deepEqual(streamsById(await runPipeline(f2, { record: true })), streamsById(base));
    });
  }

  test('a lost segment becomes a gap of its length; the rest of the stream still arrives', async () => {
    const p = readPcap(LAB);
    // Drop the 5th client data segment of the biggest C-STORE connection.
    const base = await runPipeline(LAB, { record: true });
    const big = base.conns.filter((c) => c.transport === 'tcp').sort((a, b) => b.payloadBytes[0] - a.payloadBytes[0])[0];
    let seen = 0;
    let dropped = -1;
    let droppedLen = 0;
    p.records.forEach((r, i) => {
      const f = r.data;
      if (f[12] !== 8 || f[13] !== 0 || f[23] !== 6) return;
      const ihl = (f[14] & 15) * 4;
      const sport = (f[14 + ihl] << 8) | f[15 + ihl];
      const src = `${f[26]}.${f[27]}.${f[28]}.${f[29]}`;
      const payload = ((f[16] << 8) | f[17]) - ihl - (f[14 + ihl + 12] >> 4) * 4;
      if (src === big.client && sport === big.clientPort && payload > 0 && ++seen === 5) {
        dropped = i;
        droppedLen = payload;
      }
    });
    assert.ok(dropped > 0);
    const f = join(dir, 'lossy.pcap');
    writePcap(f, { ...p, records: p.records.filter((_, i) => i !== dropped) });
    const lossy = await runPipeline(f, { record: true });
    const id = `${big.client}:${big.clientPort}>${big.server}:${big.serverPort}/tcp`;
    const before = streamsById(base).get(id)!;
    const after = streamsById(lossy).get(id)!;
    assert.equal(after.gaps, 1);
    assert.equal(after.bytes[0], before.bytes[0] - droppedLen);
    assert.equal(after.bytes[1], before.bytes[1]);
    const rec = lossy.conns.find((c) => c.client === big.client && c.clientPort === big.clientPort)!;
    assert.equal(rec.gapBytes, droppedLen);
    assert.equal(lossy.stats.tcpGaps, 1);
  });

  test('time-shifted copies with the same 5-tuples and sequence numbers stay separate connections', async () => {
    // The lab README's gotcha 3: tshark takes the second copy for retransmissions.
    const shifted = join(dir, 'shifted.pcap');
    const twice = join(dir, 'twice.pcap');
    execFileSync('editcap', ['-t', '60', LAB, shifted]);
    execFileSync('mergecap', ['-F', 'pcap', '-a', '-w', twice, LAB, shifted]);
    const once = await runPipeline(LAB, { record: true });
    const r = await runPipeline(twice, { record: true });
    const tcpOnce = once.conns.filter((c) => c.transport === 'tcp').length;
    assert.equal(r.conns.filter((c) => c.transport === 'tcp').length, 2 * tcpOnce);
    // Every stream's content appears exactly twice.
    const count = new Map<string, number>();
    for (const [k, v] of r.streams) {
      const key = `${k.replace(/#\d+$/, '')} ${v.c2s} ${v.s2c}`;
      count.set(key, (count.get(key) ?? 0) + 1);
    }
    assert.equal(count.size, once.streams.size);
    assert.ok([...count.values()].every((n) => n === 2));
    assert.equal(r.conns.reduce((n, c) => n + c.retransmittedBytes, 0), 0);
  });

  test('IP fragments are counted and skipped without crashing', async () => {
    const p = readPcap(LAB);
    const recs = p.records.map((r) => ({ ...r, data: new Uint8Array(r.data) }));
    let marked = 0;
    for (const r of recs) {
      if (r.data[12] === 8 && r.data[13] === 0 && r.data[23] === 17 && marked < 3) {
        r.data[20] |= 0x20; // More Fragments
        marked++;
      }
    }
    const f = join(dir, 'frag.pcap');
    writePcap(f, { ...p, records: recs });
    const r = await runPipeline(f);
    assert.equal(r.stats.fragments, marked);
    assert.equal(r.summary.packets, 774);
  });
});
