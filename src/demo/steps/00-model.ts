import { relative } from 'node:path';
import { openModel } from '../../model/open.ts';
import { formatProblem } from '../../model/problem.ts';
import { saveModelSnapshot } from '../../model/snapshot-store.ts';
import type { DemoStep } from '../types.ts';

/** Step 1: the site's intended structure, as code, validated. */
export const step: DemoStep = {
  name: 'model',
  async run(ctx) {
    const { model, problems } = openModel(ctx.modelPath);
    const warnings = problems.filter((p) => p.severity === 'warning');
    const phi = model.assets.filter((a) => a.phi).length;
    const snap = await saveModelSnapshot(ctx.db, model, ctx.root);
    return {
      summary: [
        `${model.site.name}: ${model.zones.length} zones, ${model.assets.length} assets (${phi} handle PHI), ` +
          `${model.conduits.length} conduits, ${model.partners.length} external partners, ${model.processes.length} clinical processes`,
        `model validates (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` +
          (warnings.length ? `: ${formatProblem(warnings[0]).split('\n')[0].replace(ctx.root + '/', '')}` : ''),
        `design recorded in the store as snapshot ${snap.id} (${snap.hash.slice(0, 12)})`,
      ],
      artifacts: [],
      data: { model, modelFiles: model.files.map((f) => relative(ctx.root, f)) },
    };
  },
};
