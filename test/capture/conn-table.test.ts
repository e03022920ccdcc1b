/**
 * The pipeline's connection table: under the churn of a capture (adds and
 * removes interleaved, many connections sharing a bucket, the table growing
 * and shrinking) it holds exactly the live connections, each findable from
 * its hash's chain, and a removed connection keeps no link into it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Conn } from '../../src/decoders/conn-state.ts';
import { ConnTable } from '../../src/decoders/conn-table.ts';
import { PROTO_UDP } from '../../src/decoders/packet.ts';

function conn(seq: number, hash: number): Conn {
  return new Conn(seq, hash, PROTO_UDP, seq, seq + 1, 1000, 53, `10.0.0.${seq & 255}`, '10.0.0.1', 0);
}

function findable(t: ConnTable, c: Conn): boolean {
  for (let x = t.chain(c.hash); x; x = x.hnext) if (x === c) return true;
  return false;
}

test('the table holds exactly the live connections through growth, churn and shrinking', () => {
  const t = new ConnTable();
  const live = new Set<Conn>();
  const order: Conn[] = [];
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  let seq = 0;
  // Grow to thousands (few distinct hashes, so chains are long), churn, then drain.
  for (const [steps, addBias] of [[6000, 0.9], [20000, 0.5], [7000, 0.05]] as const) {
    for (let i = 0; i < steps; i++) {
      if (live.size === 0 || rand() < addBias) {
        const c = conn(seq++, Math.floor(rand() * 500) * 0x9e3779b1);
        t.add(c);
        live.add(c);
        order.push(c);
      } else {
        const k = Math.floor(rand() * order.length);
        const c = order[k];
        order[k] = order[order.length - 1];
        order.pop();
        t.remove(c);
        live.delete(c);
        assert.equal(c.hnext, undefined, 'a removed connection keeps no link into the table');
        assert.ok(!findable(t, c));
      }
    }
    assert.equal(t.size, live.size);
    const all = t.collect([]);
    assert.equal(all.length, live.size);
    assert.deepEqual(new Set(all), live);
    for (const c of live) assert.ok(findable(t, c), `connection ${c.seq} is on its hash's chain`);
  }
  t.clear();
  assert.equal(t.size, 0);
  assert.deepEqual(t.collect([]), []);
});

test('removing a connection that is not in the table changes nothing', () => {
  const t = new ConnTable();
  const a = conn(1, 7);
  const b = conn(2, 7);
  t.add(a);
  t.remove(b);
  assert.equal(t.size, 1);
  assert.ok(findable(t, a));
});
