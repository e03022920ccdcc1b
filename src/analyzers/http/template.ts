/**
 * Path templates and API recognition for HTTP requests.
 *
 * A path can hold PHI (a patient id in /Patient/MRN0001, a study UID, a name
 * in a query string), so only a template ever leaves the analyzer: query
 * strings and fragments are dropped and identifier-looking segments become
 * `{id}` (or `{uid}` for DICOM UIDs, which tell a reader it is DICOMweb).
 */

export type DicomwebKind = 'QIDO' | 'WADO' | 'STOW';

export interface RequestClass {
  /** "/fhir/Patient/{id}", never a value from the request. */
  template: string;
  /** The FHIR resource type addressed, when the request is FHIR. */
  fhirResource?: string;
  fhir: boolean;
  dicomweb?: DicomwebKind;
  /** Orthanc's own REST API (/system, /patients, /instances...). */
  orthanc: boolean;
  /** The request addresses patient data (FHIR patient compartment, DICOMweb, Orthanc patient resources). */
  phi: boolean;
  /** A query parameter named like a password or token was present (its value is never kept). */
  passwordInQuery: boolean;
  /** An absolute-form target carried user:password@ (never kept). */
  userinfo: boolean;
}

/** FHIR R4/R5 resource types that appear on hospital networks; enough to recognise the API. */
const FHIR_RESOURCES = new Set([
  'Account', 'AdverseEvent', 'AllergyIntolerance', 'Appointment', 'AppointmentResponse', 'AuditEvent', 'Basic',
  'Binary', 'BodyStructure', 'Bundle', 'CapabilityStatement', 'CarePlan', 'CareTeam', 'ChargeItem', 'Claim',
  'ClaimResponse', 'ClinicalImpression', 'CodeSystem', 'Communication', 'CommunicationRequest', 'Composition',
  'ConceptMap', 'Condition', 'Consent', 'Coverage', 'DetectedIssue', 'Device', 'DeviceMetric', 'DeviceRequest',
  'DeviceUseStatement', 'DiagnosticReport', 'DocumentManifest', 'DocumentReference', 'Encounter', 'Endpoint',
  'EpisodeOfCare', 'ExplanationOfBenefit', 'FamilyMemberHistory', 'Flag', 'Goal', 'Group', 'HealthcareService',
  'ImagingStudy', 'Immunization', 'ImmunizationRecommendation', 'Invoice', 'List', 'Location', 'Measure',
  'MeasureReport', 'Media', 'Medication', 'MedicationAdministration', 'MedicationDispense', 'MedicationRequest',
  'MedicationStatement', 'MessageHeader', 'NutritionOrder', 'Observation', 'OperationDefinition', 'OperationOutcome',
  'Organization', 'Parameters', 'Patient', 'Person', 'Practitioner', 'PractitionerRole', 'Procedure', 'Provenance',
  'Questionnaire', 'QuestionnaireResponse', 'RelatedPerson', 'RequestGroup', 'RiskAssessment', 'Schedule',
  'SearchParameter', 'ServiceRequest', 'Slot', 'Specimen', 'StructureDefinition', 'Subscription', 'Substance',
  'SupplyDelivery', 'SupplyRequest', 'Task', 'ValueSet', 'VisionPrescription',
]);

/** Resources that describe the system or terminology, not a patient. Everything else is treated as PHI-bearing. */
const FHIR_NON_PATIENT = new Set([
  'CapabilityStatement', 'CodeSystem', 'ConceptMap', 'Endpoint', 'HealthcareService', 'Location', 'Measure',
  'OperationDefinition', 'OperationOutcome', 'Organization', 'Practitioner', 'PractitionerRole', 'Questionnaire',
  'Schedule', 'SearchParameter', 'Slot', 'StructureDefinition', 'Subscription', 'Substance', 'ValueSet', 'Medication',
  'Device', 'DeviceMetric',
]);

/** First path segments of Orthanc's REST API. */
const ORTHANC_ROOTS = new Set([
  'system', 'patients', 'studies', 'series', 'instances', 'modalities', 'peers', 'changes', 'exports', 'tools',
  'plugins', 'jobs', 'statistics', 'queries', 'app', 'ui', 'transfers', 'storage-commitment',
]);
const ORTHANC_PHI_ROOTS = new Set(['patients', 'studies', 'series', 'instances', 'queries']);

/** Collections whose next path segment identifies a person. */
const PERSON_COLLECTION = /^(patients?|persons?|people|mrns?|subjects?|users?|accounts?|members?)$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DICOM_UID = /^[0-2](\.(0|[1-9]\d*)){2,}$/;
const VERSION = /^(v|r|stu|dstu)\d{1,2}(\.\d{1,2})?$/i;
const PASSWORD_KEY = /^(pass|passwd|password|pwd|passphrase|secret|pin|client_secret|access_token|api_?key|auth_?token)$/i;
/** QIDO-RS query keys: DICOM keywords (PatientID, StudyDate...), tags (00100020) and the QIDO controls. */
const QIDO_KEY = /^([A-Z][A-Za-z]{2,}|[0-9A-Fa-f]{8}(\.[0-9A-Fa-f]{8})*|includefield|fuzzymatching)$/;
const FHIR_BASE = /^(fhir|fhir-?r\d|fhir-?stu\d|fhir-?dstu\d|baser\d|basestu\d|fhirserver|hapi-fhir)$/i;
const DICOMWEB_BASE = /^(dicom-?web|dicomweb|wado-?rs|qido-?rs|stow-?rs|rs|dcm4chee-arc)$/i;

