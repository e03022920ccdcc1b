/**
 * NetFlow v5, v9 (RFC 3954) and IPFIX (RFC 7011) export datagram decoder.
 *
 * Allocation-light by design: one reused FlowRecord is refilled per record and
 * handed to a callback, fields are read straight from the datagram bytes, and
 * templates are compiled once into flat action lists. Malformed input is
 * counted as an anomaly with its datagram number; decoding never throws.
 */
import { AnomalyLog } from './anomalies.ts';
import { createFlowRecord, resetFlowRecord, type FlowRecord } from './record.ts';
import { A, TemplateCache, VARLEN, compileTemplate, type ExporterState, type Template, type TemplateEvent } from './template.ts';

export interface DecoderHooks {
  /** Called for every flow data record; `rec` is reused, copy what you keep. */
  onRecord(rec: FlowRecord): void;
  /** A template was learned, refreshed or withdrawn. */
  onTemplate?(e: TemplateEvent & { withdrawn: boolean; options: boolean }): void;
}

export interface DecoderStats {
  datagrams: number;
  records: number;
  optionsRecords: number;
  templates: number;
  withdrawals: number;
  /** Data sets skipped because their template was not (yet) known. */
  missingTemplate: number;
  /** Highest 1-in-N sampling interval seen, 0 when all records were unsampled. */
  maxSampling: number;
}

const NTP_EPOCH_OFFSET = 2208988800;
const TWO32 = 4294967296;

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}

/** Unsigned big-endian integer of 1..8 bytes (reduced-size encoding, RFC 7011 §6.2); exact below 2^53. */
function uN(b: Uint8Array, o: number, len: number): number {
  switch (len) {
    case 1: return b[o];
    case 2: return u16(b, o);
    case 4: return u32(b, o);
    case 8: return u32(b, o) * TWO32 + u32(b, o + 4);
    default: {
      let n = 0;
      for (let i = 0; i < len; i++) n = n * 256 + b[o + i];
      return n;
    }
  }
}

function copy16(dst: Uint8Array, b: Uint8Array, p: number): void {
  for (let i = 0; i < 16; i++) dst[i] = b[p + i];
}

function isZero16(a: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== 0) return false;
  return true;
}

export class NetflowDecoder {
  readonly cache: TemplateCache;
  readonly anomalies: AnomalyLog;
  readonly stats: DecoderStats = { datagrams: 0, records: 0, optionsRecords: 0, templates: 0, withdrawals: 0, missingTemplate: 0, maxSampling: 0 };
  /** Name used in anomaly locations ("file:datagram N"). */
  file = 'input';
  /** 1-based number of the datagram being decoded, for anomaly locations. */
  datagramNo = 0;
  /** What a datagram is called in locations: "datagram" for payload files, "frame" for pcaps. */
  unit = 'datagram';

  readonly #hooks: DecoderHooks;
  readonly #rec: FlowRecord = createFlowRecord();
  readonly #opt: FlowRecord = createFlowRecord();
  // Per-datagram time context.
  #version: 5 | 9 | 10 = 5;
  #unixMs = 0;
  #sysUptime = 0;
  // Per-record scratch for fields that need the whole record before they mean something.
  #upFirst = -1;
  #upLast = -1;
  #deltaFirst = -1;
  #deltaLast = -1;
  #bytesTotal = -1;
  #packetsTotal = -1;
  #initBytes = -1;
  #initPackets = -1;
  #sampling = -1;
  #samplingSpace = -1;
  #samplingPktInterval = -1;
  #samplingSize = -1;
  #samplingPopulation = -1;
  #samplerId = -1;
  #sysInit = -1;
  #sawBytes = false;
  #sawPackets = false;
  #sawV4 = false;
  #sawV6 = false;

  constructor(hooks: DecoderHooks, opts: { cache?: TemplateCache; anomalies?: AnomalyLog } = {}) {
    this.#hooks = hooks;
    this.cache = opts.cache ?? new TemplateCache();
    this.anomalies = opts.anomalies ?? new AnomalyLog();
  }

  /** The reused record; also what `onRecord` receives. */
  get record(): FlowRecord {
    return this.#rec;
  }

