import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DEFAULT_CREDENTIALS } from '../audit/orthanc-rules.ts';
import { ProbeError, ProbeSocket, SCANNER_CIPHERS } from './conn.ts';
import { assessTls, type TlsAssessment } from './tls.ts';
import type { PortResultBase, ProbeContext } from './types.ts';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** Only for small JSON answers the probe needs (Orthanc /system); never for data routes. */
  json?: unknown;
}

export interface HttpPortResult extends PortResultBase {
  protocol: 'http' | 'https';
  server?: string;
  poweredBy?: string;
  missingHeaders?: string[];
  tls?: TlsAssessment;
  /** Path -> status without credentials. */
  routes?: Record<string, number>;
  authRealm?: string;
  orthanc?: { version?: string; apiVersion?: number; dicomAet?: string; name?: string; isHttpServerSecure?: boolean };
  /** User names of default credentials that worked (intrusive only). */
  defaultCredentials?: string[];
}

const MAX_BODY = 64 * 1024;

export function httpGet(ctx: ProbeContext, host: string, port: number, tls: boolean, path: string, opts: { auth?: string; readJson?: boolean } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ctx.timeoutMs;
    const req = (tls ? httpsRequest : httpRequest)({
      host, port, path, method: 'GET', agent: false, rejectUnauthorized: false, ciphers: SCANNER_CIPHERS,
      headers: { 'user-agent': 'wardline-probe/0.1', accept: 'application/json, text/html;q=0.5', connection: 'close', ...(opts.auth ? { authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` } : {}) },
    });
    let done = false;
    const finish = (err: ProbeError | undefined, ans?: HttpAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      if (err) reject(err);
      else resolve(ans!);
    };
    let connected = false;
    req.on('socket', (sock) => sock.once(tls ? 'secureConnect' : 'connect', () => { connected = true; }));
    const timer = setTimeout(() => finish(new ProbeError('timeout', `no complete HTTP answer to GET ${path} within ${ctx.timeoutMs} ms`, connected)), Math.max(1, deadline - Date.now()));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const c = e.code ?? '';
      const kind = c === 'ECONNREFUSED' ? 'refused' : c === 'ECONNRESET' ? 'reset' : c.startsWith('HPE_') ? 'garbage' : /EHOSTUNREACH|ENETUNREACH/.test(c) ? 'unreachable' : /ssl|tls/i.test(`${c} ${e.message}`) ? 'tls-failed' : 'reset';
      finish(new ProbeError(kind, `${e.message}${c ? ` (${c})` : ''}`));
    });
    req.on('response', (res) => {
      const ans: HttpAnswer = { status: res.statusCode ?? 0, headers: res.headers };
      const wantJson = opts.readJson && res.statusCode === 200 && /json/.test(String(res.headers['content-type'] ?? ''));
      if (!wantJson) { finish(undefined, ans); return; }
      const chunks: Buffer[] = [];
      let n = 0;
      res.on('data', (d: Buffer) => {
        n += d.length;
        if (n > MAX_BODY) finish(new ProbeError('too-much-data', `answer to GET ${path} larger than ${MAX_BODY} bytes`));
        else chunks.push(d);
      });
      res.on('end', () => {
        try { ans.json = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { /* not JSON after all */ }
        finish(undefined, ans);
      });
      res.on('error', () => finish(undefined, ans));
    });
    req.end();
  });
}

/**
 * Safe by default: the root, Orthanc /system and its explorer, and a QIDO
 * search whose answer is dropped unread (only the status counts). With
 * --intrusive: the documented default credentials, against /system only.
 */
export async function probeHttp(ctx: ProbeContext, host: string, port: number, tls: boolean): Promise<HttpPortResult> {
  const r: HttpPortResult = { port, protocol: tls ? 'https' : 'http', status: 'error', routes: {} };
  if (tls) {
    // The handshake on its own first: its facts stand even when the HTTP exchange then fails.
    try {
      await ctx.gate();
      const s = await ProbeSocket.open({ host, port, deadline: Date.now() + ctx.timeoutMs, tls: {} });
      s.close();
      if (s.tls) r.tls = await assessTls(ctx, host, port, s.tls);
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      r.status = err.kind === 'refused' ? 'closed' : err.kind === 'timeout' && !err.connected ? 'filtered' : err.kind === 'unreachable' ? 'unreachable' : 'error';
      r.detail = `${err.kind}: ${err.message}`;
      return r;
    }
  }
  let root: HttpAnswer;
  try {
    await ctx.gate();
    root = await httpGet(ctx, host, port, tls, '/');
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    r.status = err.kind === 'refused' ? 'closed' : err.kind === 'timeout' && !err.connected ? 'filtered' : err.kind === 'unreachable' ? 'unreachable' : err.kind === 'garbage' ? 'not-http' : 'error';
    r.detail = `${err.kind}: ${err.message}`;
    return r;
  }
  r.status = 'http';
  r.routes!['/'] = root.status;
  const server = root.headers.server;
  if (server) r.server = String(server);
  if (root.headers['x-powered-by']) r.poweredBy = String(root.headers['x-powered-by']);
  const realm = /realm="([^"]*)"/i.exec(String(root.headers['www-authenticate'] ?? ''));
  if (realm) r.authRealm = realm[1];
  const missing: string[] = [];
  if (!root.headers['x-content-type-options']) missing.push('X-Content-Type-Options');
  if (!root.headers['x-frame-options'] && !/frame-ancestors/i.test(String(root.headers['content-security-policy'] ?? ''))) missing.push('X-Frame-Options');
  if (tls && !root.headers['strict-transport-security']) missing.push('Strict-Transport-Security');
  r.missingHeaders = missing;
  for (const path of ['/system', '/app/explorer.html', '/dicom-web/studies?limit=1']) {
    try {
      await ctx.gate();
      const a = await httpGet(ctx, host, port, tls, path, { readJson: path === '/system' });
      r.routes![path] = a.status;
      if (path === '/system' && a.json && typeof a.json === 'object') r.orthanc = orthancSystem(a.json as Record<string, unknown>);
      if (!r.authRealm) {
        const m = /realm="([^"]*)"/i.exec(String(a.headers['www-authenticate'] ?? ''));
        if (m) r.authRealm = m[1];
      }
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      r.routes![path] = -1;
    }
  }
  if (ctx.intrusive && r.routes!['/system'] === 401) {
    r.defaultCredentials = [];
    for (const [user, pass] of DEFAULT_CREDENTIALS) {
      try {
        await ctx.gate();
        const a = await httpGet(ctx, host, port, tls, '/system', { auth: `${user}:${pass}`, readJson: true });
        if (a.status === 200) {
          r.defaultCredentials.push(user);
          if (!r.orthanc && a.json && typeof a.json === 'object') r.orthanc = orthancSystem(a.json as Record<string, unknown>);
        }
      } catch (err) {
        if (!(err instanceof ProbeError)) throw err;
      }
    }
  }
  return r;
}

function orthancSystem(j: Record<string, unknown>): HttpPortResult['orthanc'] | undefined {
  if (typeof j.Version !== 'string' && typeof j.DicomAet !== 'string') return undefined;
  return {
    version: typeof j.Version === 'string' ? j.Version : undefined,
    apiVersion: typeof j.ApiVersion === 'number' ? j.ApiVersion : undefined,
    dicomAet: typeof j.DicomAet === 'string' ? j.DicomAet : undefined,
    name: typeof j.Name === 'string' ? j.Name : undefined,
    isHttpServerSecure: typeof j.IsHttpServerSecure === 'boolean' ? j.IsHttpServerSecure : undefined,
  };
}
