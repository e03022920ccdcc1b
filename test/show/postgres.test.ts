import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { wardline } from '../helpers/cli.ts';
import { freePort, startPostgres, type PostgresHandle } from '../helpers/postgres.ts';
import { CAPTURE, MODEL } from './hospital.ts';
import { login, startServe } from './server-process.ts';

describe('report and dashboard on a PostgreSQL store', () => {
  let pg: PostgresHandle;
  let findings: Array<{ id: string; rule: string }>;

  before(async () => {
    pg = await startPostgres();
    const d = wardline(['discover', CAPTURE, '--model', MODEL, '--db', pg.url, '--quiet']);
    assert.equal(d.status, 0, d.stderr);
    const c = wardline(['check', '--model', MODEL, '--db', pg.url, '--json']);
    findings = (JSON.parse(c.stdout) as { findings: typeof findings }).findings;
  });
  after(async () => { await pg?.stop(); });

  it('the JSON report reads the same findings and flows as from SQLite', () => {
    const r = wardline(['report', '--format', 'json', '--model', MODEL, '--db', pg.url]);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { findings: Array<{ id: string }>; counts: { edges: number; violations: number } };
    assert.deepEqual(j.findings.map((f) => f.id).sort(), findings.map((f) => f.id).sort());
    assert.ok(j.counts.edges > 0 && j.counts.violations > 0);
  });

  it('first-start admin, login, a status change and its audit entries', async () => {
    const port = await freePort();
    const s = await startServe(['--db', pg.url, '--model', MODEL, '--listen', `127.0.0.1:${port}`]);
    try {
      const pw = /password:\s+(\S+)/.exec(s.stderr())?.[1];
      assert.ok(pw, s.stderr());
      const a = await login(s.url, 'admin', pw);
      assert.equal(a.status, 200);
      const res = await fetch(`${s.url}/api/findings?size=500`, { headers: { Cookie: a.cookie! } });
      const page = (await res.json()) as { total: number; items: Array<{ id: string }> };
      assert.equal(page.total, findings.length);
      const id = findings[0].id;
      const ok = await fetch(`${s.url}/api/findings/${encodeURIComponent(id)}/status`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: a.cookie!, 'X-CSRF-Token': a.csrf! }, body: JSON.stringify({ status: 'resolved' }) });
      assert.equal(ok.status, 200);
      const log = (await (await fetch(`${s.url}/api/audit`, { headers: { Cookie: a.cookie! } })).json()) as { items: Array<{ action: string; outcome: string; detail: Record<string, unknown> }> };
      assert.ok(log.items.some((e) => e.action === 'finding.status' && e.detail.finding === id && e.detail.to === 'resolved'));
      assert.ok(log.items.some((e) => e.action === 'login' && e.outcome === 'ok'));
    } finally {
      await s.stop();
    }
  });
});
