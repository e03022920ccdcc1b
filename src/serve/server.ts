/**
 * The dashboard's HTTP(S) server: node:http, no framework. Static files from
 * public/ (no CDN), a JSON API behind a session, SSE for live alerts.
 * Security: strict headers with a CSP of 'self' only, HttpOnly SameSite=Strict
 * session cookies (Secure under TLS), a CSRF token on every state-changing
 * request, an Origin check, rate-limited login, viewer/admin roles, and an
 * audit log of logins and changes.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { SiteModel } from '../model/types.ts';
import type { Db } from '../store/db.ts';
import { assetsJson, blastJson, edgeJson, findingsJson, mapJson, summaryJson, timelineJson, zoneEdgesJson } from './api.ts';
import { audit, listAudit } from './audit.ts';
import { LoginLimiter } from './ratelimit.ts';
import { COOKIE_NAME, SessionStore, clearedCookie, parseCookies, sameToken, sessionCookie, type Session } from './session.ts';
import { authenticate, type UserDirectory } from './users.ts';
import { ViewCache } from './view-cache.ts';
import { isLoopbackHost } from './listen.ts';
import { AlertFeed } from './alerts.ts';
import { renderHtml } from '../outputs/report/html.ts';

const PUBLIC = join(dirname(fileURLToPath(import.meta.url)), 'public');
const STATIC: Record<string, { file: string; type: string; auth: boolean }> = {
  '/login': { file: 'login.html', type: 'text/html; charset=utf-8', auth: false },
  '/static/login.js': { file: 'login.js', type: 'text/javascript; charset=utf-8', auth: false },
  '/static/app.css': { file: 'app.css', type: 'text/css; charset=utf-8', auth: false },
  '/': { file: 'index.html', type: 'text/html; charset=utf-8', auth: true },
  '/static/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8', auth: true },
};

export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export interface DashboardOptions {
  db: Db;
  users: UserDirectory;
  model?: SiteModel;
  proposed?: { model: SiteModel; label: string };
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
  /** Overrides for tests: login limiter and session lifetimes. */
  loginLimit?: { limit: number; windowMs: number };
  sessionIdleMs?: number;
  viewTtlMs?: number;
  alertPollMs?: number;
}

export interface Dashboard {
  server: Server;
  url: string;
  close(): Promise<void>;
}

function securityHeaders(res: ServerResponse, tls: boolean): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
  res.setHeader('Cache-Control', 'no-store');
  if (tls) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

