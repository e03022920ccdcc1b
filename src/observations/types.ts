/**
 * Observations: what was seen on the wire, aggregated and free of PHI.
 * Every source (pcap, Zeek, NetFlow, a sensor) reduces to these; every
 * analysis (check, segment, blast, drift, monitor) reads only these.
 */

export type L4 = 'tcp' | 'udp' | 'icmp' | 'other';

/**
 * Application protocols Wardline recognises by content. 'unknown' means no
 * analyzer claimed the connection; flow sources without payload (NetFlow,
 * Zeek conn.log) may still guess from the port, marked by `protocolFrom`.
 */
export type AppProtocol =
  | 'dicom' | 'dicom-tls' | 'hl7' | 'hl7-tls' | 'http' | 'fhir' | 'dicomweb' | 'tls' | 'dns' | 'unknown';

export interface DicomAePair {
  calling: string;
  called: string;
  /** accepted, rejected, aborted, or unknown when the capture missed the answer. */
  outcome: 'accepted' | 'rejected' | 'aborted' | 'unknown';
  count: number;
}

export interface DicomEdgeFacts {
  aePairs: DicomAePair[];
  /** SOP class UIDs accepted (or proposed, when the answer was not seen). */
  sopClasses: string[];
  /** DIMSE command name -> count, e.g. C-STORE: 4. */
  commands: Record<string, number>;
  /** C-MOVE destination AE titles. */
  moveDestinations: string[];
  implementationClassUids: string[];
  implementationVersions: string[];
}

export interface Hl7AppPair {
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  count: number;
}

export interface Hl7EdgeFacts {
  appPairs: Hl7AppPair[];
  /** "ADT^A01" -> count. */
  messageTypes: Record<string, number>;
  versions: string[];
  /** Segment ids present in messages on this edge ("PID", "IN1"). */
  segments: string[];
  /** Populated fields of the PHI segments, presence only ("PID-5", "IN1-36"). */
  fields: string[];
  /** MSA-1 ack code -> count. */
  acks: Record<string, number>;
}

export interface HttpEdgeFacts {
  hosts: string[];
  /** Method + path template, "GET /patients/{id}". */
  requests: Record<string, number>;
  fhirResources: string[];
  /** QIDO, WADO, STOW. */
  dicomweb: string[];
  servers: string[];
  userAgents: string[];
  /** Credentials were seen in cleartext (basic auth, password form field). Never the credential itself. */
  cleartextCredentials: boolean;
  /** Responses per status code ("200"); make it with `codeCounts()`. */
  statuses: Record<string, number>;
}

/** Far beyond any code: setting it once turns an object's indexed storage into a dictionary. */
const SPARSE_INDEX = 2 ** 30;

/**
 * An empty count record for keys that are numbers ("200", "404"). To V8 such
 * keys are array indices: on a plain object, "200" allocates a 317-slot
 * element array (5 kB once a "401" joins it, kept for every HTTP edge) and
 * Object.keys walks every slot. One far index, set and deleted, leaves the
 * indexed storage a dictionary, which a few small codes keep it. Same keys,
 * same order, same JSON.
 */
export function codeCounts(): Record<string, number> {
  const o: Record<string, number> = {};
  o[SPARSE_INDEX] = 0;
  delete o[SPARSE_INDEX];
  return o;
}

export interface TlsEdgeFacts {
  sni: string[];
  versions: string[];
  alpn: string[];
  ja4: string[];
  certificateSubjects: string[];
}

/** What kinds of facts a flow can carry; keyed by analyzer name. */
export interface EdgeFacts {
  dicom?: DicomEdgeFacts;
  hl7?: Hl7EdgeFacts;
  http?: HttpEdgeFacts;
  tls?: TlsEdgeFacts;
  dns?: { names: string[] };
}

/**
 * One aggregated flow edge: every session from src to dst:port over one
 * transport and application protocol. Unidirectional sources are folded so
 * that src is the initiator (client) whenever that can be told.
 */
export interface FlowEdge {
  src: string;
  dst: string;
  transport: L4;
  dport: number;
  protocol: AppProtocol;
  /** How the protocol was decided: content inspection or a port guess. */
  protocolFrom: 'content' | 'port' | 'none';
  bytes: number;
  packets: number;
  sessions: number;
  /** Epoch milliseconds. */
  firstSeen: number;
  lastSeen: number;
  encrypted: boolean;
  /** The protocol carries PHI by nature (DICOM data sets, HL7 PID, FHIR Patient...). */
  phi: boolean;
  facts: EdgeFacts;
  /** Clinical label, filled by classification. */
  label?: FlowLabel;
  /** Where it came from: "pcap", "zeek", "netflow", "sensor:<site>". */
  sources: string[];
}

export interface FlowLabel {
  process: string;
  /** "Radiology: CT_SCANNER -> PACS, C-STORE, CT Image Storage". */
  handover: string;
  external: boolean;
  partner?: string;
}

export function edgeKey(e: Pick<FlowEdge, 'src' | 'dst' | 'transport' | 'dport' | 'protocol'>): string {
  return `${e.src}>${e.dst}/${e.transport}/${e.dport}/${e.protocol}`;
}

/** What a host was seen to be or do: roles, identifiers, fingerprints. */
export interface HostFacts {
  address: string;
  macs: string[];
  hostnames: string[];
  /** e.g. dicom-scu, dicom-scp, hl7-sender, hl7-receiver, http-server, dns-server. */
  roles: string[];
  aeTitles: string[];
  hl7Applications: string[];
  /** Modalities inferred from SOP classes sent, e.g. CT, MR. */
  modalities: string[];
  /** "DCMTK 3.6.7" from implementation class UID/version, "Orthanc/1.10.1" from Server. */
  software: Array<{ vendor?: string; product: string; version?: string; source: string; confidence: 'low' | 'medium' | 'high' }>;
  listeningPorts: Array<{ transport: L4; port: number; protocol: AppProtocol }>;
  firstSeen: number;
  lastSeen: number;
}

/** A protocol analyzer's per-event record (its "log"), as Zeek writes them. */
export interface ProtocolRecord {
  /** Analyzer name: dicom, hl7, http, tls, dns. */
  log: string;
  ts: number;
  /** Connection 4-tuple + transport, "10.0.0.1:5000>10.0.0.2:104/tcp". */
  conn: string;
  [field: string]: unknown;
}

/** An anomaly in the input: truncated capture, malformed PDU. Counted, never fatal. */
export interface Anomaly {
  kind: string;
  message: string;
  /** Packet number (1-based) or line number, where known. */
  where?: string;
  count: number;
}

export interface Observations {
  edges: FlowEdge[];
  hosts: HostFacts[];
  anomalies: Anomaly[];
  /** Input files and what they held. */
  inputs: Array<{ path: string; format: string; packets?: number; records?: number; bytes?: number; warnings: string[] }>;
}
