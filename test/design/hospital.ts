/**
 * A compact St. Brigid model and the flows the lab produces, as objects, so
 * the design tests do not depend on the YAML loader or on a capture run.
 * Addresses follow the agreed plan in examples/hospital.
 */
import type { FlowEdge } from '../../src/observations/types.ts';
import type { Asset, Conduit, SiteModel, Zone } from '../../src/model/types.ts';

function zone(name: string, cidr: string, kind: Zone['kind'], sl: Zone['securityLevel'], processes: string[], internetFacing = false): Zone {
  return { name, cidrs: [cidr], kind, securityLevel: sl, processes, internetFacing };
}

function asset(name: string, address: string, kind: Asset['kind'], zoneName: string, extra: Partial<Asset> = {}): Asset {
  return {
    name, addresses: [address], macs: [], hostnames: [], kind, zone: zoneName, phi: false, criticality: 'medium',
    doNotProbe: false, aeTitles: [], hl7Applications: [], ...extra,
  };
}

export function hospitalModel(): SiteModel {
  const zones: Zone[] = [
    zone('radiology-modalities', '10.20.10.0/24', 'clinical', 2, ['radiology']),
    zone('imaging-servers', '10.20.20.0/24', 'server', 3, ['radiology']),
    zone('emr-core', '10.30.10.0/24', 'server', 3, ['emr']),
    zone('integration', '10.30.20.0/24', 'server', 3, ['emr', 'diagnostics', 'medication-management']),
    zone('billing', '10.30.30.0/24', 'server', 2, ['billing']),
    zone('pharmacy', '10.40.10.0/24', 'clinical', 2, ['medication-management']),
    zone('patient-monitoring', '10.50.10.0/24', 'clinical', 3, ['patient-monitoring']),
    zone('laboratory', '10.70.10.0/24', 'clinical', 2, ['diagnostics']),
    zone('clinical-workstations', '10.80.0.0/22', 'user', 2, ['radiology', 'emr']),
    zone('dmz', '172.16.10.0/24', 'dmz', 2, [], true),
    zone('management', '10.99.0.0/24', 'management', 3, []),
    zone('internet', '0.0.0.0/0', 'external', 1, []),
  ];
  const assets: Asset[] = [
    asset('ct-scanner-01', '10.20.10.11', 'ct', 'radiology-modalities', { process: 'radiology', aeTitles: ['CT_SCANNER01'], criticality: 'high', phi: true }),
    asset('mr-scanner-01', '10.20.10.12', 'mr', 'radiology-modalities', { process: 'radiology', aeTitles: ['MR_SCANNER01'], criticality: 'high', phi: true }),
    asset('us-cart-03', '10.20.10.13', 'us', 'radiology-modalities', { process: 'radiology', aeTitles: ['US_CART03'], phi: true }),
    asset('pacs-main', '10.20.20.10', 'pacs', 'imaging-servers', { process: 'radiology', aeTitles: ['PACS_MAIN'], phi: true, criticality: 'critical' }),
    asset('vna-archive', '10.20.20.11', 'vna', 'imaging-servers', { process: 'radiology', aeTitles: ['VNA_ARCHIVE'], phi: true, criticality: 'high' }),
    asset('radiology-ws-07', '10.80.1.17', 'workstation', 'clinical-workstations', { process: 'radiology', aeTitles: ['RAD_WS07'], phi: true }),
    asset('emr-core-01', '10.30.10.10', 'emr', 'emr-core', { process: 'emr', hl7Applications: ['EPIC'], phi: true, criticality: 'critical' }),
    asset('interface-engine', '10.30.20.10', 'interface-engine', 'integration', { process: 'emr', hl7Applications: ['RHAPSODY'], phi: true, criticality: 'critical' }),
    asset('billing-gateway', '10.30.30.10', 'other', 'billing', { process: 'billing', phi: true }),
    asset('pharmacy-system', '10.40.10.10', 'pharmacy', 'pharmacy', { process: 'medication-management', hl7Applications: ['PYXIS'], phi: true, criticality: 'high' }),
    asset('monitoring-gateway', '10.50.10.10', 'monitoring-gateway', 'patient-monitoring', { process: 'patient-monitoring', hl7Applications: ['PHILIPS_PIC'], phi: true, criticality: 'critical' }),
    asset('lis-01', '10.70.10.10', 'lis', 'laboratory', { process: 'diagnostics', hl7Applications: ['LIS'], phi: true, criticality: 'high' }),
    asset('pacs-web-viewer', '172.16.10.20', 'viewer', 'dmz', { process: 'radiology', phi: true }),
    asset('kiosk-lobby-01', '172.16.10.30', 'kiosk', 'dmz', { criticality: 'low' }),
    asset('patient-portal', '172.16.10.40', 'web-portal', 'dmz', { process: 'emr', phi: true }),
    asset('dns-resolver', '10.99.0.53', 'other', 'management'),
  ];
  const c = (id: string, from: Conduit['from'], to: Conduit['to'], ports: number[], protocol: string, extra: Partial<Conduit> = {}): Conduit => ({
    id, from, to, services: [{ transport: 'tcp', ports, protocol }], tlsRequired: false, phiAllowed: true,
    justification: `${id} handover`, ...extra,
  });
  const conduits: Conduit[] = [
    c('modalities-to-pacs', { zone: 'radiology-modalities' }, { asset: 'pacs-main' }, [104], 'dicom', {
      dicom: { callingAeTitles: ['CT_SCANNER01', 'MR_SCANNER01', 'US_CART03'], calledAeTitles: ['PACS_MAIN'] },
    }),
    c('pacs-to-vna', { asset: 'pacs-main' }, { asset: 'vna-archive' }, [11112], 'dicom', { dicom: { callingAeTitles: ['PACS_MAIN'], calledAeTitles: ['VNA_ARCHIVE'] } }),
    c('ws-query-pacs', { asset: 'radiology-ws-07' }, { asset: 'pacs-main' }, [104], 'dicom', { dicom: { callingAeTitles: ['RAD_WS07'], calledAeTitles: ['PACS_MAIN'] } }),
    c('pacs-move-to-ws', { asset: 'pacs-main' }, { asset: 'radiology-ws-07' }, [11114], 'dicom', { dicom: { callingAeTitles: ['PACS_MAIN'], calledAeTitles: ['RAD_WS07'] } }),
    c('emr-to-engine', { asset: 'emr-core-01' }, { asset: 'interface-engine' }, [2575], 'hl7', { hl7: { sendingApplications: ['EPIC'], messageTypes: ['ADT', 'ORM^O01'] } }),
    c('engine-to-pharmacy', { asset: 'interface-engine' }, { asset: 'pharmacy-system' }, [2575], 'hl7', { hl7: { messageTypes: ['RDE^O11'] } }),
    c('monitoring-to-engine', { asset: 'monitoring-gateway' }, { asset: 'interface-engine' }, [2575], 'hl7', { hl7: { sendingApplications: ['PHILIPS_PIC'], messageTypes: ['ORU^R01'] } }),
    c('lis-to-engine', { asset: 'lis-01' }, { asset: 'interface-engine' }, [2575], 'hl7', { hl7: { sendingApplications: ['LIS'], messageTypes: ['ORU^R01'] } }),
    c('engine-to-kiosk', { asset: 'interface-engine' }, { asset: 'kiosk-lobby-01' }, [2575], 'hl7', {
      hl7: { messageTypes: ['ADT^A04'], allowedSegments: ['MSH', 'EVN', 'PID', 'PV1'], allowedFields: ['PID-3', 'PID-5'] },
    }),
    c('billing-to-clearinghouse', { asset: 'billing-gateway' }, { partner: 'clearinghouse' }, [2575], 'hl7', { tlsRequired: true }),
    c('portal-to-emr-fhir', { asset: 'patient-portal' }, { asset: 'emr-core-01' }, [8080], 'fhir', { fhir: { allowedResources: ['Appointment'] } }),
    c('internet-to-portal', { zone: 'internet' }, { asset: 'patient-portal' }, [443], 'https', { tlsRequired: true }),
    c('dns', { zone: 'billing' }, { asset: 'dns-resolver' }, [53], 'dns', { services: [{ transport: 'udp', ports: [53], protocol: 'dns' }], phiAllowed: false }),
    c('legacy-any', { zone: 'clinical-workstations' }, { zone: 'management' }, [], 'any', { phiAllowed: false, expires: '2025-01-31' }),
  ];
  return {
    site: { name: 'St. Brigid General Hospital', timezone: 'Europe/Dublin' },
    processes: [], zones, assets, conduits,
    partners: [
      { name: 'clearinghouse', kind: 'clearinghouse', addresses: ['198.51.100.20'], hostnames: ['edi.clearinghouse.example'] },
      { name: 'insurer', kind: 'insurer', addresses: ['203.0.113.10'], hostnames: ['api.insurer.example'] },
    ],
    files: ['test-model'],
  };
}

