/**
 * IPv4 and IPv6 fragment reassembly, bounded and never throwing.
 *
 * Only packets that are fragments come here (the decoder sends them when
 * MF or the offset is set, or an IPv6 fragment header is present), so
 * unfragmented traffic pays nothing. A completed datagram comes back as a
 * new frame of the same link type: the first fragment's link header, its IP
 * header with the fragment fields cleared (IPv6: with the fragment header
 * taken out) and the joined payload. Callers decode it like any other
 * frame, so UDP analyzers and TCP reassembly see it unchanged. With it,
 * `rebuilt` says how many fragment frames went into the datagram and their
 * IP and frame bytes, so that callers can count the packets on the wire (as
 * tshark's conversations and NetFlow exporters do) rather than one.
 *
 * Overlapping fragments are an IDS evasion technique (the sensor and the
 * host may each keep other bytes), so each is reported, and each family is
 * handled as its hosts handle it:
 * - IPv4 (RFC 791 allows overlaps): the bytes that came first are kept.
 * - IPv6 (RFC 5722, whose rule RFC 8200 section 4.5 carries on): a
 *   fragment that overlaps another of its datagram, with the same bytes or
 *   not, drops the whole datagram (reported as ip-fragment-overlap), and
 *   its fragments that arrive later within the timeout are dropped too,
 *   silently, rather than starting a new reassembly. A last fragment that
 *   contradicts the datagram's end, or a fragment past that end, drops it
 *   as well (Linux does the same; keeping either end would be a guess).
 *
 * Exact duplicates under IPv6: RFC 5722 section 4 alone makes them fatal
 * too, but RFC 8200 section 4.5, which obsoletes RFC 2460 and includes RFC
 * 5722's rule, notes that the network may duplicate fragments and lets a
 * host drop an exact duplicate alone while keeping the rest of the packet.
 * We take that option: a fragment with the offset, length and (captured)
 * bytes of one held is dropped alone and reported as ip-fragment-duplicate,
 * and the datagram is still rebuilt. Hosts do the same (Linux drops a copy
 * that falls within fragments it holds, without comparing bytes), so the
 * host we watch would get that datagram, and a passive sensor sees copies
 * routinely (SPAN sessions that mirror both ports, loops); dropping those
 * datagrams would lose real traffic without stopping any evasion. A copy
 * with other bytes, or other boundaries, is an overlap and drops it.
 *
 * Memory is bounded by a cap on bytes held and on concurrent reassemblies:
 * the oldest is dropped first, and reported; the keys of dropped IPv6
 * datagrams are remembered for one timeout, at most maxDatagrams of them.
 * Timeouts run on capture time, so a file read fast behaves as it did live.
 */
import { parseFragment, type Fragment } from './fragment-header.ts';
import { assemble, capturedPrefix, covers, insertPiece, maxEnd } from './fragment-pieces.ts';

export interface FragmentOptions {
  /** Capture-time limit from a datagram's first fragment to its completion (ms); Linux uses 30 s. */
  timeoutMs?: number;
  /** Bytes of partial datagrams held at most, over all of them. */
  maxBytes?: number;
  /** Datagrams under reassembly at most. */
  maxDatagrams?: number;
  /** Called for each problem met; `kind` is one of the ip-fragment-* anomaly kinds. */
  anomaly?: (kind: string, message: string) => void;
}

/** The fragment frames a rebuilt datagram came in: what was on the wire for it. */
export interface FragmentTally {
  /** Fragment frames received for the datagram, copies and overlapping ones included. */
  fragments: number;
  /** Sum of their IP total lengths (IPv6: 40 + payload length), headers included. */
  ipBytes: number;
  /** Sum of their frame lengths on the wire. */
  frameBytes: number;
}

