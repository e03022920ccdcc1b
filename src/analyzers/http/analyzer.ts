/**
 * HTTP/1.x analyzer: request/response pairs (pipelining and keep-alive),
 * path templates, FHIR and DICOMweb recognition, Server/User-Agent, and
 * cleartext credentials flagged but never kept.
 */
import type {
  AnalyzerSink, ConnectionInfo, Direction, StreamAnalyzer, StreamParser,
} from '../../decoders/analyzer.ts';
import { codeCounts, type AppProtocol, type HttpEdgeFacts, type ProtocolRecord } from '../../observations/types.ts';
import {
  BODY_CHUNKED, BODY_INVALID, BODY_NONE, BODY_TUNNEL, BODY_UNTIL_CLOSE, HttpFraming,
} from './framing.ts';
import type { FramingOwner } from './framing.ts';
import { authorizationScheme, FormPasswordScanner, PatternPasswordScanner } from './credentials.ts';
import { classifyRequest, parseProductToken } from './template.ts';
import type { DicomwebKind } from './template.ts';

/** The `http` log record. No field ever holds a query string, a body or a credential. */
export interface HttpRecord extends ProtocolRecord {
  log: 'http';
  method: string;
  host?: string;
  /** Path template: identifiers replaced by {id}/{uid}, query dropped. */
  path: string;
  version: string;
  status?: number;
  server?: string;
  userAgent?: string;
  requestContentType?: string;
  responseContentType?: string;
  requestBodyBytes: number;
  responseBodyBytes: number;
  api?: 'fhir' | 'dicomweb' | 'orthanc';
  fhirResource?: string;
  dicomweb?: DicomwebKind;
  /** The credential scheme seen in cleartext ("basic", "form-password", "query-password"), never its value. */
  credentials?: string;
  authScheme?: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'PROPFIND', 'PROPPATCH',
  'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'REPORT', 'SEARCH', 'SUBSCRIBE', 'NOTIFY'];
const MAX_LIST = 64;
const MAX_PENDING = 256;
/** Request body bytes searched for password fields. */
const SCAN_LIMIT = 64 * 1024;

function addUnique(list: string[], v: string | undefined): void {
  if (v === undefined || v === '' || list.length >= MAX_LIST || list.includes(v)) return;
  list.push(v);
}

function clip(s: string, n = 200): string {
  return s.length > n ? s.slice(0, n) : s;
}

export function httpFacts(sink: AnalyzerSink): HttpEdgeFacts {
  const f = sink.facts();
  f.http ??= {
    hosts: [], requests: {}, fhirResources: [], dicomweb: [], servers: [], userAgents: [],
    cleartextCredentials: false, statuses: codeCounts(),
  };
  return f.http;
}

interface Head {
  startLine: string;
  headers: Map<string, string>;
}

/** Splits a head into its start line and lower-cased header names (the last of repeated headers wins). */
function parseHead(text: string): Head {
  // A string separator, not a regular expression: this runs for every message head.
  const lines = text.split('\n');
  const headers = new Map<string, string>();
  let last = '';
  for (let i = 1; i < lines.length; i++) {
    let line = lines[i];
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line === '') continue;
    const c = line.charCodeAt(0);
    if ((c === 32 || c === 9) && last) {
      // Obsolete line folding.
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    headers.set(last, line.slice(colon + 1).trim());
  }
  const start = lines[0];
  return { startLine: start.charCodeAt(start.length - 1) === 13 ? start.slice(0, -1) : start, headers };
}

/** Content-Length as a number, or -1 when absent or malformed. */
function contentLength(h: Map<string, string>): number {
  const v = h.get('content-length');
  if (v === undefined) return -1;
  const first = v.split(',')[0].trim();
  if (!/^\d{1,15}$/.test(first)) return -1;
  return Number(first);
}

function isChunked(h: Map<string, string>): boolean {
  const te = h.get('transfer-encoding');
  return te !== undefined && /(^|,)\s*chunked\s*$/i.test(te);
}

interface PendingRequest {
  rec: HttpRecord;
}

class HttpConnection implements StreamParser, FramingOwner {
  private readonly conn: ConnectionInfo;
  private readonly sink: AnalyzerSink;
  private readonly framing: [HttpFraming, HttpFraming];
  private readonly pending: PendingRequest[] = [];
  /** The request whose body is being read (dir 0) and the exchange whose response body is being read (dir 1). */
  private reqInBody: HttpRecord | undefined;
  private respInBody: HttpRecord | undefined;
  // Created on the first body that needs them: most connections never carry one.
  private form: FormPasswordScanner | undefined;
  private json: PatternPasswordScanner | undefined;
  private multipart: PatternPasswordScanner | undefined;
  /** The scanner for the current request body, when its media type can carry a password field. */
  private scanner: FormPasswordScanner | PatternPasswordScanner | undefined;
  private scannerLabel = '';
  private scanned = 0;
  private lastTs = 0;

