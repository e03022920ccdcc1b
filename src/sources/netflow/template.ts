/**
 * NetFlow v9 / IPFIX templates, compiled into a flat action list, and the
 * per-exporter caches that hold them. Templates are scoped by exporter,
 * protocol version and source id / observation domain (RFC 3954 §5.1,
 * RFC 7011 §8), so two exporters reusing template id 256 never collide.
 */

/** What the decoder does with one field; everything unlisted is skipped. */
export const A = {
  SKIP: 0,
  BYTES: 1, PACKETS: 2, PROTO: 3, TOS: 4, FLAGS: 5, SPORT: 6, DPORT: 7,
  SRC4: 8, DST4: 9, IN_IF: 10, OUT_IF: 11, SRC6: 12, DST6: 13,
  UPTIME_LAST: 14, UPTIME_FIRST: 15,
  SEC_FIRST: 16, SEC_LAST: 17, MS_FIRST: 18, MS_LAST: 19,
  NTP_FIRST: 20, NTP_LAST: 21, DELTA_US_FIRST: 22, DELTA_US_LAST: 23,
  BYTES_TOTAL: 24, PACKETS_TOTAL: 25, REV_BYTES: 26, REV_PACKETS: 27, INIT_BYTES: 28, INIT_PACKETS: 29,
  SAMPLING: 30, SAMPLER_ID: 31, DIRECTION: 32, END_REASON: 33, SYS_INIT_MS: 34,
  ICMP_TYPE_CODE: 35, SAMPLING_SPACE: 36, SAMPLING_PKT_INTERVAL: 37, SAMPLING_SIZE: 38, SAMPLING_POPULATION: 39,
} as const;

/** IANA IPFIX information element id (= NetFlow v9 field type below 128) -> action. */
const BY_IE = new Map<number, number>([
  [1, A.BYTES], [2, A.PACKETS], [4, A.PROTO], [5, A.TOS], [6, A.FLAGS], [7, A.SPORT], [11, A.DPORT],
  [8, A.SRC4], [12, A.DST4], [10, A.IN_IF], [14, A.OUT_IF], [27, A.SRC6], [28, A.DST6],
  [21, A.UPTIME_LAST], [22, A.UPTIME_FIRST],
  [150, A.SEC_FIRST], [151, A.SEC_LAST], [152, A.MS_FIRST], [153, A.MS_LAST],
  [154, A.NTP_FIRST], [155, A.NTP_LAST], [156, A.NTP_FIRST], [157, A.NTP_LAST],
  [158, A.DELTA_US_FIRST], [159, A.DELTA_US_LAST],
  [85, A.BYTES_TOTAL], [86, A.PACKETS_TOTAL],
  // initiator/responder counters (IPFIX 231/232, 298/299; Cisco NSEL uses the same ids for fwd/rev).
  [231, A.INIT_BYTES], [232, A.REV_BYTES], [298, A.INIT_PACKETS], [299, A.REV_PACKETS],
  [34, A.SAMPLING], [50, A.SAMPLING], [305, A.SAMPLING_PKT_INTERVAL], [306, A.SAMPLING_SPACE],
  [309, A.SAMPLING_SIZE], [310, A.SAMPLING_POPULATION],
  [48, A.SAMPLER_ID], [302, A.SAMPLER_ID],
  [61, A.DIRECTION], [136, A.END_REASON], [160, A.SYS_INIT_MS],
  [32, A.ICMP_TYPE_CODE], [139, A.ICMP_TYPE_CODE],
]);

/** Field length 65535 marks an IPFIX variable-length field (RFC 7011 §7). */
export const VARLEN = 0xffff;

export interface Template {
  id: number;
  /** Options templates describe exporter metadata (sampling, system init time), not flows. */
  options: boolean;
  scopeCount: number;
  /** Pairs of (action, length) per field; enterprise-specific fields are always SKIP. */
  plan: Int32Array;
  fieldCount: number;
  /** Total record length, or -1 when any field is variable-length. */
  recordLength: number;
  /** For fixed-length templates: (action, offset, length) of the fields read, so skipped fields cost nothing. */
  fast: Int32Array;
  /** Smallest possible record, for variable-length templates (each varlen field takes >= 1 byte). */
  minLength: number;
  /** Field ids as sent, for diagnostics and tests: "ie" or "pen:ie". */
  fields: string[];
  refreshedAt: number;
}

