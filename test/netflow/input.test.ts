/** The NetFlow and Zeek readers plug into `discover`'s input dispatch (src/sources/input.ts), gzip included. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { openInput, sniffInput } from '../../src/sources/input.ts';
import { readNetflowFiles } from '../../src/sources/netflow/index.ts';
import { readZeek } from '../../src/sources/zeek/index.ts';
import { CORPUS } from '../helpers/corpus.ts';

const tmp = mkdtempSync(join(tmpdir(), 'wl-flows-in-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a NetFlow payload file and a gzip-compressed conn.log are recognised by content and read', async () => {
  const dat = join(CORPUS, 'netflow', 'logstash_netflow9_test_valid01.dat');
  const gz = join(tmp, 'conn.log.gz');
  writeFileSync(gz, gzipSync(readFileSync(join(CORPUS, 'zeek', 'slips_test10_mixed_conn.tsv.log'))));

  const nf = await openInput(dat);
  const s1 = await sniffInput(nf);
  assert.equal(s1.format, 'netflow');
  const o1 = await s1.reader!.read(nf, {});
  const direct = await readNetflowFiles([dat]);
  assert.deepEqual(o1.edges, direct.edges);
  assert.equal(o1.inputs[0].path, dat);

  const z = await openInput(gz);
  const s2 = await sniffInput(z);
  assert.equal(s2.format, 'zeek');
  const o2 = await s2.reader!.read(z, {});
  const plain = await readZeek(join(CORPUS, 'zeek', 'slips_test10_mixed_conn.tsv.log'));
  assert.deepEqual(o2.edges, plain.edges);
  assert.equal(o2.inputs[0].records, plain.inputs[0].records);
});

test('discover-style reading of a template file, then its data file, shares the templates', async () => {
  const read = async (f: string): Promise<number> => {
    const input = await openInput(join(CORPUS, 'netflow', f));
    const s = await sniffInput(input);
    assert.equal(s.format, 'netflow');
    const o = await s.reader!.read(input, {});
    return o.inputs[0].records ?? 0;
  };
  assert.equal(await read('logstash_netflow9_test_cisco_asa_1_tpl.dat'), 0);
  const pair = await readNetflowFiles(['logstash_netflow9_test_cisco_asa_1_tpl.dat', 'logstash_netflow9_test_cisco_asa_1_data.dat'].map((f) => join(CORPUS, 'netflow', f)));
  assert.equal(await read('logstash_netflow9_test_cisco_asa_1_data.dat'), pair.inputs[1].records);
  assert.ok(pair.inputs[1].records! > 0);
});