  constructor(conn: ConnectionInfo, sink: AnalyzerSink) {
    this.conn = conn;
    this.sink = sink;
    this.framing = [new HttpFraming(0, this), new HttpFraming(1, this)];
  }

  data(dir: Direction, chunk: Uint8Array, ts: number): void {
    this.lastTs = ts;
    this.framing[dir].data(chunk, ts);
  }

  gap(dir: Direction, length: number): void {
    this.framing[dir].gap(length);
    this.sink.anomaly('http.gap', `${length} bytes missing in ${dir === 0 ? 'client' : 'server'} stream`);
  }

  end(ts: number): void {
    this.framing[0].end(ts);
    this.framing[1].end(ts);
    if (this.respInBody) this.emit(this.respInBody);
    this.respInBody = undefined;
    for (const p of this.pending) this.emit(p.rec);
    this.pending.length = 0;
  }

  head(dir: Direction, text: string, ts: number): number {
    const h = parseHead(text);
    return dir === 0 ? this.request(h, ts) : this.response(h, ts);
  }

  body(dir: Direction, chunk: Uint8Array, start: number, end: number): void {
    if (dir === 0) {
      if (this.reqInBody) this.reqInBody.requestBodyBytes += end - start;
      if (this.scanner) {
        // Login forms are small; large bodies (FHIR bundles, uploads) are not scanned past their start.
        this.scanned += end - start;
        this.scanner.feed(chunk, start, Math.min(end, start + Math.max(0, SCAN_LIMIT - (this.scanned - (end - start)))));
        if (this.scanned >= SCAN_LIMIT && !this.scanner.found) this.scanner = undefined;
      }
    } else if (this.respInBody) {
      this.respInBody.responseBodyBytes += end - start;
    }
  }

  messageEnd(dir: Direction): void {
    if (dir === 0) {
      const rec = this.reqInBody;
      if (rec && this.scanner?.found) this.flagCredentials(rec, this.scannerLabel);
      this.scanner = undefined;
      this.reqInBody = undefined;
    } else if (this.respInBody) {
      this.emit(this.respInBody);
      this.respInBody = undefined;
    }
  }

  anomaly(kind: string, message: string): void {
    this.sink.anomaly(kind, message);
  }

  lost(dir: Direction): void {
    if (dir === 1) {
      // The oldest request's answer was lost: report it unanswered so that later answers pair correctly.
      const p = this.pending.shift();
      if (p) this.emit(p.rec);
    } else if (this.pending.length < MAX_PENDING) {
      // A request was lost: its answer will come; keep a placeholder in its place.
      this.pending.push({
        rec: { log: 'http', ts: this.lastTs, conn: this.conn.id, method: '-', path: '-', version: '-', requestBodyBytes: 0, responseBodyBytes: 0 },
      });
    }
  }

