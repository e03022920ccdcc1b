/**
 * One DICOM association as seen on the wire (PS3.8 §7.1, §9.3.2-9.3.4):
 * negotiation items, outcome and the DIMSE operations it carried. Holds only
 * metadata: AE titles, UIDs, command names and statuses.
 */
import type { DicomAePair } from '../../observations/types.ts';
import { fingerprint, type Software } from './fingerprint.ts';
import { commandName, isResponse, statusClass, statusHex, type DimseCommand, type StatusClass } from './dimse.ts';
import { BlobCache, ByteCache, readText, SKIP_NUL } from './text.ts';
import { sopClass, sopClassName, transferSyntaxName } from './uids.ts';

/**
 * A proposed presentation context item (A-ASSOCIATE-RQ 0x20). Parsed once
 * per distinct byte string and shared by every association that proposes
 * the same item, so it is never modified.
 */
export interface ProposedContext {
  readonly id: number;
  readonly abstractSyntax: string | undefined;
  /** In the order proposed; at most 32. */
  readonly transferSyntaxes: readonly string[];
  /** The item's sub-items fit it exactly. */
  readonly wellFormed: boolean;
}

/** A presentation context answer (A-ASSOCIATE-AC 0x21), shared like ProposedContext. */
export interface AnsweredContext {
  readonly id: number;
  /** 0 acceptance, 1 user rejection, 2 no reason, 3 abstract syntax not supported, 4 transfer syntaxes not supported. */
  readonly result: number;
  readonly transferSyntax: string | undefined;
  readonly wellFormed: boolean;
}

export interface Implementation {
  classUid?: string;
  versionName?: string;
  maxPduLength?: number;
}

export interface DicomOperation {
  command: string;
  /** Who sent the request: the association requestor (scu) or acceptor. */
  from: 'requestor' | 'acceptor';
  messageId: number;
  sopClass?: string;
  sopClassName?: string;
  /** Final status, hex ("0x0000"), and its class. */
  status?: string;
  result?: StatusClass;
  /** Pending responses (C-FIND matches, C-MOVE/C-GET progress). */
  pending: number;
  queryLevel?: string;
  moveDestination?: string;
}

export interface UserIdentity {
  /** 1 username, 2 username+passcode, 3 Kerberos, 4 SAML, 5 JWT. The values themselves are never read. */
  type: number;
  typeName: string;
  positiveResponseRequested: boolean;
  /** The acceptor answered with a User Identity AC item (0x59). */
  serverResponse: boolean;
}

const IDENTITY_TYPES: Record<number, string> = { 1: 'username', 2: 'username+passcode', 3: 'kerberos', 4: 'saml', 5: 'jwt' };

const REJECT_REASONS: Record<string, string> = {
  '1:1': 'no reason given', '1:2': 'application context name not supported', '1:3': 'calling AE title not recognized',
  '1:7': 'called AE title not recognized', '2:1': 'no reason given', '2:2': 'protocol version not supported',
  '3:1': 'temporary congestion', '3:2': 'local limit exceeded',
};

const CONTEXT_RESULTS: Record<number, string> = {
  1: 'user-rejection', 2: 'no-reason', 3: 'abstract-syntax-not-supported', 4: 'transfer-syntaxes-not-supported',
};

/** Operations kept per association; beyond it only the counters grow. */
const MAX_OPERATIONS = 512;
const MAX_UID = 64;
// A request proposes up to 128 items (a few hundred bytes each with many transfer syntaxes);
// sites have a handful of distinct requests. Longer items are parsed every time.
const proposedItems = new ByteCache<ProposedContext>(4096, 256);
const answeredItems = new ByteCache<AnsweredContext>(4096, 64);

