import { InputError } from '../../core/errors.ts';
import type { Finding } from '../../core/finding.ts';
import type { ModelIndex } from '../../model/index.ts';
import { probeDicom } from './dicom/probe.ts';
import { findingsFor, type PortResult } from './findings.ts';
import { probeHttp } from './http.ts';
import { rateGate, runPool } from './limiter.ts';
import { probeMllp } from './mllp.ts';
import { parseScope, planTargets, type PlannedTarget, type ScopePlan } from './scope.ts';
import type { ProbeContext } from './types.ts';

export type PortProtocol = 'dicom' | 'dicom-tls' | 'http' | 'https' | 'hl7' | 'hl7-tls';

export interface PortSpec {
  protocol: PortProtocol;
  port: number;
}

/** The well-known ports probed on every target (PS3.8 §9.1, PS3.15 B.1, Orthanc and HL7 defaults). */
export const DEFAULT_PORTS: PortSpec[] = [
  ...[104, 11112, 4242, 2761].map((port) => ({ protocol: 'dicom' as const, port })),
  { protocol: 'dicom-tls', port: 2762 },
  ...[80, 8042, 8080].map((port) => ({ protocol: 'http' as const, port })),
  ...[443, 8443].map((port) => ({ protocol: 'https' as const, port })),
  { protocol: 'hl7', port: 2575 },
  { protocol: 'hl7-tls', port: 12575 },
];

/** "4243", "dicom:4243", "https:9443", "hl7:2576,http:8043" (a bare port is DICOM). */
export function parsePorts(specs: string[]): PortSpec[] {
  const out: PortSpec[] = [];
  for (const s of specs.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean)) {
    const m = /^(?:(dicom|dicom-tls|http|https|hl7|hl7-tls|mllp|mllp-tls):)?(\d{1,5})$/.exec(s);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) throw new InputError(`--ports: '${s}' is not PORT or PROTOCOL:PORT (dicom, dicom-tls, http, https, hl7, hl7-tls)`);
    const proto = (m[1] ?? 'dicom').replace('mllp', 'hl7') as PortProtocol;
    out.push({ protocol: proto, port });
  }
  return out;
}

export interface ProbeOptions {
  scope: string[];
  index?: ModelIndex;
  intrusive: boolean;
  ports: PortSpec[];
  /** Probe only `ports`, not DEFAULT_PORTS as well. */
  onlyPorts?: boolean;
  rate: number;
  concurrency: number;
  timeoutMs: number;
  findCap?: number;
  /** Extra called AE titles to try when the server checks the called AE. */
  calledAes?: string[];
  onProgress?(done: number, total: number): void;
}

export interface TargetReport {
  address: string;
  asset?: string;
  zone?: string;
  exposedVia?: string[];
  /** Only ports that answered in some way; closed ports are counted. */
  ports: PortResult[];
  closed: number;
}

export interface ProbeReport {
  startedAt: number;
  durationMs: number;
  intrusive: boolean;
  targets: TargetReport[];
  skipped: ScopePlan['skipped'];
  findings: Finding[];
}

export async function runProbe(targets: string[], o: ProbeOptions): Promise<ProbeReport> {
  const startedAt = Date.now();
  const scope = parseScope(o.scope);
  const plan = await planTargets(targets, scope, o.index);
  const ctx: ProbeContext = { timeoutMs: o.timeoutMs, intrusive: o.intrusive, findCap: o.findCap ?? 100, gate: rateGate(o.rate) };
  const ports = dedupe(o.onlyPorts ? o.ports : [...DEFAULT_PORTS, ...o.ports]);
  if (ports.length === 0) throw new InputError('no ports to probe');
  const jobs: Array<{ t: PlannedTarget; p: PortSpec }> = plan.targets.flatMap((t) => ports.map((p) => ({ t, p })));
  let done = 0;
  const results = await runPool(jobs, o.concurrency, async ({ t, p }) => {
    const hints = [...t.aeTitles, ...(o.calledAes ?? [])];
    let r: PortResult;
    if (p.protocol === 'dicom' || p.protocol === 'dicom-tls') r = await probeDicom(ctx, t.address, p.port, p.protocol === 'dicom-tls', hints);
    else if (p.protocol === 'http' || p.protocol === 'https') r = await probeHttp(ctx, t.address, p.port, p.protocol === 'https');
    else r = await probeMllp(ctx, t.address, p.port, p.protocol === 'hl7-tls');
    o.onProgress?.(++done, jobs.length);
    return r;
  });
  const reports: TargetReport[] = plan.targets.map((t) => ({ address: t.address, asset: t.asset, zone: t.zone, exposedVia: t.exposedVia, ports: [], closed: 0 }));
  const findings: Finding[] = [];
  jobs.forEach((j, k) => {
    const rep = reports[plan.targets.indexOf(j.t)];
    if (results[k].status === 'closed') rep.closed++;
    else rep.ports.push(results[k]);
  });
  plan.targets.forEach((t, k) => findings.push(...findingsFor(t, reports[k].ports)));
  return { startedAt, durationMs: Date.now() - startedAt, intrusive: o.intrusive, targets: reports, skipped: plan.skipped, findings };
}

function dedupe(ports: PortSpec[]): PortSpec[] {
  const seen = new Set<string>();
  return ports.filter((p) => {
    const k = `${p.protocol}:${p.port}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