export interface FragmentStats {
  /** Fragments offered. */
  fragments: number;
  /** Datagrams rebuilt and handed back. */
  reassembled: number;
  /** Fragments that overlapped bytes already held, same bytes or not. */
  overlaps: number;
  /** IPv6 datagrams dropped whole because their fragments overlapped or disagreed on the end (RFC 5722). */
  discarded: number;
  /** IPv6 fragments dropped because they belong to a datagram dropped that way within the timeout. */
  afterDiscard: number;
  /** Partial datagrams dropped because their time ran out (or the input ended). */
  timeouts: number;
  /** Partial datagrams dropped to stay within maxBytes / maxDatagrams. */
  evicted: number;
  /** Fragments or partial datagrams dropped as malformed (too large, too many pieces, bad header). */
  malformed: number;
}

/** Largest IP payload a reassembled datagram may have (the 16-bit length fields). */
const MAX_DATAGRAM = 65535;
/** Pieces one datagram may arrive in; tiny-fragment floods stop here. */
const MAX_PIECES = 256;
/** What conflict() returns for an exact copy of a fragment already held. */
const DUPLICATE = 'duplicate';

class Partial {
  readonly key: string;
  readonly v6: boolean;
  readonly first: number;
  /** Link header + IP header of the offset-0 fragment (IPv6: without the fragment header), once seen. */
  head: Uint8Array | undefined;
  /** IPv6: offset in head of the byte that named the fragment header; it gets the inner next header. */
  nextAt = 0;
  /** Link header bytes at the start of head. */
  linkLen = 0;
  innerNext = 0;
  data: Uint8Array;
  /** Disjoint accepted pieces as (start, end, capturedEnd) triples; capturedEnd < end when the snaplen cut it. */
  readonly pieces: number[] = [];
  /** Payload length, known once the last fragment (MF clear) arrived; -1 before. */
  total = -1;
  held: number;
  /** The fragment frames received so far (FragmentTally). */
  frames = 0;
  ipBytes = 0;
  frameBytes = 0;

  constructor(key: string, v6: boolean, ts: number, size: number) {
    this.key = key;
    this.v6 = v6;
    this.first = ts;
    this.data = new Uint8Array(size);
    this.held = size;
  }
}

export class FragmentReassembler {
  readonly stats: FragmentStats = { fragments: 0, reassembled: 0, overlaps: 0, discarded: 0, afterDiscard: 0, timeouts: 0, evicted: 0, malformed: 0 };
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly maxDatagrams: number;
  private readonly report: (kind: string, message: string) => void;
  /** In arrival order of each datagram's first fragment: the oldest is first. */
  private readonly partials = new Map<string, Partial>();
  /**
   * Keys of IPv6 datagrams dropped for an overlap (RFC 5722), with the
   * capture time until which their fragments are dropped on sight: one
   * timeout after the drop. In order of the drop; at most maxDatagrams.
   */
  private readonly discardedKeys = new Map<string, number>();
  /**
   * Set when add() returns a datagram: the fragment frames it came in. One
   * object, refilled: read it before the next add().
   */
  readonly rebuilt: FragmentTally = { fragments: 0, ipBytes: 0, frameBytes: 0 };
  private heldBytes = 0;
  private readonly f: Fragment = {
    v6: false, key: '', offset: 0, payOff: 0, declared: 0, captured: 0, more: false, ipOff: 0, headLen: 0, nextAt: 0, innerNext: 0,
  };

  constructor(opts: FragmentOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxBytes = Math.max(MAX_DATAGRAM * 2, opts.maxBytes ?? 16 * 1024 * 1024);
    this.maxDatagrams = Math.max(1, opts.maxDatagrams ?? 4096);
    this.report = opts.anomaly ?? (() => {});
  }

  /** Datagrams under reassembly. */
  get pending(): number {
    return this.partials.size;
  }

  /** Bytes held by partial datagrams. */
  get bytesHeld(): number {
    return this.heldBytes;
  }