function parseProposed(b: Uint8Array, start: number, end: number): ProposedContext {
  let abstractSyntax: string | undefined;
  const transferSyntaxes: string[] = [];
  let p = start + 4;
  while (p + 4 <= end) {
    const t = b[p];
    const len = u16(b, p + 2);
    if (p + 4 + len > end) break;
    const uid = readAscii(b, p + 4, p + 4 + len);
    if (t === 0x30) abstractSyntax = uid;
    else if (t === 0x40 && transferSyntaxes.length < 32) transferSyntaxes.push(uid);
    p += 4 + len;
  }
  return { id: b[start], abstractSyntax, transferSyntaxes, wellFormed: p === end };
}

function parseAnswered(b: Uint8Array, start: number, end: number): AnsweredContext {
  let transferSyntax: string | undefined;
  let p = start + 4;
  while (p + 4 <= end) {
    const len = u16(b, p + 2);
    if (p + 4 + len > end) break;
    if (b[p] === 0x40) transferSyntax = readAscii(b, p + 4, p + 4 + len);
    p += 4 + len;
  }
  return { id: b[start], result: b[start + 2], transferSyntax, wellFormed: p === end };
}

/**
 * Fingerprints by source, class UID and version name: the rules run regular
 * expressions, and a site has a handful of implementations. The interned
 * UID and name strings make the lookups cheap. Software objects are shared,
 * so they must not be modified (nothing does: facts only collect them).
 */
const softwareMemo = new Map<string, Map<string, Map<string, Software | undefined>>>();
let softwareMemoSize = 0;

function softwareOf(impl: Implementation, source: string): Software | undefined {
  const uid = impl.classUid ?? '';
  const name = impl.versionName ?? '';
  if (!uid && !name) return undefined;
  let bySource = softwareMemo.get(source);
  if (!bySource) softwareMemo.set(source, (bySource = new Map()));
  let byUid = bySource.get(uid);
  if (!byUid) bySource.set(uid, (byUid = new Map()));
  if (byUid.has(name)) return byUid.get(name);
  const sw = fingerprint(impl.classUid, impl.versionName, source);
  if (++softwareMemoSize > 4096) {
    softwareMemo.clear();
    softwareMemoSize = 0;
  }
  byUid.set(name, sw);
  return sw;
}

const NO_CONTEXTS: readonly never[] = Object.freeze([]);
const NO_IMPLEMENTATION: Implementation = Object.freeze({});

/** What the variable items of an A-ASSOCIATE-RQ or -AC said, shared by every association that sent the same bytes. */
interface AssociateItems {
  readonly ok: boolean;
  readonly contexts: readonly ProposedContext[] | readonly AnsweredContext[];
  readonly implementation: Implementation;
}

// Requestors repeat their A-ASSOCIATE-RQ byte for byte (a storescu's is ~14 kB with 128 contexts):
// one comparison replaces parsing it again.
const associateItems = new BlobCache<AssociateItems>(256, 4 << 20);

/** The entry with this context id: requestors number contexts 1, 3, 5..., so the id usually gives the index. */
function byId<T extends { readonly id: number }>(list: readonly T[], id: number): T | undefined {
  const guess = list[(id - 1) >> 1];
  if (guess !== undefined && guess.id === id) return guess;
  for (let i = 0; i < list.length; i++) if (list[i].id === id) return list[i];
  return undefined;
}

/** Replaces the entry with the same id (a context proposed or answered twice), else appends. */
function put<T extends { readonly id: number }>(list: T[], item: T): void {
  const guess = (item.id - 1) >> 1;
  if (guess >= 0 && guess < list.length && list[guess].id === item.id) {
    list[guess] = item;
    return;
  }
  for (let i = 0; i < list.length; i++) {
    if (list[i].id === item.id) {
      list[i] = item;
      return;
    }
  }
  list.push(item);
}

/** Printable ASCII of a PDU field, NULs skipped, trimmed; interned (see text.ts). */
export function readAscii(b: Uint8Array, start: number, end: number, max = MAX_UID): string {
  return readText(b, start, end, max, SKIP_NUL);
}

function u16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

