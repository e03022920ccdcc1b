/**
 * Folds connection summaries from payload-less flow sources (NetFlow/IPFIX
 * records, Zeek conn.log lines) into Observations: one FlowEdge per
 * initiator -> service:port, with the application protocol guessed from
 * well-known ports when no content decided it.
 */
import { edgeKey, type AppProtocol, type FlowEdge, type HostFacts, type L4 } from '../../observations/types.ts';
import { formatV4 } from './record.ts';

/**
 * Ports registered or conventional for the protocols Wardline knows: DICOM 104/11112 and dicom-tls 2762
 * (PS3.8 ch. 9, PS3.15 B.1), Orthanc 4242/8042, dcm4chee HL7 2575 and HL7-TLS 12575
 * (healthcare-security reference, §3 Ports).
 */
const TCP_PORTS = new Map<number, AppProtocol>([
  [104, 'dicom'], [11112, 'dicom'], [4242, 'dicom'], [2762, 'dicom-tls'], [2575, 'hl7'], [12575, 'hl7-tls'],
  [443, 'tls'], [80, 'http'], [8080, 'http'], [8042, 'http'], [53, 'dns'],
]);
const UDP_PORTS = new Map<number, AppProtocol>([[53, 'dns']]);

export function protocolForPort(transport: L4, port: number): AppProtocol | undefined {
  if (transport === 'tcp') return TCP_PORTS.get(port);
  if (transport === 'udp') return UDP_PORTS.get(port);
  return undefined;
}

export function transportOf(ipProto: number): L4 {
  return ipProto === 6 ? 'tcp' : ipProto === 17 ? 'udp' : ipProto === 1 || ipProto === 58 ? 'icmp' : 'other';
}

const ENCRYPTED = new Set<AppProtocol>(['tls', 'dicom-tls', 'hl7-tls']);
/** Protocols whose payloads carry patient data by nature. */
const PHI = new Set<AppProtocol>(['dicom', 'dicom-tls', 'hl7', 'hl7-tls', 'fhir', 'dicomweb']);

/** A flow is a new session when it starts this long after the last one on the same client port ended. */
const SESSION_GAP_MS = 120_000;

/** One connection summary; callers may reuse the object between `add` calls. */
export interface ConnSample {
  /** Addresses as text; '' when `v4` gives them as numbers instead. */
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  /** IPv4 addresses as unsigned 32-bit numbers in srcV4/dstV4 (NetFlow records): hosts are found by number, named once by the folder. */
  v4: boolean;
  srcV4: number;
  dstV4: number;
  transport: L4;
  bytes: number;
  packets: number;
  /** Epoch ms, NaN when unknown. */
  first: number;
  last: number;
  /** Protocol decided by content (Zeek's service field); undefined to guess from the port. */
  contentProtocol?: AppProtocol;
  /** src is known to be the initiator (Zeek orig, bidirectional NSEL/IPFIX): never flip by port. */
  initiatorKnown: boolean;
  /** The service side was seen answering (reverse counters > 0, or Zeek saw responder packets). */
  answered: boolean;
  /** Cumulative TCP flags of a unidirectional record, -1 when unknown; a reply of only RST means a closed port. */
  tcpFlags: number;
  /** Count exactly one session for this sample (a Zeek connection); otherwise sessions are told apart by client port and time. */
  oneSession: boolean;
}

export function createConnSample(): ConnSample {
  return {
    src: '', srcPort: 0, dst: '', dstPort: 0, v4: false, srcV4: 0, dstV4: 0, transport: 'tcp', bytes: 0, packets: 0,
    first: NaN, last: NaN, contentProtocol: undefined, initiatorKnown: false, answered: false, tcpFlags: -1, oneSession: false,
  };
}

interface EdgeState {
  key: string;
  /** The edge of the current round (see `take`); a new object each round, as the last one was handed over. */
  edge: FlowEdge;
  /** Round this state was last counted in. */
  round: number;
  client: HostState;
  server: HostState;
  /** Key in the client's edge map. */
  service: number;
  /**
   * Client port -> end of the last session seen on it, for session counting.
   * Most edges see one client port, so the first is kept inline and the map
   * is only made for the second.
   */
  port0: number;
  end0: number;
  clients: Map<number, number> | undefined;
  answered: boolean;
}