  private request(h: Head, ts: number): number {
    const parts = h.startLine.split(' ');
    const method = parts[0];
    if (parts.length < 2 || !/^[A-Z][A-Z-]{1,19}$/.test(method)) {
      this.sink.anomaly('http.bad-request-line', 'request line is not HTTP');
      return BODY_INVALID;
    }
    const lastPart = parts[parts.length - 1];
    // Only a well-formed version is reported; anything else in that place could be arbitrary client bytes.
    const version = parts.length < 3 ? '0.9' : /^HTTP\/\d\.\d$/.test(lastPart) ? lastPart.slice(5) : 'invalid';
    const target = parts.slice(1, parts.length >= 3 ? -1 : undefined).join(' ');
    const hd = h.headers;
    const cls = classifyRequest(method, target, hd.get('content-type'), hd.get('accept'));
    const host = hd.get('host');
    const rec: HttpRecord = {
      log: 'http', ts, conn: this.conn.id, method, path: clip(cls.template, 512), version,
      requestBodyBytes: 0, responseBodyBytes: 0,
    };
    if (host) rec.host = clip(host.toLowerCase(), 255);
    const ua = hd.get('user-agent');
    if (ua) rec.userAgent = clip(ua);
    const ct = hd.get('content-type');
    if (ct) rec.requestContentType = clip(ct.split(';')[0].trim().toLowerCase(), 100);
    if (cls.fhir) {
      rec.api = 'fhir';
      if (cls.fhirResource) rec.fhirResource = cls.fhirResource;
    } else if (cls.dicomweb) {
      rec.api = 'dicomweb';
      rec.dicomweb = cls.dicomweb;
    } else if (cls.orthanc) {
      rec.api = 'orthanc';
    }
    const auth = hd.get('authorization') ?? hd.get('proxy-authorization');
    if (auth !== undefined) {
      const a = authorizationScheme(auth);
      rec.authScheme = a.scheme;
      if (a.cleartext) this.flagCredentials(rec, a.scheme);
    }
    if (cls.passwordInQuery) this.flagCredentials(rec, 'query-password');
    if (cls.userinfo) this.flagCredentials(rec, 'url-userinfo');

    this.foldRequest(rec, cls.phi);
    if (this.pending.length < MAX_PENDING) this.pending.push({ rec });
    else this.sink.anomaly('http.pipeline', 'too many unanswered requests');

    // A CONNECT has no body; a 2xx answer turns the connection into a tunnel (see response()).
    if (method === 'CONNECT') return BODY_NONE;
    if (isChunked(hd)) {
      this.startRequestBody(rec, ct);
      return BODY_CHUNKED;
    }
    const len = contentLength(hd);
    if (len > 0) {
      this.startRequestBody(rec, ct);
      return len;
    }
    return BODY_NONE;
  }

  private startRequestBody(rec: HttpRecord, contentType: string | undefined): void {
    this.reqInBody = rec;
    const ct = (contentType ?? '').toLowerCase();
    if (ct.includes('application/x-www-form-urlencoded')) {
      this.scanner = this.form ??= new FormPasswordScanner();
      this.scannerLabel = 'form-password';
    } else if (ct.includes('json')) {
      this.scanner = this.json ??= new PatternPasswordScanner('json');
      this.scannerLabel = 'json-password';
    } else if (ct.includes('multipart/form-data')) {
      this.scanner = this.multipart ??= new PatternPasswordScanner('multipart');
      this.scannerLabel = 'multipart-password';
    } else {
      this.scanner = undefined;
    }
    this.scanner?.reset();
    this.scanned = 0;
  }

  private response(h: Head, ts: number): number {
    const m = /^HTTP\/(\d\.\d)\s+(\d{3})/.exec(h.startLine);
    if (!m) {
      this.sink.anomaly('http.bad-status-line', 'status line is not HTTP');
      return BODY_INVALID;
    }
    const status = Number(m[2]);
    const hd = h.headers;
    if (status >= 100 && status < 200 && status !== 101) return BODY_NONE;
    const req = this.pending.shift()?.rec ?? {
      log: 'http' as const, ts, conn: this.conn.id, method: '-', path: '-', version: m[1],
      requestBodyBytes: 0, responseBodyBytes: 0,
    };
    req.status = status;
    const server = hd.get('server');
    if (server) req.server = clip(server);
    const ct = hd.get('content-type');
    if (ct) req.responseContentType = clip(ct.split(';')[0].trim().toLowerCase(), 100);
    this.foldResponse(req, ct);

    if (status === 101 || (req.method === 'CONNECT' && status >= 200 && status < 300)) {
      this.framing[0].kill();
      this.emit(req);
      return BODY_TUNNEL;
    }
    if (req.method === 'HEAD' || status === 204 || status === 304) {
      this.emit(req);
      return BODY_NONE;
    }
    this.respInBody = req;
    if (isChunked(hd)) return BODY_CHUNKED;
    const len = contentLength(hd);
    if (len >= 0) {
      if (len === 0) this.respInBody = undefined;
      if (len === 0) this.emit(req);
      return len;
    }
    return BODY_UNTIL_CLOSE;
  }

