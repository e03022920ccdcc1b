import { writeFileSync } from 'node:fs';
import { InputError } from '../../core/errors.ts';
import { proposeSegmentation } from '../../analyses/segment/propose.ts';
import { renderProposalYaml } from '../../analyses/segment/yaml.ts';
import { EXIT, type Command } from '../command.ts';
import { optionalModel, storedObservations } from '../observed.ts';

const propose: Command = {
  name: 'propose',
  summary: 'propose zones and least-privilege conduits from what was observed',
  usage: 'wardline segment propose [--model DIR] [--db STORE] [--out FILE] [--json]',
  description: [
    'Groups the observed hosts into zones by clinical process and role (modalities, imaging servers, EMR core,',
    'interfaces, pharmacy, monitoring, laboratory, DMZ, workstations, management, the internet and partners) and',
    'proposes the minimal conduits that keep every legitimate observed flow working: exact ports, DICOM AE and',
    'HL7 identities, FHIR resources, the data minimum for DMZ displays, TLS where PHI leaves the site. The',
    'output is a site model in YAML with a rationale comment per conduit. Scans, kiosks or internet clients',
    'reaching PHI systems and refused associations are listed for review and never become conduits. With',
    '--model, the existing model says what each host is.',
  ].join('\n'),
  examples: [
    'wardline segment propose --out proposed/model.yaml',
    'wardline segment propose --model examples/hospital --out proposed/model.yaml && wardline simulate --model proposed/',
    'wardline segment propose --json | jq .review',
  ],
  options: {
    model: { type: 'string', value: 'DIR', description: 'an existing site model: names and kinds of known hosts' },
    out: { type: 'string', value: 'FILE', description: 'write the proposed model here (default: standard output)' },
  },
  async run(ctx) {
    const model = optionalModel(ctx.opts);
    const { edges } = await storedObservations(ctx.opts);
    if (!edges.length) throw new InputError(`no observed flows in the store ${typeof ctx.opts.db === 'string' ? ctx.opts.db : ''}`.trim(), { hint: 'run wardline discover <capture> first' });
    const proposal = proposeSegmentation(edges, model);
    const yaml = renderProposalYaml(proposal);
    const out = typeof ctx.opts.out === 'string' ? ctx.opts.out : undefined;
    if (out) {
      try {
        writeFileSync(out, yaml);
      } catch (err) {
        throw new InputError(`cannot write ${out}: ${(err as Error).message}`, { location: { file: out } });
      }
    }
    if (ctx.out.json) {
      ctx.out.data({ ...proposal, out });
    } else if (out) {
      const s = proposal.stats;
      ctx.out.write(`${proposal.zones.length} zones, ${proposal.conduits.length} conduits keep ${s.covered} of ${s.edges} flows working (${s.intraZone} stay inside a zone); ${proposal.review.length} item(s) to review; written to ${out}`);
      for (const r of proposal.review) ctx.out.write(`  review: ${r.flow}: ${r.reason}`);
    } else {
      ctx.out.write(yaml);
    }
    return EXIT.OK;
  },
};

export const command: Command = {
  name: 'segment',
  summary: 'design the segmentation: propose zones and least-privilege conduits from observations',
  usage: 'wardline segment propose [options]',
  examples: ['wardline segment propose --model examples/hospital --out proposed/model.yaml'],
  subcommands: [propose],
};
