/**
 * HL7 v2 over MLLP (HL7 v2.5.1 Appendix C): frames are <VT> message <FS><CR>.
 * One scanner per direction; frame content streams through it without
 * being buffered, so a large ORU (an embedded PDF) costs no memory.
 */
import type { AnalyzerSink, ConnectionInfo, Direction, StreamParser } from '../../decoders/analyzer.ts';
import { SegmentScanner, type Hl7Message } from './message.ts';
import { foldMessage, messageRecord } from './facts.ts';

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;
const LF = 0x0a;
const OUTSIDE = 0;
const INSIDE = 1;
const AFTER_FS = 2;
const MAX_ANOMALIES = 16;

class Side {
  state = OUTSIDE;
  readonly scanner = new SegmentScanner();
  /** Bytes outside any frame since the last report. */
  stray = 0;
  frames = 0;
  frameTs = 0;
  /** Content bytes of the current frame, and its first byte (MLLP v2 commit ACK/NAK frames are one byte). */
  frameLen = 0;
  frameFirst = 0;
  /** Hashes of the control ids seen, to flag resent messages (bounded). */
  readonly controlIds = new Set<number>();
}

const MAX_CONTROL_IDS = 4096;

const COMMIT_ACK = 0x06;
const COMMIT_NAK = 0x15;

export class Hl7Parser implements StreamParser {
  private readonly conn: ConnectionInfo;
  private readonly sink: AnalyzerSink;
  private readonly sides: [Side, Side] = [new Side(), new Side()];
  private anomalies = 0;

  constructor(conn: ConnectionInfo, sink: AnalyzerSink) {
    this.conn = conn;
    this.sink = sink;
  }

  private anomaly(kind: string, message: string): void {
    if (this.anomalies++ < MAX_ANOMALIES) this.sink.anomaly(kind, `${this.conn.id}: ${message}`);
  }

  data(dir: Direction, chunk: Uint8Array, ts: number): void {
    const s = this.sides[dir];
    const n = chunk.length;
    let p = 0;
    while (p < n) {
      if (s.state === OUTSIDE) {
        const vt = chunk.indexOf(VT, p);
        const stop = vt < 0 ? n : vt;
        for (let i = p; i < stop; i++) {
          const c = chunk[i];
          if (c !== CR && c !== LF && c !== 0x20) s.stray++;
        }
        if (vt < 0) return;
        this.reportStray(s);
        s.state = INSIDE;
        s.frameTs = ts;
        s.frameLen = 0;
        s.scanner.reset();
        p = vt + 1;
        continue;
      }
      if (s.state === INSIDE) {
        // The frame ends at FS; a VT inside a frame means the sender restarted.
        // Native scans (memchr-speed) rather than a byte loop: frames can be megabytes (embedded PDFs).
        const fs = chunk.indexOf(FS, p);
        const vt = chunk.indexOf(VT, p);
        const i = fs < 0 ? (vt < 0 ? n : vt) : vt < 0 ? fs : Math.min(fs, vt);
        if (i > p) {
          if (s.frameLen === 0) s.frameFirst = chunk[p];
          s.frameLen += i - p;
          s.scanner.feed(chunk, p, i);
        }
        if (i === n) return;
        if (chunk[i] === VT) {
          this.anomaly('hl7.frame-restart', 'start block inside a frame; previous frame dropped unterminated');
          this.endFrame(dir, s, true);
          s.state = INSIDE;
          s.frameTs = ts;
          s.frameLen = 0;
          s.scanner.reset();
          p = i + 1;
          continue;
        }
        s.state = AFTER_FS;
        p = i + 1;
        continue;
      }
      // AFTER_FS: the CR that completes the end block.
      if (chunk[p] === CR) p++;
      else this.anomaly('hl7.frame-end', 'end block without the trailing CR');
      this.endFrame(dir, s, false);
      s.state = OUTSIDE;
    }
  }

  private reportStray(s: Side): void {
    if (s.stray > 0) {
      this.anomaly('hl7.outside-frame', `${s.stray} bytes outside any MLLP frame`);
      s.stray = 0;
    }
  }

  private endFrame(dir: Direction, s: Side, truncated: boolean): void {
    s.frames++;
    if (s.frameLen === 1 && (s.frameFirst === COMMIT_ACK || s.frameFirst === COMMIT_NAK)) {
      // MLLP release 2 commit acknowledgement: transport-level, no HL7 message inside.
      s.scanner.reset();
      s.scanner.malformed = 0;
      return;
    }
    const orphans = s.scanner.endFrame();
    if (orphans > 0 || (s.scanner.sawContent && !s.scanner.sawMessage)) {
      this.anomaly('hl7.no-msh', 'MLLP frame without an MSH segment');
    }
    if (s.scanner.malformed > 0) {
      this.anomaly('hl7.malformed', `${s.scanner.malformed} malformed segment(s) in a frame`);
      s.scanner.malformed = 0;
    }
    // Emptied in place, not spliced into a new array per frame.
    const msgs: Hl7Message[] = s.scanner.done;
    try {
      for (let i = 0; i < msgs.length; i++) {
        const m = msgs[i];
        const h = m.header.controlIdHash;
        const resent = h !== 0 && s.controlIds.has(h);
        if (h !== 0 && !resent && s.controlIds.size < MAX_CONTROL_IDS) s.controlIds.add(h);
        if (this.sink.wantsRecords !== false) this.sink.record(messageRecord(m, this.conn, dir, s.frameTs, truncated, resent));
        foldMessage(m, this.conn, dir, this.sink);
      }
    } finally {
      msgs.length = 0;
    }
  }

  gap(dir: Direction, length: number): void {
    const s = this.sides[dir];
    if (s.state !== OUTSIDE) {
      this.anomaly('hl7.gap', `${length} bytes lost inside an MLLP frame; frame dropped`);
      s.scanner.reset();
      s.scanner.done.length = 0;
      s.state = OUTSIDE;
    } else {
      this.anomaly('hl7.gap', `${length} bytes lost between frames`);
    }
  }

  end(_ts: number): void {
    this.sides.forEach((s, dir) => {
      if (s.state !== OUTSIDE) {
        this.anomaly('hl7.truncated', 'connection ended inside an MLLP frame');
        this.endFrame(dir as Direction, s, true);
        s.state = OUTSIDE;
      }
      this.reportStray(s);
    });
  }
}
