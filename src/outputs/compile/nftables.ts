/**
 * nftables: one inet table, named interval sets per address group, a
 * forward chain with policy drop, established/related return traffic, one
 * rule per conduit (per transport) with its id and justification as the
 * comment, and a logged deny at the end. Loads with `nft -f`; re-loading
 * replaces only Wardline's table.
 */
import { cidrText, expiredNote, type AddressGroup, type PolicyIR, type RuleService } from './ir.ts';

export const NFT_TABLE = 'wardline';
export const NFT_LOG_PREFIX = 'wardline-deny ';

function setDefs(g: AddressGroup): string[] {
  const out: string[] = [];
  if (g.v4.length) out.push(`\tset ${g.name}_v4 {`, '\t\ttype ipv4_addr', '\t\tflags interval', `\t\telements = { ${g.v4.map(cidrText).join(', ')} }`, '\t}');
  if (g.v6.length) out.push(`\tset ${g.name}_v6 {`, '\t\ttype ipv6_addr', '\t\tflags interval', `\t\telements = { ${g.v6.map(cidrText).join(', ')} }`, '\t}');
  return out;
}

function portMatch(s: RuleService): string {
  if (s.ports.length === 0) return `meta l4proto ${s.transport}`;
  const items = s.ports.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
  return `${s.transport} dport ${items.length === 1 ? items[0] : `{ ${items.join(', ')} }`}`;
}

export function renderNftables(ir: PolicyIR): string {
  const lines = [
    '#!/usr/sbin/nft -f',
    `# Wardline policy for ${ir.site}: default-deny, one rule per conduit.`,
    '# Generated from the site model; edit the model, not this file.',
    ...expiredNote(ir, '#'),
    `table inet ${NFT_TABLE}`,
    `delete table inet ${NFT_TABLE}`,
    `table inet ${NFT_TABLE} {`,
  ];
  for (const g of ir.groups) lines.push(...setDefs(g));
  lines.push(
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy drop;',
    '\t\tct state established,related accept comment "stateful return traffic"',
    '\t\tct state invalid drop',
  );
  for (const r of ir.rules) {
    const services = r.services.length ? r.services : [];
    for (const fam of ['v4', 'v6'] as const) {
      if (!r.src[fam].length || !r.dst[fam].length) continue;
      const ip = fam === 'v4' ? 'ip' : 'ip6';
      for (const s of services) {
        lines.push(`\t\t${ip} saddr @${r.src.name}_${fam} ${ip} daddr @${r.dst.name}_${fam} ${portMatch(s)} ct state new accept comment "${r.comment}"`);
      }
    }
  }
  lines.push(`\t\tlimit rate 10/second log prefix "${NFT_LOG_PREFIX}" level info`, '\t\tcounter drop comment "default deny"', '\t}', '}');
  return lines.join('\n') + '\n';
}
