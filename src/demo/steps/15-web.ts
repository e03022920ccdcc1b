import { isPrivateAddress } from '../../core/net.ts';
import type { FlowEdge, Observations } from '../../observations/types.ts';
import { loadObservations } from '../../observations/persist.ts';
import type { DemoStep } from '../types.ts';

function endpoint(e: FlowEdge): string {
  return `${e.src} -> ${e.dst}:${e.dport}`;
}

/**
 * Step: what the HTTP, TLS and DNS analyzers saw in the discovered flows:
 * cleartext credentials, FHIR/DICOMweb/Orthanc APIs, TLS versions and the
 * names external partners answer to. Facts only, never a credential or PHI.
 */
export const step: DemoStep = {
  name: 'web',
  async run(ctx) {
    const fromDiscover = (ctx.results.get('discover')?.data as { observations?: Observations } | undefined)?.observations;
    const obs = fromDiscover ?? (await loadObservations(ctx.db));
    const http = obs.edges.filter((e) => e.facts.http);
    const creds = http.filter((e) => e.facts.http?.cleartextCredentials);
    const fhir = obs.edges.filter((e) => e.protocol === 'fhir');
    const dicomweb = obs.edges.filter((e) => e.protocol === 'dicomweb');
    const tls = obs.edges.filter((e) => e.facts.tls);
    const versions = new Set(tls.flatMap((e) => e.facts.tls?.versions ?? []));
    const ja4 = new Set(tls.flatMap((e) => e.facts.tls?.ja4 ?? []));
    const names = new Set(obs.edges.flatMap((e) => e.facts.dns?.names ?? []));
    const hostByAddr = new Map(obs.hosts.map((h) => [h.address, h]));
    const partners = [...new Set(obs.edges.filter((e) => !isPrivateAddress(e.dst)).map((e) => e.dst))]
      .map((a) => ({ a, names: hostByAddr.get(a)?.hostnames ?? [] }))
      .filter((p) => p.names.length > 0);
    const summary = [
      `HTTP on ${http.length} flows; cleartext credentials on ${creds.length}${creds.length ? `: ${creds.slice(0, 3).map(endpoint).join(', ')}` : ''}`,
      `FHIR on ${fhir.length} flows (${[...new Set(fhir.flatMap((e) => e.facts.http?.fhirResources ?? []))].join(', ') || 'no resources'}), DICOMweb on ${dicomweb.length}`,
      `TLS on ${tls.length} flows: ${[...versions].sort().join(', ') || 'no handshake seen'}; ${ja4.size} client fingerprints (JA4)`,
      `DNS: ${names.size} names asked; external partners by name: ${partners.slice(0, 4).map((p) => `${p.a} (${p.names[0]})`).join(', ') || 'none'}`,
    ];
    return {
      summary,
      data: { cleartextCredentialFlows: creds.length, fhirFlows: fhir.length, dicomwebFlows: dicomweb.length, tlsVersions: [...versions], partners },
    };
  },
};
