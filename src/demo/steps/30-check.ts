import { runCheck } from '../../analyses/check/run.ts';
import { saveFindings } from '../../analyses/check/store.ts';
import { openModel } from '../../model/open.ts';
import type { SiteModel } from '../../model/types.ts';
import { loadObservations } from '../../observations/persist.ts';
import type { DemoContext, DemoStep } from '../types.ts';

export function demoModel(ctx: DemoContext): SiteModel {
  return (ctx.results.get('model')?.data as { model?: SiteModel } | undefined)?.model ?? openModel(ctx.modelPath).model;
}

/** Step: every observed flow checked against the zones and conduits. */
export const step: DemoStep = {
  name: 'check',
  async run(ctx) {
    const model = demoModel(ctx);
    const { edges } = await loadObservations(ctx.db);
    const r = runCheck(model, edges);
    await saveFindings(ctx.db, r.findings);
    const s = r.summary;
    const byRule = new Map<string, number>();
    for (const f of r.findings) byRule.set(f.rule, (byRule.get(f.rule) ?? 0) + 1);
    const critical = r.findings.filter((f) => f.severity === 'critical').map((f) => f.title);
    return {
      summary: [
        `${s.edges} observed flows: ${s.allowed} allowed by a conduit, ${s.intraZone} inside one zone, ${s.violations} violating; ${s.unusedConduits} of ${s.conduits} conduits unused`,
        `findings: ${[...byRule].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k.replace('check.', '')}`).join(', ')}`,
        ...critical.slice(0, 2).map((t) => `critical: ${t}`),
      ],
      data: { summary: s, findings: r.findings.length },
    };
  },
};
