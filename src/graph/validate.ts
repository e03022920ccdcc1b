/**
 * The problems that make a model unusable for enforcement: zones claiming
 * the same addresses, conduits naming things that do not exist, and rules
 * that contradict each other. Each problem points at where it was written.
 */
import { formatLocation, type SourceLocation } from '../core/errors.ts';
import { cidrsOverlap, parseCidr, type Cidr } from '../core/net.ts';
import type { Conduit, EndpointRef, SiteModel } from '../model/types.ts';

export interface PolicyProblem {
  code: string;
  message: string;
  location?: SourceLocation;
  /** The location formatted, for one-line output. */
  where?: string;
}

function refText(r: EndpointRef): string {
  return 'zone' in r ? `zone '${r.zone}'` : 'asset' in r ? `asset '${r.asset}'` : `partner '${r.partner}'`;
}

function problem(code: string, message: string, location?: SourceLocation): PolicyProblem {
  return { code, message, location, where: location ? formatLocation(location) : undefined };
}

function serviceKey(c: Conduit): string {
  return c.services.map((s) => `${s.transport}:${s.ports.map((p) => (typeof p === 'number' ? p : `${p[0]}-${p[1]}`)).join(',')}`).sort().join(';');
}

export function policyProblems(model: SiteModel): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  const zoneNames = new Set(model.zones.map((z) => z.name));
  const assetNames = new Set(model.assets.map((a) => a.name));
  const partnerNames = new Set(model.partners.map((p) => p.name));

  // Zones may nest inside an external catch-all (the internet, 0.0.0.0/0),
  // but two internal zones claiming the same addresses make every verdict ambiguous.
  // CIDRs either nest or are disjoint: sorted by start (outer first), a sweep
  // with a stack of the enclosing ranges finds every overlap in O(n log n).
  const zc: Array<{ zone: string; cidr: Cidr; end: bigint; order: number; loc?: SourceLocation }> = [];
  model.zones.forEach((z, order) => {
    for (const text of z.cidrs) {
      const c = parseCidr(text);
      if (!c) { out.push(problem('zone.bad-cidr', `zone '${z.name}' has an invalid CIDR '${text}'`, z.loc)); continue; }
      if (z.kind === 'external') continue;
      const bits = BigInt(c.family === 4 ? 32 : 128);
      zc.push({ zone: z.name, cidr: c, end: c.base + (1n << (bits - BigInt(c.prefix))) - 1n, order, loc: z.loc });
    }
  });
  for (const family of [4, 6] as const) {
    const list = zc.filter((x) => x.cidr.family === family)
      .sort((a, b) => (a.cidr.base < b.cidr.base ? -1 : a.cidr.base > b.cidr.base ? 1 : a.cidr.prefix - b.cidr.prefix || a.order - b.order));
    const stack: typeof list = [];
    for (const x of list) {
      while (stack.length && stack[stack.length - 1].end < x.cidr.base) stack.pop();
      for (const o of stack) {
        if (o.zone === x.zone || !cidrsOverlap(o.cidr, x.cidr)) continue;
        // Report on the zone written later, pointing back at the earlier one.
        const [later, earlier] = x.order >= o.order ? [x, o] : [o, x];
        out.push(problem('zone.overlap', `zone '${later.zone}' (${later.cidr.text}) overlaps zone '${earlier.zone}' (${earlier.cidr.text})`, later.loc));
      }
      stack.push(x);
    }
  }

  for (const a of model.assets) {
    if (a.zone !== undefined && !zoneNames.has(a.zone)) out.push(problem('ref.unknown-zone', `asset '${a.name}' names unknown zone '${a.zone}'`, a.loc));
  }

  const ids = new Map<string, Conduit>();
  const seen = new Map<string, Conduit>();
  for (const c of model.conduits) {
    if (ids.has(c.id)) out.push(problem('conduit.duplicate-id', `conduit id '${c.id}' is used twice`, c.loc));
    ids.set(c.id, c);
    for (const r of [c.from, c.to]) {
      const known = 'zone' in r ? zoneNames.has(r.zone) : 'asset' in r ? assetNames.has(r.asset) : partnerNames.has(r.partner);
      if (!known) out.push(problem('ref.unknown', `conduit '${c.id}' names unknown ${refText(r)}`, c.loc));
    }
    if (JSON.stringify(c.from) === JSON.stringify(c.to)) {
      out.push(problem('conduit.self', `conduit '${c.id}' goes from ${refText(c.from)} to itself`, c.loc));
    }
    for (const s of c.services) {
      for (const p of s.ports) {
        const [lo, hi] = typeof p === 'number' ? [p, p] : p;
        if (!(lo >= 0 && hi <= 65535 && lo <= hi)) out.push(problem('conduit.bad-port', `conduit '${c.id}' has an invalid port ${JSON.stringify(p)}`, c.loc));
      }
    }
    // The same path and services with different protection: which one holds is undecidable.
    const key = `${JSON.stringify(c.from)}>${JSON.stringify(c.to)}|${serviceKey(c)}`;
    const twin = seen.get(key);
    if (twin && (twin.tlsRequired !== c.tlsRequired || twin.phiAllowed !== c.phiAllowed)) {
      out.push(problem('conduit.contradiction',
        `conduit '${c.id}' contradicts '${twin.id}' (${twin.loc ? formatLocation(twin.loc) : 'same model'}): same endpoints and services, different tlsRequired/phiAllowed`, c.loc));
    }
    seen.set(key, c);
  }
  return out;
}
