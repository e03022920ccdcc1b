/**
 * Flows that look illegitimate and must not become conduits: scans and
 * probes, kiosks and internet-facing hosts reaching PHI systems, internet
 * clients on cleartext PHI, refused DICOM associations. They are listed for
 * a person to review instead.
 */
import type { FlowEdge } from '../../observations/types.ts';
import { ZONE_DEFS, type Placement } from './role.ts';

import { SCAN_MIN_DESTINATIONS, SCAN_MIN_PAIRS } from '../check/scan.ts';

const PHI_ZONES = new Set(['imaging-servers', 'emr-core', 'interfaces', 'pharmacy', 'monitoring', 'laboratory', 'modalities', 'billing']);

/** Sources that touched many hosts or ports with flows no analyzer could name. */
export function scanningSources(edges: readonly FlowEdge[]): Set<string> {
  const by = new Map<string, { dsts: Set<string>; pairs: Set<string> }>();
  for (const e of edges) {
    if (e.protocolFrom === 'content') continue;
    let s = by.get(e.src);
    if (!s) by.set(e.src, (s = { dsts: new Set(), pairs: new Set() }));
    s.dsts.add(e.dst);
    s.pairs.add(`${e.dst}:${e.dport}`);
  }
  const out = new Set<string>();
  for (const [src, s] of by) if (s.dsts.size >= SCAN_MIN_DESTINATIONS || s.pairs.size >= SCAN_MIN_PAIRS) out.add(src);
  return out;
}

/** Why an edge looks illegitimate, or undefined when it looks like a clinical handover. */
export function suspicion(e: FlowEdge, places: Map<string, Placement>, scanners: Set<string>, inventory = false): string | undefined {
  if (scanners.has(e.src)) return 'part of a scan: the source probed many hosts/ports';
  if (e.protocolFrom !== 'content' && e.protocol === 'unknown' && e.packets <= 3) return 'a probe: no application data seen';
  const dicom = e.facts.dicom;
  if (dicom && dicom.aePairs.length && dicom.aePairs.every((p) => p.outcome === 'rejected' || p.outcome === 'aborted')) return 'DICOM association refused by the peer';
  const s = places.get(e.src);
  const d = places.get(e.dst);
  if (!s || !d) return undefined;
  // With an inventory, a host it lacks is first to be identified, then allowed.
  if (inventory && !s.modelAsset && !s.partner && s.zone !== 'internet') return `${e.src} is not in the model's inventory: identify it before allowing its flows`;
  const sZone = ZONE_DEFS[s.zone];
  const kiosk = s.modelAsset?.kind === 'kiosk';
  if ((kiosk || s.zone === 'dmz') && PHI_ZONES.has(d.zone) && (e.facts.dicom || e.protocol === 'dicom')) {
    return `${kiosk ? 'kiosk' : 'internet-facing host'} opening DICOM to ${d.asset}: no clinical need`;
  }
  if (s.zone === 'internet' && !s.partner && d.zone !== 'dmz') return `internet host reaching ${d.zone}: only DMZ services may face the internet`;
  if (sZone?.kind === 'external' && e.phi && !e.encrypted) return `internet client on cleartext ${e.protocol} to ${d.asset}, which holds PHI`;
  if (s.zone === 'internet' && !s.partner && d.zone === 'dmz' && !e.encrypted && (d.modelAsset?.phi ?? e.phi)) {
    return `internet client on cleartext ${e.protocol === 'unknown' ? `port ${e.dport}` : e.protocol} to ${d.asset}, which handles PHI`;
  }
  return undefined;
}
