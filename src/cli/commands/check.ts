import { InputError } from '../../core/errors.ts';
import { severityRank } from '../../core/severity.ts';
import { runCheck } from '../../analyses/check/run.ts';
import { saveFindings } from '../../analyses/check/store.ts';
import { openModel } from '../../model/open.ts';
import { loadObservations } from '../../observations/persist.ts';
import { gateExit } from '../gate.ts';
import type { Command } from '../command.ts';
import { withStore } from '../store.ts';

/** --now: an ISO date or date-time; expiry is judged against it. */
export function parseNow(v: unknown): number {
  if (v === undefined || v === false) return Date.now();
  const t = Date.parse(String(v));
  if (Number.isNaN(t)) throw new InputError(`--now takes a date such as 2026-11-28, not '${String(v)}'`);
  return t;
}

export const command: Command = {
  name: 'check',
  summary: 'check every observed flow against the site model: allowed by a conduit, or a violation with its reason',
  usage: 'wardline check [--model DIR] [--db STORE] [--json] [--fail-on SEVERITY] [--now DATE]',
  description: [
    'Evaluates every flow edge in the store against the zones and conduits of the model. A flow is allowed',
    '(naming its conduit), inside one zone, or a violation: no conduit, wrong service/port, DICOM AE or HL7',
    'identity outside the conduit, cleartext PHI where TLS is required, data beyond the conduit\'s minimum',
    '(HL7 segments/fields, FHIR resources), PHI reachable from an internet-facing zone, external traffic',
    'without a partner conduit, unknown hosts, scans. The reverse side: conduits unused, expired, or broader',
    'than observed. Findings are stored (upserted by id) and cite IEC 62443-3-3, HIPAA 164.312 and HICP.',
  ].join('\n'),
  examples: [
    'wardline check --model examples/hospital',
    'wardline check --model site/ --fail-on high        # CI gate',
    'wardline check --model site/ --json | jq \'.findings[] | select(.rule=="check.no-conduit")\'',
    'wardline check --model site/ --now 2027-01-01      # what will have expired by then',
  ],
  gate: true,
  options: {
    model: { type: 'string', value: 'DIR', description: 'site model (a YAML file or directory; default wardline.yaml or model/)' },
    now: { type: 'string', value: 'DATE', description: 'judge conduit expiry as of this date (default: now)' },
    flows: { type: 'boolean', description: 'also list every flow with its verdict' },
  },
  async run(ctx) {
    const now = parseNow(ctx.opts.now);
    const { model, problems } = openModel(typeof ctx.opts.model === 'string' ? ctx.opts.model : undefined);
    for (const p of problems) ctx.out.warn(p.message);
    return withStore(ctx.opts, async (db) => {
      const obs = await loadObservations(db);
      if (obs.edges.length === 0) ctx.out.warn('no observed flows in the store: run wardline discover first; only conduit-side findings follow');
      const result = runCheck(model, obs.edges, { now });
      await saveFindings(db, result.findings);
      const findings = [...result.findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.rule.localeCompare(b.rule) || a.subject.localeCompare(b.subject));
      if (ctx.out.json) {
        ctx.out.data({ summary: result.summary, findings, ...(ctx.opts.flows ? { flows: result.verdicts } : {}) });
      } else {
        const s = result.summary;
        ctx.out.write(`${s.edges} flows: ${s.allowed} allowed by conduits, ${s.intraZone} within a zone, ${s.violations} violating; ${s.conduits} conduits, ${s.unusedConduits} unused`);
        if (ctx.opts.flows) {
          ctx.out.table(['verdict', 'conduit', 'flow', 'handover', 'rules'], result.verdicts.map((v) => [v.verdict, v.conduit, v.edge, v.label, v.rules.join(',')]));
        }
        if (findings.length) {
          ctx.out.write('');
          ctx.out.table(['severity', 'rule', 'finding'], findings.map((f) => [f.severity, f.rule.replace(/^check\./, ''), f.title]));
        }
      }
      return gateExit(findings, ctx.opts['fail-on']);
    });
  },
};
