import type { SourceLocation } from '../core/errors.ts';

/** The six clinical processes every hospital has; sites add their own (billing, research, ...). */
export const BUILTIN_PROCESSES = [
  'radiology',
  'patient-monitoring',
  'medication-management',
  'surgery',
  'diagnostics',
  'emr',
] as const;

export const ZONE_KINDS = ['clinical', 'server', 'dmz', 'user', 'wireless', 'management', 'external'] as const;
export type ZoneKind = (typeof ZONE_KINDS)[number];

export const ASSET_KINDS = [
  'ct', 'mr', 'us', 'cr', 'dx', 'xa', 'nm', 'pt',
  'pacs', 'vna', 'ris', 'emr', 'his', 'lis', 'pharmacy', 'infusion-pump', 'patient-monitor',
  'monitoring-gateway', 'interface-engine', 'kiosk', 'web-portal', 'workstation', 'viewer',
  'domain-controller', 'other',
] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

/** Modality kinds: devices that produce images and are fragile. */
export const MODALITY_KINDS: readonly AssetKind[] = ['ct', 'mr', 'us', 'cr', 'dx', 'xa', 'nm', 'pt'];

export const PARTNER_KINDS = ['insurer', 'clearinghouse', 'billing', 'vendor-remote-support', 'cloud', 'other'] as const;
export type PartnerKind = (typeof PARTNER_KINDS)[number];

export type Criticality = 'low' | 'medium' | 'high' | 'critical';
export type SecurityLevel = 1 | 2 | 3 | 4;

/** Every model element remembers where it was written, so errors can point at it. */
export interface Located {
  loc?: SourceLocation;
}

export interface Process extends Located {
  name: string;
  description?: string;
  builtin: boolean;
}

export interface Zone extends Located {
  name: string;
  cidrs: string[];
  processes: string[];
  kind: ZoneKind;
  /** Target security level, IEC 62443-3-2. */
  securityLevel: SecurityLevel;
  internetFacing: boolean;
  description?: string;
}

export interface Asset extends Located {
  name: string;
  /** IPv4/IPv6 addresses or CIDRs. */
  addresses: string[];
  macs: string[];
  hostnames: string[];
  kind: AssetKind;
  vendor?: string;
  product?: string;
  version?: string;
  cpe?: string;
  process?: string;
  zone?: string;
  /** Stores or handles protected health information. */
  phi: boolean;
  criticality: Criticality;
  /** Clinical engineering says: never send active probes to this device. */
  doNotProbe: boolean;
  owner?: string;
  /** DICOM AE titles and HL7 applications this asset is known to use. */
  aeTitles: string[];
  hl7Applications: string[];
  /** Path to an SBOM file, relative to the model file. */
  sbom?: string;
  description?: string;
}

export interface Partner extends Located {
  name: string;
  kind: PartnerKind;
  addresses: string[];
  hostnames: string[];
  description?: string;
}

/** An endpoint of a conduit: exactly one of zone, asset or partner. */
export type EndpointRef =
  | { zone: string }
  | { asset: string }
  | { partner: string };

export type Transport = 'tcp' | 'udp';

export interface ServiceSpec {
  transport: Transport;
  /** Single ports and inclusive ranges; empty means any port (flagged as broad). */
  ports: Array<number | [number, number]>;
  /** Application protocol expected on it: dicom, hl7, fhir, dicomweb, https, http, dns, ... */
  protocol?: string;
}

export interface DicomIdentity {
  callingAeTitles?: string[];
  calledAeTitles?: string[];
}

export interface Hl7Identity {
  sendingApplications?: string[];
  sendingFacilities?: string[];
  receivingApplications?: string[];
  receivingFacilities?: string[];
  /** "ADT^A01", "ORU^R01", or "ADT" for every trigger. */
  messageTypes?: string[];
  /** For kiosks and portals: the segments and fields they may receive, e.g. "PID", "PID-5". */
  allowedSegments?: string[];
  allowedFields?: string[];
}

export interface FhirIdentity {
  /** Resource types the receiving side may be sent, e.g. Appointment, Patient. */
  allowedResources?: string[];
}

export interface Conduit extends Located {
  id: string;
  from: EndpointRef;
  to: EndpointRef;
  services: ServiceSpec[];
  dicom?: DicomIdentity;
  hl7?: Hl7Identity;
  fhir?: FhirIdentity;
  tlsRequired: boolean;
  phiAllowed: boolean;
  owner?: string;
  justification?: string;
  /** ISO date (YYYY-MM-DD); after it the conduit is expired. */
  expires?: string;
}

export interface Site {
  name: string;
  timezone: string;
}

export interface SiteModel {
  site: Site;
  processes: Process[];
  zones: Zone[];
  assets: Asset[];
  conduits: Conduit[];
  partners: Partner[];
  /** The files it was loaded from. */
  files: string[];
}
