/**
 * HL7 message metadata to records and to the flow edge's and hosts' facts.
 * Nothing here sees a field value other than MSH/MSA header metadata.
 */
import type { AnalyzerSink, ConnectionInfo, Direction } from '../../decoders/analyzer.ts';
import type { Hl7EdgeFacts, ProtocolRecord } from '../../observations/types.ts';
import type { Hl7Message } from './message.ts';
import { classifyHl7 } from './process.ts';

const MAX_LIST = 256;
/** Segments whose presence means the message carries patient data. */
const PHI_SEGMENTS = ['PID', 'NK1', 'IN1', 'GT1'];

function addUnique(list: string[], v: string | undefined): void {
  if (v && list.length < MAX_LIST && !list.includes(v)) list.push(v);
}

export function emptyHl7Facts(): Hl7EdgeFacts {
  return { appPairs: [], messageTypes: {}, versions: [], segments: [], fields: [], acks: {} };
}

export function carriesPhi(m: Hl7Message): boolean {
  const segs = m.segments;
  for (let i = 0; i < segs.length; i++) if (PHI_SEGMENTS.includes(segs[i])) return true;
  return false;
}

function isAck(m: Hl7Message): boolean {
  return m.header.messageCode === 'ACK' || m.header.messageCode === 'MCF' || (m.ackCode !== undefined && !carriesPhi(m));
}

function appName(app: string, facility: string): string | undefined {
  if (!app && !facility) return undefined;
  return facility ? `${app}@${facility}` : app;
}

export function messageRecord(m: Hl7Message, conn: ConnectionInfo, dir: Direction, ts: number, truncated: boolean, resent = false): ProtocolRecord {
  const h = m.header;
  const c = classifyHl7(h.messageCode, h);
  return {
    log: 'hl7',
    ts,
    conn: conn.id,
    from: dir === 0 ? 'client' : 'server',
    sendingApplication: h.sendingApplication,
    sendingFacility: h.sendingFacility,
    receivingApplication: h.receivingApplication,
    receivingFacility: h.receivingFacility,
    fieldSeparator: h.fieldSeparator,
    encodingCharacters: h.encodingCharacters,
    messageType: h.messageType,
    messageCode: h.messageCode,
    triggerEvent: h.triggerEvent,
    messageStructure: h.messageStructure,
    version: h.version,
    processingId: h.processingId,
    controlIdPresent: h.controlIdPresent,
    /** The same MSH-10 was seen earlier on this connection: a retransmission (unacknowledged or replayed). */
    resent: resent || undefined,
    ackCode: m.ackCode,
    segments: m.segments,
    fields: m.fields,
    process: c.process,
    processLabel: c.label,
    department: c.department,
    batch: m.batch,
    phi: carriesPhi(m),
    truncated: truncated || undefined,
  };
}

export function foldMessage(m: Hl7Message, conn: ConnectionInfo, dir: Direction, sink: AnalyzerSink): void {
  const h = m.header;
  const f = (sink.facts().hl7 ??= emptyHl7Facts());
  const ack = isAck(m);
  if (!ack) {
    let pair;
    for (let i = 0; i < f.appPairs.length; i++) {
      const p = f.appPairs[i];
      if (p.sendingApplication === h.sendingApplication && p.sendingFacility === h.sendingFacility
        && p.receivingApplication === h.receivingApplication && p.receivingFacility === h.receivingFacility) {
        pair = p;
        break;
      }
    }
    if (pair) pair.count++;
    else if (f.appPairs.length < MAX_LIST) {
      f.appPairs.push({
        sendingApplication: h.sendingApplication, sendingFacility: h.sendingFacility,
        receivingApplication: h.receivingApplication, receivingFacility: h.receivingFacility, count: 1,
      });
    }
  }
  const type = h.messageType || '(none)';
  if (f.messageTypes[type] !== undefined || Object.keys(f.messageTypes).length < MAX_LIST) f.messageTypes[type] = (f.messageTypes[type] ?? 0) + 1;
  addUnique(f.versions, h.version);
  // Index loops: this runs per message, often before V8 optimises it, and a
  // for-of there makes an iterator result per element.
  for (let i = 0; i < m.segments.length; i++) addUnique(f.segments, m.segments[i]);
  for (let i = 0; i < m.fields.length; i++) addUnique(f.fields, m.fields[i]);
  if (m.ackCode) f.acks[m.ackCode] = (f.acks[m.ackCode] ?? 0) + 1;
  const phi = carriesPhi(m);
  sink.setProtocol('hl7', phi ? { phi: true } : undefined);

  const senderAddr = dir === 0 ? conn.client : conn.server;
  const receiverAddr = dir === 0 ? conn.server : conn.client;
  const sender = sink.host(senderAddr);
  addUnique(sender.hl7Applications, appName(h.sendingApplication, h.sendingFacility));
  if (!ack) {
    addUnique(sender.roles, 'hl7-sender');
    // MSH-5/6 name the logical receiver, often behind an interface engine: not a fact about this host.
    addUnique(sink.host(receiverAddr).roles, 'hl7-receiver');
  }
  if (dir === 1 || !ack) {
    const server = sink.host(conn.server);
    let listed = false;
    for (let i = 0; i < server.listeningPorts.length; i++) {
      const x = server.listeningPorts[i];
      if (x.transport === conn.transport && x.port === conn.serverPort) listed = true;
    }
    if (!listed && server.listeningPorts.length < MAX_LIST) {
      server.listeningPorts.push({ transport: conn.transport, port: conn.serverPort, protocol: 'hl7' });
    }
  }
}