export class Association {
  readonly ts: number;
  callingAe = '';
  calledAe = '';
  requested = false;
  outcome: DicomAePair['outcome'] = 'unknown';
  accepted = false;
  released: 'no' | 'requested' | 'completed' = 'no';
  reject?: { result: number; source: number; reason: number; text: string };
  abort?: { source: number; reason: number; from: 'requestor' | 'acceptor' };
  /**
   * Proposed contexts, one per id, in order of appearance. The items, and
   * the list itself when it came whole from the PDU cache (then frozen), are
   * shared: never modify them.
   */
  proposedContexts: readonly ProposedContext[] = NO_CONTEXTS;
  /** The acceptor's answers, one per id (shared like proposedContexts). */
  answeredContexts: readonly AnsweredContext[] = NO_CONTEXTS;
  /** Shared (frozen) when it came from the PDU cache. */
  requestor: Implementation = NO_IMPLEMENTATION;
  acceptor: Implementation = NO_IMPLEMENTATION;
  userIdentity?: UserIdentity;
  readonly operations: DicomOperation[] = [];
  /** Requests by command name ("C-STORE"), including those beyond MAX_OPERATIONS. */
  readonly commands: Record<string, number> = {};
  /** Final statuses by "C-STORE:success". */
  readonly statuses: Record<string, number> = {};
  /** SOP classes the requestor stored on its own account (not C-MOVE sub-operations). */
  readonly stored = new Set<string>();
  dataSetFragments = 0;
  malformed = 0;
  private sawIdentity = false;

  constructor(ts: number) {
    this.ts = ts;
  }

  /** A-ASSOCIATE-RQ (type 1) or -AC (type 2) body, b[start, end) after the 6-byte PDU header. False when malformed. */
  parseAssociate(type: 1 | 2, b: Uint8Array, start: number, end: number): boolean {
    if (end - start < 68) return false;
    if (type === 1) {
      this.requested = true;
      this.calledAe = readAscii(b, start + 4, start + 20, 16);
      this.callingAe = readAscii(b, start + 20, start + 36, 16);
    } else {
      this.accepted = true;
      this.outcome = 'accepted';
      // The AC echoes both titles; keep the request's, fill them in when the RQ was missed.
      if (!this.requested) {
        this.calledAe = readAscii(b, start + 4, start + 20, 16);
        this.callingAe = readAscii(b, start + 20, start + 36, 16);
      }
    }
    const from = start + 68;
    const cached = associateItems.get(b, from, end, type);
    if (cached !== undefined) {
      this.adopt(type, cached);
      return cached.ok;
    }
    // Cacheable when it starts from a fresh association and carries no user
    // identity (whose effect depends on what the other side sent).
    const fresh = type === 1
      ? this.proposedContexts.length === 0 && this.requestor === NO_IMPLEMENTATION
      : this.answeredContexts.length === 0 && this.acceptor === NO_IMPLEMENTATION;
    this.sawIdentity = false;
    const ok = this.parseItems(type, b, from, end);
    if (fresh && !this.sawIdentity) {
      const items = type === 1 ? this.proposedContexts : this.answeredContexts;
      const impl = type === 1 ? this.requestor : this.acceptor;
      associateItems.set(b, from, end, type, { ok, contexts: Object.freeze(items), implementation: Object.freeze(impl) });
    }
    return ok;
  }

  /** Takes over what a cached A-ASSOCIATE-RQ/AC said, sharing it when this association has nothing yet. */
  private adopt(type: 1 | 2, c: AssociateItems): void {
    if (type === 1) {
      if (this.proposedContexts.length === 0) this.proposedContexts = c.contexts as readonly ProposedContext[];
      else for (const item of c.contexts as readonly ProposedContext[]) put(this.proposedList(), item);
      this.requestor = this.requestor === NO_IMPLEMENTATION ? c.implementation : { ...this.requestor, ...c.implementation };
    } else {
      if (this.answeredContexts.length === 0) this.answeredContexts = c.contexts as readonly AnsweredContext[];
      else for (const item of c.contexts as readonly AnsweredContext[]) put(this.answeredList(), item);
      this.acceptor = this.acceptor === NO_IMPLEMENTATION ? c.implementation : { ...this.acceptor, ...c.implementation };
    }
  }