export function compileTemplate(
  id: number, ids: number[], pens: number[], lengths: number[], options: boolean, scopeCount: number, now: number,
): Template {
  const n = ids.length;
  const plan = new Int32Array(n * 2);
  let fixed = 0;
  let min = 0;
  let variable = false;
  const fields: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = lengths[i];
    // v9 scope fields use scope types (1 system, 2 interface...) that clash with IE ids; only a
    // sampler/selector id scope (IE 48/302, IPFIX) is worth reading, to key the sampling it describes.
    const isScope = options && i < scopeCount;
    const mapped = pens[i] !== 0 ? A.SKIP : (BY_IE.get(ids[i]) ?? A.SKIP);
    let action: number = isScope && mapped !== A.SAMPLER_ID ? A.SKIP : mapped;
    if (!fitsAction(action, len)) action = A.SKIP;
    plan[2 * i] = action;
    plan[2 * i + 1] = len;
    fields.push(pens[i] !== 0 ? `${pens[i]}:${ids[i]}` : String(ids[i]));
    if (len === VARLEN) {
      variable = true;
      min += 1;
    } else {
      fixed += len;
      min += len;
    }
  }
  const fast: number[] = [];
  if (!variable) {
    for (let i = 0, off = 0; i < n; off += plan[2 * i + 1], i++) if (plan[2 * i] !== A.SKIP) fast.push(plan[2 * i], off, plan[2 * i + 1]);
  }
  return {
    id, options, scopeCount, plan, fast: Int32Array.from(fast), fieldCount: n, recordLength: variable ? -1 : fixed, minLength: min, fields, refreshedAt: now,
  };
}

/** Refuse lengths the action cannot read (an address of 3 bytes), so bad templates skip rather than misread. */
function fitsAction(action: number, len: number): boolean {
  switch (action) {
    case A.SRC4: case A.DST4: return len === 4;
    case A.SRC6: case A.DST6: return len === 16;
    case A.NTP_FIRST: case A.NTP_LAST: return len === 8;
    case A.SKIP: return true;
    default: return len >= 1 && len <= 8;
  }
}

/** Per exporter, version and domain: its templates and what its options records told. */
export interface ExporterState {
  key: string;
  exporter: string;
  version: 9 | 10;
  domain: number;
  templates: Map<number, Template>;
  /** Exporter-wide 1-in-N sampling from options data, 0 when unknown. */
  sampling: number;
  /** Sampler id -> interval, from options data. */
  samplers: Map<number, number>;
  /** Epoch ms of the exporter's system init (IE 160), NaN when unknown; anchors IPFIX sysUpTime fields. */
  systemInitMs: number;
}

export interface TemplateEvent {
  exporter: string;
  version: 9 | 10;
  domain: number;
  templateId: number;
}

/**
 * All template state of one collector. Shared across files and datagrams, so
 * a template file followed by a data file decodes like a live stream.
 */
export class TemplateCache {
  /** version -> exporter -> domain -> state; nested so that a lookup per datagram builds no key string. */
  readonly #byVersion = new Map<number, Map<string, Map<number, ExporterState>>>();
  /** Called when `expire` drops a template the exporter stopped refreshing. */
  onExpire?: (e: TemplateEvent) => void;
  /** Bounds on what hostile or broken exporters can make us hold. */
  readonly maxStates: number;
  readonly maxTemplatesPerState: number;
  #stateCount = 0;

  constructor(opts: { maxStates?: number; maxTemplatesPerState?: number } = {}) {
    this.maxStates = opts.maxStates ?? 10_000;
    this.maxTemplatesPerState = opts.maxTemplatesPerState ?? 4096;
  }

  /** The state of one exporter/version/domain, or undefined when `maxStates` is reached. */
  state(exporter: string, version: 9 | 10, domain: number): ExporterState | undefined {
    let byExporter = this.#byVersion.get(version);
    if (!byExporter) {
      byExporter = new Map();
      this.#byVersion.set(version, byExporter);
    }
    let byDomain = byExporter.get(exporter);
    if (!byDomain) {
      byDomain = new Map();
      byExporter.set(exporter, byDomain);
    }
    let s = byDomain.get(domain);
    if (!s) {
      if (this.#stateCount >= this.maxStates) return undefined;
      this.#stateCount++;
      s = { key: `${exporter}/${version}/${domain}`, exporter, version, domain, templates: new Map(), sampling: 0, samplers: new Map(), systemInitMs: NaN };
      byDomain.set(domain, s);
    }
    return s;
  }

  *#states(): Iterable<ExporterState> {
    for (const byExporter of this.#byVersion.values()) {
      for (const byDomain of byExporter.values()) yield* byDomain.values();
    }
  }

  get size(): number {
    let n = 0;
    for (const s of this.#states()) n += s.templates.size;
    return n;
  }

  *templates(): Iterable<TemplateEvent & { template: Template }> {
    for (const s of this.#states()) {
      for (const t of s.templates.values()) yield { exporter: s.exporter, version: s.version, domain: s.domain, templateId: t.id, template: t };
    }
  }

  /** Drops templates not refreshed within `maxAgeMs` of `now` (RFC 7011 §8.4 template timeout for UDP). */
  expire(now: number, maxAgeMs: number): number {
    let dropped = 0;
    for (const s of this.#states()) {
      for (const [id, t] of s.templates) {
        if (now - t.refreshedAt > maxAgeMs) {
          s.templates.delete(id);
          dropped++;
          this.onExpire?.({ exporter: s.exporter, version: s.version, domain: s.domain, templateId: id });
        }
      }
    }
    return dropped;
  }
}
