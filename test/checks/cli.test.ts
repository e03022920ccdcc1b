import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/open.ts';
import { wardline as runCli } from '../helpers/cli.ts';

const wardline = (...args: string[]) => runCli(args, { timeoutMs: 30_000 });

const FIX = join('test', 'fixtures', 'audit');

test('audit: JSON findings with file:line, --fail-on exit codes, usage errors exit 2', () => {
  const r = wardline('audit', join(FIX, 'orthanc.execute-lua.fail.json'), '--json', '--fail-on', 'critical');
  assert.equal(r.code, 1);
  const j = JSON.parse(r.stdout) as { findings: Array<{ rule: string; location: { line: number } }> };
  assert.ok(j.findings.some((f) => f.rule === 'audit.orthanc.execute-lua' && f.location.line > 1));
  assert.equal(wardline('audit', join(FIX, 'orthanc.hardened.pass.json'), '--fail-on', 'info').code, 0);
  const bad = wardline('audit', 'README.md');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /README\.md: not a recognised configuration/);
  assert.equal(wardline('audit', join(FIX, 'orthanc.hardened.pass.json'), '--fail-on', 'severe').code, 2);
  assert.equal(wardline('audit', '--rules').code, 0);
  assert.match(wardline('audit', '--help').stdout, /Examples:/);
});

test('probe: refuses out-of-scope targets and missing scope with exit 2; lists its checks', () => {
  const r = wardline('probe', '127.0.0.1', '--scope', '10.0.0.0/8');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /refusing to probe outside the scope: 127\.0\.0\.1/);
  assert.equal(wardline('probe', '127.0.0.1').code, 2);
  assert.equal(wardline('probe', '127.0.0.1', '--scope', '127.0.0.1', '--ports', 'gopher:70').code, 2);
  const c = wardline('probe', '--checks', '--json');
  assert.equal(c.code, 0);
  const checks = JSON.parse(c.stdout) as Array<{ id: string; category: string }>;
  assert.ok(checks.some((x) => x.id === 'probe.dicom.query-returns-records' && x.category === 'intrusive'));
  assert.match(wardline('probe', '--help').stdout, /--intrusive/);
});

test('audit --save and probe store their findings in the given store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wl-checks-cli-'));
  try {
    const db = join(dir, 's.db');
    assert.equal(wardline('audit', join(FIX, 'orthanc.execute-lua.fail.json'), '--save', '--db', db, '-q').code, 0);
    const p = wardline('probe', '127.0.0.1', '--scope', '127.0.0.1/32', '--only-ports', '--ports', '1', '--timeout', '500', '--db', db, '--json');
    assert.equal(p.code, 0);
    assert.equal((JSON.parse(p.stdout) as { targets: Array<{ closed: number }> }).targets[0].closed, 1);
    const store = await openStore(db);
    try {
      const rows = await store.all<{ source: string; rule: string }>('SELECT source, rule FROM findings');
      assert.ok(rows.some((r) => r.source === 'audit' && r.rule === 'audit.orthanc.execute-lua'));
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
