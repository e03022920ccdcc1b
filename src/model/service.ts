import type { ServiceSpec, Transport } from './types.ts';

/**
 * Well-known service names usable on their own ("https") or with ports
 * ("dicom/104,11112"). The protocol is what the analyzers recognise.
 */
export const WELL_KNOWN_SERVICES: Readonly<Record<string, { transport: Transport; ports: number[]; protocol: string }>> = {
  dicom: { transport: 'tcp', ports: [104], protocol: 'dicom' },
  'dicom-tls': { transport: 'tcp', ports: [2762], protocol: 'dicom-tls' },
  hl7: { transport: 'tcp', ports: [2575], protocol: 'hl7' },
  https: { transport: 'tcp', ports: [443], protocol: 'https' },
  http: { transport: 'tcp', ports: [80], protocol: 'http' },
  fhir: { transport: 'tcp', ports: [443], protocol: 'fhir' },
  dicomweb: { transport: 'tcp', ports: [443], protocol: 'dicomweb' },
  dns: { transport: 'udp', ports: [53], protocol: 'dns' },
  ssh: { transport: 'tcp', ports: [22], protocol: 'ssh' },
  rdp: { transport: 'tcp', ports: [3389], protocol: 'rdp' },
  smb: { transport: 'tcp', ports: [445], protocol: 'smb' },
  ntp: { transport: 'udp', ports: [123], protocol: 'ntp' },
  ldap: { transport: 'tcp', ports: [389], protocol: 'ldap' },
  ldaps: { transport: 'tcp', ports: [636], protocol: 'ldaps' },
  kerberos: { transport: 'tcp', ports: [88], protocol: 'kerberos' },
  syslog: { transport: 'udp', ports: [514], protocol: 'syslog' },
  snmp: { transport: 'udp', ports: [161], protocol: 'snmp' },
};

/** Protocols whose traffic is cleartext by definition: a TLS requirement contradicts them. */
export const CLEARTEXT_PROTOCOLS: ReadonlySet<string> = new Set(['http', 'dns', 'ntp', 'snmp', 'syslog']);

/** Which application protocols can carry each kind of identity constraint. */
export const IDENTITY_PROTOCOLS: Readonly<Record<'dicom' | 'hl7' | 'fhir', readonly string[]>> = {
  dicom: ['dicom', 'dicom-tls'],
  hl7: ['hl7', 'hl7-tls', 'mllp'],
  fhir: ['fhir', 'https', 'http', 'dicomweb'],
};

/** Parses "1-65535"-style port lists: "104", "104,11112", "8000-8100". */
export function parsePorts(text: string): Array<number | [number, number]> | string {
  const out: Array<number | [number, number]> = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d{1,5})(?:\s*-\s*(\d{1,5}))?\s*$/.exec(part);
    if (!m) return `'${part.trim()}' is not a port or port range`;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a < 1 || a > 65535 || b < 1 || b > 65535) return `port ${a > 65535 || a < 1 ? a : b} is outside 1-65535`;
    if (b < a) return `port range ${a}-${b} is reversed`;
    out.push(a === b ? a : [a, b]);
  }
  return out;
}

/**
 * The service shorthand: `tcp`, `udp/53`, `tcp/2575:hl7`, `tcp/8000-8100`,
 * `dicom`, `dicom/104,11112`, `https`. Returns an error message on failure.
 */
export function parseService(text: string): ServiceSpec | string {
  const m = /^\s*([a-z][a-z0-9-]*)(?:\/([^:]*))?(?::([a-z][a-z0-9-]*))?\s*$/i.exec(text);
  if (!m && /^\s*\d+(-\d+)?(:[a-z0-9-]+)?\s*$/i.test(text)) {
    return `'${text}' is not a service: inside [ ] a comma separates services, so quote port lists, e.g. "dicom/104,11112"`;
  }
  if (!m) return `'${text}' is not a service; write tcp/PORT[:protocol], udp/PORT or a name like dicom, hl7, https`;
  const head = m[1].toLowerCase();
  let transport: Transport;
  let ports: Array<number | [number, number]>;
  let protocol: string | undefined;
  if (head === 'tcp' || head === 'udp') {
    transport = head;
    ports = [];
  } else {
    const known = WELL_KNOWN_SERVICES[head];
    if (!known) return `unknown service name '${head}'`;
    transport = known.transport;
    ports = [...known.ports];
    protocol = known.protocol;
  }
  if (m[2] !== undefined) {
    const p = parsePorts(m[2]);
    if (typeof p === 'string') return p;
    ports = p;
  }
  if (m[3] !== undefined) protocol = m[3].toLowerCase();
  return protocol === undefined ? { transport, ports } : { transport, ports, protocol };
}

/** The canonical shorthand of a service, e.g. "tcp/104:dicom". */
export function formatService(s: ServiceSpec): string {
  const ports = s.ports.map((p) => (typeof p === 'number' ? String(p) : `${p[0]}-${p[1]}`)).join(',');
  return `${s.transport}${ports ? `/${ports}` : ''}${s.protocol ? `:${s.protocol}` : ''}`;
}

/** Whether a service admits this transport and port (no ports listed = any port). */
export function serviceMatches(s: ServiceSpec, transport: Transport, port: number): boolean {
  if (s.transport !== transport) return false;
  if (s.ports.length === 0) return true;
  for (const p of s.ports) {
    if (typeof p === 'number' ? p === port : port >= p[0] && port <= p[1]) return true;
  }
  return false;
}
