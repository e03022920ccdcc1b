import type { AssetKind, Criticality, SecurityLevel } from './types.ts';

/** Defaults applied by the loader; docs/site-model.md lists them for users. */
export const DEFAULT_SECURITY_LEVEL: SecurityLevel = 2;
export const DEFAULT_CRITICALITY: Criticality = 'medium';
export const DEFAULT_TIMEZONE = 'UTC';
export const DEFAULT_SITE_NAME = 'unnamed site';

/** Kinds that store, display or relay patient data unless the model says otherwise. */
const PHI_KINDS: ReadonlySet<AssetKind> = new Set<AssetKind>([
  'ct', 'mr', 'us', 'cr', 'dx', 'xa', 'nm', 'pt',
  'pacs', 'vna', 'ris', 'emr', 'his', 'lis', 'pharmacy', 'patient-monitor', 'monitoring-gateway',
  'interface-engine', 'kiosk', 'web-portal', 'workstation', 'viewer',
]);

/**
 * Kinds that clinical engineering usually forbids probing: modalities and
 * bedside devices whose embedded stacks fall over on a scan.
 */
const FRAGILE_KINDS: ReadonlySet<AssetKind> = new Set<AssetKind>([
  'ct', 'mr', 'us', 'cr', 'dx', 'xa', 'nm', 'pt', 'infusion-pump', 'patient-monitor',
]);

export function defaultPhi(kind: AssetKind): boolean {
  return PHI_KINDS.has(kind);
}

export function defaultDoNotProbe(kind: AssetKind): boolean {
  return FRAGILE_KINDS.has(kind);
}
