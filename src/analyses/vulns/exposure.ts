/**
 * How exposed each asset is, from the site graph: in an internet-facing
 * zone; directly reachable from the internet; reachable from user, wireless, DMZ or
 * partner footholds (and in how many hops). One multi-source traversal per
 * question, whatever the number of assets.
 */
import { Traversal } from '../../graph/csr.ts';
import { compilePolicy } from '../../graph/policy.ts';
import { buildSiteGraph } from '../../graph/site-graph.ts';
import type { SiteModel } from '../../model/types.ts';
import type { FlowEdge } from '../../observations/types.ts';

export interface Exposure {
  zone?: string;
  internetFacing: boolean;
  /** One conduit or observed flow from the internet (further reach is counted as foothold hops). */
  fromInternet: boolean;
  /** Hops from the nearest user/DMZ/partner foothold; -1 unreachable; 0 it is one. */
  footholdHops: number;
}

export function exposures(model: SiteModel, edges: readonly FlowEdge[] = [], now = Date.now()): Map<string, Exposure> {
  const policy = compilePolicy(model);
  const sg = buildSiteGraph(policy, edges, { model: true, observed: edges.length > 0, now });
  const trav = new Traversal(sg.graph);
  const internet: number[] = [];
  const footholds: number[] = [];
  for (let z = 0; z < policy.zones.length; z++) if (policy.zones[z].kind === 'external') internet.push(sg.zoneBase + z);
  for (let v = 0; v < sg.conduitBase; v++) if (sg.exposed[v]) footholds.push(v);
  trav.run(internet);
  const fromInternet = Int32Array.from(trav.dist);
  trav.run(footholds);
  const out = new Map<string, Exposure>();
  const az = policy.addresses.assetZone;
  for (let a = 0; a < policy.assets.length; a++) {
    const zone = az[a] >= 0 ? policy.zones[az[a]] : undefined;
    out.set(policy.assets[a].name, {
      zone: zone?.name, internetFacing: !!zone && (zone.internetFacing || zone.kind === 'external'),
      fromInternet: internet.length > 0 && fromInternet[a] >= 0 && fromInternet[a] <= 1, footholdHops: trav.dist[a],
    });
  }
  return out;
}