  /** The proposed list, copied first if it is shared. */
  private proposedList(): ProposedContext[] {
    if (Object.isFrozen(this.proposedContexts)) this.proposedContexts = this.proposedContexts.slice();
    return this.proposedContexts as ProposedContext[];
  }

  private answeredList(): AnsweredContext[] {
    if (Object.isFrozen(this.answeredContexts)) this.answeredContexts = this.answeredContexts.slice();
    return this.answeredContexts as AnsweredContext[];
  }

  /** An implementation object this association may write to. */
  private ownImplementation(type: 1 | 2): Implementation {
    if (type === 1) {
      if (Object.isFrozen(this.requestor)) this.requestor = { ...this.requestor };
      return this.requestor;
    }
    if (Object.isFrozen(this.acceptor)) this.acceptor = { ...this.acceptor };
    return this.acceptor;
  }

  private parseItems(type: 1 | 2, b: Uint8Array, from: number, end: number): boolean {
    let ok = true;
    let p = from;
    while (p + 4 <= end) {
      const itemType = b[p];
      const len = u16(b, p + 2);
      const v = p + 4;
      const ve = v + len;
      if (ve > end) return false;
      switch (itemType) {
        case 0x10: break;
        case 0x20: if (type === 1) ok = this.proposed(b, v, ve) && ok; break;
        case 0x21: if (type === 2) ok = this.acceptedContext(b, v, ve) && ok; break;
        case 0x50: ok = this.userInfo(type, b, v, ve) && ok; break;
        default: ok = false; break;
      }
      p = ve;
    }
    return ok && p === end;
  }

  private proposed(b: Uint8Array, start: number, end: number): boolean {
    if (end - start < 4) return false;
    let item = proposedItems.get(b, start, end, 0);
    if (item === undefined) {
      item = parseProposed(b, start, end);
      proposedItems.set(b, start, end, item);
    }
    put(this.proposedList(), item);
    return item.wellFormed;
  }

  private acceptedContext(b: Uint8Array, start: number, end: number): boolean {
    if (end - start < 4) return false;
    let item = answeredItems.get(b, start, end, 0);
    if (item === undefined) {
      item = parseAnswered(b, start, end);
      answeredItems.set(b, start, end, item);
    }
    put(this.answeredList(), item);
    return item.wellFormed;
  }

  private userInfo(type: 1 | 2, b: Uint8Array, start: number, end: number): boolean {
    const impl = this.ownImplementation(type);
    let p = start;
    while (p + 4 <= end) {
      const t = b[p];
      const len = u16(b, p + 2);
      const v = p + 4;
      if (v + len > end) return false;
      switch (t) {
        case 0x51: if (len >= 4) impl.maxPduLength = u32(b, v); break;
        case 0x52: impl.classUid = readAscii(b, v, v + len); break;
        case 0x55: impl.versionName = readAscii(b, v, v + len, 16); break;
        case 0x58:
          this.sawIdentity = true;
          // Only the type and the flag: the primary/secondary fields hold credentials.
          if (len >= 2) {
            const idType = b[v];
            this.userIdentity = {
              type: idType,
              typeName: IDENTITY_TYPES[idType] ?? `type-${idType}`,
              positiveResponseRequested: b[v + 1] === 1,
              serverResponse: this.userIdentity?.serverResponse ?? false,
            };
          }
          break;
        case 0x59:
          this.sawIdentity = true;
          if (this.userIdentity) this.userIdentity.serverResponse = true;
          else this.userIdentity = { type: 0, typeName: 'unknown', positiveResponseRequested: true, serverResponse: true };
          break;
        default: break;
      }
      p = v + len;
    }
    return p === end;
  }