  private flagCredentials(rec: HttpRecord, scheme: string): void {
    rec.credentials ??= scheme;
    httpFacts(this.sink).cleartextCredentials = true;
  }

  private foldRequest(rec: HttpRecord, phi: boolean): void {
    const f = httpFacts(this.sink);
    if (rec.host) addUnique(f.hosts, rec.host);
    const key = `${rec.method} ${rec.path}`;
    if (f.requests[key] !== undefined || Object.keys(f.requests).length < 512) f.requests[key] = (f.requests[key] ?? 0) + 1;
    if (rec.fhirResource) addUnique(f.fhirResources, rec.fhirResource);
    if (rec.dicomweb) addUnique(f.dicomweb, rec.dicomweb);
    if (rec.userAgent) addUnique(f.userAgents, rec.userAgent);
    let proto: AppProtocol = 'http';
    if (rec.api === 'fhir') proto = 'fhir';
    else if (rec.api === 'dicomweb') proto = 'dicomweb';
    if (proto !== 'http' || phi) this.sink.setProtocol(proto, { phi: phi || undefined });
    if (proto !== 'http') this.listening(proto);
    const client = this.sink.host(this.conn.client);
    addUnique(client.roles, 'http-client');
    if (rec.host) {
      const name = rec.host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
      if (name && !/^[\d.]+$/.test(name) && !name.includes(':')) addUnique(this.sink.host(this.conn.server).hostnames, name);
    }
  }

  private foldResponse(rec: HttpRecord, contentType: string | undefined): void {
    const f = httpFacts(this.sink);
    const st = String(rec.status);
    f.statuses[st] = (f.statuses[st] ?? 0) + 1;
    const host = this.sink.host(this.conn.server);
    addUnique(host.roles, 'http-server');
    this.listening('http');
    if (rec.server) {
      addUnique(f.servers, rec.server);
      const p = parseProductToken(rec.server);
      if (p && !host.software.some((s) => s.product === p.product && s.version === p.version && s.source === 'http-server')) {
        if (host.software.length < MAX_LIST) {
          host.software.push({ product: p.product, version: p.version, source: 'http-server', confidence: 'medium' });
        }
      }
      if (p && /^orthanc$/i.test(p.product)) addUnique(host.roles, 'orthanc');
    }
    const ct = (contentType ?? '').toLowerCase();
    if (ct.includes('fhir+json') || ct.includes('fhir+xml')) {
      rec.api ??= 'fhir';
      this.sink.setProtocol('fhir', { phi: rec.fhirResource === undefined ? undefined : true });
      this.listening('fhir');
    } else if (ct.includes('application/dicom')) {
      rec.api ??= 'dicomweb';
      this.sink.setProtocol('dicomweb', { phi: true });
      this.listening('dicomweb');
    }
  }

  private listening(protocol: AppProtocol): void {
    const host = this.sink.host(this.conn.server);
    const lp = host.listeningPorts.find((p) => p.transport === 'tcp' && p.port === this.conn.serverPort);
    if (!lp) host.listeningPorts.push({ transport: 'tcp', port: this.conn.serverPort, protocol });
    else if (lp.protocol === 'http' && protocol !== 'http') lp.protocol = protocol;
  }

  private emit(rec: HttpRecord): void {
    this.sink.record(rec);
  }
}

function startsWithToken(b: Uint8Array, token: string): boolean {
  if (b.length < token.length) return false;
  for (let i = 0; i < token.length; i++) if (b[i] !== token.charCodeAt(i)) return false;
  return true;
}

/** Detects by content: a request line from the client, or a status line from the server. */
export function looksLikeHttp(dir: Direction, first: Uint8Array): boolean {
  if (dir === 1) return startsWithToken(first, 'HTTP/1.');
  for (const m of METHODS) {
    if (first.length > m.length && startsWithToken(first, m) && first[m.length] === 32) {
      // The request target starts with "/", "*", or an absolute URI/authority.
      const c = first.length > m.length + 1 ? first[m.length + 1] : 47;
      return c > 32 && c < 127;
    }
  }
  return false;
}

export const httpAnalyzer: StreamAnalyzer = {
  name: 'http',
  protocol: 'http',
  detect(dir, firstBytes) {
    return looksLikeHttp(dir, firstBytes);
  },
  create(conn, sink) {
    return new HttpConnection(conn, sink);
  },
};