  /**
   * Offers one fragment: the frame is buf[frameOff, end), its IP header at
   * ipOff. Returns the rebuilt frame when this fragment completed its
   * datagram (and fills `rebuilt`), otherwise undefined. `ts` is capture
   * time in ms; `wireLen` the frame's length on the wire, when the snaplen
   * cut it.
   */
  add(buf: Uint8Array, frameOff: number, ipOff: number, end: number, ts: number, wireLen = end - frameOff): Uint8Array | undefined {
    this.stats.fragments++;
    this.expire(ts);
    const f = this.f;
    const why = parseFragment(buf, ipOff, end, f);
    if (why) return this.malformed(why);
    // The IP length field must be able to say the rebuilt length (IPv6: headers before the fragment header count).
    if (f.offset + f.declared > MAX_DATAGRAM - (f.v6 ? f.headLen - 40 : f.headLen)) {
      // The "ping of death": offset plus length beyond what the length field can say.
      const p = this.partials.get(f.key);
      if (p) this.forget(p);
      return this.malformed(`fragment ends at byte ${f.offset + f.declared}, beyond the largest IP datagram`);
    }
    if (f.v6 && f.offset === 0 && !f.more) {
      // An atomic fragment (RFC 6946): a whole datagram on its own, never mixed with others of its id.
      const head = buf.subarray(frameOff, ipOff + f.headLen);
      const out = assemble(head, ipOff - frameOff, f.nextAt - frameOff, f.innerNext, true, buf.subarray(f.payOff, f.payOff + f.captured), f.declared);
      this.stats.reassembled++;
      this.tally(1, f.payOff - f.ipOff + f.declared, wireLen);
      return out;
    }
    let p = this.partials.get(f.key);
    if (f.v6) {
      if (this.discardedKeys.has(f.key)) {
        // A datagram already dropped for an overlap: its later fragments go too (RFC 5722), silently.
        this.stats.afterDiscard++;
        return undefined;
      }
      const why = p ? conflict(p, f, buf) : '';
      if (why === DUPLICATE && p) {
        this.overlap('an IPv6 fragment repeats one already received (the copy was dropped, RFC 8200)', false);
        // The copy was on the wire all the same: it counts with the datagram.
        addFrame(p, f, wireLen);
        return undefined;
      }
      if (why && p) {
        this.discard(p, why, ts);
        return undefined;
      }
    }
    if (!p) {
      const want = Math.min(MAX_DATAGRAM, Math.max(2048, f.more ? 2 * (f.offset + f.declared) : f.offset + f.declared));
      this.makeRoom(want);
      p = new Partial(f.key, f.v6, ts, want);
      this.partials.set(f.key, p);
      this.heldBytes += want;
    }
    addFrame(p, f, wireLen);
    if (p.pieces.length >= MAX_PIECES * 3) {
      this.forget(p);
      return this.malformed(`a datagram in more than ${MAX_PIECES} fragments`);
    }
    const start = f.offset;
    let stop = start + f.declared;
    if (!f.more) {
      if (p.total < 0) {
        const beyond = maxEnd(p.pieces);
        if (beyond > stop) {
          // Fragments already held reach past this "last" one: the first bytes win, the end is where they stop.
          this.overlap('a last fragment ends before bytes already received', true);
          p.total = beyond;
        } else p.total = stop;
      } else if (stop !== p.total) {
        this.overlap('two last fragments disagree on the datagram length', true);
      }
    }
    if (p.total >= 0 && stop > p.total) {
      // Bytes past the known end: the first last fragment wins.
      this.overlap('a fragment reaches past the end the last fragment set', true);
      stop = p.total;
    }
    if (start === 0 && !p.head) {
      p.head = buf.slice(frameOff, ipOff + f.headLen);
      p.linkLen = ipOff - frameOff;
      p.nextAt = f.nextAt - frameOff;
      p.innerNext = f.innerNext;
      this.heldBytes += p.head.length;
      p.held += p.head.length;
    }
    if (stop > start) this.place(p, buf, f.payOff, start, stop, start + f.captured);
    if (p.total < 0 || !p.head || !covers(p.pieces, p.total)) return undefined;
    this.forget(p);
    this.stats.reassembled++;
    this.tally(p.frames, p.ipBytes, p.frameBytes);
    return assemble(p.head, p.linkLen, p.nextAt, p.innerNext, p.v6, p.data.subarray(0, capturedPrefix(p.pieces)), p.total);
  }

