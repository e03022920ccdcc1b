/**
 * Incremental DICOM upper-layer parser for one TCP connection (PS3.8 §9.3).
 * Each direction keeps a small state machine over PDU headers. Association
 * PDUs (RQ/AC/RJ/release/abort) are parsed in place when a chunk holds them
 * whole and copied into a reused buffer only when they span chunks. P-DATA
 * is walked PDV by PDV without buffering: command fragments are gathered (a
 * few hundred bytes), data-set bytes are skipped by length, so a bulk
 * C-STORE costs O(1) per chunk whatever the image size.
 */
import type { AnalyzerSink, ConnectionInfo, Direction, StreamParser } from '../../decoders/analyzer.ts';
import { Association, type DicomOperation } from './association.ts';
import { parseCommandSet } from './dimse.ts';
import { LevelReader } from './identifier.ts';
import { isBigEndian, isImplicitVr } from './uids.ts';
import { foldAssociation } from './facts.ts';

const HEADER = 0;
const BODY = 1;
const PDATA = 2;
const SKIP = 3;
const DEAD = 4;
/** Looking for the next plausible PDU header after lost or unparseable bytes. */
const RESYNC = 5;

/** Largest association PDU buffered (a 128-context RQ is about 10 kB). */
const MAX_ASSOCIATE = 1 << 20;
/** Largest command set gathered (real ones are under 300 bytes). */
const MAX_COMMAND = 1 << 16;
/** Anomalies reported per connection before going quiet. */
const MAX_ANOMALIES = 16;

const NO_BYTES = new Uint8Array(0);

/**
 * Buffers for association PDUs that span segments, lent per PDU and given
 * back when it is parsed: most associations' A-ASSOCIATE-RQ and -AC span
 * segments, and a fresh zero-filled buffer each time cost 18 ms of a 0.45 s
 * run over the DICOM part of the bench mix (22,000 associations). Parsing
 * copies what it keeps (texts, cache keys), so a returned buffer holds
 * nothing anyone refers to.
 */
const spareBodies: Uint8Array[] = [];
const MAX_SPARE_BODIES = 8;
const SPARE_BODY_SIZE = 16 << 10;
const MAX_SPARE_BODY = 64 << 10;

function lendBody(size: number): Uint8Array {
  for (let i = spareBodies.length - 1; i >= 0; i--) {
    const b = spareBodies[i];
    if (b.length >= size) {
      spareBodies[i] = spareBodies[spareBodies.length - 1];
      spareBodies.pop();
      return b;
    }
  }
  return new Uint8Array(Math.max(size, SPARE_BODY_SIZE));
}

function returnBody(b: Uint8Array): void {
  if (b !== NO_BYTES && b.length <= MAX_SPARE_BODY && spareBodies.length < MAX_SPARE_BODIES) spareBodies.push(b);
}

class Side {
  mode = HEADER;
  /** PDU header bytes [0, 6) and PDV header bytes [6, 12) when they span chunks; made the first time one does. */
  hdr: Uint8Array = NO_BYTES;
  hdrFill = 0;
  pduType = 0;
  /** Body bytes of the current PDU not yet consumed. */
  pduLeft = 0;
  body: Uint8Array = NO_BYTES;
  bodyFill = 0;
  bodyLen = 0;
  // P-DATA: the current PDV.
  pdvHdrFill = 0;
  inPdv = false;
  pdvLeft = 0;
  pdvCtx = 0;
  pdvFlags = 0;
  /** Length of the current PDV's value. */
  pdvLen = 0;
  /** A command set lying whole in the chunk being parsed: that chunk and the offset (valid during the call only). */
  cmdIn: Uint8Array | undefined = undefined;
  cmdInOff = 0;
  /** Command fragments; allocated on the first command set that spans chunks. */
  cmd: Uint8Array = NO_BYTES;
  cmdFill = 0;
  cmdOverflow = false;
  /** Created for the first C-FIND/MOVE/GET identifier. */
  level: LevelReader | undefined;
  /** The C-FIND/MOVE/GET waiting for its identifier on this side. */
  levelOp: DicomOperation | undefined;
  levelArmed = false;
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

/**
 * The offset of the next plausible P-DATA-TF (with a consistent first PDV:
 * odd context id, flags <= 3) or A-RELEASE header in b[p, n), or -1. A
 * header cut by the chunk end is missed; the one after it will do.
 */
function findPduStart(b: Uint8Array, p: number, n: number): number {
  for (let i = p; i + 12 <= n; i++) {
    const t = b[i];
    if (b[i + 1] !== 0) continue;
    if (t === 4) {
      const len = u32(b, i + 2);
      const pdv = u32(b, i + 6);
      if (len >= 6 && len <= 1 << 24 && pdv >= 2 && pdv + 4 <= len && (b[i + 10] & 1) === 1 && b[i + 11] <= 3) return i;
    } else if ((t === 5 || t === 6) && u32(b, i + 2) === 4 && u32(b, i + 6) === 0) {
      return i;
    }
  }
  return -1;
}

export class DicomParser implements StreamParser {
  private readonly conn: ConnectionInfo;
  private readonly sink: AnalyzerSink;
  private readonly sides: [Side, Side] = [new Side(), new Side()];
  private assoc: Association | undefined;
  private lastTs = 0;
  private anomalies = 0;

