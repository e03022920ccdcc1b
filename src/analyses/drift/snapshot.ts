import { readFileSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { auditFile } from '../../checks/audit/audit.ts';
import type { ProbeReport } from '../../checks/probe/run.ts';
import { InputError } from '../../core/errors.ts';
import type { ModelIndex } from '../../model/index.ts';
import type { Observations } from '../../observations/types.ts';

/**
 * What change control compares: one fact about one subject. Values are
 * strings so that every kind compares the same way; secrets arrive already
 * hashed (audit settings), PHI never arrives at all.
 */
export type ItemKind = 'config-file' | 'config' | 'probe' | 'flow' | 'ae-pair' | 'hl7-pair' | 'ae-title' | 'hl7-app' | 'software' | 'listening-port';

export interface SnapshotItem {
  kind: ItemKind;
  /** A config file, "address:port/protocol", a flow key, a host address. */
  subject: string;
  key: string;
  value: string;
  /** The model asset it belongs to, when known; change scopes match on it. */
  asset?: string;
  addresses: string[];
  /** When the current state was observed (file mtime, flow first seen, probe start); not stored in baselines. */
  at?: number;
}

/** "asset=path" or "path"; an asset is also guessed from the parent folder name when the model has it. */
export function parseConfigArg(arg: string, index?: ModelIndex): { path: string; asset?: string } {
  const m = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(arg);
  if (m && !arg.startsWith('./') && !arg.startsWith('/')) return { path: m[2], asset: m[1] };
  const folder = basename(dirname(arg));
  return { path: arg, asset: index?.assets.has(folder) ? folder : undefined };
}

export function configItems(args: string[], index?: ModelIndex): SnapshotItem[] {
  const out: SnapshotItem[] = [];
  for (const a of args) {
    const { path, asset } = parseConfigArg(a, index);
    const r = auditFile(path);
    const at = statSync(path).mtimeMs;
    const addresses = asset ? index?.assets.get(asset)?.addresses ?? [] : [];
    out.push({ kind: 'config-file', subject: path, key: 'sha256', value: r.hash, asset, addresses, at });
    for (const [k, v] of Object.entries(r.settings)) out.push({ kind: 'config', subject: path, key: k, value: v, asset, addresses, at });
  }
  return out;
}

export function readProbeReport(path: string): ProbeReport {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(`not a probe report (wardline probe --out FILE or --json): ${(err as Error).message}`, { location: { file: path }, cause: err });
  }
  if (!j || typeof j !== 'object' || !Array.isArray((j as ProbeReport).targets)) throw new InputError('not a probe report: no "targets" array', { location: { file: path } });
  return j as ProbeReport;
}

export function probeItems(report: ProbeReport): SnapshotItem[] {
  const out: SnapshotItem[] = [];
  for (const t of report.targets) {
    for (const p of t.ports) {
      const subject = `${t.address}:${p.port}/${p.protocol}`;
      const add = (key: string, value: unknown) => {
        if (value === undefined) return;
        out.push({ kind: 'probe', subject, key, value: typeof value === 'string' ? value : JSON.stringify(value), asset: t.asset, addresses: [t.address], at: report.startedAt });
      };
      add('status', p.status);
      if ('anyCalledAe' in p) {
        add('anyCalledAe', p.anyCalledAe);
        add('unknownCallingAccepted', p.unknownCallingAccepted);
        add('software', p.implementation?.software);
        add('acceptedSopClasses', p.contexts?.filter((c) => c.accepted).map((c) => c.name).sort());
        add('tls', p.tls?.protocol);
      }
      if ('routes' in p) {
        add('server', p.server);
        add('routes', p.routes);
        add('orthancVersion', p.orthanc?.version);
        add('tls', p.tls?.info.protocol);
      }
    }
  }
  return out;
}

/** Flows, AE pairs, HL7 application pairs and host facts from the store's observations. */
export function observationItems(obs: Pick<Observations, 'edges' | 'hosts'>, index?: ModelIndex): SnapshotItem[] {
  const out: SnapshotItem[] = [];
  const assetOf = (a: string) => index?.assetFor(a)?.name;
  for (const e of obs.edges) {
    const subject = `${e.src}>${e.dst}/${e.transport}/${e.dport}/${e.protocol}`;
    const base = { addresses: [e.src, e.dst], asset: assetOf(e.dst) ?? assetOf(e.src), at: e.firstSeen };
    out.push({ kind: 'flow', subject, key: 'seen', value: 'yes', ...base });
    for (const p of e.facts.dicom?.aePairs ?? []) out.push({ kind: 'ae-pair', subject: `${e.src}>${e.dst}:${e.dport}`, key: `${p.calling}->${p.called}`, value: p.outcome === 'rejected' ? 'rejected' : 'seen', ...base });
    for (const p of e.facts.hl7?.appPairs ?? []) out.push({ kind: 'hl7-pair', subject: `${e.src}>${e.dst}:${e.dport}`, key: `${p.sendingApplication}^${p.sendingFacility}->${p.receivingApplication}^${p.receivingFacility}`, value: 'seen', ...base });
  }
  for (const h of obs.hosts) {
    const base = { addresses: [h.address], asset: assetOf(h.address), at: h.firstSeen };
    for (const ae of h.aeTitles) out.push({ kind: 'ae-title', subject: h.address, key: ae, value: 'seen', ...base });
    for (const app of h.hl7Applications) out.push({ kind: 'hl7-app', subject: h.address, key: app, value: 'seen', ...base });
    for (const s of h.software) out.push({ kind: 'software', subject: h.address, key: [s.vendor, s.product].filter(Boolean).join(' '), value: s.version ?? '(unknown version)', ...base, at: h.lastSeen });
    for (const p of h.listeningPorts) out.push({ kind: 'listening-port', subject: h.address, key: `${p.transport}/${p.port}`, value: p.protocol, ...base });
  }
  return dedupe(out);
}

function dedupe(items: SnapshotItem[]): SnapshotItem[] {
  const m = new Map<string, SnapshotItem>();
  for (const i of items) {
    const k = itemId(i);
    const prev = m.get(k);
    if (!prev || (prev.value !== i.value && i.value > prev.value)) m.set(k, i);
  }
  return [...m.values()];
}

export function itemId(i: Pick<SnapshotItem, 'kind' | 'subject' | 'key'>): string {
  return `${i.kind}\u0000${i.subject}\u0000${i.key}`;
}