  /** A-ASSOCIATE-RJ body (result, source, reason at offsets 1..3). */
  parseReject(b: Uint8Array, start: number, end: number): boolean {
    if (end - start < 4) return false;
    const result = b[start + 1];
    const source = b[start + 2];
    const reason = b[start + 3];
    this.outcome = 'rejected';
    this.reject = {
      result, source, reason,
      text: `${result === 1 ? 'rejected-permanent' : result === 2 ? 'rejected-transient' : `result ${result}`}: ${REJECT_REASONS[`${source}:${reason}`] ?? `source ${source} reason ${reason}`}`,
    };
    return end - start === 4 && (result === 1 || result === 2);
  }

  parseAbort(fromDir: 0 | 1, b: Uint8Array, start: number, end: number): void {
    this.outcome = 'aborted';
    this.abort = {
      source: end - start >= 4 ? b[start + 2] : -1,
      reason: end - start >= 4 ? b[start + 3] : -1,
      from: fromDir === 0 ? 'requestor' : 'acceptor',
    };
  }

  transferSyntaxOf(contextId: number): string | undefined {
    return byId(this.answeredContexts, contextId)?.transferSyntax ?? byId(this.proposedContexts, contextId)?.transferSyntaxes[0];
  }

  /**
   * Every context id, proposed first then answered-only (the RQ was missed),
   * with what the AC said about it. Built for records only.
   */
  private contextList(): Array<{ id: number; abstractSyntax?: string; transferSyntaxes: readonly string[]; result?: number; acceptedTransferSyntax?: string }> {
    const out = [];
    for (const p of this.proposedContexts) {
      const a = byId(this.answeredContexts, p.id);
      out.push({ id: p.id, abstractSyntax: p.abstractSyntax, transferSyntaxes: p.transferSyntaxes, result: a?.result, acceptedTransferSyntax: a?.transferSyntax });
    }
    for (const a of this.answeredContexts) {
      if (!byId(this.proposedContexts, a.id)) out.push({ id: a.id, abstractSyntax: undefined, transferSyntaxes: [], result: a.result, acceptedTransferSyntax: a.transferSyntax });
    }
    return out;
  }

  /** Folds a DIMSE command; returns the operation it belongs to, if kept. */
  command(fromDir: 0 | 1, cmd: DimseCommand): DicomOperation | undefined {
    const name = commandName(cmd.field) ?? `0x${cmd.field.toString(16)}`;
    if (!isResponse(cmd.field)) {
      this.commands[name] = (this.commands[name] ?? 0) + 1;
      // Stores made for a C-MOVE, or by the acceptor for a C-GET, come from an archive, not from
      // the modality that made the images.
      if (name === 'C-STORE' && fromDir === 0 && cmd.sopClass && !cmd.moveSubOperation && this.stored.size < 64) this.stored.add(cmd.sopClass);
      if (this.operations.length >= MAX_OPERATIONS) return undefined;
      const op: DicomOperation = {
        command: name,
        from: fromDir === 0 ? 'requestor' : 'acceptor',
        messageId: cmd.messageId,
        sopClass: cmd.sopClass,
        sopClassName: cmd.sopClass ? sopClassName(cmd.sopClass) : undefined,
        pending: 0,
      };
      if (cmd.moveDestination) op.moveDestination = cmd.moveDestination;
      this.operations.push(op);
      return op;
    }
    const cls = cmd.status === undefined ? undefined : statusClass(cmd.status);
    const op = this.findOpen(name, cmd.messageId, fromDir === 0 ? 'acceptor' : 'requestor');
    if (cls === 'pending') {
      if (op) op.pending++;
      return op;
    }
    const key = `${name}:${cls ?? 'no-status'}`;
    this.statuses[key] = (this.statuses[key] ?? 0) + 1;
    if (op && cmd.status !== undefined) {
      op.status = statusHex(cmd.status);
      op.result = cls;
    }
    return op;
  }

  private findOpen(name: string, messageId: number, from: DicomOperation['from']): DicomOperation | undefined {
    for (let i = this.operations.length - 1; i >= 0 && i >= this.operations.length - 64; i--) {
      const op = this.operations[i];
      if (op.command === name && op.messageId === messageId && op.from === from && op.status === undefined) return op;
    }
    return undefined;
  }