  constructor(conn: ConnectionInfo, sink: AnalyzerSink) {
    this.conn = conn;
    this.sink = sink;
  }

  private anomaly(kind: string, message: string): void {
    if (this.assoc) this.assoc.malformed++;
    if (this.anomalies++ < MAX_ANOMALIES) this.sink.anomaly(kind, `${this.conn.id}: ${message}`);
  }

  private association(ts: number): Association {
    this.assoc ??= new Association(ts);
    return this.assoc;
  }

  data(dir: Direction, chunk: Uint8Array, ts: number): void {
    this.dataAt(dir, chunk, 0, chunk.length, ts);
  }

  dataAt(dir: Direction, chunk: Uint8Array, start: number, n: number, ts: number): void {
    this.lastTs = ts;
    const s = this.sides[dir];
    let p = start;
    while (p < n) {
      switch (s.mode) {
        case HEADER: {
          let type: number;
          let len: number;
          if (s.hdrFill === 0 && n - p >= 6) {
            type = chunk[p];
            len = u32(chunk, p + 2);
            p += 6;
          } else {
            const take = Math.min(6 - s.hdrFill, n - p);
            if (s.hdr === NO_BYTES) s.hdr = new Uint8Array(12);
            s.hdr.set(chunk.subarray(p, p + take), s.hdrFill);
            s.hdrFill += take;
            p += take;
            if (s.hdrFill < 6) return;
            s.hdrFill = 0;
            type = s.hdr[0];
            len = u32(s.hdr, 2);
          }
          this.beginPdu(s, dir, type, len, ts);
          break;
        }
        case BODY: {
          if (s.bodyFill === 0 && n - p >= s.pduLeft) {
            const end = p + s.pduLeft;
            s.pduLeft = 0;
            s.mode = HEADER;
            this.handlePdu(dir, s.pduType, chunk, p, end, ts);
            p = end;
          } else {
            const take = Math.min(s.pduLeft, n - p);
            if (s.body.length < s.bodyLen) {
              const bigger = lendBody(s.bodyLen);
              if (s.bodyFill > 0) bigger.set(s.body.subarray(0, s.bodyFill));
              returnBody(s.body);
              s.body = bigger;
            }
            s.body.set(chunk.subarray(p, p + take), s.bodyFill);
            s.bodyFill += take;
            s.pduLeft -= take;
            p += take;
            if (s.pduLeft === 0) {
              const len = s.bodyFill;
              const body = s.body;
              s.bodyFill = 0;
              s.mode = HEADER;
              s.body = NO_BYTES;
              try {
                this.handlePdu(dir, s.pduType, body, 0, len, ts);
              } finally {
                returnBody(body);
              }
            }
          }
          break;
        }
        case PDATA:
          p = this.pdata(s, dir, chunk, p, n);
          break;
        case RESYNC: {
          const at = findPduStart(chunk, p, n);
          if (at < 0) return;
          this.anomaly('dicom.resync', `resynchronised on a PDU header after ${at - p} skipped bytes`);
          this.resetSide(s);
          p = at;
          break;
        }
        case SKIP: {
          const take = Math.min(s.pduLeft, n - p);
          p += take;
          s.pduLeft -= take;
          if (s.pduLeft === 0) s.mode = HEADER;
          break;
        }
        default:
          return;
      }
    }
  }

  private beginPdu(s: Side, dir: Direction, type: number, len: number, ts: number): void {
    s.pduType = type;
    s.pduLeft = len;
    if (type === 4) {
      if (len < 6) {
        this.anomaly('dicom.malformed-pdu', `P-DATA-TF of ${len} bytes`);
        s.mode = len === 0 ? HEADER : SKIP;
        return;
      }
      if (!this.assoc?.accepted) this.anomaly('dicom.unexpected-pdu', 'P-DATA-TF before the association was accepted');
      s.mode = PDATA;
      s.inPdv = false;
      s.pdvHdrFill = 0;
      return;
    }
    if (type < 1 || type > 7) {
      // Without a valid type the length cannot be trusted either: stop this direction.
      this.anomaly('dicom.bad-pdu-type', `unknown PDU type 0x${type.toString(16)} (${dir === 0 ? 'requestor' : 'acceptor'}); resynchronising`);
      s.mode = RESYNC;
      return;
    }
    if (len > MAX_ASSOCIATE) {
      this.anomaly('dicom.malformed-pdu', `PDU type ${type} of ${len} bytes is too large; skipped`);
      s.mode = SKIP;
      return;
    }
    if (len === 0) {
      s.mode = HEADER;
      this.handlePdu(dir, type, NO_BYTES, 0, 0, ts);
      return;
    }
    // The buffer is made only when the PDU turns out to span chunks (see BODY).
    s.bodyLen = len;
    s.bodyFill = 0;
    s.mode = BODY;
  }

