/**
 * A streaming scanner for HL7 v2 segments inside one MLLP frame. Bytes are
 * looked at once and never kept, except the MSH, MSA, BHS and FHS segments
 * (header metadata, at most 1 kB each). For the segments that carry patient
 * data it records which fields are populated ("PID-5"), never their values.
 */

export interface Hl7Header {
  fieldSeparator: string;
  encodingCharacters: string;
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** MSH-9 type^trigger ("ADT^A01"), without the structure. */
  messageType: string;
  messageCode: string;
  triggerEvent: string;
  messageStructure?: string;
  /** MSH-10 was present (the value is not kept). */
  controlIdPresent: boolean;
  /** A 32-bit FNV-1a hash of MSH-10, only to notice resent messages; 0 when absent. */
  controlIdHash: number;
  processingId?: string;
  version: string;
}

export interface Hl7Message {
  header: Hl7Header;
  /** Segment ids in order of first appearance. */
  segments: string[];
  /** Populated fields of PID, NK1, IN1, GT1, PV1 ("PID-5"). */
  fields: string[];
  ackCode?: string;
  /** Inside an FHS/BHS batch. */
  batch: boolean;
}

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string }).latin1Slice;

/** Segments whose populated fields are reported (presence only). */
const TRACKED = new Set(['PID', 'NK1', 'IN1', 'IN2', 'GT1', 'PV1', 'PD1', 'MRG']);
const CAPTURED = new Set(['MSH', 'MSA', 'BHS', 'FHS']);
const MAX_CAPTURE = 1024;
const MAX_SEGMENT_IDS = 64;
const MAX_FIELDS = 256;
const SEGMENT_ID = /^[A-Z][A-Z0-9]{2}$/;
const CR = 0x0d;
const LF = 0x0a;

/** Header values are names of systems, not patient data; still, keep them short and printable. */
function clean(s: string | undefined, max = 64): string {
  if (!s) return '';
  let printable = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f) {
      printable = false;
      break;
    }
  }
  // The usual case, without building the string again character by character.
  if (printable) return (s.length > max ? s.slice(0, max) : s).trim();
  let out = '';
  for (let i = 0; i < s.length && out.length < max; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x20 && c < 0x7f ? s[i] : '?';
  }
  return out.trim();
}

/** "PID-5" and the like, made once per segment and field number: every message names a few dozen. */
const fieldNames = new Map<number, string>();
const MAX_NAMED_FIELD = 255;

function fieldName(id: string, code: number, field: number): string {
  if (field > MAX_NAMED_FIELD) return `${id}-${field}`;
  const key = code * 256 + field;
  let name = fieldNames.get(key);
  if (name === undefined) {
    name = `${id}-${field}`;
    fieldNames.set(key, name);
  }
  return name;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0 || 1;
}

export class SegmentScanner {
  private fieldSep = 0x7c;
  private comp = 0x5e;
  private rep = 0x7e;
  private sub = 0x26;
  private esc = 0x5c;
  // Current segment.
  private atStart = true;
  private idLen = 0;
  private id = '';
  private idCodes = [0, 0, 0];
  private fieldIdx = 0;
  private populated = false;
  private tracked = false;
  private capture = false;
  private readonly buf = new Uint8Array(MAX_CAPTURE);
  private bufLen = 0;
  private hadContent = false;
  // Current message.
  private msg: Hl7Message | undefined;
  private inBatch = false;
  private segmentsBeforeMsh = 0;
  /** Complete messages; the caller empties it after each frame. */
  readonly done: Hl7Message[] = [];
  malformed = 0;

  /** Starts a new frame. */
  reset(): void {
    this.atStart = true;
    this.idLen = 0;
    this.msg = undefined;
    this.inBatch = false;
    this.segmentsBeforeMsh = 0;
    this.hadContent = false;
    this.fieldSep = 0x7c;
    this.pendingSep = false;
    this.bom = 0;
  }

  /** True when the frame held anything but whitespace. */
  get sawContent(): boolean {
    return this.hadContent;
  }

  get sawMessage(): boolean {
    return this.msg !== undefined || this.done.length > 0;
  }

