import { InputError } from '../../core/errors.ts';
import { attackPaths, blastFrom, rankFootholds, type BlastResult } from '../../analyses/blast/blast.ts';
import { compilePolicy } from '../../graph/policy.ts';
import { buildSiteGraph, resolveNodes, type SiteGraph } from '../../graph/site-graph.ts';
import { openModel } from '../../model/open.ts';
import type { FlowEdge } from '../../observations/types.ts';
import { EXIT, type Command, type CommandContext } from '../command.ts';
import { storedObservations } from '../observed.ts';
import { parseNow } from './check.ts';

function pick(sg: SiteGraph, name: string, which: string): number[] {
  const nodes = resolveNodes(sg, name);
  if (!nodes) throw new InputError(`'${name}' is not an asset, zone, partner or address of the ${which} model`, { hint: 'wardline assets lists the names' });
  return nodes;
}

function describe(r: BlastResult): string[] {
  const lines = [`  reaches ${r.reachedAssets} asset(s), ${r.phiAssets} holding PHI (${r.phiStores} PHI store(s)); weighted score ${r.score}`];
  if (r.paths.length) {
    lines.push('  shortest paths to PHI stores ([conduit], otherwise an observed flow):');
    for (const p of r.paths.slice(0, 5)) lines.push(`    ${p.path.join(' -> ')}`);
  }
  return lines;
}

async function edgesFrom(ctx: CommandContext): Promise<FlowEdge[]> {
  return (await storedObservations(ctx.opts)).edges;
}

export const command: Command = {
  name: 'blast',
  summary: 'blast radius: what an attacker owning an asset or zone can reach, and the site-wide ranking of footholds',
  usage: 'wardline blast <asset|zone|address> [--model DIR] [--baseline-model DIR] [--json]\n       wardline blast --rank [--model DIR] [--limit N] [--json]',
  description: [
    'Follows allowed conduits (the model) and observed flows (reality), transitively, and weighs what is',
    'reached by PHI and criticality. With --baseline-model the baseline (its conduits plus observed flows,',
    'i.e. today) is compared with --model alone (the proposal, enforced): "the kiosk reaches 16 PHI',
    'assets today, 0 after". --rank scores every foothold at once and lists the shortest attack paths',
    'from internet- and user-facing footholds to PHI stores.',
  ].join('\n'),
  examples: [
    'wardline blast kiosk-lobby-01 --model examples/hospital',
    'wardline blast dmz --model proposed/ --baseline-model examples/hospital',
    'wardline blast --rank --model examples/hospital --limit 10',
    'wardline blast 172.16.10.30 --model site/ --json',
  ],
  options: {
    model: { type: 'string', value: 'DIR', description: 'site model (with --baseline-model: the proposed one)' },
    'baseline-model': { type: 'string', value: 'DIR', description: 'today\'s model, for a before/after comparison' },
    rank: { type: 'boolean', description: 'rank every foothold by weighted reach; list attack paths to PHI stores' },
    limit: { type: 'string', value: 'N', description: 'entries in the ranking (default 20)' },
    now: { type: 'string', value: 'DATE', description: 'conduits expired before this date are not followed (default: now)' },
  },
  async run(ctx) {
    const now = parseNow(ctx.opts.now);
    const { model } = openModel(typeof ctx.opts.model === 'string' ? ctx.opts.model : undefined);
    const baseline = typeof ctx.opts['baseline-model'] === 'string' ? openModel(ctx.opts['baseline-model']).model : undefined;
    const edges = await edgesFrom(ctx);
    if (ctx.opts.rank) {
      const limit = ctx.opts.limit === undefined ? 20 : Number(ctx.opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new InputError(`--limit takes a positive whole number, not '${String(ctx.opts.limit)}'`);
      const sg = buildSiteGraph(compilePolicy(model), edges, { model: true, observed: true, now });
      const ranking = rankFootholds(sg, limit);
      const paths = attackPaths(sg, limit);
      if (ctx.out.json) { ctx.out.data({ ranking, paths }); return EXIT.OK; }
      ctx.out.table(['rank', 'foothold', 'kind', 'exposed', 'PHI assets', 'score'], ranking.map((r, i) => [i + 1, r.node, r.kind, r.exposed ? 'yes' : '', r.phiAssets, r.score]));
      if (paths.length) {
        ctx.out.write('\nShortest attack paths from internet-/user-facing footholds to PHI stores ([conduit], otherwise an observed flow):');
        for (const p of paths) ctx.out.write(`  ${p.hops} hop(s): ${p.path.join(' -> ')}`);
      }
      return EXIT.OK;
    }
    const target = ctx.args[0];
    if (!target) throw new InputError('name an asset, zone or address, or pass --rank', { hint: 'wardline blast --help' });
    const policy = compilePolicy(model);
    if (baseline) {
      const before = buildSiteGraph(compilePolicy(baseline), edges, { model: true, observed: true, now });
      const after = buildSiteGraph(policy, edges, { model: true, observed: false, now });
      const b = blastFrom(before, pick(before, target, 'baseline'));
      const a = blastFrom(after, pick(after, target, 'proposed'));
      const headline = `${target} reaches ${b.phiAssets} PHI asset(s) today, ${a.phiAssets} after`;
      if (ctx.out.json) { ctx.out.data({ target, headline, before: b, after: a }); return EXIT.OK; }
      ctx.out.write([headline, 'today (baseline conduits and observed flows):', ...describe(b), 'after (proposed model, enforced):', ...describe(a)].join('\n'));
      return EXIT.OK;
    }
    const both = buildSiteGraph(policy, edges, { model: true, observed: true, now });
    const sources = pick(both, target, 'site');
    const r = blastFrom(both, sources);
    const viaModel = blastFrom(buildSiteGraph(policy, edges, { model: true, observed: false, now }), sources);
    const viaObserved = blastFrom(buildSiteGraph(policy, edges, { model: false, observed: true, now }), sources);
    if (ctx.out.json) { ctx.out.data({ target, combined: r, model: viaModel, observed: viaObserved }); return EXIT.OK; }
    ctx.out.write([
      `${target}:`, ...describe(r),
      `  through conduits alone: ${viaModel.reachedAssets} asset(s), ${viaModel.phiAssets} with PHI; through observed flows alone: ${viaObserved.reachedAssets}, ${viaObserved.phiAssets} with PHI`,
    ].join('\n'));
    return EXIT.OK;
  },
};
