/**
 * Batches come from the network: every field is checked for type and range
 * before anything downstream sees it. Facts of a kind that does not have the
 * expected shape are dropped (counted by the caller), never trusted.
 */
import type { AppProtocol, EdgeFacts, HostFacts, L4 } from '../../observations/types.ts';

const L4S = new Set<L4>(['tcp', 'udp', 'icmp', 'other']);
const PROTOCOLS = new Set<AppProtocol>(['dicom', 'dicom-tls', 'hl7', 'hl7-tls', 'http', 'fhir', 'dicomweb', 'tls', 'dns', 'unknown']);
const FROM = new Set(['content', 'port', 'none']);
const MAX_TEXT = 512;
const MAX_LIST = 4096;

export function isText(v: unknown, max = MAX_TEXT): v is string {
  return typeof v === 'string' && v.length <= max;
}

export function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;
}

export function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < 8.64e15;
}

export const isL4 = (v: unknown): v is L4 => typeof v === 'string' && L4S.has(v as L4);
export const isProtocol = (v: unknown): v is AppProtocol => typeof v === 'string' && PROTOCOLS.has(v as AppProtocol);
export const isFrom = (v: unknown): v is 'content' | 'port' | 'none' => typeof v === 'string' && FROM.has(v);

function obj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function texts(v: unknown): v is string[] {
  return Array.isArray(v) && v.length <= MAX_LIST && v.every((x) => isText(x));
}

function counts(v: unknown): v is Record<string, number> {
  if (!obj(v)) return false;
  const keys = Object.keys(v);
  return keys.length <= MAX_LIST && keys.every((k) => k.length <= MAX_TEXT && isCount(v[k]));
}

function listOf(v: unknown, item: (x: Record<string, unknown>) => boolean): boolean {
  return Array.isArray(v) && v.length <= MAX_LIST && v.every((x) => obj(x) && item(x));
}

const SHAPES: Record<keyof EdgeFacts, (v: Record<string, unknown>) => boolean> = {
  dicom: (v) => listOf(v.aePairs, (p) => isText(p.calling) && isText(p.called) && isText(p.outcome) && isCount(p.count))
    && texts(v.sopClasses) && counts(v.commands) && texts(v.moveDestinations) && texts(v.implementationClassUids) && texts(v.implementationVersions),
  hl7: (v) => listOf(v.appPairs, (p) => isText(p.sendingApplication) && isText(p.sendingFacility) && isText(p.receivingApplication) && isText(p.receivingFacility) && isCount(p.count))
    && counts(v.messageTypes) && texts(v.versions) && texts(v.segments) && texts(v.fields) && counts(v.acks),
  http: (v) => texts(v.hosts) && counts(v.requests) && texts(v.fhirResources) && texts(v.dicomweb) && texts(v.servers) && texts(v.userAgents)
    && typeof v.cleartextCredentials === 'boolean' && counts(v.statuses),
  tls: (v) => texts(v.sni) && texts(v.versions) && texts(v.alpn) && texts(v.ja4) && texts(v.certificateSubjects),
  dns: (v) => texts(v.names),
};

/** The facts kinds that have their full expected shape; the rest are dropped. Returns how many were dropped. */
export function sanitizeFacts(v: unknown, out: EdgeFacts): number {
  if (v === undefined) return 0;
  if (!obj(v)) return 1;
  let dropped = 0;
  for (const k of Object.keys(v)) {
    const shape = SHAPES[k as keyof EdgeFacts];
    const val = v[k];
    if (shape && obj(val) && shape(val)) (out as Record<string, unknown>)[k] = val;
    else dropped++;
  }
  return dropped;
}

/** A host record of the expected shape, or undefined. */
export function sanitizeHost(v: unknown): HostFacts | undefined {
  if (!obj(v) || !isText(v.address, 64)) return undefined;
  const ok = texts(v.macs) && texts(v.hostnames) && texts(v.roles) && texts(v.aeTitles) && texts(v.hl7Applications) && texts(v.modalities)
    && listOf(v.software, (s) => isText(s.product) && (s.vendor === undefined || isText(s.vendor)) && (s.version === undefined || isText(s.version)) && isText(s.source)
      && (s.confidence === 'low' || s.confidence === 'medium' || s.confidence === 'high'))
    && listOf(v.listeningPorts, (p) => isL4(p.transport) && isCount(p.port) && p.port <= 65535 && isProtocol(p.protocol))
    && isTime(v.firstSeen) && isTime(v.lastSeen);
  return ok ? (v as unknown as HostFacts) : undefined;
}
