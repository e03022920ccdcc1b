import { checkSbom } from '../../analyses/vulns/sbom-check.ts';
import { InputError } from '../../core/errors.ts';
import { readSbom, type VexStatement } from '../../feeds/sbom.ts';
import { EXIT, type Command } from '../command.ts';
import { withStore } from '../store.ts';

export const command: Command = {
  name: 'sbom',
  summary: 'read an SBOM (CycloneDX, SPDX JSON or tag-value): components, CPEs, purls, VEX; optionally match it against stored advisories',
  usage: 'wardline sbom <file> [--match] [--vex FILE]... [--db PATH] [--json]',
  description: [
    'Lists what a device\'s SBOM says it contains. With --match, each component (by CPE, else purl,',
    'else supplier and name) is matched against the advisories imported with `wardline feeds import`;',
    'VEX statements in the SBOM itself or in --vex files (analysis.state not_affected, false_positive,',
    'resolved) suppress a match and say which file did. Attach SBOMs to model assets with "sbom:"',
    'so that `wardline vulns` uses them.',
  ].join('\n'),
  examples: [
    'wardline sbom examples/hospital/sboms/pacs-main.cdx.json',
    'wardline sbom vendor-bom.cdx.json --vex vendor-vex.cdx.json --match --json',
    'wardline sbom device.spdx --match',
  ],
  options: {
    match: { type: 'boolean', description: 'match components against the stored advisories' },
    vex: { type: 'string', multiple: true, value: 'FILE', description: 'a CycloneDX VEX document to apply (repeatable)' },
  },
  async run(ctx) {
    const file = ctx.args[0];
    if (!file) throw new InputError('name an SBOM file', { hint: 'wardline sbom --help' });
    const sbom = readSbom(file);
    const vex: VexStatement[] = [];
    for (const f of Array.isArray(ctx.opts.vex) ? ctx.opts.vex : []) vex.push(...readSbom(f).vex);
    if (!ctx.opts.match) {
      if (ctx.out.json) { ctx.out.data({ ...sbom, vex: [...sbom.vex, ...vex] }); return EXIT.OK; }
      ctx.out.write(`${file}: ${sbom.format} ${sbom.specVersion}${sbom.name ? ` "${sbom.name}"` : ''}, ${sbom.components.length} component(s)`);
      ctx.out.table(['component', 'version', 'supplier', 'cpe', 'purl'], sbom.components.map((c) => [c.group ? `${c.group}/${c.name}` : c.name, c.version, c.supplier, c.cpe, c.purl]));
      for (const v of [...sbom.vex, ...vex]) ctx.out.write(`VEX ${v.vuln}: ${v.state}${v.justification ? ` (${v.justification})` : ''} for ${v.refs.join(', ')}`);
      return EXIT.OK;
    }
    return withStore(ctx.opts, async (db) => {
      const rows = await checkSbom(db, sbom, vex);
      if (ctx.out.json) { ctx.out.data({ file, format: sbom.format, components: sbom.components.length, vulnerabilities: rows }); return EXIT.OK; }
      ctx.out.table(['component', 'vulnerability', 'CVSS', 'fixed in', 'status'], rows.map((r) => [r.component, r.vuln, r.cvss, r.fixed, r.suppressed ?? 'affected']));
      for (const r of rows.filter((x) => !x.suppressed).slice(0, 10)) ctx.out.write(`  why: ${r.why}`);
      return EXIT.OK;
    });
  },
};