interface HostState {
  address: string;
  /** Key in the folder's by-number map (address | 0) when the host was found by number. */
  v4: number | undefined;
  /** The host of the current round. */
  facts: HostFacts;
  round: number;
  /** Number of this host within the folder (never reused while the folder lives), part of the edge keys below. */
  id: number;
  /** Edges this host initiated, by serviceKey(server id, transport, port, protocol). */
  edges: Map<number, EdgeState> | undefined;
  /** What #finish hands out for it. */
  out: HostFacts | undefined;
}

/**
 * An edge is looked up per sample, so its key is a number built from what the
 * host lookups already give: no key string is built (and hashed, and
 * collected) per record. Protocols are few (AppProtocol), ports 16 bits,
 * transports 4: below 2^25, times a host number below 2^28, stays exact.
 */
const TRANSPORT_NO: Record<L4, number> = { tcp: 0, udp: 1, icmp: 2, other: 3 };
const PROTOCOL_NO = new Map<AppProtocol, number>();
const SERVICE_SPAN = 2 ** 25;
const MAX_HOST_ID = 2 ** 28;

function serviceKey(serverId: number, transport: L4, port: number, protocol: AppProtocol): number {
  let p = PROTOCOL_NO.get(protocol);
  if (p === undefined) PROTOCOL_NO.set(protocol, (p = PROTOCOL_NO.size));
  return serverId * SERVICE_SPAN + ((p * 4 + TRANSPORT_NO[transport]) << 16) + port;
}

function newHostFacts(address: string): HostFacts {
  return {
    address, macs: [], hostnames: [], roles: [], aeTitles: [], hl7Applications: [], modalities: [], software: [],
    listeningPorts: [], firstSeen: NaN, lastSeen: NaN,
  };
}

const byKey = (a: EdgeState, b: EdgeState): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const byAddress = (a: HostState, b: HostState): number => (a.address < b.address ? -1 : 1);

/** `all` (in `cmp` order) with `fresh` sorted in. */
function mergeSorted<T>(all: T[], fresh: T[], cmp: (a: T, b: T) => number): T[] {
  fresh.sort(cmp);
  if (all.length === 0) return fresh;
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < all.length && j < fresh.length) out.push(cmp(all[i], fresh[j]) <= 0 ? all[i++] : fresh[j++]);
  while (i < all.length) out.push(all[i++]);
  while (j < fresh.length) out.push(fresh[j++]);
  return out;
}

/**
 * Folds samples into edges and hosts. A folder can be read once at the end
 * (`result`) or round after round (`take`, the monitor's windows): each round
 * counts afresh, but the lookup structure of hosts and edges seen in the last
 * round is kept, so a steady stream of the same flows builds no maps and no
 * key strings per window.
 */
export class FlowFolder {
  /**
   * Every edge and host kept, in key / address order, so that a round's
   * output needs no sort of its own; new ones wait in #new* until #finish.
   */
  #allEdges: EdgeState[] = [];
  #newEdges: EdgeState[] = [];
  #allHosts: HostState[] = [];
  #newHosts: HostState[] = [];
  /** Edges counted in this round. */
  #liveEdges = 0;
  #hosts = new Map<string, HostState>();
  /** The same hosts by IPv4 number (address | 0), for samples that give numbers. */
  #hostsV4 = new Map<number, HostState>();
  #round = 0;
  #nextId = 0;
  readonly #source: string;
  samples = 0;

  constructor(source: string) {
    this.#source = source;
  }

