/**
 * Folding softflowd's unidirectional records of the lab capture into
 * initiator -> service edges: the services found must be the ones tshark
 * sees answering a SYN in the capture itself, each edge's client the side
 * that sent the SYN, and protocols guessed from the service port.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { readNetflow } from '../../src/sources/netflow/index.ts';
import { corpusFile } from '../helpers/corpus.ts';

function tshark(filter: string, fields: string[]): string[][] {
  const args = ['-r', corpusFile('lab', 'lab_hospital.pcap'), '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n').filter((l) => l.trim()).map((l) => l.split('\t'));
}

test('lab export: listening services and initiators match the capture', async () => {
  const r = await readNetflow(corpusFile('lab', 'lab_hospital_flow-export.pcap'));
  const synAck = new Set(tshark('tcp.flags.syn==1 && tcp.flags.ack==1', ['ip.src', 'tcp.srcport']).map(([h, p]) => `${h}:${p}`));
  const listening = new Set(r.hosts.flatMap((h) => h.listeningPorts.map((l) => `${h.address}:${l.port}`)));
  assert.deepEqual([...listening].sort(), [...synAck].sort());

  // Every SYN's sender -> receiver:port is an edge in that direction.
  const syns = new Set(tshark('tcp.flags.syn==1 && tcp.flags.ack==0', ['ip.src', 'ip.dst', 'tcp.dstport']).map(([s, d, p]) => `${s}>${d}:${p}`));
  const edges = new Set(r.edges.filter((e) => e.transport === 'tcp').map((e) => `${e.src}>${e.dst}:${e.dport}`));
  assert.deepEqual([...edges].sort(), [...syns].sort());

  const byPort = (p: number): Set<string> => new Set(r.edges.filter((e) => e.dport === p).map((e) => `${e.protocol}/${e.protocolFrom}`));
  assert.deepEqual(byPort(4242), new Set(['dicom/port']));
  assert.deepEqual(byPort(104), new Set(['dicom/port']));
  assert.deepEqual(byPort(2575), new Set(['hl7/port']));
  assert.deepEqual(byPort(8042), new Set(['http/port']));
  assert.ok(r.edges.filter((e) => e.protocol === 'dicom' || e.protocol === 'hl7').every((e) => e.phi && !e.encrypted));
  assert.ok(r.edges.filter((e) => e.protocol === 'unknown').every((e) => e.protocolFrom === 'none'));
});
