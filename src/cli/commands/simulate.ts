import { simulate, type SimChange } from '../../analyses/simulate/simulate.ts';
import { openModel } from '../../model/open.ts';
import { gateExit } from '../gate.ts';
import type { Command } from '../command.ts';
import { storedObservations } from '../observed.ts';
import { parseNow } from './check.ts';

function rows(list: SimChange[]): Array<Array<string | number | undefined>> {
  return list.map((c) => [c.process, c.handover ?? c.edge, c.sessions, c.before ?? (c.after ? '' : 'flat network'), c.after, c.suspicious]);
}

export const command: Command = {
  name: 'simulate',
  summary: 'replay observed flows against a candidate model: what would break, what would newly be allowed',
  usage: 'wardline simulate --model NEW [--baseline-model OLD] [--db STORE] [--json] [--fail-on SEVERITY] [--now DATE]',
  description: [
    'Evaluates every stored flow against the candidate model (as it would be enforced: expired conduits gone)',
    'and against the baseline model, or, without one, against today\'s unsegmented network where everything',
    'observed got through. Flows that would stop are listed with their clinical handover; those that look',
    'illegitimate (scans, kiosk to PACS, internet to PHI) are reported as intended blocks. --fail-on high',
    'fails a pipeline when a change would break a clinical or PHI flow.',
  ].join('\n'),
  examples: [
    'wardline simulate --model proposed/',
    'wardline simulate --model proposed/ --baseline-model examples/hospital --fail-on high',
    'wardline simulate --model proposed/ --json | jq .breaks',
  ],
  gate: true,
  options: {
    model: { type: 'string', value: 'NEW', description: 'the candidate model' },
    'baseline-model': { type: 'string', value: 'OLD', description: 'today\'s model (default: an unsegmented network)' },
    now: { type: 'string', value: 'DATE', description: 'judge conduit expiry as of this date (default: now)' },
  },
  async run(ctx) {
    const now = parseNow(ctx.opts.now);
    const candidate = openModel(typeof ctx.opts.model === 'string' ? ctx.opts.model : undefined).model;
    const baseline = typeof ctx.opts['baseline-model'] === 'string' ? openModel(ctx.opts['baseline-model']).model : undefined;
    const { edges } = await storedObservations(ctx.opts);
    if (!edges.length) ctx.out.warn('no observed flows in the store: nothing to replay (wardline discover first)');
    const r = simulate(edges, candidate, baseline, { now });
    if (ctx.out.json) {
      ctx.out.data({ breaks: r.breaks, intendedBlocks: r.intendedBlocks, newlyAllowed: r.newlyAllowed, unchanged: r.unchanged, unusedConduits: r.unusedConduits, findings: r.findings });
    } else {
      ctx.out.write(`${edges.length} observed flows replayed: ${r.breaks.length} would break, ${r.intendedBlocks.length} blocked on purpose, ${r.newlyAllowed.length} newly allowed, ${r.unchanged} unchanged`);
      const headers = ['process', 'handover', 'sessions', 'before', 'after', 'why suspicious'];
      if (r.breaks.length) { ctx.out.write('\nWould break:'); ctx.out.table(headers, rows(r.breaks)); }
      if (r.intendedBlocks.length) { ctx.out.write('\nBlocked on purpose (look illegitimate):'); ctx.out.table(headers, rows(r.intendedBlocks)); }
      if (r.newlyAllowed.length) { ctx.out.write('\nNewly allowed:'); ctx.out.table(headers, rows(r.newlyAllowed)); }
      if (r.unusedConduits.length) ctx.out.write(`\nConduits of the candidate no observed flow uses: ${r.unusedConduits.join(', ')}`);
    }
    return gateExit(r.findings, ctx.opts['fail-on']);
  },
};