  add(s: ConnSample): void {
    this.samples++;
    const ported = s.transport === 'tcp' || s.transport === 'udp';
    const reply = ported && !s.initiatorKnown && this.#serviceIsSource(s);
    let clientPort = reply ? s.dstPort : s.srcPort;
    let port = reply ? s.srcPort : s.dstPort;
    if (!ported) {
      clientPort = 0;
      port = 0;
    }
    const guessed = ported ? protocolForPort(s.transport, port) : undefined;
    const protocol: AppProtocol = s.contentProtocol ?? guessed ?? 'unknown';
    const last = s.last === s.last ? s.last : s.first;
    const c = s.v4 ? this.#hostV4(reply ? s.dstV4 : s.srcV4) : this.#host(reply ? s.dst : s.src);
    const sv = s.v4 ? this.#hostV4(reply ? s.srcV4 : s.dstV4) : this.#host(reply ? s.src : s.dst);
    this.#seen(c, s.first, last);
    this.#seen(sv, s.first, last);
    const k = serviceKey(sv.id, s.transport, port, protocol);
    let st = (c.edges ??= new Map()).get(k);
    if (!st || st.round !== this.#round) {
      // First sample of this edge in the round: it decides how the protocol was found, as it would in a fresh folder.
      const edge: FlowEdge = {
        src: c.address, dst: sv.address, transport: s.transport, dport: port, protocol, protocolFrom: s.contentProtocol ? 'content' : guessed ? 'port' : 'none',
        bytes: 0, packets: 0, sessions: 0, firstSeen: NaN, lastSeen: NaN,
        encrypted: ENCRYPTED.has(protocol), phi: PHI.has(protocol), facts: {}, sources: [this.#source],
      };
      if (!st) {
        st = { key: edgeKey(edge), edge, round: this.#round, client: c, server: sv, service: k, port0: -1, end0: NaN, clients: undefined, answered: false };
        c.edges.set(k, st);
        this.#newEdges.push(st);
      } else {
        st.edge = edge;
        st.round = this.#round;
        st.port0 = -1;
        st.end0 = NaN;
        st.clients = undefined;
        st.answered = false;
      }
      this.#liveEdges++;
    }
    const e = st.edge;
    e.bytes += s.bytes;
    e.packets += s.packets;
    if (s.first === s.first && !(e.firstSeen <= s.first)) e.firstSeen = s.first;
    if (last === last && !(e.lastSeen >= last)) e.lastSeen = last;
    if (s.answered || (reply && !(s.transport === 'tcp' && s.tcpFlags > 0 && s.tcpFlags & 4 && !(s.tcpFlags & 2)))) st.answered = true;
    if (s.oneSession) {
      e.sessions++;
    } else {
      const inline = st.port0 === clientPort || st.port0 < 0;
      const prevEnd = st.port0 === clientPort ? st.end0 : st.clients?.get(clientPort);
      const start = s.first;
      if (prevEnd === undefined || (start === start && prevEnd === prevEnd && start > prevEnd + SESSION_GAP_MS)) e.sessions++;
      if (prevEnd === undefined || !(prevEnd >= last)) {
        if (inline) {
          st.port0 = clientPort;
          st.end0 = last;
        } else {
          st.clients ??= new Map();
          st.clients.set(clientPort, last);
        }
      }
    }
  }

  /** The source side is the service: its port is well known and the destination's is not, or it is the lower port. */
  #serviceIsSource(s: ConnSample): boolean {
    const dstKnown = protocolForPort(s.transport, s.dstPort) !== undefined;
    const srcKnown = protocolForPort(s.transport, s.srcPort) !== undefined;
    if (dstKnown !== srcKnown) return srcKnown;
    return s.srcPort < s.dstPort;
  }

  #host(address: string): HostState {
    const st = this.#hosts.get(address);
    if (st) return st.round === this.#round ? st : this.#renew(st);
    const h: HostState = { address, v4: undefined, facts: newHostFacts(address), round: this.#round, id: this.#nextId++, edges: undefined, out: undefined };
    this.#hosts.set(address, h);
    this.#newHosts.push(h);
    return h;
  }

  #hostV4(n: number): HostState {
    const st = this.#hostsV4.get(n | 0);
    if (st) return st.round === this.#round ? st : this.#renew(st);
    const h = this.#host(formatV4(n));
    h.v4 = n | 0;
    this.#hostsV4.set(n | 0, h);
    return h;
  }

