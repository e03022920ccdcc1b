/**
 * What software each asset runs, with where that was learnt and how sure
 * it is: the site model (vendor/product/version, CPE), passive fingerprints
 * (DICOM implementation class UID / version name, HTTP Server header), an
 * active probe (Orthanc /system), and SBOMs attached to assets. Known
 * product names are mapped to the CPE vendor:product NVD uses, so that an
 * asset written as "Orthanc 1.10.1" finds the advisories for
 * orthanc-server:orthanc.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { cidrContains, parseCidr } from '../core/net.ts';
import type { Finding } from '../core/finding.ts';
import type { Asset, SiteModel } from '../model/types.ts';
import type { HostFacts } from '../observations/types.ts';
import { parseCpe, type Cpe } from './cpe.ts';
import { parsePurl, type Purl } from './purl.ts';
import { readSbom, type Sbom, type VexStatement } from './sbom.ts';
import { normaliseName } from './types.ts';

export type IdentitySource = 'model-cpe' | 'model' | 'passive' | 'probe' | 'sbom';

export interface SoftwareIdentity {
  asset: string;
  /** What a person reads: "Orthanc 1.10.1". */
  display: string;
  /** Normalised CPE-style vendor and product keys (see normaliseName). */
  vendor: string;
  product: string;
  version?: string;
  cpe?: Cpe;
  purl?: Purl;
  source: IdentitySource;
  /** Where exactly: the model file, "http-server on 10.20.20.10", the SBOM path. */
  detail: string;
  confidence: 'low' | 'medium' | 'high';
  /** SBOM component reference and purl, for VEX statements. */
  refs?: string[];
}

/**
 * Product names as devices and inventories write them, to the CPE
 * vendor:product pairs NVD files them under (checked against NVD records:
 * orthanc-server:orthanc, offis:dcmtk; others from the CPE dictionary names).
 */
const KNOWN: Array<{ re: RegExp; vendor: string; product: string }> = [
  { re: /\borthanc\b/i, vendor: 'orthanc_server', product: 'orthanc' },
  { re: /\bdcmtk\b|\boffis[_ -]?dcm/i, vendor: 'offis', product: 'dcmtk' },
  { re: /\bnginx\b/i, vendor: 'f5', product: 'nginx' },
  { re: /\bdnsmasq\b/i, vendor: 'thekelleys', product: 'dnsmasq' },
  { re: /\bpostgres(ql)?\b/i, vendor: 'postgresql', product: 'postgresql' },
  { re: /\bapache\b.*\bhttpd?\b|^apache$/i, vendor: 'apache', product: 'http_server' },
  { re: /\bopenssl\b/i, vendor: 'openssl', product: 'openssl' },
  { re: /\bdcm4chee?\b/i, vendor: 'dcm4che', product: 'dcm4chee_arc_light' },
  { re: /\bmirth\b/i, vendor: 'nextgen', product: 'mirth_connect' },
  { re: /\bmicrosoft[- ]iis\b|^iis$/i, vendor: 'microsoft', product: 'internet_information_services' },
];

/** The index keys for a vendor/product text: the known CPE pair, else the normalised text. */
export function productKeys(vendor: string | undefined, product: string): { vendor: string; product: string } {
  const text = `${vendor ?? ''} ${product}`;
  for (const k of KNOWN) if (k.re.test(text)) return { vendor: k.vendor, product: k.product };
  return { vendor: normaliseName(vendor), product: normaliseName(product) };
}

/** "Orthanc Orthanc 1.10.1" reads as "Orthanc 1.10.1". */
function label(vendor: string | undefined, product: string | undefined, version: string | undefined): string {
  const v = vendor && product && normaliseName(product).startsWith(normaliseName(vendor)) ? undefined : vendor;
  return [v, product, version].filter(Boolean).join(' ');
}

function fromCpe(asset: string, cpeText: string, source: IdentitySource, detail: string, confidence: SoftwareIdentity['confidence']): SoftwareIdentity | undefined {
  const cpe = parseCpe(cpeText);
  if (!cpe) return undefined;
  const version = cpe.version !== '*' && cpe.version !== '-' ? cpe.version : undefined;
  return {
    asset, display: `${cpe.vendor}:${cpe.product}${version ? ` ${version}` : ''}`, vendor: normaliseName(cpe.vendor), product: normaliseName(cpe.product),
    version, cpe, source, detail, confidence,
  };
}

export function modelIdentities(a: Asset, modelFile: string): SoftwareIdentity[] {
  const out: SoftwareIdentity[] = [];
  const where = a.loc ? `${a.loc.file}${a.loc.line ? `:${a.loc.line}` : ''}` : modelFile;
  if (a.cpe) {
    const id = fromCpe(a.name, a.cpe, 'model-cpe', where, 'high');
    if (id) {
      // The model's own version wins over a CPE written with '*'.
      if (!id.version && a.version) id.version = a.version;
      // Name the software the CPE names; the device's own product name only when it is that software.
      const own = a.product ? productKeys(a.vendor, a.product).product : '';
      // "Windows Server" + windows_server_2019 is the same software named more precisely.
      if (a.product && (own === id.product || (own.length > 3 && id.product.startsWith(own)))) id.display = label(a.vendor, a.product, id.version);
      else if (a.product) id.display = `${label(undefined, id.cpe!.product, id.version)} (in ${label(a.vendor, a.product, undefined)})`;
      out.push(id);
    }
  }
  if (a.product && !out.length) {
    const k = productKeys(a.vendor, a.product);
    out.push({
      asset: a.name, display: label(a.vendor, a.product, a.version), vendor: k.vendor, product: k.product,
      version: a.version, source: 'model', detail: where, confidence: a.version ? 'medium' : 'low',
    });
  }
  return out;
}

