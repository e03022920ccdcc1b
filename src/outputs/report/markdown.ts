/** The report as Markdown for wikis: the same sections as the HTML, tables instead of charts. */
import { FRAMEWORKS, complianceFor } from './compliance.ts';
import { DETAIL_LIMIT } from './html.ts';
import type { SiteView } from './site-view.ts';
import { summarise } from './summary.ts';

function cell(s: unknown): string {
  return String(s ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function renderMarkdown(view: SiteView): string {
  const s = summarise(view);
  const L: string[] = [
    `# Network security report: ${view.site}`, '',
    `Generated ${new Date(view.generatedAt).toISOString()} by Wardline. Contains no patient data: only network metadata.`, '',
    '## Executive summary', '', ...s.headline.map((h) => `- ${h}`), '',
  ];
  if (s.top.length) L.push('**Act first on:**', '', ...s.top.slice(0, 5).map((f, i) => `${i + 1}. **${f.severity}** ${f.title}`), '');
  L.push('| Severity | Open findings |', '|---|---:|', ...s.bySeverity.map((t) => `| ${t.label} | ${t.value} |`), '');
  if (s.byProcess.length) L.push('| Clinical process | Open findings |', '|---|---:|', ...s.byProcess.map((t) => `| ${cell(t.label)} | ${t.value} |`), '');
  if (s.byZone.length) L.push('| Zone | Open findings |', '|---|---:|', ...s.byZone.map((t) => `| ${cell(t.label)} | ${t.value} |`), '');
  const b = view.blast;
  if (b) {
    L.push('## Blast radius: before and after', '', `Foothold **${b.target}**${b.proposed ? `, proposal \`${b.proposed}\`` : ''}.`, '',
      '| | PHI assets | PHI stores | Assets reached |', '|---|---:|---:|---:|',
      `| today | ${b.before.phiAssets} | ${b.before.phiStores} | ${b.before.reachedAssets} |`);
    if (b.after) L.push(`| after the proposal | ${b.after.phiAssets} | ${b.after.phiStores} | ${b.after.reachedAssets} |`);
    L.push('');
    if (b.before.paths.length) L.push('Shortest paths to PHI stores today:', '', ...b.before.paths.slice(0, 5).map((p) => `- \`${p.path.join(' -> ')}\``), '');
  }
  L.push('## Compliance mapping', '');
  for (const fw of FRAMEWORKS) {
    const rows = s.coverage.filter((c) => c.framework === fw.key);
    L.push(`### ${fw.title}`, '');
    if (!rows.length) { L.push('No open finding maps here.', ''); continue; }
    L.push('| Control | Findings | Worst | Rules |', '|---|---:|---|---|', ...rows.map((c) => `| ${cell(c.control)} | ${c.findings} | ${c.worst} | ${cell(c.rules.join(', '))} |`), '');
  }
  L.push('## Technical detail', '', '### Flows', '',
    `${view.counts.edges} flow(s): ${view.counts.allowed} allowed, ${view.counts.intraZone} intra-zone, ${view.counts.violations} violating${view.counts.unchecked ? `, ${view.counts.unchecked} unchecked` : ''}.`, '');
  const viol = view.edges.filter((e) => e.verdict === 'violation');
  if (viol.length) {
    L.push('| Violating flow | Process | Rules |', '|---|---|---|',
      ...viol.slice(0, 500).map((e) => `| ${cell(e.handover ?? e.key)} | ${cell(e.process)} | ${cell(e.rules.join(', '))} |`), '');
  }
  L.push('### Findings', '');
  if (!view.findings.length) L.push('No findings.', '');
  else {
    L.push('| Severity | Finding | Rule | Process | Zone | Controls |', '|---|---|---|---|---|---|');
    for (const f of view.findings.slice(0, DETAIL_LIMIT)) {
      const cm = complianceFor(f);
      const loc = f.location ? ` (${f.location.file}${f.location.line ? `:${f.location.line}` : ''})` : '';
      L.push(`| ${f.severity} | ${cell(f.title + loc)} | \`${f.rule}\` | ${cell(f.process)} | ${cell(f.zone)} | ${cell([...cm.hipaa, ...cm.hicp, ...cm.iec62443, ...cm.nistCsf].join('; '))} |`);
    }
    if (view.findings.length > DETAIL_LIMIT) L.push('', `${view.findings.length - DETAIL_LIMIT} more finding(s), less severe, are in the JSON and SARIF reports.`);
    L.push('');
  }
  L.push('### Asset inventory', '', '| Asset | Addresses | Zone | Process | Vendor / software | AE titles | Vulnerabilities | Exposure |', '|---|---|---|---|---|---|---|---|');
  for (const a of view.assets) {
    L.push(`| ${cell(a.name)}${a.modelled ? '' : ' (not in model)'} | ${cell(a.addresses.join(', '))} | ${cell(a.zone)} | ${cell(a.process)} | ${cell([[a.vendor, a.product, a.version].filter(Boolean).join(' '), ...a.software].filter(Boolean).join('; '))} | ${cell(a.aeTitles.join(', '))} | ${cell(a.vulnerabilities.map((v) => v.id).join(', '))} | ${a.exposed ? 'exposed' : ''} |`);
  }
  L.push('');
  if (view.timeline.length) {
    L.push('### Changes and drift', '', '| When | Kind | Severity | Subject | What |', '|---|---|---|---|---|',
      ...view.timeline.slice(0, 200).map((t) => `| ${new Date(t.ts).toISOString()} | ${cell(t.kind)} | ${t.severity} | ${cell(t.subject)} | ${cell(t.title)} |`), '');
  }
  return L.join('\n');
}
