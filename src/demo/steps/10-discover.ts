import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { discoverInputs, inventoryDiff } from '../../cli/commands/discover.ts';
import type { SiteModel } from '../../model/types.ts';
import { saveObservations } from '../../observations/persist.ts';
import type { DemoStep } from '../types.ts';

/**
 * Step 2: passive discovery from the sample hospital's packet capture. The
 * NetFlow export of the same traffic is left to the monitor step: reading
 * both here would count every flow twice.
 */
export const step: DemoStep = {
  name: 'discover',
  async run(ctx) {
    const model = (ctx.results.get('model')?.data as { model?: SiteModel } | undefined)?.model;
    const files = existsSync(ctx.capturesDir)
      ? readdirSync(ctx.capturesDir).filter((f) => /\.(pcap|pcapng)(\.gz)?$/.test(f) && !f.includes('netflow')).sort().map((f) => join(ctx.capturesDir, f))
      : [];
    if (!files.length) throw new Error(`no captures in ${ctx.capturesDir}`);
    const logsDir = join(ctx.workDir, 'logs');
    const res = await discoverInputs(files, { model, logsDir, progress: (l, d, t) => ctx.out.progress(l, d, t) });
    const obs = res.observations;
    await saveObservations(ctx.db, obs);
    const count = (p: string) => obs.edges.filter((e) => e.protocol === p).length;
    const assoc = obs.edges.reduce((n, e) => n + (e.facts.dicom?.aePairs.reduce((m, p) => m + p.count, 0) ?? 0), 0);
    const hl7 = obs.edges.reduce((n, e) => n + Object.values(e.facts.hl7?.messageTypes ?? {}).reduce((m, c) => m + c, 0), 0);
    const processes = new Set(obs.edges.map((e) => e.label?.process).filter((p) => p && p !== 'unknown'));
    const external = obs.edges.filter((e) => e.label?.external).length;
    const summary = [
      `${files.length} capture file${files.length === 1 ? '' : 's'}, ${res.stats.packets.toLocaleString('en-US')} packets → ${obs.edges.length} flow edges between ${obs.hosts.length} hosts`,
      `DICOM: ${count('dicom')} edges, ${assoc} associations; HL7: ${count('hl7')} edges, ${hl7} messages; ` +
        `HTTP/FHIR/DICOMweb: ${count('http') + count('fhir') + count('dicomweb')}; TLS: ${count('tls')}; DNS: ${count('dns')}`,
      `flows labelled into ${processes.size} clinical processes; ${external} flows to external parties`,
    ];
    if (model) {
      const inv = inventoryDiff(obs, model);
      summary.push(`inventory vs model: ${inv.unmodelled.length} observed hosts not in the model, ${inv.unseen.length} modelled assets not seen`);
    }
    return {
      summary,
      artifacts: res.logs ? Object.keys(res.logs).map((l) => join('logs', l)) : [],
      data: { observations: obs },
    };
  },
};