  /** Feeds frame content b[start, end) (no VT/FS bytes). */
  feed(b: Uint8Array, start: number, end: number): void {
    for (let i = start; i < end; i++) {
      const c = b[i];
      if (c === CR || c === LF) {
        if (!this.atStart) this.endSegment();
        continue;
      }
      this.hadContent = true;
      if (this.atStart) {
        this.atStart = false;
        this.idLen = 0;
        this.fieldIdx = 0;
        this.populated = false;
        this.tracked = false;
        this.capture = false;
        this.bufLen = 0;
      }
      if (this.capture && this.bufLen < MAX_CAPTURE) this.buf[this.bufLen++] = c;
      if (this.idLen < 3 && this.fieldIdx === 0) {
        // Files saved with a UTF-8 byte-order mark get sent with it; skip it before a segment id.
        if (this.idLen === 0 && (c === 0xef || (this.bom > 0 && (c === 0xbb || c === 0xbf)))) {
          this.bom = c === 0xef ? 2 : this.bom - 1;
          continue;
        }
        this.idCodes[this.idLen++] = c;
        if (this.idLen === 3) {
          this.id = String.fromCharCode(this.idCodes[0], this.idCodes[1], this.idCodes[2]);
          this.tracked = TRACKED.has(this.id);
          if (CAPTURED.has(this.id)) {
            this.capture = true;
            this.buf[0] = this.idCodes[0];
            this.buf[1] = this.idCodes[1];
            this.buf[2] = this.idCodes[2];
            this.bufLen = 3;
          }
          if (this.id === 'MSH' || this.id === 'BHS' || this.id === 'FHS') {
            // The next byte defines the field separator (MSH-1); the four after it the encoding characters.
            if (i + 1 < end) this.fieldSep = b[i + 1];
            else this.pendingSep = true;
          }
        }
        continue;
      }
      if (!this.tracked && !this.capture && !this.pendingSep) {
        // Nothing to learn inside this segment: jump to its end.
        let j = i + 1;
        while (j < end && b[j] !== CR && b[j] !== LF) j++;
        i = j - 1;
        continue;
      }
      if (this.pendingSep) {
        this.pendingSep = false;
        this.fieldSep = c;
      }
      if (c === this.fieldSep) {
        this.endField();
        this.fieldIdx++;
        this.populated = false;
        continue;
      }
      if (this.tracked && !this.populated && c !== this.comp && c !== this.rep && c !== this.sub && c !== 0x20 && c !== 0x22) {
        this.populated = true;
      }
    }
  }

  private pendingSep = false;
  private bom = 0;

  private endField(): void {
    if (this.tracked && this.populated && this.fieldIdx > 0 && this.msg && this.msg.fields.length < MAX_FIELDS) {
      const c = this.idCodes;
      const name = fieldName(this.id, (c[0] << 16) | (c[1] << 8) | c[2], this.fieldIdx);
      if (!this.msg.fields.includes(name)) this.msg.fields.push(name);
    }
  }

  private endSegment(): void {
    this.endField();
    this.atStart = true;
    if (this.idLen < 3) {
      this.malformed++;
      return;
    }
    const id = this.id;
    if (!SEGMENT_ID.test(id)) {
      this.malformed++;
      return;
    }
    if (id === 'MSH') {
      this.finishMessage();
      this.msg = this.parseMsh();
      return;
    }
    if (id === 'BHS' || id === 'FHS') {
      this.finishMessage();
      this.inBatch = true;
      return;
    }
    if (!this.msg) {
      if (id !== 'BTS' && id !== 'FTS') this.segmentsBeforeMsh++;
      return;
    }
    if (this.msg.segments.length < MAX_SEGMENT_IDS && !this.msg.segments.includes(id)) this.msg.segments.push(id);
    if (id === 'MSA' && this.msg.ackCode === undefined) {
      const f = this.split(2);
      this.msg.ackCode = clean(f[1], 4) || undefined;
    }
  }

  /** The captured segment's first `limit` fields (those after are never read). */
  private split(limit: number): string[] {
    // One native call instead of a string built byte by byte; latin1 maps each byte to the same char code.
    const s = latin1Slice.call(this.buf, 0, this.bufLen);
    return s.split(String.fromCharCode(this.fieldSep), limit);
  }

  private parseMsh(): Hl7Message {
    // Up to MSH-12 (f[11]).
    const f = this.split(12);
    // f[0] = "MSH", f[1] = MSH-2 (MSH-1 is the separator itself), so MSH-n = f[n - 1].
    const enc = f[1] ?? '';
    this.comp = enc.length > 0 ? enc.charCodeAt(0) : 0x5e;
    this.rep = enc.length > 1 ? enc.charCodeAt(1) : 0x7e;
    this.esc = enc.length > 2 ? enc.charCodeAt(2) : 0x5c;
    this.sub = enc.length > 3 ? enc.charCodeAt(3) : 0x26;
    const compSep = String.fromCharCode(this.comp);
    const type = (f[8] ?? '').split(compSep);
    const code = clean(type[0], 8).toUpperCase();
    const trigger = clean(type[1], 8).toUpperCase();
    const header: Hl7Header = {
      fieldSeparator: String.fromCharCode(this.fieldSep),
      encodingCharacters: clean(enc, 5),
      sendingApplication: clean(f[2]),
      sendingFacility: clean(f[3]),
      receivingApplication: clean(f[4]),
      receivingFacility: clean(f[5]),
      messageType: trigger ? `${code}^${trigger}` : code,
      messageCode: code,
      triggerEvent: trigger,
      messageStructure: clean(type[2], 16) || undefined,
      controlIdPresent: !!(f[9] && f[9].trim()),
      controlIdHash: f[9] && f[9].trim() ? fnv1a(f[9].trim()) : 0,
      processingId: clean((f[10] ?? '').split(compSep)[0], 4) || undefined,
      version: clean((f[11] ?? '').split(compSep)[0], 16),
    };
    if (f.length < 12) this.malformed++;
    return { header, segments: ['MSH'], fields: [], batch: this.inBatch };
  }

  private finishMessage(): void {
    if (this.msg) this.done.push(this.msg);
    this.msg = undefined;
  }

  /**
   * Ends the frame: closes the open segment and message. Returns how many
   * segments came before any MSH (a malformed frame when > 0).
   */
  endFrame(): number {
    if (!this.atStart) this.endSegment();
    this.finishMessage();
    return this.segmentsBeforeMsh;
  }
}
