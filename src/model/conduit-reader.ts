import { isScalar, isSeq } from 'yaml';
import type { SourceLocation } from '../core/errors.ts';
import { setFieldLoc } from './locations.ts';
import type { ImplicitFields } from './normalise.ts';
import { parseService } from './service.ts';
import { suggestHint } from './suggest.ts';
import type { Conduit, DicomIdentity, EndpointRef, FhirIdentity, Hl7Identity, ServiceSpec } from './types.ts';
import { bool, fieldLocOf, fields, oneOf, scalarText, str, strList, type Fields, type Reader, type YNode } from './yaml-reader.ts';

/** Reads conduits: endpoints, services (shorthand and long form), identity constraints. */

/** DICOM PS3.5: an AE title is 1-16 characters of the default repertoire, no backslash or control characters. */
export function checkAeTitle(r: Reader, ae: string, at: SourceLocation | undefined): void {
  if (ae.length === 0 || ae.length > 16 || /[\\\x00-\x1f\x7f]/.test(ae) || /[^\x20-\x7e]/.test(ae)) {
    r.problem('error', 'dicom.ae-title', null, `'${ae}' is not a valid DICOM AE title`, 'at most 16 printable ASCII characters, no backslash', at);
  }
}

const ENDPOINT_KINDS = ['zone', 'asset', 'partner'] as const;

function readEndpoint(r: Reader, f: Fields, key: 'from' | 'to', c: Conduit, implicit: ImplicitFields): EndpointRef | undefined {
  const field = f.get(key);
  if (!field || field.value === null) {
    r.problem('error', 'key.missing', field?.key ?? null, `conduit needs '${key}'`, 'e.g. zone:imaging-servers, asset:pacs-main or partner:clearinghouse', field ? undefined : c.loc);
    return undefined;
  }
  setFieldLoc(c, key, field.loc);
  const v = field.value;
  if (isScalar(v)) {
    const t = scalarText(v).trim();
    const m = /^([a-z]+):(.+)$/.exec(t);
    if (!m) {
      const bare = implicit.bareEndpoints.get(c) ?? {};
      bare[key] = t;
      implicit.bareEndpoints.set(c, bare);
      return { zone: t };
    }
    const kind = m[1] as (typeof ENDPOINT_KINDS)[number];
    if (!ENDPOINT_KINDS.includes(kind)) {
      r.problem('error', 'conduit.endpoint', v, `'${m[1]}:' is not an endpoint kind`, suggestHint(m[1], ENDPOINT_KINDS, 'endpoint kinds'));
      return undefined;
    }
    return endpoint(kind, m[2].trim());
  }
  const ef = fields(r, v, `conduit '${key}'`, ENDPOINT_KINDS);
  if (!ef) return undefined;
  const present = ENDPOINT_KINDS.filter((k) => ef.has(k));
  if (present.length !== 1) {
    r.problem('error', 'conduit.endpoint', v, `conduit '${key}' must name exactly one of zone, asset or partner`);
    return undefined;
  }
  const name = str(r, ef, present[0]);
  return name === undefined ? undefined : endpoint(present[0], name);
}

function endpoint(kind: 'zone' | 'asset' | 'partner', name: string): EndpointRef {
  return kind === 'zone' ? { zone: name } : kind === 'asset' ? { asset: name } : { partner: name };
}

