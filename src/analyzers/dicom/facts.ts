/**
 * Folds a finished association into the flow edge's DICOM facts and the two
 * hosts' facts: roles, AE titles, listening port, software, modalities.
 */
import type { AnalyzerSink, ConnectionInfo } from '../../decoders/analyzer.ts';
import type { DicomEdgeFacts, HostFacts } from '../../observations/types.ts';
import type { Association } from './association.ts';
import type { Software } from './fingerprint.ts';

/** Bound on every list folded into facts, so hostile traffic cannot grow them without limit. */
const MAX_LIST = 256;

export function addUnique(list: string[], v: string | undefined): void {
  if (v && list.length < MAX_LIST && !list.includes(v)) list.push(v);
}

export function emptyDicomFacts(): DicomEdgeFacts {
  return { aePairs: [], sopClasses: [], commands: {}, moveDestinations: [], implementationClassUids: [], implementationVersions: [] };
}

function addSoftware(h: HostFacts, sw: Software | undefined): void {
  if (!sw) return;
  const same = h.software.find((x) => x.product === sw.product && x.version === sw.version);
  if (!same && h.software.length < 32) h.software.push(sw);
}

export function foldAssociation(a: Association, conn: ConnectionInfo, sink: AnalyzerSink): void {
  if (!a.requested && !a.accepted && a.outcome !== 'rejected') {
    // Only release/abort/P-DATA seen (capture started mid-association): nothing to name.
    if (a.dataSetFragments === 0 && Object.keys(a.commands).length === 0) return;
  }
  const facts = sink.facts();
  const d = (facts.dicom ??= emptyDicomFacts());
  let pair;
  for (const x of d.aePairs) {
    if (x.calling === a.callingAe && x.called === a.calledAe && x.outcome === a.outcome) {
      pair = x;
      break;
    }
  }
  if (pair) pair.count++;
  else if (d.aePairs.length < MAX_LIST) d.aePairs.push({ calling: a.callingAe, called: a.calledAe, outcome: a.outcome, count: 1 });
  for (const uid of a.sopClasses()) addUnique(d.sopClasses, uid);
  for (const name in a.commands) d.commands[name] = (d.commands[name] ?? 0) + a.commands[name];
  for (const op of a.operations) addUnique(d.moveDestinations, op.moveDestination);
  addUnique(d.implementationClassUids, a.requestor.classUid);
  addUnique(d.implementationClassUids, a.acceptor.classUid);
  addUnique(d.implementationVersions, a.requestor.versionName);
  addUnique(d.implementationVersions, a.acceptor.versionName);
  // Data sets carry patient data by nature (images, query keys); an echo does not.
  sink.setProtocol('dicom', { phi: a.dataSetFragments > 0 });

  const client = sink.host(conn.client);
  if (a.requested) {
    addUnique(client.roles, 'dicom-scu');
    addUnique(client.aeTitles, a.callingAe);
  }
  addSoftware(client, a.requestorSoftware());
  for (const m of a.modalities()) addUnique(client.modalities, m);

  const answered = a.accepted || a.outcome === 'rejected';
  const server = sink.host(conn.server);
  if (answered) {
    addUnique(server.roles, 'dicom-scp');
    const port = server.listeningPorts.find((x) => x.transport === conn.transport && x.port === conn.serverPort);
    if (!port && server.listeningPorts.length < MAX_LIST) server.listeningPorts.push({ transport: conn.transport, port: conn.serverPort, protocol: 'dicom' });
  }
  // A rejected called AE is a title the server does not have.
  if (a.accepted) addUnique(server.aeTitles, a.calledAe);
  addSoftware(server, a.acceptorSoftware());
}
