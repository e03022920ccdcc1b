/** Model → firewall policy text for one target. */
import type { SiteModel } from '../../model/types.ts';
import { buildPolicyIR } from './ir.ts';
import { renderNftables } from './nftables.ts';
import { renderIptables } from './iptables.ts';
import { renderCiscoIos } from './cisco-ios.ts';
import { renderCiscoAsa } from './cisco-asa.ts';
import { renderPaloAlto } from './paloalto.ts';

export const COMPILE_TARGETS = ['nftables', 'iptables', 'ip6tables', 'cisco-ios', 'cisco-asa', 'paloalto'] as const;
export type CompileTarget = (typeof COMPILE_TARGETS)[number];

export function isCompileTarget(s: string): s is CompileTarget {
  return (COMPILE_TARGETS as readonly string[]).includes(s);
}

/** `now` (epoch ms): conduits expired before it are left out and listed in a comment. */
export function compileModel(model: SiteModel, target: CompileTarget, now?: number): string {
  const ir = buildPolicyIR(model, now);
  switch (target) {
    case 'nftables': return renderNftables(ir);
    case 'iptables': return renderIptables(ir, 4);
    case 'ip6tables': return renderIptables(ir, 6);
    case 'cisco-ios': return renderCiscoIos(ir);
    case 'cisco-asa': return renderCiscoAsa(ir);
    case 'paloalto': return renderPaloAlto(ir);
  }
}