function readServices(r: Reader, f: Fields, c: Conduit): ServiceSpec[] {
  const field = f.get('services');
  if (!field || field.value === null) {
    r.problem('error', 'key.missing', field?.key ?? null, `conduit${c.id ? ` '${c.id}'` : ''} needs 'services'`, 'e.g. services: [dicom] or [tcp/2575:hl7]; write tcp for any TCP port', field ? undefined : c.loc);
    return [];
  }
  setFieldLoc(c, 'services', field.loc);
  const items = isSeq(field.value) ? field.value.items : [field.value];
  const out: ServiceSpec[] = [];
  for (const item of items) {
    const n = r.deref(item);
    if (n === null) continue;
    let s: ServiceSpec | undefined;
    if (isScalar(n)) {
      const parsed = parseService(scalarText(n));
      if (typeof parsed === 'string') r.problem('error', 'conduit.service', n, parsed, 'e.g. dicom, dicom/104,11112, tcp/2575:hl7, tcp/8000-8100, udp/53, https');
      else s = parsed;
    } else {
      s = readLongService(r, n);
    }
    if (s) {
      setFieldLoc(c, `services.${out.length}`, r.loc(n));
      out.push(s);
    }
  }
  return out;
}

function readLongService(r: Reader, n: YNode): ServiceSpec | undefined {
  const f = fields(r, n, 'a service', ['transport', 'ports', 'protocol'], { port: 'ports' });
  if (!f) return undefined;
  const holder = {};
  const transport = oneOf<'tcp' | 'udp'>(r, f, 'transport', holder, ['tcp', 'udp'], 'transport');
  if (!transport) {
    if (!f.has('transport')) r.problem('error', 'key.missing', n, "a service needs 'transport: tcp' or 'transport: udp'");
    return undefined;
  }
  const ports: Array<number | [number, number]> = [];
  for (const [i, text] of strList(r, f, 'ports', holder).entries()) {
    const parsed = parseService(`${transport}/${text}`);
    if (typeof parsed === 'string') r.problem('error', 'conduit.service', null, parsed, 'ports are numbers 1-65535 or ranges like 8000-8100', fieldLocOf(holder, `ports.${i}`));
    else ports.push(...parsed.ports);
  }
  const protocol = str(r, f, 'protocol', holder)?.toLowerCase();
  return protocol ? { transport, ports, protocol } : { transport, ports };
}

const DICOM_KEYS = ['callingAeTitles', 'calledAeTitles'];
const HL7_KEYS = ['sendingApplications', 'sendingFacilities', 'receivingApplications', 'receivingFacilities', 'messageTypes', 'allowedSegments', 'allowedFields'];
const MESSAGE_TYPE_RE = /^[A-Z0-9]{3}(\^[A-Z0-9]{3})?$/;
const SEGMENT_RE = /^[A-Z][A-Z0-9]{2}$/;
const FIELD_RE = /^[A-Z][A-Z0-9]{2}-\d{1,3}(\.\d{1,3}){0,2}$/;
const FHIR_RESOURCE_RE = /^[A-Z][A-Za-z]+$/;

function readDicom(r: Reader, f: Fields, c: Conduit): DicomIdentity | undefined {
  const field = f.get('dicom');
  if (!field || field.value === null) return undefined;
  setFieldLoc(c, 'dicom', field.loc);
  const df = fields(r, field.value, 'dicom', DICOM_KEYS, { callingAeTitle: 'callingAeTitles', calledAeTitle: 'calledAeTitles', calling: 'callingAeTitles', called: 'calledAeTitles' });
  if (!df) return undefined;
  const holder = {};
  const out: DicomIdentity = {};
  for (const k of DICOM_KEYS as Array<keyof DicomIdentity>) {
    if (!df.has(k)) continue;
    const list = strList(r, df, k, holder);
    list.forEach((ae, i) => checkAeTitle(r, ae, fieldLocOf(holder, `${k}.${i}`)));
    out[k] = list;
  }
  return out;
}

