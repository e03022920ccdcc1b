import { blastFrom, rankFootholds } from '../../analyses/blast/blast.ts';
import { compilePolicy } from '../../graph/policy.ts';
import { buildSiteGraph, resolveNodes } from '../../graph/site-graph.ts';
import { openModel } from '../../model/open.ts';
import { loadObservations } from '../../observations/persist.ts';
import type { DemoStep } from '../types.ts';
import { demoModel } from './30-check.ts';

/** Step: what the lobby kiosk can reach today, and after the proposal is enforced. */
export const step: DemoStep = {
  name: 'blast',
  async run(ctx) {
    const model = demoModel(ctx);
    const { edges } = await loadObservations(ctx.db);
    const now = Date.now();
    const today = buildSiteGraph(compilePolicy(model), edges, { model: true, observed: true, now });
    const kiosk = model.assets.find((a) => a.kind === 'kiosk')?.name ?? model.assets[0].name;
    const before = blastFrom(today, resolveNodes(today, kiosk)!);
    const summary = [];
    const proposedDir = (ctx.results.get('segment')?.data as { proposedDir?: string } | undefined)?.proposedDir;
    if (proposedDir) {
      const after = buildSiteGraph(compilePolicy(openModel(proposedDir).model), [], { model: true, observed: false, now });
      const nodes = resolveNodes(after, kiosk);
      const a = nodes ? blastFrom(after, nodes) : undefined;
      summary.push(`${kiosk} reaches ${before.phiAssets} PHI assets today (${before.phiStores} PHI stores), ${a?.phiAssets ?? 0} after the proposal is enforced`);
    } else {
      summary.push(`${kiosk} reaches ${before.phiAssets} PHI assets today (${before.phiStores} PHI stores)`);
    }
    if (before.paths[0]) summary.push(`shortest path to a PHI store today: ${before.paths[0].path.join(' -> ')}`);
    const top = rankFootholds(today, 3);
    summary.push(`riskiest footholds: ${top.map((r) => `${r.node} (${r.phiAssets} PHI assets)`).join(', ')}`);
    return { summary, data: { kiosk, before } };
  },
};
