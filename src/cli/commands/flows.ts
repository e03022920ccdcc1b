import { classifyEdges } from '../../observations/classify.ts';
import { renderDiagram } from '../../observations/diagram.ts';
import { EXIT, type Command } from '../command.ts';
import { FORMAT_OPTION, optionalModel, storedObservations, viewFormat } from '../observed.ts';

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export const command: Command = {
  name: 'flows',
  summary: 'list observed data flows from the store, or draw them as a diagram',
  usage: 'wardline flows [--protocol P] [--host ADDR] [--model DIR] [--format table|mermaid|dot] [--json]',
  description: 'Flow edges that discover saved: client -> server:port, application protocol, sessions, bytes, first/last seen and the clinical handover. With --model, flows are labelled and grouped by the model\'s assets and zones.',
  examples: [
    'wardline flows',
    'wardline flows --protocol dicom --json',
    'wardline flows --model site/ --format mermaid > flows.mmd',
    'wardline flows --format dot | dot -Tsvg > flows.svg',
  ],
  options: {
    protocol: { type: 'string', value: 'P', description: 'only this application protocol (dicom, hl7, http, fhir, dicomweb, tls, dns, unknown)' },
    host: { type: 'string', value: 'ADDR', description: 'only flows from or to this address' },
    model: { type: 'string', value: 'DIR', description: 'site model for labels and zone grouping' },
    format: FORMAT_OPTION,
  },
  async run(ctx) {
    const format = viewFormat(ctx.opts);
    const model = optionalModel(ctx.opts);
    const obs = await storedObservations(ctx.opts);
    let edges = obs.edges;
    if (typeof ctx.opts.protocol === 'string') edges = edges.filter((e) => e.protocol === ctx.opts.protocol);
    if (typeof ctx.opts.host === 'string') edges = edges.filter((e) => e.src === ctx.opts.host || e.dst === ctx.opts.host);
    if (model || edges.some((e) => !e.label)) classifyEdges(edges, model);
    edges.sort((a, b) => (a.protocol === 'unknown' ? 1 : 0) - (b.protocol === 'unknown' ? 1 : 0) || b.bytes - a.bytes);
    if (format !== 'table') {
      ctx.out.write(renderDiagram(format, edges, obs.hosts, model));
      return EXIT.OK;
    }
    if (ctx.out.json) {
      ctx.out.data({ edges });
      return EXIT.OK;
    }
    if (!edges.length) {
      ctx.out.write('no flows in the store (wardline discover <capture> first)');
      return EXIT.OK;
    }
    ctx.out.table(
      ['FROM', 'TO', 'PORT', 'PROTOCOL', 'SESSIONS', 'BYTES', 'FIRST SEEN', 'LAST SEEN', 'PROCESS / HANDOVER'],
      edges.map((e) => [
        e.src, e.dst, `${e.dport}/${e.transport}`, `${e.protocol}${e.encrypted ? ' (enc)' : ''}`, e.sessions, fmtBytes(e.bytes),
        new Date(e.firstSeen).toISOString().slice(0, 19), new Date(e.lastSeen).toISOString().slice(0, 19),
        `${e.label?.handover ?? ''}${e.label?.external ? ' [external]' : ''}`,
      ]),
    );
    return EXIT.OK;
  },
};