const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);

function edge(src: string, dst: string, dport: number, protocol: FlowEdge['protocol'], facts: FlowEdge['facts'] = {}, extra: Partial<FlowEdge> = {}): FlowEdge {
  return {
    src, dst, transport: 'tcp', dport, protocol, protocolFrom: 'content', bytes: 5000, packets: 20, sessions: 2,
    firstSeen: T0, lastSeen: T0 + 3_600_000, encrypted: false,
    phi: protocol === 'dicom' || protocol === 'hl7' || protocol === 'fhir', facts, sources: ['pcap'], ...extra,
  };
}

function dicom(calling: string, called: string, commands: Record<string, number>, sopClasses: string[], moveDestinations: string[] = []): FlowEdge['facts'] {
  return {
    dicom: {
      aePairs: [{ calling, called, outcome: 'accepted', count: 1 }], sopClasses, commands, moveDestinations,
      implementationClassUids: ['1.2.276.0.7230010.3.0.3.6.7'], implementationVersions: ['OFFIS_DCMTK_367'],
    },
  };
}

function hl7(send: string, sendFac: string, recv: string, types: Record<string, number>, segments: string[], fields: string[] = []): FlowEdge['facts'] {
  return {
    hl7: {
      appPairs: [{ sendingApplication: send, sendingFacility: sendFac, receivingApplication: recv, receivingFacility: 'STBRIGID', count: 1 }],
      messageTypes: types, versions: ['2.5.1'], segments, fields, acks: { AA: 1 },
    },
  };
}