function readHl7(r: Reader, f: Fields, c: Conduit): Hl7Identity | undefined {
  const field = f.get('hl7');
  if (!field || field.value === null) return undefined;
  setFieldLoc(c, 'hl7', field.loc);
  const hf = fields(r, field.value, 'hl7', HL7_KEYS, { messageType: 'messageTypes', sendingApplication: 'sendingApplications', receivingApplication: 'receivingApplications', sendingFacility: 'sendingFacilities', receivingFacility: 'receivingFacilities' });
  if (!hf) return undefined;
  const holder = {};
  const out: Hl7Identity = {};
  for (const k of HL7_KEYS as Array<keyof Hl7Identity>) {
    if (!hf.has(k)) continue;
    const list = strList(r, hf, k, holder);
    const re = k === 'messageTypes' ? MESSAGE_TYPE_RE : k === 'allowedSegments' ? SEGMENT_RE : k === 'allowedFields' ? FIELD_RE : undefined;
    const example = k === 'messageTypes' ? 'ADT^A01 or ADT' : k === 'allowedSegments' ? 'PID' : 'PID-5 or PID-3.1';
    list.forEach((v, i) => {
      if (re && !re.test(v)) r.problem('error', 'hl7.identity', null, `'${v}' is not a valid ${k === 'messageTypes' ? 'HL7 message type' : k === 'allowedSegments' ? 'HL7 segment' : 'HL7 field'}`, `e.g. ${example}`, fieldLocOf(holder, `${k}.${i}`));
    });
    out[k] = list;
  }
  return out;
}

function readFhir(r: Reader, f: Fields, c: Conduit): FhirIdentity | undefined {
  const field = f.get('fhir');
  if (!field || field.value === null) return undefined;
  setFieldLoc(c, 'fhir', field.loc);
  const ff = fields(r, field.value, 'fhir', ['allowedResources'], { resources: 'allowedResources' });
  if (!ff) return undefined;
  const holder = {};
  const list = strList(r, ff, 'allowedResources', holder);
  list.forEach((v, i) => {
    if (!FHIR_RESOURCE_RE.test(v)) r.problem('error', 'fhir.resource', null, `'${v}' is not a FHIR resource type`, 'e.g. Appointment, Patient, Observation', fieldLocOf(holder, `allowedResources.${i}`));
  });
  return { allowedResources: list };
}

export function readConduit(r: Reader, item: unknown, implicit: ImplicitFields): Conduit | undefined {
  const node = r.deref(item);
  const f = fields(r, node, 'a conduit', [
    'id', 'from', 'to', 'services', 'dicom', 'hl7', 'fhir', 'tlsRequired', 'phiAllowed', 'owner', 'justification', 'expires',
  ], { name: 'id', service: 'services' });
  if (!f) return undefined;
  const c: Conduit = { id: '', from: { zone: '' }, to: { zone: '' }, services: [], tlsRequired: false, phiAllowed: true, loc: r.loc(node) };
  const id = str(r, f, 'id', c);
  if (id !== undefined) c.id = id;
  else implicit.conduitId.add(c);
  const from = readEndpoint(r, f, 'from', c, implicit);
  const to = readEndpoint(r, f, 'to', c, implicit);
  if (!from || !to) return undefined;
  c.from = from;
  c.to = to;
  c.services = readServices(r, f, c);
  const dicom = readDicom(r, f, c);
  if (dicom) c.dicom = dicom;
  const hl7 = readHl7(r, f, c);
  if (hl7) c.hl7 = hl7;
  const fhir = readFhir(r, f, c);
  if (fhir) c.fhir = fhir;
  c.tlsRequired = bool(r, f, 'tlsRequired', c) ?? false;
  const phi = bool(r, f, 'phiAllowed', c);
  if (phi === undefined) implicit.conduitPhi.add(c);
  else c.phiAllowed = phi;
  for (const k of ['owner', 'justification'] as const) {
    const v = str(r, f, k, c);
    if (v !== undefined) c[k] = v;
  }
  const exp = str(r, f, 'expires', c);
  if (exp !== undefined) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(exp) && !Number.isNaN(Date.parse(`${exp}T00:00:00Z`)) && new Date(`${exp}T00:00:00Z`).toISOString().startsWith(exp)) c.expires = exp;
    else r.problem('error', 'conduit.expires', f.get('expires')!.value, `'${exp}' is not a date`, 'write YYYY-MM-DD, e.g. 2026-12-31');
  }
  return c;
}