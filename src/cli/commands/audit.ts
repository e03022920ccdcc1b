import { allRules, auditFile, expandConfigPaths, type AuditResult, type ConfigKind } from '../../checks/audit/audit.ts';
import { InputError } from '../../core/errors.ts';
import { formatLocation } from '../../core/errors.ts';
import { severityRank } from '../../core/severity.ts';
import type { Command } from '../command.ts';
import { gateExit } from '../gate.ts';
import { saveFindings } from '../../analyses/check/store.ts';
import { openStore } from '../../store/open.ts';

export const command: Command = {
  name: 'audit',
  summary: 'audit PACS and portal configuration files (Orthanc JSON, DCMTK dcmqrscp.cfg, nginx)',
  usage: 'wardline audit <files...> [--kind orthanc|dcmqrscp|nginx] [--json] [--fail-on SEVERITY]',
  description: 'Reads each file (Orthanc JSON may have comments and trailing commas), applies the rules for its kind and reports each problem with file:line, severity, rationale, fix and references. Absent Orthanc keys take Orthanc\'s built-in defaults when the file is a whole configuration. Secrets are never printed. `--rules` lists every rule id.',
  examples: [
    'wardline audit /etc/orthanc/orthanc.json',
    'wardline audit configs/*.json configs/dcmqrscp.cfg --fail-on high',
    'wardline audit portal-nginx.conf --kind nginx --json',
    'wardline audit examples/hospital/configs/   (a folder: every *.json, *.cfg, *.conf in it)',
    'wardline audit --rules',
  ],
  gate: true,
  options: {
    kind: { type: 'string', value: 'KIND', description: 'force the file kind: orthanc, dcmqrscp or nginx (default: detected)' },
    rules: { type: 'boolean', description: 'list the rules and exit' },
    save: { type: 'boolean', description: 'also store the findings in the store (--db), for reports and the dashboard' },
  },
  async run({ args, opts, out }) {
    if (opts.rules) {
      const rules = allRules();
      if (out.json) out.data(rules.map(({ kind, rule }) => ({ kind, id: rule.id, catalogue: rule.catalogue, title: rule.title, severity: rule.severity, rationale: rule.rationale, fix: rule.fix, references: rule.references })));
      else out.table(['KIND', 'RULE', 'SEVERITY', 'TITLE'], rules.map(({ kind, rule }) => [kind, rule.id, rule.severity, rule.title]));
      return 0;
    }
    if (args.length === 0) throw new InputError('audit needs at least one configuration file', { hint: 'wardline audit --help' });
    const kind = opts.kind as string | undefined;
    if (kind !== undefined && !['orthanc', 'dcmqrscp', 'nginx'].includes(kind)) throw new InputError(`--kind takes orthanc, dcmqrscp or nginx, not '${kind}'`);
    const results: AuditResult[] = expandConfigPaths(args).map((f) => auditFile(f, kind as ConfigKind | undefined));
    const findings = results.flatMap((r) => r.findings);
    if (opts.save) {
      const db = await openStore(opts.db as string | undefined);
      try { await saveFindings(db, findings); } finally { await db.close(); }
    }
    if (out.json) {
      out.data({ files: results.map((r) => ({ file: r.file, kind: r.kind, hash: r.hash, findings: r.findings.length })), findings });
    } else {
      const sorted = [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.subject.localeCompare(b.subject) || (a.location?.line ?? 0) - (b.location?.line ?? 0));
      if (sorted.length) out.table(['SEVERITY', 'WHERE', 'RULE', 'TITLE'], sorted.map((f) => [f.severity, f.location ? formatLocation(f.location) : f.subject, f.rule, f.title]));
      out.info(`${results.length} file(s), ${findings.length} finding(s)${sorted.length ? '; --json for rationale, fix and references' : ''}`);
    }
    return gateExit(findings, opts['fail-on']);
  },
};
