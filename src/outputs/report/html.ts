/**
 * The self-contained HTML report: inline CSS and SVG only, no script, no
 * external reference, so it opens offline, prints to PDF, and passes a
 * `default-src 'none'` CSP. First the executive summary for the board, then
 * the technical detail for engineers.
 */
import { FRAMEWORKS, complianceFor } from './compliance.ts';
import type { BlastView, SiteView } from './site-view.ts';
import { summarise, type ReportSummary } from './summary.ts';
import { SEVERITY_COLOURS, barChartSvg, esc, flowMapSvg, processColour } from './svg.ts';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;margin:0 auto;max-width:1200px;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{border-bottom:2px solid #d9e2ec;padding-bottom:4px;margin-top:36px}h3{margin-top:24px}
.meta{color:#52606d}.exec{background:#f0f4f8;border-left:6px solid #334e68;padding:12px 18px}
.exec li{margin:4px 0}.charts{display:flex;flex-wrap:wrap;gap:24px}.map{overflow:auto;border:1px solid #d9e2ec;max-height:1400px}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:12.5px}th,td{border:1px solid #d9e2ec;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f0f4f8}.sev{color:#fff;padding:1px 6px;border-radius:3px;font-size:11px;font-weight:bold}
.blast{display:flex;gap:24px;flex-wrap:wrap}.blast>div{flex:1;min-width:300px;border:1px solid #d9e2ec;padding:8px 14px}
.big{font-size:32px;font-weight:bold}code{font-size:12px}details{margin:4px 0}
@media print{.map{max-height:none;overflow:visible}h2{page-break-before:auto}tr{page-break-inside:avoid}}
`;

/** Findings listed one by one (most severe first); a document of 50k rows helps nobody, the totals stay exact. */
export const DETAIL_LIMIT = 2000;

function sev(s: string): string {
  return `<span class="sev" style="background:${SEVERITY_COLOURS[s] ?? '#888'}">${esc(s)}</span>`;
}

function blastHtml(b: BlastView): string {
  const side = (title: string, r: BlastView['before']) => `<div><h3>${esc(title)}</h3><div class="big">${r.phiAssets}</div><div>PHI-holding asset(s) reachable, ${r.phiStores} PHI store(s), ${r.reachedAssets} asset(s) in all (weighted score ${r.score})</div>
${r.paths.length ? `<p>Shortest paths to PHI stores:</p><ul>${r.paths.slice(0, 5).map((p) => `<li><code>${esc(p.path.join(' → '))}</code></li>`).join('')}</ul>` : '<p>No path to a PHI store.</p>'}
${r.phiReached.length ? `<p>PHI assets reached (hops): ${esc(r.phiReached.map((x) => `${x.asset} (${x.hops})`).join(', '))}</p>` : ''}</div>`;
  const before = barChartSvg('PHI assets reachable', [
    { label: 'today', value: b.before.phiAssets, colour: '#d62728' },
    ...(b.after ? [{ label: 'after proposal', value: b.after.phiAssets, colour: '#2ca02c' }] : []),
  ], 380);
  return `<p>Foothold: <b>${esc(b.target)}</b>${b.proposed ? `; proposal: <code>${esc(b.proposed)}</code>` : ''}</p>${before}<div class="blast">${side('Today (model conduits and observed flows)', b.before)}${b.after ? side('After the proposal is enforced', b.after) : ''}</div>`;
}

function chartsHtml(s: ReportSummary): string {
  return `<div class="charts">${barChartSvg('Open findings by severity', s.bySeverity.map((t) => ({ ...t, colour: SEVERITY_COLOURS[t.label] })))}
${barChartSvg('Open findings by clinical process', s.byProcess.slice(0, 12).map((t) => ({ ...t, colour: processColour(t.label) })))}
${barChartSvg('Open findings by zone', s.byZone.slice(0, 12))}</div>`;
}

export function renderHtml(view: SiteView): string {
  const s = summarise(view);
  const when = new Date(view.generatedAt).toISOString();
  const parts: string[] = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">',
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>Wardline report: ${esc(view.site)}</title><style>${CSS}</style></head><body>`,
    `<h1>Network security report: ${esc(view.site)}</h1><div class="meta">Generated ${esc(when)} by Wardline from ${esc(view.store)}. Contains no patient data: only network metadata.</div>`,
    '<h2 id="executive-summary">Executive summary</h2>',
    `<div class="exec"><ul>${s.headline.map((h) => `<li>${esc(h)}</li>`).join('')}</ul>`,
    s.top.length ? `<p><b>Act first on:</b></p><ol>${s.top.slice(0, 5).map((f) => `<li>${sev(f.severity)} ${esc(f.title)}</li>`).join('')}</ol>` : '<p>No critical or high finding is open.</p>',
    '</div>',
    chartsHtml(s),
  ];
  if (view.blast) parts.push('<h2 id="blast-radius">Blast radius: before and after</h2>', blastHtml(view.blast));
  parts.push('<h2 id="compliance">Compliance mapping</h2><p>Controls that open findings bear on (HIPAA 45 CFR 164.312, HHS 405(d) HICP, IEC 62443-3-3, NIST CSF 2.0).</p>');
  for (const fw of FRAMEWORKS) {
    const rows = s.coverage.filter((c) => c.framework === fw.key);
    parts.push(`<h3>${esc(fw.title)}</h3>`, rows.length
      ? `<table><tr><th>Control</th><th>Findings</th><th>Worst</th><th>Rules</th></tr>${rows.map((c) => `<tr><td>${esc(c.control)}</td><td>${c.findings}</td><td>${sev(c.worst)}</td><td>${esc(c.rules.join(', '))}</td></tr>`).join('')}</table>`
      : '<p>No open finding maps here.</p>');
  }
  parts.push('<h2 id="technical-detail">Technical detail</h2><h3 id="data-flow-map">Data-flow map</h3>',
    `<p>${view.counts.edges} flow(s): ${view.counts.allowed} allowed, ${view.counts.intraZone} intra-zone, ${view.counts.violations} violating${view.counts.unchecked ? `, ${view.counts.unchecked} unchecked (no model)` : ''}. Colours are clinical processes; dashed red edges are violations.</p>`,
    `<div class="map">${flowMapSvg(view)}</div>`);
  parts.push('<h3 id="findings">Findings</h3>', findingsTable(view));
  parts.push('<h3 id="inventory">Asset inventory</h3>', inventoryTable(view));
  if (view.timeline.length) {
    parts.push('<h3 id="timeline">Changes and drift</h3><table><tr><th>When</th><th>Kind</th><th>Severity</th><th>Subject</th><th>What</th></tr>',
      ...view.timeline.slice(0, 200).map((t) => `<tr><td>${esc(new Date(t.ts).toISOString())}</td><td>${esc(t.kind)}</td><td>${sev(t.severity)}</td><td>${esc(t.subject)}</td><td>${esc(t.title)}</td></tr>`), '</table>');
  }
  parts.push('</body></html>');
  return parts.join('\n');
}

function findingsTable(view: SiteView): string {
  if (!view.findings.length) return '<p>No findings.</p>';
  const rows = view.findings.slice(0, DETAIL_LIMIT).map((f) => {
    const cm = complianceFor(f);
    const ev = Object.entries(f.evidence).filter(([, v]) => v !== undefined).map(([k, v]) => `${esc(k)}: ${esc(typeof v === 'string' ? v : JSON.stringify(v))}`).join('<br>');
    const loc = f.location ? `<br><code>${esc(f.location.file)}${f.location.line ? `:${f.location.line}` : ''}</code>` : '';
    return `<tr><td>${sev(f.severity)}</td><td>${esc(f.title)}${loc}<details><summary>evidence</summary>${ev}${f.fix ? `<p><b>Fix:</b> ${esc(f.fix)}</p>` : ''}</details></td><td><code>${esc(f.rule)}</code><br>${esc(f.status)}</td><td>${esc(f.process ?? '')}</td><td>${esc(f.zone ?? '')}</td>`
      + `<td>${[...cm.hipaa, ...cm.hicp, ...cm.iec62443, ...cm.nistCsf].map(esc).join('<br>')}</td></tr>`;
  });
  const more = view.findings.length > DETAIL_LIMIT ? `<p>${view.findings.length - DETAIL_LIMIT} more finding(s), less severe, are in the JSON and SARIF reports.</p>` : '';
  return `<table><tr><th>Severity</th><th>Finding</th><th>Rule</th><th>Process</th><th>Zone</th><th>Controls</th></tr>${rows.join('')}</table>${more}`;
}

function inventoryTable(view: SiteView): string {
  if (!view.assets.length) return '<p>No assets.</p>';
  const rows = view.assets.map((a) => `<tr><td>${esc(a.name)}${a.modelled ? '' : ' <i>(not in model)</i>'}</td><td>${esc(a.addresses.join(', '))}</td><td>${esc(a.zone)}</td><td>${esc(a.process ?? '')}</td><td>${esc(a.kind ?? a.roles.join(', '))}</td>`
    + `<td>${esc([a.vendor, a.product, a.version].filter(Boolean).join(' '))}${a.software.length ? `<br>${a.software.map(esc).join('<br>')}` : ''}</td><td>${esc(a.aeTitles.join(', '))}</td>`
    + `<td>${a.vulnerabilities.map((v) => `${sev(v.severity)} ${esc(v.id)}`).join('<br>')}</td><td>${a.exposed ? 'exposed' : ''}${a.phi ? ' PHI' : ''}</td><td>${a.openFindings}</td></tr>`);
  return `<table><tr><th>Asset</th><th>Addresses</th><th>Zone</th><th>Process</th><th>Kind</th><th>Vendor / software</th><th>AE titles</th><th>Vulnerabilities</th><th>Exposure</th><th>Open findings</th></tr>${rows.join('')}</table>`;
}