  /** Drops partial datagrams whose first fragment came more than timeoutMs before `now`. */
  expire(now: number): void {
    for (const p of this.partials.values()) {
      if (now - p.first <= this.timeoutMs) break;
      this.stats.timeouts++;
      this.report('ip-fragment-timeout', `a fragmented datagram was still incomplete ${this.timeoutMs / 1000} s after its first fragment (missing fragments) and was dropped`);
      this.forget(p);
    }
    for (const [key, until] of this.discardedKeys) {
      if (now <= until) break;
      this.discardedKeys.delete(key);
    }
  }

  /** End of input: every datagram still incomplete is dropped and counted as timed out. */
  end(): void {
    for (const p of [...this.partials.values()]) {
      this.stats.timeouts++;
      this.report('ip-fragment-timeout', 'a fragmented datagram was still incomplete at the end of the input (missing fragments) and was dropped');
      this.forget(p);
    }
    this.discardedKeys.clear();
  }

  /** Copies the part of [start, stop) no earlier fragment covered; reports the rest as overlap. */
  private place(p: Partial, buf: Uint8Array, payOff: number, start: number, stop: number, capEnd: number): void {
    const pieces = p.pieces;
    if (stop > p.data.length) {
      const grown = Math.min(MAX_DATAGRAM, Math.max(stop, p.data.length * 2));
      this.makeRoom(grown - p.data.length, p);
      const d = new Uint8Array(grown);
      d.set(p.data);
      this.heldBytes += grown - p.data.length;
      p.held += grown - p.data.length;
      p.data = d;
    }
    let at = start;
    let overlapped = false;
    let differs = false;
    // Pieces are kept sorted by start; walk those that meet [start, stop).
    let i = 0;
    while (i < pieces.length && pieces[i + 1] <= start) i += 3;
    const fresh: number[] = [];
    for (; i < pieces.length && pieces[i] < stop; i += 3) {
      const ps = pieces[i];
      const pe = pieces[i + 1];
      if (ps > at) fresh.push(at, ps);
      const os = Math.max(ps, start);
      const oe = Math.min(pe, stop);
      if (oe > os) {
        overlapped = true;
        const cmpEnd = Math.min(oe, pieces[i + 2], capEnd);
        for (let b = os; b < cmpEnd && !differs; b++) if (p.data[b] !== buf[payOff + (b - start)]) differs = true;
      }
      at = Math.max(at, pe);
    }
    if (at < stop) fresh.push(at, stop);
    for (let k = 0; k < fresh.length; k += 2) {
      const s = fresh[k];
      const e = fresh[k + 1];
      const ce = Math.max(s, Math.min(e, capEnd));
      if (ce > s) p.data.set(buf.subarray(payOff + (s - start), payOff + (ce - start)), s);
      insertPiece(pieces, s, e, ce);
    }
    if (overlapped) this.overlap(differs ? 'overlapping fragments carry different bytes (the first were kept)' : 'a fragment repeats bytes already received', differs);
  }

  /**
   * IPv6: drops a datagram whose fragments overlap, and remembers its key
   * for one timeout so that its later fragments cannot start a new
   * reassembly that the remaining ones would complete (RFC 5722 section 4:
   * the datagram "and any constituent fragments, including those not yet
   * received" are discarded). The offending fragment counts as an overlap.
   */
  private discard(p: Partial, why: string, ts: number): void {
    this.overlap(`${why}: the IPv6 datagram was dropped with any later fragments of it (RFC 5722)`, true);
    this.stats.discarded++;
    this.forget(p);
    if (this.discardedKeys.size >= this.maxDatagrams) {
      // The bound on datagrams held applies to the ones remembered as dropped, too: the oldest is forgotten.
      for (const key of this.discardedKeys.keys()) {
        this.discardedKeys.delete(key);
        break;
      }
    }
    this.discardedKeys.set(p.key, ts + this.timeoutMs);
  }