/** True when a path segment looks like an identifier rather than a name of an API element. */
export function isIdentifierSegment(seg: string): boolean {
  if (seg.length === 0) return false;
  if (seg.length > 40) return true;
  if (UUID.test(seg) || DICOM_UID.test(seg)) return true;
  if (seg.charCodeAt(0) === 36 /* $ */) return false; // FHIR operations: $everything, $validate
  if (VERSION.test(seg)) return false;
  // Any digit makes it an identifier: MRNs, accession numbers, Orthanc hashes, dates.
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
    if (c === 37 /* % */ || c === 64 /* @ */ || c === 61 /* = */ || c === 38 /* & */) return true;
  }
  return false;
}

function hasQidoParam(query: string): boolean {
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (QIDO_KEY.test(eq < 0 ? pair : pair.slice(0, eq))) return true;
  }
  return false;
}

function hasPasswordParam(query: string): boolean {
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (PASSWORD_KEY.test(key)) return true;
  }
  return false;
}

/**
 * Classifies a request target. `contentType` and `accept` come from the
 * request headers; media types decide FHIR and DICOMweb where the path
 * does not.
 */
export function classifyRequest(method: string, target: string, contentType = '', accept = ''): RequestClass {
  let path = target;
  let query = '';
  // Absolute-form targets (proxies): keep only the path; user:password@ in the authority is a credential.
  let userinfo = false;
  if (path.charCodeAt(0) !== 47 /* / */) {
    const scheme = path.indexOf('://');
    if (scheme >= 0) {
      const slash = path.indexOf('/', scheme + 3);
      const authority = slash < 0 ? path.slice(scheme + 3) : path.slice(scheme + 3, slash);
      userinfo = authority.includes('@');
      path = slash < 0 ? '/' : path.slice(slash);
    }
  }
  const hash = path.indexOf('#');
  if (hash >= 0) path = path.slice(0, hash);
  const q = path.indexOf('?');
  if (q >= 0) {
    query = path.slice(q + 1);
    path = path.slice(0, q);
  }
  const segs = path.split('/');
  const media = `${contentType} ${accept}`.toLowerCase();

  let fhir = media.includes('fhir+json') || media.includes('fhir+xml');
  let fhirResource: string | undefined;
  let fhirIdNext = false;
  let dicomwebBase = false;
  let uidSeen = false;
  const out: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    // Matrix parameters (";jsessionid=...") can carry session tokens: dropped like the query.
    const semi = segs[i].indexOf(';');
    const raw = semi >= 0 ? segs[i].slice(0, semi) : segs[i];
    let seg = raw;
    if (i === 0 && raw === '') {
      out.push('');
      continue;
    }
    if (fhirIdNext) {
      fhirIdNext = false;
      if (raw !== '' && raw.charCodeAt(0) !== 36 && raw !== '_history' && raw !== '_search') {
        out.push('{id}');
        continue;
      }
    }
    if (FHIR_BASE.test(raw)) {
      fhir = true;
      out.push(raw);
      continue;
    }
    if (DICOMWEB_BASE.test(raw)) {
      dicomwebBase = true;
      out.push(raw);
      continue;
    }
    if (FHIR_RESOURCES.has(raw)) {
      if (!fhirResource) fhirResource = raw;
      fhir = true;
      fhirIdNext = true;
    } else if (PERSON_COLLECTION.test(raw)) {
      // Whatever names a person in a custom API (/patients/DOE) is an identifier, digits or not.
      fhirIdNext = true;
    } else if (raw === '_history') {
      fhirIdNext = true;
    } else if (DICOM_UID.test(raw)) {
      seg = '{uid}';
      uidSeen = true;
    } else if (isIdentifierSegment(raw)) {
      seg = '{id}';
    }
    out.push(seg);
  }
  let template = out.join('/');
  if (template === '') template = '/';

  const m = method.toUpperCase();
  const lower = segs.map((s) => s.toLowerCase());
  const last = lower[lower.length - 1] === '' ? lower[lower.length - 2] : lower[lower.length - 1];
  const studiesAt = lower.indexOf('studies');
  const dicomMedia = media.includes('application/dicom') || media.includes('type="application/dicom')
    || media.includes('dicom+json') || media.includes('dicom+xml');
  let dicomweb: DicomwebKind | undefined;
  if (/(^|&)requesttype=wado(&|$)/i.test(query)) dicomweb = 'WADO';
  else if (!fhir && studiesAt >= 0 && (dicomwebBase || dicomMedia || uidSeen || hasQidoParam(query))) {
    if (m === 'POST' && (last === 'studies' || (uidSeen && lower.length === studiesAt + 2))) dicomweb = 'STOW';
    else if (last === 'studies' || last === 'series' || last === 'instances') dicomweb = 'QIDO';
    else dicomweb = 'WADO';
  }

  const first = lower[1] ?? '';
  const orthanc = !fhir && !dicomweb && ORTHANC_ROOTS.has(first);
  const phi = dicomweb !== undefined
    || (fhir && (fhirResource === undefined
      ? last !== 'metadata' && m !== 'GET' && m !== 'HEAD' && m !== 'OPTIONS'
      : !FHIR_NON_PATIENT.has(fhirResource)))
    || (orthanc && ORTHANC_PHI_ROOTS.has(first));
  return {
    template,
    fhirResource,
    fhir,
    dicomweb,
    orthanc,
    phi,
    passwordInQuery: query.length > 0 && hasPasswordParam(query),
    userinfo,
  };
}

/** "Orthanc/1.10.1" -> { product: 'Orthanc', version: '1.10.1' }; the first product token of a Server header. */
export function parseProductToken(header: string): { product: string; version?: string } | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9._+-]*)(?:\/([A-Za-z0-9._+-]+))?/.exec(header);
  if (!m) return undefined;
  return m[2] ? { product: m[1], version: m[2] } : { product: m[1] };
}