  /** Requestor and acceptor software, from their implementation items. */
  software(): { requestor?: Software; acceptor?: Software } {
    return { requestor: this.requestorSoftware(), acceptor: this.acceptorSoftware() };
  }

  requestorSoftware(): Software | undefined {
    return softwareOf(this.requestor, 'dicom-implementation-rq');
  }

  acceptorSoftware(): Software | undefined {
    return softwareOf(this.acceptor, 'dicom-implementation-ac');
  }

  /** SOP classes the association is about: those used by commands, else accepted, else proposed. */
  sopClasses(): string[] {
    // A list, not a Set: an association uses a few SOP classes, and their strings are interned.
    const used: string[] = [];
    for (const op of this.operations) {
      if (op.sopClass && op.command !== 'C-ECHO' && !used.includes(op.sopClass)) used.push(op.sopClass);
    }
    if (used.length === 0 && this.commands['C-ECHO']) used.push('1.2.840.10008.1.1');
    if (used.length > 0) return used;
    const accepted: string[] = [];
    const proposed: string[] = [];
    for (const c of this.proposedContexts) {
      if (!c.abstractSyntax) continue;
      proposed.push(c.abstractSyntax);
      if (byId(this.answeredContexts, c.id)?.result === 0) accepted.push(c.abstractSyntax);
    }
    return [...new Set(this.accepted ? accepted : proposed)];
  }

  /** Modalities implied by what the requestor stored. */
  modalities(): string[] {
    const out: string[] = [];
    for (const uid of this.stored) {
      const m = sopClass(uid)?.modality;
      if (m && !out.includes(m)) out.push(m);
    }
    return out;
  }

  toRecord(conn: string, endTs: number): Record<string, unknown> & { log: string; ts: number; conn: string } {
    // One entry per abstract syntax (toolkits propose each several times with different transfer
    // syntaxes): a 128-context association stays a few kB in the log.
    const syntaxes = new Map<string, { uid: string; name?: string; modality?: string; accepted: boolean; transferSyntax?: string }>();
    const offered = new Set<string>();
    const rejected = [];
    let acceptedCount = 0;
    const contexts = this.contextList();
    for (const c of contexts) {
      for (const t of c.transferSyntaxes) offered.add(transferSyntaxName(t));
      if (c.result !== undefined && c.result !== 0) {
        rejected.push({ id: c.id, abstractSyntax: c.abstractSyntax, reason: CONTEXT_RESULTS[c.result] ?? `result ${c.result}` });
      }
      if (c.result === 0) acceptedCount++;
      if (!c.abstractSyntax) continue;
      let e = syntaxes.get(c.abstractSyntax);
      if (!e) {
        const info = sopClass(c.abstractSyntax);
        e = { uid: c.abstractSyntax, name: info?.name, modality: info?.modality, accepted: false };
        syntaxes.set(c.abstractSyntax, e);
      }
      if (c.result === 0 && !e.accepted) {
        e.accepted = true;
        e.transferSyntax = c.acceptedTransferSyntax ? transferSyntaxName(c.acceptedTransferSyntax) : undefined;
      }
    }
    const sw = this.software();
    return {
      log: 'dicom',
      ts: this.ts,
      conn,
      durationMs: Math.max(0, endTs - this.ts),
      callingAe: this.callingAe,
      calledAe: this.calledAe,
      outcome: this.outcome,
      accepted: this.accepted,
      released: this.released,
      reject: this.reject,
      abort: this.abort,
      proposedContexts: contexts.length,
      acceptedContexts: acceptedCount,
      abstractSyntaxes: [...syntaxes.values()],
      proposedTransferSyntaxes: [...offered],
      rejectedContexts: rejected,
      requestor: { ...this.requestor, software: sw.requestor },
      acceptor: { ...this.acceptor, software: sw.acceptor },
      userIdentity: this.userIdentity,
      commands: this.commands,
      statuses: this.statuses,
      operations: this.operations,
      dataSetFragments: this.dataSetFragments,
      malformed: this.malformed,
    };
  }
}
