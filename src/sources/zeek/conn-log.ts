/**
 * Zeek conn.log, in its TSV form (#separator/#fields/#types header, rewritten
 * after every rotation) and as JSON lines. The parser takes one line at a time
 * and keeps only the current header, so a tailing reader can feed it across
 * rotations: a new header simply replaces the old one.
 */
import { AnomalyLog } from '../netflow/anomalies.ts';

export interface ZeekConn {
  /** Epoch seconds; NaN when unset or masked. */
  ts: number;
  uid: string;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  /** tcp, udp, icmp or what Zeek wrote. */
  proto: string;
  /** Zeek's protocol detection, e.g. "dns", "ssl,http"; undefined when unset. */
  service: string | undefined;
  /** Seconds; NaN when unset. */
  duration: number;
  origBytes: number;
  respBytes: number;
  origPkts: number;
  respPkts: number;
  connState: string | undefined;
}

/** Zeek's default conn.log columns, used when data arrives before any header. */
const DEFAULT_FIELDS = [
  'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes',
  'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'tunnel_parents',
];

const COLUMNS = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes', 'orig_pkts', 'resp_pkts', 'conn_state'] as const;
type Column = (typeof COLUMNS)[number];

/** Decodes Zeek's \xHH escapes (used for separators and non-printables inside values). */
function unescape(s: string): string {
  return s.includes('\\x') ? s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : s;
}

export class ZeekConnParser {
  readonly anomalies: AnomalyLog;
  /** Name for locations ("file:line"). */
  file: string;
  lineNo = 0;
  records = 0;
  /** Records whose timestamp was unset or masked. */
  untimed = 0;
  format: 'unknown' | 'tsv' | 'json' = 'unknown';

