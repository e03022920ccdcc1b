import { ModelPlacer, classifyEdges } from '../../observations/classify.ts';
import { renderDiagram } from '../../observations/diagram.ts';
import { EXIT, type Command } from '../command.ts';
import { FORMAT_OPTION, optionalModel, storedObservations, viewFormat } from '../observed.ts';

export const command: Command = {
  name: 'assets',
  summary: 'list hosts seen on the wire: roles, AE titles, HL7 applications, software, open ports',
  usage: 'wardline assets [--model DIR] [--format table|mermaid|dot] [--json]',
  description: 'The inventory inferred from observed traffic. With --model, each host is matched to the model\'s assets, and the report lists hosts the model lacks and modelled assets that were never seen.',
  examples: [
    'wardline assets',
    'wardline assets --model site/ --json',
    'wardline assets --format mermaid',
  ],
  options: {
    model: { type: 'string', value: 'DIR', description: 'site model to match hosts against' },
    format: FORMAT_OPTION,
  },
  async run(ctx) {
    const format = viewFormat(ctx.opts);
    const model = optionalModel(ctx.opts);
    const obs = await storedObservations(ctx.opts);
    if (format !== 'table') {
      if (model || obs.edges.some((e) => !e.label)) classifyEdges(obs.edges, model);
      ctx.out.write(renderDiagram(format, obs.edges, obs.hosts, model));
      return EXIT.OK;
    }
    const placer = model ? new ModelPlacer(model) : undefined;
    const rows = obs.hosts.map((h) => {
      const p = placer?.place(h.address);
      return {
        ...h,
        asset: p?.asset?.name,
        partner: p?.partner?.name,
        zone: p?.zone?.name ?? p?.asset?.zone,
      };
    });
    const seenAssets = new Set(rows.map((r) => r.asset).filter((a): a is string => !!a));
    const unseen = model ? model.assets.filter((a) => !seenAssets.has(a.name)).map((a) => a.name) : undefined;
    if (ctx.out.json) {
      ctx.out.data({ hosts: rows, ...(model ? { unmodelled: rows.filter((r) => !r.asset && !r.partner).map((r) => r.address), unseen } : {}) });
      return EXIT.OK;
    }
    if (!rows.length) {
      ctx.out.write('no hosts in the store (wardline discover <capture> first)');
      return EXIT.OK;
    }
    const cols = ['ADDRESS', ...(model ? ['ASSET', 'ZONE'] : []), 'MAC', 'ROLES', 'AE TITLES / HL7 APPS', 'MODALITIES', 'SOFTWARE', 'LISTENS'];
    ctx.out.table(cols, rows.map((r) => [
      r.address,
      ...(model ? [r.asset ?? (r.partner ? `partner ${r.partner}` : '(not in model)'), r.zone ?? ''] : []),
      r.macs.join(' '),
      r.roles.join(' '),
      [...r.aeTitles, ...r.hl7Applications].join(' '),
      r.modalities.join(' '),
      r.software.map((s) => [s.vendor, s.product, s.version].filter(Boolean).join(' ')).join('; '),
      r.listeningPorts.map((l) => `${l.port}/${l.transport}${l.protocol !== 'unknown' ? ` ${l.protocol}` : ''}`).join(' '),
    ]));
    if (unseen?.length) ctx.out.write(`\nModelled assets never seen: ${unseen.join(', ')}`);
    return EXIT.OK;
  },
};
