import { cpSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveBaseline } from '../../analyses/drift/baseline-store.ts';
import { collectSnapshot } from '../../analyses/drift/collect.ts';
import { classifyDrift, diffSnapshots, driftFindings } from '../../analyses/drift/drift.ts';
import { listPlans, savePlan } from '../../analyses/change/plan.ts';
import { expandConfigPaths } from '../../checks/audit/audit.ts';
import { saveFindings } from '../../analyses/check/store.ts';
import type { DemoStep } from '../types.ts';

const HOUR = 3_600_000;

/**
 * Change control on copies of the sample configs: a baseline, an approved
 * change to pacs-main inside its window (planned), and an edit to the patient
 * portal that no ticket covers (unplanned).
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
    const base = await collectSnapshot(ctx.db, { configs, observations: true });
    const name = `demo-${new Date(t0).toISOString().slice(0, 16)}`;
    await saveBaseline(ctx.db, name, { configs, observations: true }, base.items, { replace: true, now: t0 });

    await savePlan(ctx.db, { ticket: 'CHG-2041', createdAt: t0, windowStart: Date.now() - 2 * HOUR, windowEnd: Date.now() - HOUR, scope: { assets: ['pacs-main'], cidrs: [], files: [] }, note: 'close DICOM C-STORE to unknown AEs' });
    const pacs = files.find((f) => f.includes('pacs-main') && f.endsWith('.json'));
    const portal = files.find((f) => f.endsWith('.conf'));
    if (pacs) {
      writeFileSync(pacs, readFileSync(pacs, 'utf8').replace(/("DicomAlwaysAllowStore"\s*:\s*)true/, '$1false'));
      const t = (Date.now() - 1.5 * HOUR) / 1000;
      utimesSync(pacs, t, t);
    }
    if (portal) writeFileSync(portal, readFileSync(portal, 'utf8').replace(/server_tokens\s+\w+;/, 'server_tokens on;').replace(/(ssl_protocols[^;]*);/, '$1 SSLv3;'));

    const cur = await collectSnapshot(ctx.db, { configs, observations: true });
    const items = classifyDrift(diffSnapshots(base.items, cur.items, { kinds: cur.kinds }), await listPlans(ctx.db));
    const findings = driftFindings(items);
    await saveFindings(ctx.db, findings);
    writeFileSync(join(ctx.workDir, 'drift.json'), JSON.stringify({ baseline: name, drift: items, findings }, null, 2));
    const planned = items.filter((d) => d.classification === 'planned');
    const unplanned = items.filter((d) => d.classification === 'unplanned');
    const show = (d: (typeof items)[number]) => `${d.asset ?? d.subject} ${d.key}: ${d.before ?? '(none)'} -> ${d.after ?? '(none)'}`;
    return {
      summary: [
        `baseline '${name}': ${base.items.length} items (config settings by file, flows, AE pairs, host facts)`,
        `${planned.length} planned change(s) under CHG-2041${planned.length ? `: ${planned.map(show).join('; ')}` : ''}`,
        `${unplanned.length} unplanned change(s) → ${findings.length} finding(s)${unplanned.length ? `: ${unplanned.slice(0, 3).map(show).join('; ')}` : ''}`,
      ],
      artifacts: ['drift.json'],
      data: { items, findings },
    };
  },
};
