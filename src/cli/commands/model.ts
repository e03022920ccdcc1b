import { InputError } from '../../core/errors.ts';
import { endpointText } from '../../model/index.ts';
import { checkModel, resolveModelPath, DEFAULT_MODEL_PATHS } from '../../model/open.ts';
import { formatProblem, type Problem } from '../../model/problem.ts';
import { formatService } from '../../model/service.ts';
import type { SiteModel } from '../../model/types.ts';
import { EXIT, type Command, type CommandContext } from '../command.ts';

function parseNow(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(t)) throw new InputError(`--now '${v}' is not a date`, { hint: 'write YYYY-MM-DD or an ISO 8601 timestamp' });
  return t;
}

/** Loads and validates, turning broken YAML into a problem so --json still gets a document. */
function check(ctx: CommandContext): { path: string; model?: SiteModel; problems: Problem[] } {
  const path = resolveModelPath(ctx.args[0]);
  const now = parseNow(ctx.opts.now);
  try {
    const { model, problems } = checkModel(path, { now });
    return { path, model, problems };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { path, problems: [{ severity: 'error', code: 'yaml.syntax', message: err.message, location: err.location, ...(err.hint ? { hint: err.hint } : {}) }] };
  }
}

function counts(m: SiteModel): string {
  return `${m.zones.length} zones, ${m.assets.length} assets, ${m.conduits.length} conduits, ${m.partners.length} partners, ${m.processes.length} processes`;
}

const pathHelp = `PATH is a YAML file or a directory of *.yaml|*.yml files (merged). Without it: ${DEFAULT_MODEL_PATHS.join(', ')} in the working directory.`;

const validate: Command = {
  name: 'validate',
  summary: 'check a site model; errors as file:line:column with hints',
  usage: 'wardline model validate [PATH] [--now DATE] [--json]',
  description: `${pathHelp} Exits 2 when there is any error; warnings (expired conduits, PHI in internet-facing zones, ...) are printed but exit 0.`,
  examples: [
    'wardline model validate examples/hospital',
    'wardline model validate wardline.yaml --json',
    'wardline model validate model/ --now 2027-01-01   (which conduits will have expired by then)',
  ],
  options: {
    now: { type: 'string', value: 'DATE', description: 'reference date for expiry warnings (YYYY-MM-DD or ISO 8601; default today)' },
  },
  async run(ctx) {
    const { path, model, problems } = check(ctx);
    const errors = problems.filter((p) => p.severity === 'error').length;
    const warnings = problems.length - errors;
    if (ctx.out.json) {
      ctx.out.data({ path, valid: errors === 0, errors, warnings, problems, ...(model ? { files: model.files, summary: { zones: model.zones.length, assets: model.assets.length, conduits: model.conduits.length, partners: model.partners.length, processes: model.processes.length } } : {}) });
    } else {
      for (const p of problems) ctx.out.write(formatProblem(p));
      const what = model ? ` (${counts(model)})` : '';
      const verdict = errors ? `${path}: invalid: ${errors} error(s), ${warnings} warning(s)` : `${path}: valid${what}${warnings ? `, ${warnings} warning(s)` : ''}`;
      if (errors) ctx.out.error(verdict);
      else ctx.out.info(verdict);
    }
    return errors ? EXIT.USAGE : EXIT.OK;
  },
};

