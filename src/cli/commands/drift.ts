import { loadBaseline } from '../../analyses/drift/baseline-store.ts';
import { collectSnapshot } from '../../analyses/drift/collect.ts';
import { classifyDrift, diffSnapshots, driftFindings } from '../../analyses/drift/drift.ts';
import { listPlans } from '../../analyses/change/plan.ts';
import { expandConfigPaths } from '../../checks/audit/audit.ts';
import { ModelIndex } from '../../model/index.ts';
import { openModel } from '../../model/open.ts';
import type { Command } from '../command.ts';
import { withStore } from '../store.ts';
import { gateExit } from '../gate.ts';
import { saveFindings } from '../../analyses/check/store.ts';

export const command: Command = {
  name: 'drift',
  summary: 'what changed since a baseline, setting by setting; planned vs unplanned',
  usage: 'wardline drift [--since NAME] [--configs FILES...] [--probe-results FILE] [--model DIR] [--json] [--fail-on SEVERITY]',
  description: 'Re-reads the baseline\'s config files (or --configs), a new probe report if given, and the store\'s observations, and lists every added, removed or changed item: config settings, probe results, flows, AE pairs and titles, HL7 applications, software versions. Drift inside the window and scope of an approved change (wardline change plan) is "planned"; the rest is "unplanned" and reported as a finding.',
  examples: [
    'wardline drift',
    'wardline drift --since go-live --model model/ --fail-on medium',
    'wardline drift --probe-results probe-today.json --json',
  ],
  gate: true,
  options: {
    since: { type: 'string', value: 'NAME', description: 'baseline to compare with (default: the latest)' },
    configs: { type: 'string', multiple: true, value: 'FILES', description: 'config files to read now (default: those of the baseline)' },
    'probe-results': { type: 'string', value: 'FILE', description: 'a newer probe report to compare' },
    model: { type: 'string', value: 'DIR', description: 'site model: matches change scopes given as asset names' },
    'no-flows': { type: 'boolean', description: 'ignore observed flows and host facts' },
    all: { type: 'boolean', description: 'list planned drift too in the table (JSON always has it)' },
  },
  async run({ opts, out }) {
    return withStore(opts, async (db) => {
      const base = await loadBaseline(db, opts.since as string | undefined);
      const index = opts.model ? new ModelIndex(openModel(opts.model as string).model) : undefined;
      const given = opts.configs as string[] | undefined;
      const configs = given ? given.flatMap((c) => expandConfigPaths([c])) : base.sources.configs;
      const probeResults = (opts['probe-results'] as string | undefined) ?? base.sources.probeResults;
      const observations = opts['no-flows'] !== true && base.sources.observations;
      const now = Date.now();
      const cur = await collectSnapshot(db, { configs, probeResults, observations, index });
      const items = classifyDrift(diffSnapshots(base.items, cur.items, { kinds: cur.kinds, now }), await listPlans(db), { index, now });
      const findings = driftFindings(items);
      await saveFindings(db, findings);
      if (out.json) out.data({ baseline: { name: base.name, createdAt: base.createdAt }, drift: items, findings });
      else {
        const shown = opts.all ? items : items.filter((d) => d.classification === 'unplanned');
        if (shown.length) out.table(['', 'KIND', 'SUBJECT', 'SETTING', 'BEFORE', 'AFTER', 'TICKET'], shown.map((d) => [
          d.classification === 'planned' ? 'planned' : 'UNPLANNED', d.kind, d.asset ? `${d.asset} ${d.subject}` : d.subject, d.key, clip(d.before), clip(d.after), d.ticket]));
        const planned = items.filter((d) => d.classification === 'planned').length;
        out.info(`since '${base.name}' (${new Date(base.createdAt).toISOString()}): ${items.length} change(s), ${planned} planned, ${items.length - planned} unplanned${!opts.all && planned ? ' (--all lists the planned ones)' : ''}`);
      }
      return gateExit(findings, opts['fail-on']);
    });
  },
};

function clip(s: string | undefined): string | undefined {
  return s !== undefined && s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
