import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileModel } from '../../outputs/compile/index.ts';
import type { DemoStep } from '../types.ts';
import { demoModel } from './30-check.ts';

/** Step: the site model compiled into a default-deny nftables policy. */
export const step: DemoStep = {
  name: 'compile',
  async run(ctx) {
    const model = demoModel(ctx);
    const text = compileModel(model, 'nftables', Date.now());
    const file = join(ctx.workDir, 'wardline.nft');
    writeFileSync(file, text);
    const rules = (text.match(/ct state new accept/g) ?? []).length;
    const sets = (text.match(/^\tset /gm) ?? []).length;
    // nft's check mode parses and validates the ruleset without loading it.
    const checked = spawnSync('nft', ['-c', '-f', file], { encoding: 'utf8' });
    const verdict = checked.error ? 'nft not available to check it' : checked.status === 0 ? 'nft -c accepts it' : `nft -c rejected it: ${checked.stderr.split('\n')[0]}`;
    const expired = /Expired conduits not compiled: (.*)/.exec(text)?.[1];
    return {
      summary: [
        `nftables policy: ${rules} accept rules for ${model.conduits.length} conduits, ${sets} address sets, default drop with logging; ${verdict}`,
        ...(expired ? [`left out as expired: ${expired}`] : []),
      ],
      artifacts: ['wardline.nft'],
    };
  },
};
