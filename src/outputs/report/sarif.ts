/**
 * SARIF 2.1.0 for CI: one run, one rule per Wardline rule (with its
 * compliance mapping as properties), one result per finding. Findings with a
 * location (conduits, config files) point at file:line:column; the others are
 * about the network and carry a logical location (the flow or asset).
 */
import { relative, isAbsolute } from 'node:path';
import type { Finding } from '../../core/finding.ts';
import type { Severity } from '../../core/severity.ts';
import { complianceFor } from './compliance.ts';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
const SCORE: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

export interface SarifOptions {
  /** Artifact URIs are made relative to this directory (the repository root in CI). */
  baseDir?: string;
  version?: string;
}

export function toSarif(findings: readonly Finding[], opts: SarifOptions = {}): Record<string, unknown> {
  const base = opts.baseDir ?? process.cwd();
  const rules: Array<Record<string, unknown>> = [];
  const ruleIndex = new Map<string, number>();
  for (const f of findings) {
    if (ruleIndex.has(f.rule)) continue;
    ruleIndex.set(f.rule, rules.length);
    const cm = complianceFor(f);
    rules.push({
      id: f.rule,
      name: f.rule.replace(/[^A-Za-z0-9]+(.)/g, (_, c: string) => c.toUpperCase()),
      shortDescription: { text: f.rule },
      ...(f.rationale ? { fullDescription: { text: f.rationale } } : {}),
      ...(f.fix ? { help: { text: f.fix } } : {}),
      defaultConfiguration: { level: LEVEL[f.severity] },
      properties: {
        tags: ['security', f.source, ...cm.hipaa.map((x) => `HIPAA ${x.split(' ')[0]}`), ...cm.iec62443.map((x) => `IEC 62443-3-3 ${x.split(' ').slice(0, 2).join(' ')}`)],
        'security-severity': SCORE[f.severity],
        compliance: cm,
      },
    });
  }
  const results = findings.map((f) => {
    const loc = f.location;
    const uri = loc ? (isAbsolute(loc.file) ? relative(base, loc.file) : loc.file).split('\\').join('/') : undefined;
    return {
      ruleId: f.rule,
      ruleIndex: ruleIndex.get(f.rule),
      level: LEVEL[f.severity],
      message: { text: f.fix ? `${f.title}. Fix: ${f.fix}` : f.title },
      locations: [uri
        ? { physicalLocation: { artifactLocation: { uri, uriBaseId: 'SRCROOT' }, region: { startLine: loc?.line ?? 1, ...(loc?.column ? { startColumn: loc.column } : {}) } } }
        : { logicalLocations: [{ name: f.subject, kind: 'resource' }] }],
      partialFingerprints: { wardlineFindingId: f.id },
      properties: { severity: f.severity, source: f.source, subject: f.subject, ...(f.process ? { process: f.process } : {}), ...(f.zone ? { zone: f.zone } : {}), references: f.references },
    };
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'Wardline', version: opts.version ?? '0.1.0', rules } },
      originalUriBaseIds: { SRCROOT: { uri: `file://${base.endsWith('/') ? base : `${base}/`}` } },
      results,
    }],
  };
}
