import { fieldLoc } from './locations.ts';
import { ModelIndex, endpointText } from './index.ts';
import type { Problem } from './problem.ts';
import type { Conduit, EndpointRef, SiteModel } from './types.ts';

/** Fields the user did not write, which normalise() fills from context. */
export class ImplicitFields {
  readonly conduitPhi = new Set<Conduit>();
  readonly conduitId = new Set<Conduit>();
  /** Endpoints written as a bare name, resolved once every section is known. */
  readonly bareEndpoints = new Map<Conduit, { from?: string; to?: string }>();
}

/**
 * Fills what the user left implicit, once every file is read: bare endpoint
 * names, an asset's zone and process, conduit ids, and whether a conduit may
 * carry PHI.
 */
export function normalise(model: SiteModel, implicit: ImplicitFields, problems: Problem[]): void {
  mergeProcesses(model);
  resolveBareEndpoints(model, implicit, problems);
  const index = new ModelIndex(model);
  for (const a of model.assets) {
    if (a.zone === undefined) {
      for (const addr of a.addresses) {
        const z = index.zoneFor(addr.split('/')[0]);
        if (z) { a.zone = z.name; break; }
      }
    }
    if (a.process === undefined && a.zone !== undefined) {
      const z = index.zones.get(a.zone);
      if (z && z.processes.length === 1) a.process = z.processes[0];
    }
  }
  const ids = new Set(model.conduits.filter((c) => !implicit.conduitId.has(c)).map((c) => c.id));
  for (const c of model.conduits) {
    if (implicit.conduitId.has(c)) {
      const base = `${endpointText(c.from)}->${endpointText(c.to)}`;
      let id = base;
      for (let n = 2; ids.has(id); n++) id = `${base}#${n}`;
      ids.add(id);
      c.id = id;
    }
    if (implicit.conduitPhi.has(c)) c.phiAllowed = carriesPhi(c.from, model) || carriesPhi(c.to, model);
  }
}

/** A site may re-declare a built-in process to describe it; the built-in entry keeps its place. */
function mergeProcesses(model: SiteModel): void {
  const builtin = new Map(model.processes.filter((p) => p.builtin).map((p) => [p.name, p]));
  model.processes = model.processes.filter((p) => {
    if (p.builtin) return true;
    const b = builtin.get(p.name);
    if (!b) return true;
    if (p.description) b.description = p.description;
    b.loc = p.loc;
    return false;
  });
}

function resolveBareEndpoints(model: SiteModel, implicit: ImplicitFields, problems: Problem[]): void {
  if (implicit.bareEndpoints.size === 0) return;
  const zones = new Set(model.zones.map((z) => z.name));
  const assets = new Set(model.assets.map((a) => a.name));
  const partners = new Set(model.partners.map((p) => p.name));
  for (const [c, bare] of implicit.bareEndpoints) {
    for (const side of ['from', 'to'] as const) {
      const name = bare[side];
      if (name === undefined) continue;
      const kinds = [zones.has(name) && 'zone', assets.has(name) && 'asset', partners.has(name) && 'partner'].filter((k): k is string => !!k);
      if (kinds.length === 1) {
        c[side] = refOf(kinds[0], name);
      } else if (kinds.length > 1) {
        problems.push({
          severity: 'error', code: 'conduit.ambiguous-endpoint', location: fieldLoc(c, side),
          message: `'${name}' names a ${kinds.join(' and a ')}`, hint: `write ${kinds.map((k) => `${k}:${name}`).join(' or ')}`,
        });
      }
      // No match: left as a zone reference; validate reports it as unknown.
    }
  }
}

function refOf(kind: string, name: string): EndpointRef {
  return kind === 'asset' ? { asset: name } : kind === 'partner' ? { partner: name } : { zone: name };
}

/**
 * PHI is allowed by default when an end handles it: a PHI asset, a zone
 * holding one, or a partner whose business is patient billing or insurance.
 */
function carriesPhi(ref: EndpointRef, model: SiteModel): boolean {
  if ('asset' in ref) return model.assets.some((a) => a.name === ref.asset && a.phi);
  if ('partner' in ref) return model.partners.some((p) => p.name === ref.partner && ['insurer', 'clearinghouse', 'billing'].includes(p.kind));
  return model.assets.some((a) => a.zone === ref.zone && a.phi);
}