  #where(): string {
    return `${this.file}:${this.unit} ${this.datagramNo}`;
  }

  #anomaly(kind: string, message: string): void {
    this.anomalies.add(kind, message, this.#where());
  }

  /**
   * Decodes one export datagram (an IPFIX datagram may hold several messages).
   * `nowMs` stamps template refreshes for expiry; it defaults to the export time.
   * Returns the number of flow records delivered.
   */
  decode(b: Uint8Array, exporter: string, nowMs?: number): number {
    this.stats.datagrams++;
    this.datagramNo++;
    const before = this.stats.records;
    if (b.length < 4) {
      this.#anomaly('netflow.truncated', `datagram of ${b.length} bytes is shorter than any export header`);
      return 0;
    }
    const version = u16(b, 0);
    if (version === 5) this.#decodeV5(b, exporter);
    else if (version === 9) this.#decodeV9(b, exporter, nowMs);
    else if (version === 10) {
      let off = 0;
      while (off + 16 <= b.length && u16(b, off) === 10) {
        const used = this.#decodeIpfix(b, off, exporter, nowMs);
        if (used <= 0) break;
        off += used;
      }
      if (off === 0) this.#anomaly('netflow.truncated', 'IPFIX message shorter than its 16-byte header');
      else if (off < b.length) this.#anomaly('netflow.trailing', `${b.length - off} bytes after the last IPFIX message`);
    } else {
      this.#anomaly('netflow.version', `unsupported export version ${version}`);
    }
    return this.stats.records - before;
  }

  #decodeV5(b: Uint8Array, exporter: string): void {
    if (b.length < 24) {
      this.#anomaly('netflow.truncated', `NetFlow v5 header needs 24 bytes, datagram has ${b.length}`);
      return;
    }
    const count = u16(b, 2);
    const avail = Math.floor((b.length - 24) / 48);
    let n = count;
    if (count > avail) {
      this.#anomaly('netflow.v5-count', `NetFlow v5 header announces ${count} records but only ${avail} fit in ${b.length} bytes`);
      n = avail;
    }
    const sysUptime = u32(b, 4);
    const unixMs = u32(b, 8) * 1000 + Math.floor(u32(b, 12) / 1e6);
    const domain = (b[20] << 8) | b[21];
    const sampling = u16(b, 22) & 0x3fff;
    if (sampling > this.stats.maxSampling) this.stats.maxSampling = sampling;
    const r = this.#rec;
    r.version = 5;
    r.exporter = exporter;
    r.domain = domain;
    r.templateId = 0;
    for (let i = 0, o = 24; i < n; i++, o += 48) {
      resetFlowRecord(r);
      r.family = 4;
      r.srcV4 = u32(b, o);
      r.dstV4 = u32(b, o + 4);
      r.inputIf = u16(b, o + 12);
      r.outputIf = u16(b, o + 14);
      r.packets = u32(b, o + 16);
      r.bytes = u32(b, o + 20);
      r.firstMs = unixMs - ((sysUptime - u32(b, o + 24)) | 0);
      r.lastMs = unixMs - ((sysUptime - u32(b, o + 28)) | 0);
      r.srcPort = u16(b, o + 32);
      r.dstPort = u16(b, o + 34);
      r.tcpFlags = b[o + 37];
      r.protocol = b[o + 38];
      r.tos = b[o + 39];
      r.samplingInterval = sampling;
      this.stats.records++;
      this.#hooks.onRecord(r);
    }
  }

  #decodeV9(b: Uint8Array, exporter: string, nowMs: number | undefined): void {
    if (b.length < 20) {
      this.#anomaly('netflow.truncated', `NetFlow v9 header needs 20 bytes, datagram has ${b.length}`);
      return;
    }
    this.#version = 9;
    this.#sysUptime = u32(b, 4);
    this.#unixMs = u32(b, 8) * 1000;
    const state = this.cache.state(exporter, 9, u32(b, 16));
    if (!state) {
      this.#anomaly('netflow.limit', `more than ${this.cache.maxStates} exporter/domain pairs; datagram ignored`);
      return;
    }
    this.#walkSets(b, 20, b.length, state, nowMs ?? this.#unixMs);
  }

  /** Returns the bytes the message used, or 0 when it cannot be walked. */
  #decodeIpfix(b: Uint8Array, start: number, exporter: string, nowMs: number | undefined): number {
    const msgLen = u16(b, start + 2);
    if (msgLen < 16) {
      this.#anomaly('netflow.ipfix-length', `IPFIX message length ${msgLen} is below the 16-byte header`);
      return 0;
    }
    let end = start + msgLen;
    if (end > b.length) {
      this.#anomaly('netflow.truncated', `IPFIX message announces ${msgLen} bytes but only ${b.length - start} arrived`);
      end = b.length;
    }
    this.#version = 10;
    this.#unixMs = u32(b, start + 4) * 1000;
    this.#sysUptime = 0;
    const state = this.cache.state(exporter, 10, u32(b, start + 12));
    if (!state) {
      this.#anomaly('netflow.limit', `more than ${this.cache.maxStates} exporter/domain pairs; message ignored`);
      return end - start;
    }
    this.#walkSets(b, start + 16, end, state, nowMs ?? this.#unixMs);
    return end - start;
  }

  #walkSets(b: Uint8Array, off: number, end: number, state: ExporterState, now: number): void {
    const v9 = this.#version === 9;
    while (off + 4 <= end) {
      const setId = u16(b, off);
      const setLen = u16(b, off + 2);
      if (setLen < 4 || off + setLen > end) {
        // Zero padding after the last set is legal in v9.
        if (!(v9 && setId === 0 && setLen === 0)) {
          this.#anomaly('netflow.set-length', `set ${setId} has length ${setLen}, ${end - off} bytes remain`);
        }
        return;
      }
      const setEnd = off + setLen;
      if (setId >= 256) this.#dataSet(b, off + 4, setEnd, setId, state);
      else if (v9 ? setId === 0 : setId === 2) this.#templateSet(b, off + 4, setEnd, state, now, false, setId);
      else if (v9 ? setId === 1 : setId === 3) {
        if (v9) this.#optionsTemplateSetV9(b, off + 4, setEnd, state, now);
        else this.#templateSet(b, off + 4, setEnd, state, now, true, setId);
      } else this.#anomaly('netflow.set-id', `reserved set id ${setId}`);
      off = setEnd;
    }
  }

  #templateSet(b: Uint8Array, p: number, end: number, state: ExporterState, now: number, options: boolean, setId: number): void {
    const ipfix = this.#version === 10;
    while (p + 4 <= end) {
      const tid = u16(b, p);
      const fc = u16(b, p + 2);
      if (tid === 0 && fc === 0) return; // padding
      p += 4;
      if (ipfix && fc === 0) {
        // RFC 7011 §8.1: template withdrawal; id == set id withdraws all of that kind.
        if (tid === setId) this.#withdrawAll(state, options);
        else if (tid >= 256) this.#withdraw(state, tid, options);
        else this.#anomaly('netflow.template', `withdrawal of reserved template id ${tid}`);
        continue;
      }
      if (tid < 256) {
        this.#anomaly('netflow.template', `template id ${tid} is reserved (must be >= 256)`);
        return;
      }
      let scope = 0;
      if (options) {
        if (p + 2 > end) break;
        scope = u16(b, p);
        p += 2;
        if (scope === 0 || scope > fc) {
          this.#anomaly('netflow.template', `options template ${tid} has scope count ${scope} of ${fc} fields`);
          return;
        }
      }
      const ids: number[] = [];
      const pens: number[] = [];
      const lens: number[] = [];
      for (let i = 0; i < fc; i++) {
        if (p + 4 > end) {
          this.#anomaly('netflow.template', `template ${tid} truncated after ${i} of ${fc} fields`);
          return;
        }
        let id = u16(b, p);
        const len = u16(b, p + 2);
        p += 4;
        let pen = 0;
        if (ipfix && id & 0x8000) {
          if (p + 4 > end) {
            this.#anomaly('netflow.template', `template ${tid} truncated in an enterprise field`);
            return;
          }
          pen = u32(b, p);
          p += 4;
          id &= 0x7fff;
        }
        if (!ipfix && len === VARLEN) {
          this.#anomaly('netflow.template', `NetFlow v9 template ${tid} has a variable-length field`);
          return;
        }
        ids.push(id);
        pens.push(pen);
        lens.push(len);
      }
      this.#store(state, compileTemplate(tid, ids, pens, lens, options, scope, now));
    }
  }

  #optionsTemplateSetV9(b: Uint8Array, p: number, end: number, state: ExporterState, now: number): void {
    while (p + 6 <= end) {
      const tid = u16(b, p);
      const scopeLen = u16(b, p + 2);
      const optLen = u16(b, p + 4);
      if (tid === 0) return; // padding
      p += 6;
      if (tid < 256 || scopeLen % 4 !== 0 || optLen % 4 !== 0 || p + scopeLen + optLen > end) {
        this.#anomaly('netflow.template', `bad v9 options template ${tid} (scope ${scopeLen} B, options ${optLen} B)`);
        return;
      }
      const ids: number[] = [];
      const pens: number[] = [];
      const lens: number[] = [];
      const n = (scopeLen + optLen) / 4;
      for (let i = 0; i < n; i++, p += 4) {
        ids.push(u16(b, p));
        pens.push(0);
        lens.push(u16(b, p + 2));
      }
      this.#store(state, compileTemplate(tid, ids, pens, lens, true, scopeLen / 4, now));
    }
  }

  #store(state: ExporterState, t: Template): void {
    if (t.recordLength === 0) {
      this.#anomaly('netflow.template', `template ${t.id} describes zero-length records`);
      return;
    }
    if (!state.templates.has(t.id) && state.templates.size >= this.cache.maxTemplatesPerState) {
      this.#anomaly('netflow.limit', `more than ${this.cache.maxTemplatesPerState} templates from ${state.exporter} (domain ${state.domain})`);
      return;
    }
    state.templates.set(t.id, t);
    this.stats.templates++;
    this.#hooks.onTemplate?.({ exporter: state.exporter, version: state.version, domain: state.domain, templateId: t.id, withdrawn: false, options: t.options });
  }

  #withdraw(state: ExporterState, tid: number, options: boolean): void {
    if (state.templates.delete(tid)) {
      this.stats.withdrawals++;
      this.#hooks.onTemplate?.({ exporter: state.exporter, version: state.version, domain: state.domain, templateId: tid, withdrawn: true, options });
    }
  }

  #withdrawAll(state: ExporterState, options: boolean): void {
    for (const t of [...state.templates.values()]) if (t.options === options) this.#withdraw(state, t.id, options);
  }

  #dataSet(b: Uint8Array, p: number, end: number, setId: number, state: ExporterState): void {
    const t = state.templates.get(setId);
    if (!t) {
      this.stats.missingTemplate++;
      this.#anomaly('netflow.no-template', `data set ${setId} from ${state.exporter} (domain ${state.domain}) arrived before its template`);
      return;
    }
    const fixed = t.recordLength;
    if (fixed > 0) {
      for (; p + fixed <= end; p += fixed) this.#record(b, p, end, t, state);
      return;
    }
    while (p + t.minLength <= end) {
      const next = this.#record(b, p, end, t, state);
      if (next < 0) {
        this.#anomaly('netflow.truncated', `variable-length record of template ${t.id} runs past its set`);
        return;
      }
      p = next;
    }
  }

  /** Decodes one record at `p`; returns the offset after it, or -1 when a variable-length field overruns `end`. */
  #record(b: Uint8Array, p: number, end: number, t: Template, state: ExporterState): number {
    const r = t.options ? this.#opt : this.#rec;
    resetFlowRecord(r);
    this.#upFirst = -1;
    this.#upLast = -1;
    this.#deltaFirst = -1;
    this.#deltaLast = -1;
    this.#bytesTotal = -1;
    this.#packetsTotal = -1;
    this.#initBytes = -1;
    this.#initPackets = -1;
    this.#sampling = -1;
    this.#samplingSpace = -1;
    this.#samplingPktInterval = -1;
    this.#samplingSize = -1;
    this.#samplingPopulation = -1;
    this.#samplerId = -1;
    this.#sysInit = -1;
    this.#sawBytes = false;
    this.#sawPackets = false;
    this.#sawV4 = false;
    this.#sawV6 = false;
    if (t.recordLength > 0) {
      const fast = t.fast;
      for (let i = 0; i < fast.length; i += 3) this.#field(r, fast[i], b, p + fast[i + 1], fast[i + 2]);
      p += t.recordLength;
    } else {
      p = this.#walkFields(r, b, p, end, t);
      if (p < 0) return -1;
    }
    if (t.options) this.#applyOptions(state);
    else this.#finishData(r, t, state);
    return p;
  }

  /** Field by field, for templates with variable-length fields; -1 when one overruns `end`. */
  #walkFields(r: FlowRecord, b: Uint8Array, p: number, end: number, t: Template): number {
    const plan = t.plan;
    const n = t.fieldCount;
    for (let i = 0; i < n; i++) {
      let len = plan[2 * i + 1];
      if (len === VARLEN) {
        if (p >= end) return -1;
        len = b[p++];
        if (len === 255) {
          if (p + 2 > end) return -1;
          len = u16(b, p);
          p += 2;
        }
        if (p + len > end) return -1;
        p += len; // every action needs a fixed width, so variable-length fields are always skipped
        continue;
      }
      const action = plan[2 * i];
      if (action !== A.SKIP) this.#field(r, action, b, p, len);
      p += len;
    }
    return p;
  }

  #field(r: FlowRecord, action: number, b: Uint8Array, p: number, len: number): void {
    switch (action) {
      case A.BYTES: r.bytes = uN(b, p, len); this.#sawBytes = true; break;
      case A.PACKETS: r.packets = uN(b, p, len); this.#sawPackets = true; break;
      case A.PROTO: r.protocol = b[p + len - 1]; break;
      case A.TOS: r.tos = b[p + len - 1]; break;
      case A.FLAGS: r.tcpFlags = uN(b, p, len) & 0xfff; break;
      case A.SPORT: r.srcPort = uN(b, p, len) & 0xffff; break;
      case A.DPORT: r.dstPort = uN(b, p, len) & 0xffff; break;
      case A.SRC4: r.srcV4 = u32(b, p); this.#sawV4 = true; break;
      case A.DST4: r.dstV4 = u32(b, p); this.#sawV4 = true; break;
      case A.SRC6: copy16(r.srcV6, b, p); this.#sawV6 = true; break;
      case A.DST6: copy16(r.dstV6, b, p); this.#sawV6 = true; break;
      case A.IN_IF: r.inputIf = uN(b, p, len); break;
      case A.OUT_IF: r.outputIf = uN(b, p, len); break;
      case A.UPTIME_FIRST: this.#upFirst = uN(b, p, len); break;
      case A.UPTIME_LAST: this.#upLast = uN(b, p, len); break;
      case A.SEC_FIRST: r.firstMs = uN(b, p, len) * 1000; break;
      case A.SEC_LAST: r.lastMs = uN(b, p, len) * 1000; break;
      case A.MS_FIRST: r.firstMs = uN(b, p, len); break;
      case A.MS_LAST: r.lastMs = uN(b, p, len); break;
      case A.NTP_FIRST: r.firstMs = (u32(b, p) - NTP_EPOCH_OFFSET) * 1000 + Math.floor((u32(b, p + 4) * 1000) / TWO32); break;
      case A.NTP_LAST: r.lastMs = (u32(b, p) - NTP_EPOCH_OFFSET) * 1000 + Math.floor((u32(b, p + 4) * 1000) / TWO32); break;
      case A.DELTA_US_FIRST: this.#deltaFirst = uN(b, p, len); break;
      case A.DELTA_US_LAST: this.#deltaLast = uN(b, p, len); break;
      case A.BYTES_TOTAL: this.#bytesTotal = uN(b, p, len); break;
      case A.PACKETS_TOTAL: this.#packetsTotal = uN(b, p, len); break;
      case A.INIT_BYTES: this.#initBytes = uN(b, p, len); break;
      case A.INIT_PACKETS: this.#initPackets = uN(b, p, len); break;
      case A.REV_BYTES: r.reverseBytes = uN(b, p, len); break;
      case A.REV_PACKETS: r.reversePackets = uN(b, p, len); break;
      case A.SAMPLING: this.#sampling = uN(b, p, len); break;
      case A.SAMPLING_SPACE: this.#samplingSpace = uN(b, p, len); break;
      case A.SAMPLING_PKT_INTERVAL: this.#samplingPktInterval = uN(b, p, len); break;
      case A.SAMPLING_SIZE: this.#samplingSize = uN(b, p, len); break;
      case A.SAMPLING_POPULATION: this.#samplingPopulation = uN(b, p, len); break;
      case A.SAMPLER_ID: this.#samplerId = uN(b, p, len); break;
      case A.DIRECTION: r.direction = b[p + len - 1]; break;
      case A.END_REASON: r.endReason = b[p + len - 1]; break;
      case A.SYS_INIT_MS: this.#sysInit = uN(b, p, len); break;
      case A.ICMP_TYPE_CODE: if (r.dstPort === 0) r.dstPort = uN(b, p, len) & 0xffff; break;
    }
  }

  /** 1-in-N from whichever sampling fields the record had (RFC 3954 34/50, RFC 5477 305/306 and 309/310); 0 when none. */
  #effectiveSampling(): number {
    if (this.#sampling > 0) return this.#sampling;
    if (this.#samplingSize > 0 && this.#samplingPopulation > 0) return Math.round(this.#samplingPopulation / this.#samplingSize);
    if (this.#samplingPktInterval > 0 && this.#samplingSpace > 0) {
      return Math.round((this.#samplingPktInterval + this.#samplingSpace) / this.#samplingPktInterval);
    }
    return 0;
  }

  #applyOptions(state: ExporterState): void {
    this.stats.optionsRecords++;
    if (this.#sysInit >= 0) state.systemInitMs = this.#sysInit;
    const s = this.#effectiveSampling();
    if (s > 0) {
      if (this.#samplerId >= 0) state.samplers.set(this.#samplerId, s);
      // Also the exporter-wide default, for data records that do not name their sampler.
      state.sampling = s;
    }
  }

  #finishData(r: FlowRecord, t: Template, state: ExporterState): void {
    r.version = this.#version;
    r.exporter = state.exporter;
    r.domain = state.domain;
    r.templateId = t.id;
    // Templates that carry both families fill the unused one with zeros.
    if (this.#sawV6 && (!this.#sawV4 || !isZero16(r.srcV6) || !isZero16(r.dstV6))) r.family = 6;
    else if (this.#sawV4) r.family = 4;
    if (!this.#sawBytes) r.bytes = this.#bytesTotal >= 0 ? this.#bytesTotal : this.#initBytes >= 0 ? this.#initBytes : 0;
    if (!this.#sawPackets) r.packets = this.#packetsTotal >= 0 ? this.#packetsTotal : this.#initPackets >= 0 ? this.#initPackets : 0;
    if (this.#upFirst >= 0 || this.#upLast >= 0) {
      if (this.#version === 9) {
        if (this.#upFirst >= 0) r.firstMs = this.#unixMs - ((this.#sysUptime - this.#upFirst) | 0);
        if (this.#upLast >= 0) r.lastMs = this.#unixMs - ((this.#sysUptime - this.#upLast) | 0);
      } else {
        const init = this.#sysInit >= 0 ? this.#sysInit : state.systemInitMs;
        if (init === init) {
          if (this.#upFirst >= 0) r.firstMs = init + this.#upFirst;
          if (this.#upLast >= 0) r.lastMs = init + this.#upLast;
        }
      }
    }
    if (this.#deltaFirst >= 0) r.firstMs = this.#unixMs - Math.round(this.#deltaFirst / 1000);
    if (this.#deltaLast >= 0) r.lastMs = this.#unixMs - Math.round(this.#deltaLast / 1000);
    let s = this.#effectiveSampling();
    if (s === 0 && this.#samplerId >= 0) s = state.samplers.get(this.#samplerId) ?? 0;
    if (s === 0) s = state.sampling;
    r.samplingInterval = s;
    if (s > this.stats.maxSampling) this.stats.maxSampling = s;
    this.stats.records++;
    this.#hooks.onRecord(r);
  }
}