async function readJson(req: IncomingMessage, limit = 16 * 1024): Promise<Record<string, unknown> | undefined> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return undefined;
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) return undefined;
    chunks.push(c);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function hostName(h: string | undefined): string {
  if (!h) return '';
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(h);
  return m ? m[1] : h.replace(/:\d+$/, '');
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const tls = !!o.tls;
  const loopback = isLoopbackHost(o.host);
  const sessions = new SessionStore({ idleMs: o.sessionIdleMs });
  const limiter = new LoginLimiter(o.loginLimit);
  const cache = new ViewCache(o.db, { model: o.model, proposed: o.proposed, ttlMs: o.viewTtlMs });
  const alerts = new AlertFeed(o.db, o.alertPollMs ?? 2000);
  const files = new Map(Object.entries(STATIC).map(([p, s]) => [p, readFileSync(join(PUBLIC, s.file))]));
  await cache.get();

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    securityHeaders(res, tls);
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const address = req.socket.remoteAddress ?? 'unknown';
    // DNS rebinding: a page on evil.example re-pointed at 127.0.0.1 would send Host: evil.example.
    if (loopback && !isLoopbackHost(hostName(req.headers.host))) { send(res, 421, { error: 'this dashboard answers only to its loopback name' }); return; }
    const session = sessions.get(parseCookies(req.headers.cookie).get(COOKIE_NAME));

    const st = STATIC[path];
    if (st && (method === 'GET' || method === 'HEAD')) {
      if (st.auth && !session) { res.writeHead(302, { Location: '/login' }); res.end(); return; }
      res.writeHead(200, { 'Content-Type': st.type });
      res.end(method === 'HEAD' ? undefined : files.get(path));
      return;
    }
    if (path === '/report.html' && method === 'GET') {
      if (!session) { res.writeHead(302, { Location: '/login' }); res.end(); return; }
      const c = await cache.get();
      await audit(o.db, { actor: session.user, action: 'report.download', outcome: 'ok', address, detail: { format: 'html' } });
      // The report is static (no script) and styles itself inline: its own policy, stricter on everything else.
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
        'Content-Disposition': `attachment; filename="wardline-report-${new Date(c.view.generatedAt).toISOString().slice(0, 10)}.html"`,
      });
      res.end(renderHtml(c.view));
      return;
    }
    // Browsers ask for it on every page; an empty answer keeps their consoles clean.
    if (path === '/favicon.ico') { res.writeHead(204); res.end(); return; }
    if (!path.startsWith('/api/')) { send(res, 404, { error: 'not found' }); return; }

    const changing = method !== 'GET' && method !== 'HEAD';
    if (changing) {
      // Same-origin only: a browser always sends Origin on a cross-site POST.
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `${tls ? 'https' : 'http'}://${req.headers.host}`) {
        await audit(o.db, { actor: session?.user ?? '-', action: `${method} ${path}`, outcome: 'denied', address, detail: { reason: 'cross-origin', origin } });
        send(res, 403, { error: 'cross-origin request refused' });
        return;
      }
    }

    if (path === '/api/login' && method === 'POST') {
      const body = await readJson(req);
      const name = typeof body?.user === 'string' ? body.user.slice(0, 64) : '';
      const password = typeof body?.password === 'string' ? body.password.slice(0, 1024) : '';
      const keys = [`ip:${address}`, `user:${name}`];
      const wait = limiter.retryAfter(keys);
      if (wait > 0) {
        await audit(o.db, { actor: name || '-', action: 'login', outcome: 'denied', address, detail: { reason: 'rate-limited' } });
        send(res, 429, { error: 'too many failed logins; try again later' }, { 'Retry-After': String(Math.ceil(wait / 1000)) });
        return;
      }
      const user = name && password ? await authenticate(o.users, name, password) : undefined;
      if (!user) {
        limiter.fail(keys);
        await audit(o.db, { actor: name || '-', action: 'login', outcome: 'failed', address, detail: {} });
        send(res, 401, { error: 'wrong user name or password' });
        return;
      }
      limiter.succeed([`user:${name}`]);
      if (session) sessions.destroy(session.id);
      const s = sessions.create(user.name, user.role);
      await audit(o.db, { actor: user.name, action: 'login', outcome: 'ok', address, detail: { role: user.role } });
      send(res, 200, { user: s.user, role: s.role, csrf: s.csrf }, { 'Set-Cookie': sessionCookie(s.id, tls, Math.floor(sessions.maxMs / 1000)) });
      return;
    }

    if (!session) { send(res, 401, { error: 'log in first' }, { 'WWW-Authenticate': 'Session realm="wardline"' }); return; }
    if (changing && !sameToken(req.headers['x-csrf-token'] as string | undefined, session.csrf)) {
      await audit(o.db, { actor: session.user, action: `${method} ${path}`, outcome: 'denied', address, detail: { reason: 'csrf' } });
      send(res, 403, { error: 'missing or wrong CSRF token' });
      return;
    }
    await route(req, res, session, method, path, url.searchParams, address);
  };

  const route = async (req: IncomingMessage, res: ServerResponse, s: Session, method: string, path: string, q: URLSearchParams, address: string): Promise<void> => {
    if (method === 'GET') {
      if (path === '/api/session') return send(res, 200, { user: s.user, role: s.role, csrf: s.csrf });
      if (path === '/api/alerts') return alerts.subscribe(req, res);
      if (path === '/api/audit') {
        if (s.role !== 'admin') return send(res, 403, { error: 'admins only' });
        return send(res, 200, { items: await listAudit(o.db, 500) });
      }
      const c = await cache.get();
      if (path === '/api/summary') return send(res, 200, summaryJson(c));
      if (path === '/api/map') return send(res, 200, mapJson(c, q));
      if (path === '/api/findings') return send(res, 200, findingsJson(c, q));
      if (path === '/api/assets') return send(res, 200, assetsJson(c, q));
      if (path === '/api/timeline') return send(res, 200, timelineJson(c, q));
      if (path === '/api/zone-edges') return send(res, 200, zoneEdgesJson(c, q.get('from') ?? '', q.get('to') ?? '', q));
      if (path === '/api/blast') {
        const target = q.get('target');
        if (!target) return send(res, 400, { error: 'target= names an asset, zone or address' });
        const r = blastJson(cache, c, target);
        return send(res, (r as { error?: string }).error ? 400 : 200, r);
      }
      const m = /^\/api\/edges\/(\d+)$/.exec(path);
      if (m) {
        const e = edgeJson(c, Number(m[1]));
        return e ? send(res, 200, e) : send(res, 404, { error: 'no such edge' });
      }
      return send(res, 404, { error: 'not found' });
    }
    if (method === 'POST') {
      if (path === '/api/logout') {
        sessions.destroy(s.id);
        await audit(o.db, { actor: s.user, action: 'logout', outcome: 'ok', address, detail: {} });
        return send(res, 200, { ok: true }, { 'Set-Cookie': clearedCookie(tls) });
      }
      const m = /^\/api\/findings\/(.+)\/status$/.exec(path);
      if (m) {
        const id = decodeURIComponent(m[1]);
        if (s.role !== 'admin') {
          await audit(o.db, { actor: s.user, action: 'finding.status', outcome: 'denied', address, detail: { finding: id, reason: 'role' } });
          return send(res, 403, { error: 'admins only' });
        }
        const body = await readJson(req);
        const status = body?.status;
        if (status !== 'open' && status !== 'accepted' && status !== 'resolved') return send(res, 400, { error: 'status is open, accepted or resolved' });
        const before = await o.db.get<{ status: string }>('SELECT status FROM findings WHERE id = ?', [id]);
        if (!before) return send(res, 404, { error: 'no such finding in the store' });
        await o.db.run('UPDATE findings SET status = ? WHERE id = ?', [status, id]);
        await audit(o.db, { actor: s.user, action: 'finding.status', outcome: 'ok', address, detail: { finding: id, from: before.status, to: status, note: typeof body?.note === 'string' ? body.note.slice(0, 500) : undefined } });
        await cache.get(true);
        return send(res, 200, { id, status });
      }
      if (path === '/api/refresh') {
        await cache.get(true);
        return send(res, 200, { ok: true });
      }
    }
    return send(res, 405, { error: 'method not allowed' });
  };

  const wrapped = (req: IncomingMessage, res: ServerResponse) => {
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.end();
      process.stderr.write(`dashboard: ${(err as Error).message}\n`);
    });
  };
  const server: Server = o.tls ? createHttps({ cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2' }, wrapped) : createHttp(wrapped);
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  const sweep = setInterval(() => sessions.sweep(), 60_000);
  sweep.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => { server.off('error', reject); resolve(); });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    server,
    url: `${tls ? 'https' : 'http'}://${host}:${a.port}`,
    async close() {
      clearInterval(sweep);
      alerts.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