  private handlePdu(dir: Direction, type: number, b: Uint8Array, start: number, end: number, ts: number): void {
    switch (type) {
      case 1: {
        if (this.assoc?.requested) this.flush(ts);
        const a = this.association(ts);
        if (dir !== 0) this.anomaly('dicom.unexpected-pdu', 'A-ASSOCIATE-RQ from the acceptor');
        if (!a.parseAssociate(1, b, start, end)) this.anomaly('dicom.malformed-pdu', 'malformed A-ASSOCIATE-RQ');
        break;
      }
      case 2: {
        const a = this.association(ts);
        if (!a.parseAssociate(2, b, start, end)) this.anomaly('dicom.malformed-pdu', 'malformed A-ASSOCIATE-AC');
        break;
      }
      case 3:
        if (!this.association(ts).parseReject(b, start, end)) this.anomaly('dicom.malformed-pdu', 'malformed A-ASSOCIATE-RJ');
        break;
      case 5: {
        const a = this.association(ts);
        if (a.released === 'no') a.released = 'requested';
        break;
      }
      case 6:
        this.association(ts).released = 'completed';
        break;
      case 7:
        this.association(ts).parseAbort(dir, b, start, end);
        break;
      default:
        break;
    }
  }

  private pdata(s: Side, dir: Direction, b: Uint8Array, p: number, n: number): number {
    while (p < n) {
      if (!s.inPdv) {
        if (s.pduLeft < 6) {
          this.anomaly('dicom.malformed-pdv', 'P-DATA-TF ends inside a PDV header');
          s.mode = SKIP;
          return p;
        }
        let len: number;
        if (s.pdvHdrFill === 0 && n - p >= 6) {
          len = u32(b, p);
          s.pdvCtx = b[p + 4];
          s.pdvFlags = b[p + 5];
          p += 6;
        } else {
          const take = Math.min(6 - s.pdvHdrFill, n - p);
          if (s.hdr === NO_BYTES) s.hdr = new Uint8Array(12);
          s.hdr.set(b.subarray(p, p + take), 6 + s.pdvHdrFill);
          s.pdvHdrFill += take;
          p += take;
          // pduLeft drops by the whole header once it is complete.
          if (s.pdvHdrFill < 6) return p;
          s.pdvHdrFill = 0;
          len = u32(s.hdr, 6);
          s.pdvCtx = s.hdr[10];
          s.pdvFlags = s.hdr[11];
        }
        s.pduLeft -= 6;
        if (len < 2 || len - 2 > s.pduLeft) {
          this.anomaly('dicom.malformed-pdv', `PDV length ${len} does not fit its P-DATA-TF`);
          s.mode = s.pduLeft > 0 ? SKIP : HEADER;
          return p;
        }
        s.inPdv = true;
        s.pdvLeft = len - 2;
        s.pdvLen = len - 2;
        if ((s.pdvFlags & 1) === 0) this.dataSetStart(s);
      } else {
        const take = Math.min(s.pdvLeft, n - p);
        if (s.pdvFlags & 1) {
          // A whole command set within this chunk (the usual case) is parsed
          // where it lies; only one that spans chunks is gathered.
          if (take === s.pdvLeft && take <= MAX_COMMAND && s.cmdFill === 0 && !s.cmdOverflow && (s.pdvFlags & 2) !== 0) {
            s.cmdIn = b;
            s.cmdInOff = p;
          } else this.gather(s, b, p, take);
        }
        else if (s.levelArmed) s.level!.feed(b, p, p + take);
        p += take;
        s.pdvLeft -= take;
        s.pduLeft -= take;
      }
      if (s.inPdv && s.pdvLeft === 0) {
        s.inPdv = false;
        this.pdvDone(s, dir);
      }
      if (s.pduLeft === 0) {
        s.mode = HEADER;
        return p;
      }
    }
    return p;
  }