  readonly #onConn: (c: ZeekConn) => void;
  readonly #conn: ZeekConn = {
    ts: NaN, uid: '', origH: '', origP: 0, respH: '', respP: 0, proto: '', service: undefined,
    duration: NaN, origBytes: 0, respBytes: 0, origPkts: 0, respPkts: 0, connState: undefined,
  };
  #sep = '\t';
  #unset = '-';
  #empty = '(empty)';
  /** Column index of each field we read, -1 when the log lacks it. */
  #idx = new Map<Column, number>();
  #fieldCount = 0;
  #haveHeader = false;
  #closed = false;

  constructor(onConn: (c: ZeekConn) => void, opts: { file?: string; anomalies?: AnomalyLog } = {}) {
    this.#onConn = onConn;
    this.file = opts.file ?? 'input';
    this.anomalies = opts.anomalies ?? new AnomalyLog();
  }

  #where(): string {
    return `${this.file}:${this.lineNo}`;
  }

  #setFields(fields: string[]): void {
    this.#idx.clear();
    for (const c of COLUMNS) this.#idx.set(c, fields.indexOf(c));
    this.#fieldCount = fields.length;
    this.#haveHeader = true;
    this.#closed = false;
    if (this.#idx.get('id.orig_h')! < 0 || this.#idx.get('id.resp_h')! < 0) {
      this.anomalies.add('zeek.header', 'the #fields header lacks id.orig_h/id.resp_h: not a conn.log', this.#where());
    }
  }

  /** Feeds one line (without its newline). */
  line(text: string): void {
    this.lineNo++;
    if (text.length === 0) return;
    let c0 = text.charCodeAt(0);
    // Stray leading whitespace before a header directive has been seen in hand-edited logs.
    if ((c0 === 9 || c0 === 32) && text.trimStart().startsWith('#')) {
      text = text.trimStart();
      c0 = 35;
    }
    if (c0 === 35 /* # */) {
      this.#directive(text);
      return;
    }
    if (c0 === 123 /* { */) {
      this.format = 'json';
      this.#json(text);
      return;
    }
    if (this.format === 'unknown') this.format = 'tsv';
    if (!this.#haveHeader || this.#closed) {
      this.anomalies.add('zeek.no-header', this.#closed ? 'data after #close without a new header; assuming the default conn.log columns' : 'data before any #fields header; assuming the default conn.log columns', this.#where());
      this.#setFields(DEFAULT_FIELDS);
    }
    this.#tsv(text);
  }

  #directive(text: string): void {
    if (text.startsWith('#separator')) {
      const v = text.slice(10).trim();
      this.#sep = unescape(v) || '\t';
      this.format = 'tsv';
      this.#haveHeader = false;
      return;
    }
    const sp = text.indexOf(this.#sep);
    const key = sp < 0 ? text.split(/\s/, 1)[0] : text.slice(0, sp);
    const rest = sp < 0 ? text.slice(key.length + 1) : text.slice(sp + this.#sep.length);
    switch (key) {
      case '#unset_field': this.#unset = rest; break;
      case '#empty_field': this.#empty = rest; break;
      case '#fields': this.#setFields(rest.split(this.#sep)); break;
      case '#close': this.#closed = true; break;
      default: break; // #path, #open, #types, #set_separator and comments
    }
  }

  #num(v: string | undefined): number {
    if (v === undefined || v === this.#unset || v === this.#empty || v === '') return NaN;
    const n = Number(v);
    return n;
  }

  #str(v: string | undefined): string | undefined {
    if (v === undefined || v === this.#unset) return undefined;
    if (v === this.#empty) return '';
    return unescape(v);
  }

  #tsv(text: string): void {
    const cols = text.split(this.#sep);
    if (cols.length !== this.#fieldCount) {
      this.anomalies.add('zeek.fields', `line has ${cols.length} columns, the header declares ${this.#fieldCount}`, this.#where());
      return;
    }
    const get = (c: Column): string | undefined => {
      const i = this.#idx.get(c)!;
      return i < 0 ? undefined : cols[i];
    };
    this.#emit(
      this.#num(get('ts')), this.#str(get('uid')) ?? '', this.#str(get('id.orig_h')), this.#num(get('id.orig_p')),
      this.#str(get('id.resp_h')), this.#num(get('id.resp_p')), this.#str(get('proto')) ?? '', this.#str(get('service')),
      this.#num(get('duration')), this.#num(get('orig_bytes')), this.#num(get('resp_bytes')),
      this.#num(get('orig_pkts')), this.#num(get('resp_pkts')), this.#str(get('conn_state')),
    );
  }

  #json(text: string): void {
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch {
      this.anomalies.add('zeek.json', 'line is not valid JSON', this.#where());
      return;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      this.anomalies.add('zeek.json', 'JSON line is not an object', this.#where());
      return;
    }
    const r = o as Record<string, unknown>;
    const num = (k: string): number => (typeof r[k] === 'number' ? (r[k] as number) : typeof r[k] === 'string' ? Number(r[k]) : NaN);
    const str = (k: string): string | undefined => (typeof r[k] === 'string' ? (r[k] as string) : undefined);
    // Zeek writes ts as epoch seconds by default, or ISO 8601 with LogAscii::json_timestamps.
    let ts = num('ts');
    if (ts !== ts && typeof r.ts === 'string') ts = Date.parse(r.ts) / 1000;
    const service = Array.isArray(r.service) ? r.service.join(',') : str('service');
    this.#emit(ts, str('uid') ?? '', str('id.orig_h'), num('id.orig_p'), str('id.resp_h'), num('id.resp_p'), str('proto') ?? '', service,
      num('duration'), num('orig_bytes'), num('resp_bytes'), num('orig_pkts'), num('resp_pkts'), str('conn_state'));
  }

  #emit(
    ts: number, uid: string, origH: string | undefined, origP: number, respH: string | undefined, respP: number, proto: string,
    service: string | undefined, duration: number, origBytes: number, respBytes: number, origPkts: number, respPkts: number,
    connState: string | undefined,
  ): void {
    if (!origH || !respH) {
      this.anomalies.add('zeek.record', 'connection without originator or responder address', this.#where());
      return;
    }
    const c = this.#conn;
    c.ts = ts;
    c.uid = uid;
    c.origH = origH;
    c.origP = origP >= 0 && origP <= 65535 ? origP : 0;
    c.respH = respH;
    c.respP = respP >= 0 && respP <= 65535 ? respP : 0;
    c.proto = proto;
    c.service = service === '' || service === '-' ? undefined : service;
    c.duration = duration;
    c.origBytes = origBytes >= 0 ? origBytes : 0;
    c.respBytes = respBytes >= 0 ? respBytes : 0;
    c.origPkts = origPkts >= 0 ? origPkts : 0;
    c.respPkts = respPkts >= 0 ? respPkts : 0;
    c.connState = connState;
    this.records++;
    if (!(ts === ts)) this.untimed++;
    this.#onConn(c);
  }
}
