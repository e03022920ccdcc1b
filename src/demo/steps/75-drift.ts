import { cpSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveFindings } from '../../analyses/check/store.ts';
import { saveBaseline } from '../../analyses/drift/baseline-store.ts';
import { classifyDrift, diffSnapshots, driftFindings } from '../../analyses/drift/drift.ts';
import { configItems, observationItems } from '../../analyses/drift/snapshot.ts';
import { listPlans, savePlan } from '../../analyses/change/plan.ts';
import { expandConfigPaths } from '../../checks/audit/audit.ts';
import { loadObservations } from '../../observations/persist.ts';
import type { DemoStep } from '../types.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * Change control on the sample hospital. Configs: copies of the sample
 * configs, with an approved change to pacs-main inside its window (planned)
 * and an edit to the patient portal that no ticket covers (unplanned).
 * Flows: the baseline is taken part-way through the discovered captures, so
 * the flows first seen after it are new; the quietest new source is covered by
 * a ticket, the others are not.
 */
export const step: DemoStep = {
  name: 'drift',
  async run(ctx) {
    const dir = join(ctx.workDir, 'configs');
    cpSync(join(ctx.modelPath, 'configs'), dir, { recursive: true });
    const files = expandConfigPaths([dir]);
    // Configs are tied to assets by folder name (configs/pacs-main/orthanc.json -> pacs-main).
    const configs = files.map((f) => `${f.split('/').at(-2)}=${f}`);
    const t0 = Date.now() - 3 * HOUR;
    for (const f of files) utimesSync(f, t0 / 1000, t0 / 1000);

    const obs = await loadObservations(ctx.db);
    const times = obs.edges.map((e) => e.firstSeen).sort((a, b) => a - b);
    // Cut late enough that some flows are new, early enough that they come
    // from more than one source (one to ticket, the others to stay unplanned).
    const sourcesAfter = (t: number) => new Set(obs.edges.filter((e) => e.firstSeen >= t).map((e) => e.src)).size;
    let cut = Infinity;
    for (const q of [0.7, 0.6, 0.5, 0.4, 0.3]) {
      if (!times.length) break;
      cut = times[Math.floor(times.length * q)];
      if (sourcesAfter(cut) > 1) break;
    }
    const early = { edges: obs.edges.filter((e) => e.firstSeen < cut), hosts: obs.hosts.filter((h) => h.firstSeen < cut) };
    const baseItems = [...configItems(configs), ...observationItems(early)];
    const name = `demo-${new Date(t0).toISOString().slice(0, 16)}`;
    await saveBaseline(ctx.db, name, { configs, observations: true }, baseItems, { replace: true, now: t0 });

    await savePlan(ctx.db, { ticket: 'CHG-2041', createdAt: t0, windowStart: Date.now() - 2 * HOUR, windowEnd: Date.now() - HOUR, scope: { assets: ['pacs-main'], cidrs: [], files: [] }, note: 'close DICOM C-STORE to unknown AEs' });
    // A ticket covers the quietest source of new flows, not the busiest (in
    // the sample captures, a workstation scanning the PACS); with a single
    // source it covers only that source's first new flow.
    const late = obs.edges.filter((e) => e.firstSeen >= cut);
    const bySrc = new Map<string, number>();
    for (const e of late) bySrc.set(e.src, (bySrc.get(e.src) ?? 0) + 1);
    const sources = [...bySrc.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
    const coveredSrc = sources[0]?.[0];
    if (coveredSrc) {
      const seen = late.filter((e) => e.src === coveredSrc).map((e) => e.firstSeen);
      const windowEnd = sources.length > 1 ? Math.max(...seen) + MINUTE : Math.min(...seen);
      await savePlan(ctx.db, { ticket: 'CHG-2042', createdAt: t0, windowStart: Math.min(...seen) - MINUTE, windowEnd, scope: { assets: [], cidrs: [`${coveredSrc}/32`], files: [] }, note: `new flows from ${coveredSrc}` });
    }
    const pacs = files.find((f) => f.includes('pacs-main') && f.endsWith('.json'));
    const portal = files.find((f) => f.endsWith('.conf'));
    if (pacs) {
      writeFileSync(pacs, readFileSync(pacs, 'utf8').replace(/("DicomAlwaysAllowStore"\s*:\s*)true/, '$1false'));
      const t = (Date.now() - 1.5 * HOUR) / 1000;
      utimesSync(pacs, t, t);
    }
    if (portal) writeFileSync(portal, readFileSync(portal, 'utf8').replace(/(ssl_protocols[^;]*);/, '$1 SSLv3;'));

    const curItems = [...configItems(configs), ...observationItems(obs)];
    const kinds = new Set(curItems.map((i) => i.kind));
    const items = classifyDrift(diffSnapshots(baseItems, curItems, { kinds }), await listPlans(ctx.db));
    const findings = driftFindings(items);
    await saveFindings(ctx.db, findings);
    writeFileSync(join(ctx.workDir, 'drift.json'), JSON.stringify({ baseline: name, drift: items, findings }, null, 2));
    const planned = items.filter((d) => d.classification === 'planned');
    const unplanned = items.filter((d) => d.classification === 'unplanned');
    const count = (list: typeof items, kind: string) => list.filter((d) => d.kind === kind).length;
    const show = (d: (typeof items)[number]) => (d.kind === 'config' ? `${d.asset ?? d.subject} ${d.key.split(' > ').at(-1)}: ${d.before ?? '(none)'} -> ${d.after ?? '(none)'}` : `${d.kind} ${d.subject} ${d.key}`);
    return {
      summary: [
        `baseline '${name}': ${baseItems.length} items (config settings by file; flows, AE pairs and host facts seen before ${Number.isFinite(cut) ? new Date(cut).toISOString() : 'now'})`,
        `${planned.length} planned change(s) (${[...new Set(planned.map((d) => d.ticket))].join(', ')}): ${planned.filter((d) => d.kind === 'config').map(show).join('; ')}${count(planned, 'flow') ? `; ${count(planned, 'flow')} new flow(s) from ${coveredSrc}` : ''}`,
        `${unplanned.length} unplanned change(s) → ${findings.length} finding(s): ${count(unplanned, 'config')} config, ${count(unplanned, 'flow')} new flows, ${count(unplanned, 'ae-pair')} new AE pairs, ${count(unplanned, 'hl7-pair')} new HL7 application pairs`,
        ...[...unplanned.filter((d) => d.kind === 'config').slice(0, 1), ...unplanned.filter((d) => d.kind === 'ae-pair').slice(0, 2)].map((d) => `  unplanned: ${show(d)}`),
      ],
      artifacts: ['drift.json'],
      data: { items, findings },
    };
  },
};
