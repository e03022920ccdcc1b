import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openModel } from '../../model/open.ts';
import { findChromium } from '../../outputs/report/pdf.ts';
import { renderReport, type ReportFormat } from '../../outputs/report/render.ts';
import { buildSiteView } from '../../outputs/report/site-view.ts';
import { summarise } from '../../outputs/report/summary.ts';
import type { DemoStep } from '../types.ts';
import { demoModel } from './30-check.ts';

/** Last step: the audit-ready reports over everything the earlier steps stored. */
export const step: DemoStep = {
  name: 'report',
  async run(ctx) {
    const model = demoModel(ctx);
    const proposedDir = (ctx.results.get('segment')?.data as { proposedDir?: string } | undefined)?.proposedDir;
    const proposed = proposedDir ? { model: openModel(proposedDir).model, label: 'the segmentation proposal' } : undefined;
    const kiosk = model.assets.find((a) => a.kind === 'kiosk')?.name;
    const view = await buildSiteView(ctx.db, { model, proposed, blastTarget: kiosk });
    const formats: Array<[ReportFormat, string]> = [['html', 'report.html'], ['md', 'report.md'], ['sarif', 'report.sarif'], ['json', 'report.json']];
    if (findChromium()) formats.push(['pdf', 'report.pdf']);
    const artifacts: string[] = [];
    for (const [format, file] of formats) {
      writeFileSync(join(ctx.workDir, file), await renderReport(view, format, { baseDir: ctx.root }));
      artifacts.push(file);
    }
    const s = summarise(view);
    const sev = s.bySeverity.filter((t) => t.value > 0).map((t) => `${t.value} ${t.label}`).join(', ');
    const hipaa = s.coverage.filter((c) => c.framework === 'hipaa').map((c) => c.control.split(' ')[0]);
    return {
      summary: [
        `report over ${view.counts.edges} flows, ${view.assets.length} assets and ${view.findings.length} findings from every step (${sev})`,
        `findings touch HIPAA ${hipaa.join(', ')}; each is mapped to HICP, IEC 62443-3-3 and NIST CSF 2.0 as well`,
        `written: ${artifacts.join(', ')}${artifacts.includes('report.pdf') ? '' : ' (no Chromium: no PDF)'}`,
      ],
      artifacts,
    };
  },
};
