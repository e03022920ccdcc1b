import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { proposeSegmentation } from '../../analyses/segment/propose.ts';
import { renderProposalYaml } from '../../analyses/segment/yaml.ts';
import { simulate } from '../../analyses/simulate/simulate.ts';
import { openModel } from '../../model/open.ts';
import { loadObservations } from '../../observations/persist.ts';
import type { DemoStep } from '../types.ts';
import { demoModel } from './30-check.ts';

/** Step: least-privilege zones and conduits proposed from what flows, replayed against today. */
export const step: DemoStep = {
  name: 'segment',
  async run(ctx) {
    const model = demoModel(ctx);
    const { edges } = await loadObservations(ctx.db);
    const p = proposeSegmentation(edges, model);
    const dir = join(ctx.workDir, 'proposed');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.yaml'), renderProposalYaml(p));
    const proposed = openModel(dir).model;
    const sim = simulate(edges, proposed, model);
    return {
      summary: [
        `proposed ${p.zones.length} zones and ${p.conduits.length} least-privilege conduits keeping ${p.stats.covered} of ${p.stats.edges} flows working (${p.stats.intraZone} stay inside a zone)`,
        `${p.review.length} items for review: ${[...new Set(p.review.map((r) => r.reason.split(':')[0]))].slice(0, 4).join('; ')}`,
        `replayed against today's model: ${sim.breaks.length} flows would break, ${sim.intendedBlocks.length} suspicious flows blocked, ${sim.newlyAllowed.length} newly allowed`,
      ],
      artifacts: [join('proposed', 'model.yaml')],
      data: { proposedDir: dir },
    };
  },
};
