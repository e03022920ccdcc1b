import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditFile, expandConfigPaths } from '../../checks/audit/audit.ts';
import { formatLocation } from '../../core/errors.ts';
import { SEVERITIES, severityRank } from '../../core/severity.ts';
import { saveFindings } from '../../analyses/check/store.ts';
import type { DemoStep } from '../types.ts';

/** Configuration audit of the sample hospital's PACS, archive and portal configs. */
export const step: DemoStep = {
  name: 'audit',
  async run(ctx) {
    const files = expandConfigPaths([join(ctx.modelPath, 'configs')]);
    const results = files.map((f) => auditFile(f));
    const findings = results.flatMap((r) => r.findings);
    await saveFindings(ctx.db, findings);
    writeFileSync(join(ctx.workDir, 'audit.json'), JSON.stringify({ files: results.map((r) => ({ file: r.file, kind: r.kind, hash: r.hash })), findings }, null, 2));
    const bySev = SEVERITIES.slice().reverse().map((s) => [s, findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0);
    const worst = findings.filter((f) => f.severity === 'critical' || f.severity === 'high').sort((x, y) => severityRank(y.severity) - severityRank(x.severity)).slice(0, 3);
    return {
      summary: [
        `${results.length} configuration files audited (${[...new Set(results.map((r) => r.kind))].join(', ')}): ${findings.length} findings (${bySev.map(([s, n]) => `${n} ${s}`).join(', ')})`,
        ...worst.map((f) => `${f.severity}: ${f.title} — ${f.location ? formatLocation({ ...f.location, file: f.location.file.slice(ctx.root.length + 1) }) : f.subject}`),
      ],
      artifacts: ['audit.json'],
      data: { files, findings },
    };
  },
};