/** The model asset an address belongs to: exact address first, then a CIDR the asset lists. */
export function assetForAddress(model: SiteModel, address: string): Asset | undefined {
  const exact = model.assets.find((a) => a.addresses.includes(address));
  if (exact) return exact;
  return model.assets.find((a) => a.addresses.some((c) => c.includes('/') && (() => { const p = parseCidr(c); return !!p && cidrContains(p, address); })()));
}

export function passiveIdentities(model: SiteModel, hosts: readonly HostFacts[]): SoftwareIdentity[] {
  const out: SoftwareIdentity[] = [];
  for (const h of hosts) {
    if (!h.software.length) continue;
    const a = assetForAddress(model, h.address);
    if (!a) continue;
    for (const s of h.software) {
      const k = productKeys(s.vendor, s.product);
      out.push({
        asset: a.name, display: label(s.vendor, s.product, s.version), vendor: k.vendor, product: k.product,
        version: s.version, source: 'passive', detail: `${s.source} on ${h.address}`, confidence: s.confidence,
      });
    }
  }
  return out;
}

/** Orthanc's /system answer, as the probe engineer stores it in probe findings' evidence. */
export function probeIdentities(model: SiteModel, findings: readonly Finding[]): SoftwareIdentity[] {
  const out: SoftwareIdentity[] = [];
  const seen = new Set<string>();
  for (const f of findings) {
    if (f.source !== 'probe') continue;
    const orthanc = f.evidence.orthanc as { version?: unknown } | undefined;
    const version = typeof orthanc?.version === 'string' ? orthanc.version : undefined;
    if (!version) continue;
    const address = typeof f.evidence.address === 'string' ? f.evidence.address : undefined;
    const asset = model.assets.find((a) => a.name === f.subject) ?? (address ? assetForAddress(model, address) : undefined);
    if (!asset || seen.has(`${asset.name}|${version}`)) continue;
    seen.add(`${asset.name}|${version}`);
    out.push({
      asset: asset.name, display: `Orthanc ${version}`, vendor: 'orthanc_server', product: 'orthanc', version, source: 'probe',
      detail: `Orthanc /system on ${address ?? asset.name} (${f.rule})`, confidence: 'high',
    });
  }
  return out;
}

/** Resolves an asset's sbom path against the file that declared it (the model file), else the model path. */
export function sbomPath(a: Asset, modelPath: string): string {
  const p = a.sbom!;
  if (isAbsolute(p)) return p;
  const base = a.loc?.file ? dirname(a.loc.file) : existsSync(join(modelPath, p)) ? modelPath : dirname(modelPath);
  return join(base, p);
}

export interface SbomIdentities {
  identities: SoftwareIdentity[];
  vex: VexStatement[];
  warnings: string[];
}

export function sbomIdentities(a: Asset, modelPath: string): SbomIdentities {
  const file = sbomPath(a, modelPath);
  let sbom;
  try {
    sbom = readSbom(file);
  } catch (err) {
    return { identities: [], vex: [], warnings: [`${a.name}: SBOM ${file}: ${(err as Error).message}`] };
  }
  return { identities: sbomComponentsAsIdentities(a.name, sbom), vex: sbom.vex, warnings: [] };
}

/** Every component with a name becomes an identity: by CPE when it has one, else by purl, else by supplier + name. */
export function sbomComponentsAsIdentities(asset: string, sbom: Sbom): SoftwareIdentity[] {
  const identities: SoftwareIdentity[] = [];
  const file = sbom.file;
  for (const c of sbom.components) {
    const refs = [c.ref, c.purl].filter((x): x is string => !!x);
    const purl = c.purl ? parsePurl(c.purl) : undefined;
    const cpeId = c.cpe ? fromCpe(asset, c.cpe, 'sbom', file, 'high') : undefined;
    if (cpeId) {
      if (!cpeId.version && c.version) cpeId.version = c.version;
      cpeId.purl = purl;
      cpeId.refs = refs;
      cpeId.display = `${c.name}${cpeId.version ? ` ${cpeId.version}` : ''}`;
      identities.push(cpeId);
      continue;
    }
    const version = c.version ?? purl?.version;
    const k = purl ? { vendor: normaliseName(purl.namespace), product: normaliseName(purl.fullName) } : productKeys(c.supplier ?? c.group, c.name);
    identities.push({
      asset, display: `${purl ? purl.fullName : c.name}${version ? ` ${version}` : ''}`, vendor: k.vendor, product: k.product, version, purl,
      source: 'sbom', detail: `${file} (${sbom.format} ${sbom.specVersion})`, confidence: purl || version ? 'high' : 'low', refs,
    });
  }
  return identities;
}

export interface IdentityInputs {
  model: SiteModel;
  /** The model path as given (a file or a directory), for resolving SBOM paths. */
  modelPath: string;
  hosts?: readonly HostFacts[];
  probeFindings?: readonly Finding[];
}

/** Every identity of every asset, plus the VEX statements found in the assets' SBOMs. */
export function siteIdentities(inp: IdentityInputs): SbomIdentities {
  const identities: SoftwareIdentity[] = [];
  const vex: VexStatement[] = [];
  const warnings: string[] = [];
  for (const a of inp.model.assets) {
    identities.push(...modelIdentities(a, inp.modelPath));
    if (a.sbom) {
      const s = sbomIdentities(a, inp.modelPath);
      identities.push(...s.identities);
      vex.push(...s.vex);
      warnings.push(...s.warnings);
    }
  }
  if (inp.hosts) identities.push(...passiveIdentities(inp.model, inp.hosts));
  if (inp.probeFindings) identities.push(...probeIdentities(inp.model, inp.probeFindings));
  return { identities, vex, warnings };
}