  private tally(fragments: number, ipBytes: number, frameBytes: number): void {
    const t = this.rebuilt;
    t.fragments = fragments;
    t.ipBytes = ipBytes;
    t.frameBytes = frameBytes;
  }

  private overlap(message: string, evasive: boolean): void {
    this.stats.overlaps++;
    this.report(evasive ? 'ip-fragment-overlap' : 'ip-fragment-duplicate', message);
  }

  private malformed(why: string): undefined {
    this.stats.malformed++;
    this.report('ip-fragment-malformed', why);
    return undefined;
  }

  /** Drops the oldest partial datagrams until `need` more bytes and one more datagram fit. */
  private makeRoom(need: number, keep?: Partial): void {
    while (this.heldBytes + need > this.maxBytes || (!keep && this.partials.size >= this.maxDatagrams)) {
      let oldest: Partial | undefined;
      for (const p of this.partials.values()) {
        if (p !== keep) {
          oldest = p;
          break;
        }
      }
      if (!oldest) return;
      this.stats.evicted++;
      this.report('ip-fragment-evicted', `more than ${this.maxDatagrams} fragmented datagrams or ${this.maxBytes} bytes under reassembly; the oldest was dropped`);
      this.forget(oldest);
    }
  }

  private forget(p: Partial): void {
    this.partials.delete(p.key);
    this.heldBytes -= p.held;
  }
}

/**
 * IPv6: whether fragment f (payload in buf) may join p. Returns '' when it
 * may, DUPLICATE when it is an exact copy of a fragment held (same offset,
 * length and captured bytes), otherwise why the datagram must be dropped.
 * With IPv6 no overlap is ever accepted, so p's pieces are exactly the
 * fragments received, and an exact copy is a piece with f's bounds.
 */
function conflict(p: Partial, f: Fragment, buf: Uint8Array): string {
  const start = f.offset;
  const stop = start + f.declared;
  if (!f.more) {
    if (p.total < 0 && maxEnd(p.pieces) > stop) return 'a last fragment ends before bytes already received';
    if (p.total >= 0 && stop !== p.total) return 'two last fragments disagree on the datagram length';
  }
  if (p.total >= 0 && stop > p.total) return 'a fragment reaches past the end the last fragment set';
  const pieces = p.pieces;
  let overlapped = false;
  let exact = false;
  for (let i = 0; i < pieces.length && pieces[i] < stop; i += 3) {
    const ps = pieces[i];
    const pe = pieces[i + 1];
    if (pe <= start) continue;
    overlapped = true;
    if (ps === start && pe === stop) exact = true;
    // Compare what both copies captured of the bytes they share.
    const cmpEnd = Math.min(pe, stop, pieces[i + 2], start + f.captured);
    for (let b = Math.max(ps, start); b < cmpEnd; b++) {
      if (p.data[b] !== buf[f.payOff + (b - start)]) return 'overlapping IPv6 fragments carry different bytes';
    }
  }
  if (!overlapped) return '';
  return exact ? DUPLICATE : 'IPv6 fragments overlap (with the same bytes)';
}

/** Counts fragment f, whose frame was wireLen bytes on the wire, in p's tally. */
function addFrame(p: Partial, f: Fragment, wireLen: number): void {
  p.frames++;
  // IPv4: IHL + payload = the total length; IPv6: 40 + extension headers + payload = 40 + payload length.
  p.ipBytes += f.payOff - f.ipOff + f.declared;
  p.frameBytes += wireLen;
}
