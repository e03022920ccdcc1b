import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator } from 'playwright-core';
import { wardline } from '../helpers/cli.ts';
import { artifactDir, launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { freePort } from '../helpers/postgres.ts';
import { openStore } from '../../src/store/open.ts';
import { buildHospitalStore, MODEL, type Hospital } from './hospital.ts';
import { login, startServe, type ServeProcess } from './server-process.ts';

const ADMIN_PW = 'correct horse battery staple 1';
const VIEWER_PW = 'viewer password for tests 2';

/** Polls a locator's text (the page's CSP forbids the string evaluation waitForFunction would need). */
async function waitText(loc: Locator, ok: (t: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const t = await loc.innerText();
    if (ok(t)) return t;
    if (Date.now() > end) throw new Error(`text never matched: '${t}'`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function hash(pw: string): string {
  const r = wardline(['serve', '--hash-password'], { input: pw });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

describe('wardline serve: the dashboard in a real browser', () => {
  let h: Hospital;
  let browser: TestBrowser;
  let srv: ServeProcess;
  let checkJson: { findings: Array<{ id: string; rule: string; severity: string; title: string }> };

  before(async () => {
    h = buildHospitalStore();
    checkJson = JSON.parse(wardline(['check', '--model', MODEL, '--db', h.db, '--json']).stdout) as typeof checkJson;
    const users = join(h.dir, 'users.yaml');
    writeFileSync(users, `users:\n  - name: alice\n    role: admin\n    hash: "${hash(ADMIN_PW)}"\n  - name: victor\n    role: viewer\n    hash: "${hash(VIEWER_PW)}"\n`);
    const port = await freePort();
    srv = await startServe(['--db', h.db, '--model', MODEL, '--proposed', h.proposedDir, '--users', users, '--listen', `127.0.0.1:${port}`]);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
    if (h) rmSync(h.dir, { recursive: true, force: true });
  });

  it('unauthenticated: pages redirect to the login, the API answers 401, headers are strict', async () => {
    const page = await fetch(`${srv.url}/`, { redirect: 'manual' });
    assert.equal(page.status, 302);
    assert.equal(page.headers.get('location'), '/login');
    for (const p of ['/api/summary', '/api/findings', '/api/map', '/api/assets', '/api/edges/0', '/api/alerts', '/api/audit', '/static/app.js']) {
      const r = await fetch(`${srv.url}${p}`, { redirect: 'manual' });
      assert.ok(r.status === 401 || r.status === 302, `${p}: ${r.status}`);
    }
    const r = await fetch(`${srv.url}/api/findings`);
    assert.equal(r.status, 401);
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'self'.*frame-ancestors 'none'/);
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    // DNS rebinding: the loopback dashboard refuses a foreign Host name.
    const { request } = await import('node:http');
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request(`${srv.url}/login`, { headers: { Host: 'evil.example' } }, (x) => { x.resume(); resolve(x.statusCode ?? 0); });
      req.on('error', reject);
      req.end();
    });
    assert.equal(rebound, 421);
    const bad = await login(srv.url, 'alice', 'wrong password');
    assert.equal(bad.status, 401);
    assert.equal(bad.cookie, undefined);
  });

  it('log in, see the hospital map, open a violation, filter the findings (no console errors; screenshot kept)', async () => {
    const ctx = await browser.context();
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (req) => { if (!req.url().startsWith(srv.url)) problems.push(`off-site request ${req.url()}`); });
    await page.goto(`${srv.url}/`);
    assert.match(page.url(), /\/login$/);
    await page.fill('#user', 'alice');
    await page.fill('#password', ADMIN_PW);
    await page.click('#login-button');
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    assert.match(await page.locator('#site').innerText(), /St\. Brigid/);
    const cookies = await ctx.cookies();
    const sc = cookies.find((c) => c.name === 'wardline_session');
    assert.ok(sc && sc.httpOnly && sc.sameSite === 'Strict', JSON.stringify(sc));

    // The map: zones as groups, hosts named from the model, violations marked.
    const map = page.locator('#map svg.flowmap');
    await map.waitFor();
    assert.ok(await map.locator('g.zone').count() >= 4);
    assert.ok(await map.getByText('pacs-main', { exact: false }).count() >= 1);
    const violations = map.locator('g.edge.violation');
    assert.ok(await violations.count() > 0);
    await violations.first().dispatchEvent('click');
    await page.locator('#evidence h2 .verdict-violation').waitFor();
    const evidence = await page.locator('#evidence').innerText();
    assert.match(evidence, /check\.[a-z-]+/);
    assert.match(evidence, /HIPAA/);
    await page.screenshot({ path: join(artifactDir('show'), 'dashboard-map.png'), fullPage: true });
    const allNodes = await map.locator('g.node').count();
    await page.selectOption('#map-zone', 'imaging-servers');
    await waitText(page.locator('#map'), (t) => !t.includes('billing-gateway'));
    const zoneNodes = await page.locator('#map svg.flowmap g.node').count();
    assert.ok(zoneNodes > 0 && zoneNodes < allNodes, `${zoneNodes} of ${allNodes}`);
    assert.ok(await page.locator('#map svg.flowmap').getByText('pacs-main', { exact: false }).count() >= 1);

    // Findings, filtered by severity, then by rule.
    await page.click('nav button[data-tab="findings"]');
    await page.locator('#findings-table tbody tr').first().waitFor();
    const all = checkJson.findings.length;
    assert.equal(await page.locator('#f-count').innerText(), `${all} finding(s)`);
    await page.selectOption('#f-severity', 'critical');
    const crit = checkJson.findings.filter((f) => f.severity === 'critical').length;
    await waitText(page.locator('#f-count'), (t) => t === `${crit} finding(s)`);
    const sevs = await page.locator('#findings-table tbody tr td:first-child').allInnerTexts();
    assert.equal(sevs.length, crit);
    assert.ok(sevs.every((s) => s === 'critical'), sevs.join(','));
    await page.selectOption('#f-severity', '');
    await page.selectOption('#f-rule', 'check.conduit-unused');
    const unused = checkJson.findings.filter((f) => f.rule === 'check.conduit-unused').length;
    await waitText(page.locator('#f-count'), (t) => t === `${unused} finding(s)`);
    await page.locator('#findings-table tbody tr').first().click();
    assert.match(await page.locator('#finding-detail').innerText(), /conduit-unused[\s\S]*IEC 62443-3-3/);

    // Assets with their facts; blast radius before/after the proposal.
    await page.click('nav button[data-tab="assets"]');
    await page.fill('#a-text', 'pacs-main');
    await waitText(page.locator('#a-count'), (t) => /^[1-9]\d* asset/.test(t));
    assert.match(await page.locator('#assets-table tbody').innerText(), /PACS_MAIN|pacs-main/);
    await page.click('nav button[data-tab="blast"]');
    await page.click('#blast-form button[type="submit"]');
    await page.locator('#blast-result .big').nth(1).waitFor();
    const [today, afterP] = (await page.locator('#blast-result .big').allInnerTexts()).map(Number);
    assert.ok(today > afterP, `blast today ${today}, after ${afterP}`);
    await page.screenshot({ path: join(artifactDir('show'), 'dashboard-blast.png') });
    await ctx.close();
    assert.deepEqual(problems, []);
  });

  it('live alerts arrive over SSE when the monitor stores an event', async () => {
    const ctx = await browser.context();
    const page = await ctx.newPage();
    await page.goto(`${srv.url}/login`);
    await page.fill('#user', 'victor');
    await page.fill('#password', VIEWER_PW);
    await page.click('#login-button');
    await page.waitForSelector('body[data-ready="true"]');
    const db = await openStore(h.db);
    try {
      const title = `New DICOM AE pair ROGUE_AE -> PACS_MAIN ${Date.now()}`;
      await db.run('INSERT INTO events (ts, kind, severity, subject, payload_json, idempotency_key) VALUES (?, ?, ?, ?, ?, ?)',
        [Date.now(), 'alert.monitor.new-ae-pair', 'high', '172.16.20.99', JSON.stringify({ title }), `test-${title}`]);
      await page.click('nav button[data-tab="alerts"]');
      await page.getByText(title, { exact: false }).waitFor({ timeout: 15_000 });
      // The timeline shows it too, once the view is rebuilt (here on demand, otherwise within 10 s).
      const cookie = (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
      const { csrf } = (await (await fetch(`${srv.url}/api/session`, { headers: { Cookie: cookie } })).json()) as { csrf: string };
      assert.equal((await fetch(`${srv.url}/api/refresh`, { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': csrf } })).status, 200);
      await page.click('nav button[data-tab="timeline"]');
      await page.locator('#timeline-table tbody').getByText(title, { exact: false }).waitFor({ timeout: 15_000 });
    } finally {
      await db.close();
      await ctx.close();
    }
  });

  it('the self-contained HTML report downloads from the dashboard (audited), not without a session', async () => {
    const a = await login(srv.url, 'victor', VIEWER_PW);
    const r = await fetch(`${srv.url}/report.html`, { headers: { Cookie: a.cookie! } });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-disposition') ?? '', /^attachment; filename="wardline-report-\d{4}-\d{2}-\d{2}\.html"$/);
    assert.match(r.headers.get('content-security-policy') ?? '', /^default-src 'none'/);
    const html = await r.text();
    assert.match(html, /Executive summary/);
    assert.doesNotMatch(html, /<script/);
    assert.equal((await fetch(`${srv.url}/report.html`, { redirect: 'manual' })).status, 302);
  });

  it('CSRF and roles: state changes need the session\'s token, same origin, and the admin role; changes are audited', async () => {
    const admin = await login(srv.url, 'alice', ADMIN_PW);
    assert.equal(admin.status, 200);
    assert.match(admin.setCookie ?? '', /HttpOnly/);
    assert.match(admin.setCookie ?? '', /SameSite=Strict/);
    assert.doesNotMatch(admin.setCookie ?? '', /Secure/, 'loopback HTTP: no Secure flag (documented exception)');
    const target = checkJson.findings.find((f) => f.rule === 'check.conduit-unused')!;
    const url = `${srv.url}/api/findings/${encodeURIComponent(target.id)}/status`;
    const body = JSON.stringify({ status: 'accepted', note: 'downtime link' });
    const post = (headers: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: admin.cookie!, ...headers }, body });
    assert.equal((await post({})).status, 403, 'no token');
    assert.equal((await post({ 'X-CSRF-Token': 'x'.repeat(43) })).status, 403, 'wrong token');
    assert.equal((await post({ 'X-CSRF-Token': admin.csrf!, Origin: 'http://evil.example' })).status, 403, 'cross-origin');
    const viewer = await login(srv.url, 'victor', VIEWER_PW);
    const v = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: viewer.cookie!, 'X-CSRF-Token': viewer.csrf! }, body });
    assert.equal(v.status, 403, 'viewer may not change');
    const ok = await post({ 'X-CSRF-Token': admin.csrf!, Origin: srv.url });
    assert.equal(ok.status, 200);
    const f = (await (await fetch(`${srv.url}/api/findings?status=accepted`, { headers: { Cookie: admin.cookie! } })).json()) as { items: Array<{ id: string }> };
    assert.deepEqual(f.items.map((x) => x.id), [target.id]);
    const auditR = await fetch(`${srv.url}/api/audit`, { headers: { Cookie: admin.cookie! } });
    const log = (await auditR.json()) as { items: Array<{ actor: string; action: string; outcome: string; detail: Record<string, unknown> }> };
    assert.ok(log.items.some((e) => e.actor === 'alice' && e.action === 'finding.status' && e.outcome === 'ok' && e.detail.to === 'accepted'));
    assert.ok(log.items.some((e) => e.action === 'finding.status' && e.outcome === 'denied' && e.actor === 'victor'));
    assert.ok(log.items.some((e) => e.action === 'login' && e.outcome === 'failed' && e.actor === 'alice'));
    assert.ok(log.items.filter((e) => e.detail.reason === 'csrf').length >= 2);
    assert.equal((await fetch(`${srv.url}/api/audit`, { headers: { Cookie: viewer.cookie! } })).status, 403);
    // Logging out ends the session server-side.
    assert.equal((await fetch(`${srv.url}/api/logout`, { method: 'POST', headers: { Cookie: viewer.cookie!, 'X-CSRF-Token': viewer.csrf! } })).status, 200);
    assert.equal((await fetch(`${srv.url}/api/summary`, { headers: { Cookie: viewer.cookie! } })).status, 401);
  });
});

describe('wardline serve: accounts, rate limit, TLS and binding', () => {
  let h: Hospital;
  before(() => { h = buildHospitalStore(); });
  after(() => { if (h) rmSync(h.dir, { recursive: true, force: true }); });

  it('first start creates an admin with a random password printed once, stored only as a scrypt hash', async () => {
    const port = await freePort();
    const first = await startServe(['--db', h.db, '--listen', `127.0.0.1:${port}`]);
    const m = /password:\s+(\S+)/.exec(first.stderr());
    assert.ok(m, first.stderr());
    const pw = m[1];
    assert.ok(pw.length >= 20);
    assert.equal((await login(first.url, 'admin', pw)).status, 200);
    await first.stop();
    const second = await startServe(['--db', h.db, '--listen', `127.0.0.1:${port}`]);
    assert.doesNotMatch(second.stderr(), /password/);
    assert.equal((await login(second.url, 'admin', pw)).status, 200);
    await second.stop();
    const db = await openStore(h.db);
    try {
      const rows = await db.all<{ name: string; password_hash: string }>('SELECT name, password_hash FROM dashboard_users');
      assert.equal(rows.length, 1);
      assert.match(rows[0].password_hash, /^scrypt\$32768\$8\$1\$/);
    } finally {
      await db.close();
    }
    for (const f of [h.db, `${h.db}-wal`]) {
      try { assert.ok(!readFileSync(f).includes(Buffer.from(pw)), `${f} holds the password`); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
    }
  });

  it('login is rate-limited: past 5 failures even the right password gets 429', async () => {
    const users = join(h.dir, 'rl-users.yaml');
    writeFileSync(users, `users:\n  - name: carol\n    role: viewer\n    hash: "${hash(ADMIN_PW)}"\n`);
    const port = await freePort();
    const s = await startServe(['--db', h.db, '--users', users, '--listen', `127.0.0.1:${port}`]);
    try {
      for (let i = 0; i < 5; i++) assert.equal((await login(s.url, 'carol', `wrong ${i}`)).status, 401);
      const r = await fetch(`${s.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'carol', password: ADMIN_PW }) });
      assert.equal(r.status, 429);
      assert.ok(Number(r.headers.get('retry-after')) > 0);
    } finally {
      await s.stop();
    }
  });

  it('TLS with a given certificate: Secure cookie and HSTS; cleartext off loopback is refused; bad users file is exit 2', async () => {
    const cert = join(h.dir, 'cert.pem');
    const key = join(h.dir, 'key.pem');
    const { execFileSync } = await import('node:child_process');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const users = join(h.dir, 'tls-users.yaml');
    writeFileSync(users, `users:\n  - name: dana\n    role: admin\n    hash: "${hash(ADMIN_PW)}"\n`);
    const port = await freePort();
    const s = await startServe(['--db', h.db, '--users', users, '--listen', `127.0.0.1:${port}`, '--tls-cert', cert, '--tls-key', key]);
    try {
      assert.match(s.url, /^https:/);
      const https = await import('node:https');
      const res = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
        const req = https.request(`${s.url}/api/login`, { method: 'POST', ca: readFileSync(cert), headers: { 'Content-Type': 'application/json' } }, (r) => { r.resume(); r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers })); });
        req.on('error', reject);
        req.end(JSON.stringify({ user: 'dana', password: ADMIN_PW }));
      });
      assert.equal(res.status, 200);
      assert.match(String(res.headers['set-cookie']), /; Secure/);
      assert.match(String(res.headers['strict-transport-security']), /max-age=\d+/);
    } finally {
      await s.stop();
    }
    const open = wardline(['serve', '--db', h.db, '--users', users, '--listen', '0.0.0.0:0']);
    assert.equal(open.status, 2);
    assert.match(open.stderr, /refusing to serve .* in cleartext/);
    writeFileSync(users, 'users:\n  - name: eve\n    role: admin\n    hash: plaintext-password\n');
    const bad = wardline(['serve', '--db', h.db, '--users', users]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /scrypt hash, never a password/);
  });
});
