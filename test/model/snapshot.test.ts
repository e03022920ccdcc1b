import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { wardline } from '../helpers/cli.ts';

describe('model snapshots in the store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wardline-snap-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'w.db');

  it('records a valid model once per change and lists the history', () => {
    const first = wardline(['model', 'snapshot', 'examples/hospital', '--db', db, '--json']);
    assert.equal(first.status, 0, first.stderr);
    const a = JSON.parse(first.stdout) as { id: number; added: boolean; hash: string; site: string };
    assert.equal(a.added, true);
    assert.equal(a.site, 'St. Brigid General Hospital');
    const again = JSON.parse(wardline(['model', 'snapshot', 'examples/hospital', '--db', db, '--json']).stdout) as { id: number; added: boolean };
    assert.equal(again.added, false);
    assert.equal(again.id, a.id);
    const list = JSON.parse(wardline(['model', 'snapshot', '--list', '--db', db, '--json']).stdout) as Array<{ hash: string }>;
    assert.deepEqual(list.map((s) => s.hash), [a.hash]);
  });

  it('refuses a model with errors (exit 2) and records nothing', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'site: {name: x}\nzones:\n  - name: a\n    kind: server\n    cidrs: [not-a-cidr]\n');
    const other = join(dir, 'other.db');
    const r = wardline(['model', 'snapshot', bad, '--db', other]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad\.yaml:5:\d+/);
    const list = JSON.parse(wardline(['model', 'snapshot', '--list', '--db', other, '--json']).stdout) as unknown[];
    assert.equal(list.length, 0);
  });
});