const show: Command = {
  name: 'show',
  summary: 'print the normalised model (defaults filled in, references resolved)',
  usage: 'wardline model show [PATH] [--json]',
  description: `${pathHelp} With --json prints the whole model as other tools see it, each element with its source location; otherwise a summary table per zone. A model with errors is not shown: the errors are printed and the exit code is 2.`,
  examples: [
    'wardline model show examples/hospital --json | jq \'.assets[] | select(.phi) | .name\'',
    'wardline model show wardline.yaml',
  ],
  async run(ctx) {
    const { model, problems } = check(ctx);
    const errors = problems.filter((p) => p.severity === 'error');
    if (!model || errors.length) {
      for (const p of errors) ctx.out.error(formatProblem(p).replace(/^(.*?)error: /, '$1'));
      return EXIT.USAGE;
    }
    for (const p of problems) ctx.out.warn(formatProblem(p).replace(/^(.*?)warning: /, '$1'));
    if (ctx.out.json) {
      ctx.out.data(model);
      return EXIT.OK;
    }
    ctx.out.write(`${model.site.name} (${model.site.timezone}): ${counts(model)}`);
    ctx.out.write('');
    ctx.out.table(['ZONE', 'KIND', 'SL', 'CIDRS', 'PROCESSES', 'ASSETS'], model.zones.map((z) => [
      z.name + (z.internetFacing && z.kind !== 'external' ? ' (internet-facing)' : ''), z.kind, z.securityLevel, z.cidrs.join(' ') || 'everything else',
      z.processes.join(',') || '-', model.assets.filter((a) => a.zone === z.name).length,
    ]));
    ctx.out.write('');
    ctx.out.table(['CONDUIT', 'FROM', 'TO', 'SERVICES', 'TLS', 'PHI', 'EXPIRES'], model.conduits.map((c) => [
      c.id, endpointText(c.from), endpointText(c.to), c.services.map(formatService).join(' '), c.tlsRequired ? 'required' : '-', c.phiAllowed ? 'yes' : 'no', c.expires ?? '-',
    ]));
    return EXIT.OK;
  },
};

const snapshot: Command = {
  name: 'snapshot',
  summary: 'record the model in the store (one row per change), or list the recorded ones',
  usage: 'wardline model snapshot [PATH] [--list] [--db URL|PATH] [--json]',
  description: `${pathHelp} Only a model that validates is recorded, and only when it differs from the last snapshot.`,
  examples: [
    'wardline model snapshot examples/hospital',
    'wardline model snapshot --list --json',
  ],
  options: {
    list: { type: 'boolean', description: 'list the recorded snapshots instead of recording one' },
  },
  async run(ctx) {
    const { openStore } = await import('../../store/open.ts');
    const { listModelSnapshots, saveModelSnapshot } = await import('../../model/snapshot-store.ts');
    const db = await openStore(typeof ctx.opts.db === 'string' ? ctx.opts.db : undefined);
    try {
      if (ctx.opts.list) {
        const snaps = await listModelSnapshots(db);
        if (ctx.out.json) ctx.out.data(snaps);
        else ctx.out.table(['ID', 'RECORDED', 'SITE', 'HASH'], snaps.map((s) => [s.id, new Date(s.createdAt).toISOString(), s.site, s.hash.slice(0, 16)]));
        return EXIT.OK;
      }
      const { model, problems } = check(ctx);
      const errors = problems.filter((p) => p.severity === 'error');
      if (!model || errors.length) {
        for (const p of errors) ctx.out.error(formatProblem(p).replace(/^(.*?)error: /, '$1'));
        return EXIT.USAGE;
      }
      const saved = await saveModelSnapshot(db, model);
      if (ctx.out.json) ctx.out.data(saved);
      else ctx.out.write(saved.added ? `recorded snapshot ${saved.id} of ${saved.site} (${saved.hash.slice(0, 16)})` : `unchanged since snapshot ${saved.id} (${saved.hash.slice(0, 16)})`);
      return EXIT.OK;
    } finally {
      await db.close();
    }
  },
};

export const command: Command = {
  name: 'model',
  summary: 'the site model as code: validate it, show it normalised, record snapshots',
  usage: 'wardline model <validate|show|snapshot> [PATH] [options]',
  description: `${pathHelp} The model format is described in docs/site-model.md.`,
  examples: [
    'wardline model validate examples/hospital',
    'wardline model show examples/hospital --json',
  ],
  subcommands: [validate, show, snapshot],
};
