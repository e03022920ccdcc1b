/** One entry for every report format. */
import { complianceFor } from './compliance.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import { htmlToPdf } from './pdf.ts';
import { toSarif } from './sarif.ts';
import type { SiteView } from './site-view.ts';
import { summarise } from './summary.ts';

export const REPORT_FORMATS = ['html', 'md', 'json', 'sarif', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function isReportFormat(s: string): s is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(s);
}

/** The JSON report: the view, the summary, and each finding's controls. */
export function reportJson(view: SiteView): Record<string, unknown> {
  const s = summarise(view);
  return {
    site: view.site, generatedAt: new Date(view.generatedAt).toISOString(), counts: view.counts,
    executiveSummary: s.headline, bySeverity: s.bySeverity, byProcess: s.byProcess, byZone: s.byZone, byRule: s.byRule,
    compliance: s.coverage, blast: view.blast,
    findings: view.findings.map((f) => ({ ...f, compliance: complianceFor(f) })),
    assets: view.assets, flows: view.edges.map((e) => ({ ...e, src: view.nodes[e.src].address, dst: view.nodes[e.dst].address })),
    timeline: view.timeline,
  };
}

export async function renderReport(view: SiteView, format: ReportFormat, opts: { baseDir?: string } = {}): Promise<string | Buffer> {
  switch (format) {
    case 'html': return renderHtml(view);
    case 'md': return renderMarkdown(view);
    case 'json': return `${JSON.stringify(reportJson(view), null, 2)}\n`;
    case 'sarif': return `${JSON.stringify(toSarif(view.findings, { baseDir: opts.baseDir }), null, 2)}\n`;
    case 'pdf': return htmlToPdf(renderHtml(view));
  }
}