function http(requests: Record<string, number>, fhirResources: string[] = []): FlowEdge['facts'] {
  return { http: { hosts: [], requests, fhirResources, dicomweb: [], servers: [], userAgents: [], cleartextCredentials: false, statuses: { '200': 1 } } };
}

export const CT_STORE = '1.2.840.10008.5.1.4.1.1.2';
export const STUDY_FIND = '1.2.840.10008.5.1.4.1.2.2.1';

/** The lab's flows: the legitimate ones and the planted problems. */
export function hospitalEdges(): FlowEdge[] {
  const scan: FlowEdge[] = [];
  for (let h = 1; h <= 12; h++) {
    for (const p of [104, 4242, 8042, 11112, 2575]) {
      scan.push(edge('10.80.2.66', `10.20.20.${h}`, p, 'unknown', {}, { protocolFrom: 'none', bytes: 60, packets: 1, sessions: 1, phi: false }));
    }
  }
  return [
    edge('10.20.10.11', '10.20.20.10', 104, 'dicom', dicom('CT_SCANNER01', 'PACS_MAIN', { 'C-STORE': 3 }, [CT_STORE])),
    edge('10.20.10.12', '10.20.20.10', 104, 'dicom', dicom('MR_SCANNER01', 'PACS_MAIN', { 'C-STORE': 2 }, ['1.2.840.10008.5.1.4.1.1.4'])),
    edge('10.20.10.13', '10.20.20.10', 104, 'dicom', dicom('US_CART03', 'PACS_MAIN', { 'C-STORE': 1 }, ['1.2.840.10008.5.1.4.1.1.6.1'])),
    edge('10.20.20.10', '10.20.20.11', 11112, 'dicom', dicom('PACS_MAIN', 'VNA_ARCHIVE', { 'C-STORE': 6 }, [CT_STORE])),
    edge('10.80.1.17', '10.20.20.10', 104, 'dicom', dicom('RAD_WS07', 'PACS_MAIN', { 'C-FIND': 2, 'C-MOVE': 1 }, [STUDY_FIND, '1.2.840.10008.5.1.4.1.2.2.2'], ['RAD_WS07'])),
    edge('10.20.20.10', '10.80.1.17', 11114, 'dicom', dicom('PACS_MAIN', 'RAD_WS07', { 'C-STORE': 3 }, [CT_STORE])),
    edge('10.30.10.10', '10.30.20.10', 2575, 'hl7', hl7('EPIC', 'STBRIGID', 'RHAPSODY', { 'ADT^A01': 3, 'ORM^O01': 2 }, ['MSH', 'EVN', 'PID', 'PV1', 'ORC', 'OBR'], ['PID-3', 'PID-5', 'PID-7'])),
    edge('10.30.20.10', '10.40.10.10', 2575, 'hl7', hl7('RHAPSODY', 'STBRIGID', 'PYXIS', { 'RDE^O11': 2 }, ['MSH', 'PID', 'ORC', 'RXE'], ['PID-3', 'PID-5'])),
    edge('10.50.10.10', '10.30.20.10', 2575, 'hl7', hl7('PHILIPS_PIC', 'ICU', 'RHAPSODY', { 'ORU^R01': 10 }, ['MSH', 'PID', 'OBR', 'OBX'], ['PID-3'])),
    edge('10.70.10.10', '10.30.20.10', 2575, 'hl7', hl7('LIS', 'LAB', 'RHAPSODY', { 'ORU^R01': 4 }, ['MSH', 'PID', 'OBR', 'OBX'], ['PID-3'])),
    // Planted: cleartext PHI to the clearinghouse.
    edge('10.30.30.10', '198.51.100.20', 2575, 'hl7', hl7('BILLING', 'STBRIGID', 'CLEARINGHOUSE', { 'DFT^P03': 2, 'BAR^P01': 1 }, ['MSH', 'PID', 'FT1'], ['PID-3', 'PID-5'])),
    // Planted: over-sharing to the kiosk.
    edge('10.30.20.10', '172.16.10.30', 2575, 'hl7', hl7('RHAPSODY', 'STBRIGID', 'KIOSK', { 'ADT^A04': 2 }, ['MSH', 'EVN', 'PID', 'PV1', 'NK1', 'IN1'], ['PID-3', 'PID-5', 'PID-7', 'PID-11', 'NK1-2', 'IN1-36'])),
    // Planted: kiosk reaches PACS.
    edge('172.16.10.30', '10.20.20.10', 104, 'dicom', dicom('KIOSK01', 'PACS_MAIN', { 'C-FIND': 1 }, [STUDY_FIND])),
    // Planted: PACS web viewer reachable from the internet.
    edge('203.0.113.77', '172.16.10.20', 8042, 'http', http({ 'GET /app/explorer.html': 1, 'GET /studies': 1 }), { phi: true }),
    edge('203.0.113.77', '172.16.10.40', 443, 'tls', { tls: { sni: ['portal.stbrigid.example'], versions: ['TLS 1.3'], alpn: [], ja4: [], certificateSubjects: [] } }, { encrypted: true }),
    edge('172.16.10.40', '10.30.10.10', 8080, 'fhir', http({ 'GET /fhir/Appointment': 3, 'GET /fhir/Patient/{id}': 1 }, ['Appointment', 'Patient'])),
    edge('10.30.30.10', '10.99.0.53', 53, 'dns', { dns: { names: ['edi.clearinghouse.example'] } }, { transport: 'udp', phi: false }),
    edge('172.16.10.40', '10.99.0.53', 53, 'dns', { dns: { names: ['api.insurer.example'] } }, { transport: 'udp', phi: false }),
    // An unknown host in the modalities zone.
    edge('10.20.10.99', '10.20.20.10', 104, 'dicom', dicom('UNKNOWN_AE', 'PACS_MAIN', { 'C-ECHO': 1 }, ['1.2.840.10008.1.1'])),
    ...scan,
  ];
}