  private gather(s: Side, b: Uint8Array, p: number, take: number): void {
    if (s.cmdOverflow) return;
    if (s.cmdFill + take > MAX_COMMAND) {
      s.cmdOverflow = true;
      return;
    }
    if (s.cmdFill + take > s.cmd.length) {
      const bigger = new Uint8Array(Math.min(MAX_COMMAND, Math.max(s.cmd.length * 2, s.cmdFill + take, 512)));
      bigger.set(s.cmd.subarray(0, s.cmdFill));
      s.cmd = bigger;
    }
    s.cmd.set(b.subarray(p, p + take), s.cmdFill);
    s.cmdFill += take;
  }

  private dataSetStart(s: Side): void {
    if (this.assoc) this.assoc.dataSetFragments++;
    if (s.levelOp && !s.levelArmed && !s.level?.active && s.level?.level === undefined) {
      const ts = this.assoc?.transferSyntaxOf(s.pdvCtx) ?? '1.2.840.10008.1.2';
      s.level ??= new LevelReader();
      s.level.start(isImplicitVr(ts), isBigEndian(ts));
      s.levelArmed = true;
    }
  }

  private pdvDone(s: Side, dir: Direction): void {
    const last = (s.pdvFlags & 2) !== 0;
    if (s.pdvFlags & 1) {
      if (!last) return;
      const overflow = s.cmdOverflow;
      let buf = s.cmd;
      let start = 0;
      let end = s.cmdFill;
      if (s.cmdIn) {
        buf = s.cmdIn;
        start = s.cmdInOff;
        end = start + s.pdvLen;
        s.cmdIn = undefined;
      }
      s.cmdFill = 0;
      s.cmdOverflow = false;
      if (overflow) {
        this.anomaly('dicom.malformed-command', 'command set larger than 64 kB');
        return;
      }
      const cmd = parseCommandSet(buf, start, end);
      if (!cmd) {
        this.anomaly('dicom.malformed-command', 'command set without a readable Command Field');
        return;
      }
      const op = this.association(this.lastTs).command(dir, cmd);
      const wantsLevel = cmd.hasDataSet && (cmd.field === 0x0020 || cmd.field === 0x0021 || cmd.field === 0x0010);
      s.levelOp = wantsLevel ? op : undefined;
      s.levelArmed = false;
      if (s.level) {
        s.level.stop();
        s.level.level = undefined;
      }
      return;
    }
    if (last && s.levelOp) {
      if (s.level?.level) s.levelOp.queryLevel = s.level.level;
      s.levelOp = undefined;
      s.levelArmed = false;
      s.level?.stop();
    }
  }

  gap(dir: Direction, length: number): void {
    const s = this.sides[dir];
    if (s.mode === DEAD) return;
    if (s.mode === PDATA && s.inPdv && (s.pdvFlags & 1) === 0 && length <= s.pdvLeft) {
      // Lost data-set bytes only: the PDU framing is intact.
      s.pdvLeft -= length;
      s.pduLeft -= length;
      if (s.levelArmed) s.level?.stop();
      if (s.pdvLeft === 0) {
        s.inPdv = false;
        this.pdvDone(s, dir);
      }
      if (s.pduLeft === 0) s.mode = HEADER;
      return;
    }
    if ((s.mode === PDATA || s.mode === BODY || s.mode === SKIP) && length <= s.pduLeft) {
      this.anomaly('dicom.gap', `${length} bytes lost inside a PDU; PDU skipped`);
      s.pduLeft -= length;
      s.bodyFill = 0;
      s.inPdv = false;
      s.cmdFill = 0;
      s.mode = s.pduLeft > 0 ? SKIP : HEADER;
      return;
    }
    this.anomaly('dicom.gap', `${length} bytes lost across PDU boundaries; resynchronising`);
    s.mode = RESYNC;
  }

  /** Forgets partial PDU, PDV and command state after a resynchronisation. */
  private resetSide(s: Side): void {
    s.mode = HEADER;
    s.hdrFill = 0;
    s.bodyFill = 0;
    s.pduLeft = 0;
    s.inPdv = false;
    s.pdvHdrFill = 0;
    s.cmdFill = 0;
    s.cmdOverflow = false;
    s.levelOp = undefined;
    s.levelArmed = false;
    s.level?.stop();
  }

  end(ts: number): void {
    for (const s of this.sides) {
      if (s.mode === BODY || s.mode === PDATA || (s.mode === HEADER && s.hdrFill > 0)) {
        this.anomaly('dicom.truncated', 'connection ended inside a PDU');
      }
      s.mode = DEAD;
      returnBody(s.body);
      s.body = NO_BYTES;
      s.bodyFill = 0;
    }
    this.flush(ts);
  }

  private flush(ts: number): void {
    const a = this.assoc;
    this.assoc = undefined;
    if (!a) return;
    if (this.sink.wantsRecords !== false) this.sink.record(a.toRecord(this.conn.id, ts));
    foldAssociation(a, this.conn, this.sink);
  }
}
