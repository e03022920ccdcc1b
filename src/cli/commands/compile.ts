import { writeFileSync } from 'node:fs';
import { InputError } from '../../core/errors.ts';
import { openModel } from '../../model/open.ts';
import { COMPILE_TARGETS, compileModel, isCompileTarget } from '../../outputs/compile/index.ts';
import { EXIT, type Command } from '../command.ts';
import { parseNow } from './check.ts';

export const command: Command = {
  name: 'compile',
  summary: 'compile the site model into a default-deny firewall policy (nftables, iptables, Cisco IOS/ASA, Palo Alto)',
  usage: `wardline compile --target ${COMPILE_TARGETS.join('|')} [--model DIR] [--out FILE] [--now DATE]`,
  description: [
    'One rule per conduit, carrying its id and justification as a comment; address sets or object-groups per',
    'zone, asset and partner; stateful return traffic; a logged default deny. The same model always gives the',
    'same text, so the policy can live in version control next to the model. Conduits expired before --now',
    '(default today) are left out and listed in a header comment.',
  ].join('\n'),
  examples: [
    'wardline compile --target nftables --model examples/hospital --out wardline.nft && nft -c -f wardline.nft',
    'wardline compile --target iptables --model site/ | iptables-restore --test',
    'wardline compile --target cisco-asa --model site/ --out asa.txt',
    'wardline compile --target paloalto --model site/ --json',
  ],
  options: {
    target: { type: 'string', value: 'TARGET', description: COMPILE_TARGETS.join(', ') },
    model: { type: 'string', value: 'DIR', description: 'site model (a YAML file or directory; default wardline.yaml or model/)' },
    out: { type: 'string', value: 'FILE', description: 'write the policy here instead of standard output' },
    now: { type: 'string', value: 'DATE', description: 'leave out conduits expired before this date (default: today)' },
  },
  async run(ctx) {
    const target = ctx.opts.target;
    if (typeof target !== 'string') throw new InputError('--target is required', { hint: `one of ${COMPILE_TARGETS.join(', ')}` });
    if (!isCompileTarget(target)) throw new InputError(`unknown --target '${target}'`, { hint: `one of ${COMPILE_TARGETS.join(', ')}` });
    const now = parseNow(ctx.opts.now);
    const { model, problems } = openModel(typeof ctx.opts.model === 'string' ? ctx.opts.model : undefined);
    for (const p of problems) ctx.out.warn(p.message);
    const text = compileModel(model, target, now);
    const out = typeof ctx.opts.out === 'string' ? ctx.opts.out : undefined;
    if (out) {
      try {
        writeFileSync(out, text);
      } catch (err) {
        throw new InputError(`cannot write ${out}: ${(err as Error).message}`, { location: { file: out } });
      }
    }
    if (ctx.out.json) ctx.out.data({ target, conduits: model.conduits.length, out, policy: out ? undefined : text });
    else if (out) ctx.out.info(`${target} policy for ${model.conduits.length} conduit(s) written to ${out}`);
    else ctx.out.write(text);
    return EXIT.OK;
  },
};
