import { loadFindings } from '../../analyses/vulns/inputs.ts';
import { runVulns, type VulnReport } from '../../analyses/vulns/run.ts';
import { saveFindings } from '../../analyses/check/store.ts';
import { InputError } from '../../core/errors.ts';
import { readSbom, type VexStatement } from '../../feeds/sbom.ts';
import { openModel, resolveModelPath } from '../../model/open.ts';
import { loadObservations } from '../../observations/persist.ts';
import { gateExit } from '../gate.ts';
import type { Command } from '../command.ts';
import { withStore } from '../store.ts';

function printReport(out: Parameters<NonNullable<Command['run']>>[0]['out'], r: VulnReport, all: boolean): void {
  const rows = (all ? r.vulns : r.vulns.slice(0, 40)).map((v, i) => [
    i + 1, v.asset, v.vuln, v.severity, v.priority, v.cvss ?? '', v.kev ? 'KEV' : '',
    v.exposure ? (v.exposure.internetFacing || v.exposure.fromInternet ? 'internet' : v.exposure.footholdHops >= 0 ? `foothold+${v.exposure.footholdHops}` : 'internal') : '',
    v.identities[0]?.replace(/ \[.*$/, ''), v.fixed ? `>= ${v.fixed}` : '',
  ]);
  out.table(['#', 'asset', 'vulnerability', 'severity', 'priority', 'CVSS', 'KEV', 'exposure', 'software', 'fixed in'], rows);
  if (!all && r.vulns.length > 40) out.write(`... ${r.vulns.length - 40} more (--all)`);
  for (const v of r.vulns.slice(0, all ? r.vulns.length : 5)) {
    out.write(`\n${v.asset} ${v.vuln}: ${v.title.slice(0, 160)}`);
    out.write(`  priority ${v.priority}: ${v.factors.join('; ')}`);
    for (const w of v.why.slice(0, 3)) out.write(`  why: ${w}`);
    if (v.remediation.length) out.write(`  remediation: ${v.remediation[0].slice(0, 200)}`);
  }
  if (r.lifecycle.length) {
    out.write('\nOutdated or end-of-life software:');
    for (const l of r.lifecycle) out.write(`  ${l.asset}: ${l.identity} — ${l.rule.status}: ${l.rule.why}`);
  }
  if (r.suppressed.length) {
    out.write('\nSuppressed (VEX or vendor status):');
    for (const s of r.suppressed) out.write(`  ${s.asset} ${s.vuln}: ${s.suppressed}`);
  }
  out.write(`\n${r.vulns.length} vulnerable (asset, CVE) pair(s) on ${new Set(r.vulns.map((v) => v.asset)).size} asset(s); ${r.vulns.filter((v) => v.kev).length} known exploited; ${r.identities} software identities on ${r.assetsWithIdentity} asset(s)`);
}

export const command: Command = {
  name: 'vulns',
  summary: 'known vulnerabilities per asset, prioritised by KEV, CVSS, exposure, PHI and criticality',
  usage: 'wardline vulns [--model DIR] [--asset NAME] [--vex FILE]... [--db PATH] [--json] [--fail-on SEVERITY]',
  description: [
    'Software identities come from the model (vendor/product/version, cpe), SBOMs attached to assets',
    '(asset "sbom:"; CycloneDX or SPDX), passive fingerprints in the store (DICOM implementation,',
    'HTTP Server) and Orthanc /system versions from probe findings. They are matched against the',
    'advisories imported with `wardline feeds import` (CPE ranges, packages, CSAF product names).',
    'Order: KEV listing, CVSS, exposure (internet-facing zone, reachable from user/DMZ/partner',
    'footholds over the model\'s conduits and observed flows), PHI, criticality. VEX not_affected and',
    'CSAF known_not_affected/fixed statements suppress a match and are listed. Results are stored as',
    'findings (source vulns). Each match says why: which identity, from where, which range.',
  ].join('\n'),
  examples: [
    'wardline vulns --model examples/hospital',
    'wardline vulns --model site/ --asset pacs-main --json',
    'wardline vulns --model site/ --vex vendor-vex.cdx.json --fail-on high',
  ],
  gate: true,
  options: {
    model: { type: 'string', value: 'DIR', description: 'site model (default: wardline.yaml or model/ here)' },
    asset: { type: 'string', value: 'NAME', description: 'only this asset' },
    vex: { type: 'string', multiple: true, value: 'FILE', description: 'a CycloneDX VEX document to apply (repeatable)' },
    all: { type: 'boolean', description: 'list every row and every explanation' },
  },
  async run(ctx) {
    const modelPath = resolveModelPath(typeof ctx.opts.model === 'string' ? ctx.opts.model : undefined);
    const { model } = openModel(modelPath);
    const asset = typeof ctx.opts.asset === 'string' ? ctx.opts.asset : undefined;
    if (asset && !model.assets.some((a) => a.name === asset)) throw new InputError(`no asset '${asset}' in the model`, { hint: 'wardline vulns --model DIR lists assets with software; wardline model show lists them all' });
    const vex: VexStatement[] = [];
    for (const f of Array.isArray(ctx.opts.vex) ? ctx.opts.vex : []) vex.push(...readSbom(f).vex);
    return withStore(ctx.opts, async (db) => {
      const obs = await loadObservations(db);
      const probe = await loadFindings(db, 'probe');
      const r = await runVulns({ model, modelPath, db, edges: obs.edges, hosts: obs.hosts, probeFindings: probe, vex, asset });
      const advisories = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM advisories');
      if (!Number(advisories?.n ?? 0)) ctx.out.warn('the store holds no advisories; run wardline feeds import first');
      for (const w of r.warnings) ctx.out.warn(w);
      await saveFindings(db, r.findings);
      if (ctx.out.json) ctx.out.data(r);
      else printReport(ctx.out, r, ctx.opts.all === true);
      return gateExit(r.findings, ctx.opts['fail-on']);
    });
  },
};