  /** A host of an earlier round seen again: counted afresh. */
  #renew(st: HostState): HostState {
    st.facts = newHostFacts(st.address);
    st.round = this.#round;
    return st;
  }

  #seen(st: HostState, first: number, last: number): void {
    const h = st.facts;
    if (first === first && !(h.firstSeen <= first)) h.firstSeen = first;
    if (last === last && !(h.lastSeen >= last)) h.lastSeen = last;
  }

  get edgeCount(): number {
    return this.#liveEdges;
  }

  /** Snapshot of the edges and hosts so far (sorted, unknown times as 0). */
  result(): { edges: FlowEdge[]; hosts: HostFacts[] } {
    return this.#finish(true);
  }

  /**
   * The same as `result`, but hands over the folder's own objects instead of
   * copies, and starts a new round: counts start from zero, hosts and edges
   * not seen in the round just ended are forgotten.
   */
  take(): { edges: FlowEdge[]; hosts: HostFacts[]; keys: string[] } {
    const r = this.#finish(false);
    const round = this.#round;
    if (this.#nextId >= MAX_HOST_ID) {
      this.#hosts = new Map();
      this.#hostsV4 = new Map();
      this.#allHosts = [];
      this.#allEdges = [];
      this.#nextId = 0;
    } else {
      const hosts: HostState[] = [];
      for (const h of this.#allHosts) {
        if (h.round === round) hosts.push(h);
        else {
          this.#hosts.delete(h.address);
          if (h.v4 !== undefined) this.#hostsV4.delete(h.v4);
        }
      }
      const edges: EdgeState[] = [];
      for (const st of this.#allEdges) {
        if (st.round === round) edges.push(st);
        else st.client.edges?.delete(st.service);
      }
      this.#allHosts = hosts;
      this.#allEdges = edges;
    }
    this.#round++;
    this.#liveEdges = 0;
    this.samples = 0;
    return r;
  }

  /** `keys[i]` is edgeKey(edges[i]): the folder made it once for the edge's lifetime, callers need not build it again. */
  #finish(copy: boolean): { edges: FlowEdge[]; hosts: HostFacts[]; keys: string[] } {
    const edges: FlowEdge[] = [];
    const keys: string[] = [];
    const hosts: HostFacts[] = [];
    const round = this.#round;
    if (this.#newHosts.length) {
      this.#allHosts = mergeSorted(this.#allHosts, this.#newHosts, byAddress);
      this.#newHosts = [];
    }
    if (this.#newEdges.length) {
      this.#allEdges = mergeSorted(this.#allEdges, this.#newEdges, byKey);
      this.#newEdges = [];
    }
    for (const st of this.#allHosts) {
      if (st.round !== round) continue;
      const h = st.facts;
      const firstSeen = h.firstSeen === h.firstSeen ? h.firstSeen : 0;
      const lastSeen = h.lastSeen === h.lastSeen ? h.lastSeen : 0;
      if (copy) st.out = { ...h, listeningPorts: [], firstSeen, lastSeen };
      else {
        h.firstSeen = firstSeen;
        h.lastSeen = lastSeen;
        st.out = h;
      }
      hosts.push(st.out);
    }
    for (const st of this.#allEdges) {
      if (st.round !== round) continue;
      const e = st.edge;
      const sessions = Math.max(1, e.sessions);
      const firstSeen = e.firstSeen === e.firstSeen ? e.firstSeen : 0;
      const lastSeen = e.lastSeen === e.lastSeen ? e.lastSeen : 0;
      keys.push(st.key);
      if (copy) edges.push({ ...e, facts: {}, sources: [...e.sources], sessions, firstSeen, lastSeen });
      else {
        e.sessions = sessions;
        e.firstSeen = firstSeen;
        e.lastSeen = lastSeen;
        edges.push(e);
      }
      const server = st.server.out;
      if (st.answered && server && e.dport > 0 && !server.listeningPorts.some((l) => l.transport === e.transport && l.port === e.dport)) {
        server.listeningPorts.push({ transport: e.transport, port: e.dport, protocol: e.protocol });
      }
    }
    for (const st of this.#allHosts) st.out = undefined;
    for (const h of hosts) h.listeningPorts.sort((a, b) => a.port - b.port);
    return { edges, hosts, keys };
  }
}
