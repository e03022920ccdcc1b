/**
 * iptables-restore input for the filter table. iptables has no address sets
 * without ipset, so a conduit becomes one rule per source/destination CIDR
 * pair, each carrying the conduit id and justification as its comment;
 * `-m multiport` keeps the ports of one transport in one rule.
 */
import { cidrText, type PolicyIR, type RuleService, expiredNote, ipv6Note } from './ir.ts';

export const IPT_CHAIN = 'WARDLINE';

function ports(s: RuleService): string {
  if (s.ports.length === 0) return `-p ${s.transport}`;
  const items = s.ports.map(([a, b]) => (a === b ? `${a}` : `${a}:${b}`));
  return items.length === 1 && s.ports[0][0] === s.ports[0][1]
    ? `-p ${s.transport} --dport ${items[0]}`
    : `-p ${s.transport} -m multiport --dports ${items.join(',')}`;
}

export function renderIptables(ir: PolicyIR, family: 4 | 6 = 4): string {
  const fam = family === 4 ? 'v4' : 'v6';
  const lines = [
    `# Wardline policy for ${ir.site} (IPv${family}): default-deny, rules per conduit.`,
    '# Generated from the site model; load with iptables-restore.',
    ...expiredNote(ir, '#'), ...(family === 4 ? ipv6Note(ir, '#', 'use --target ip6tables') : []),
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    `:${IPT_CHAIN} - [0:0]`,
    `-A FORWARD -j ${IPT_CHAIN}`,
    `-A ${IPT_CHAIN} -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment "stateful return traffic" -j ACCEPT`,
    `-A ${IPT_CHAIN} -m conntrack --ctstate INVALID -j DROP`,
  ];
  for (const r of ir.rules) {
    for (const s of r.src[fam]) {
      for (const d of r.dst[fam]) {
        for (const svc of r.services) {
          lines.push(`-A ${IPT_CHAIN} -s ${cidrText(s)} -d ${cidrText(d)} ${ports(svc)} -m conntrack --ctstate NEW -m comment --comment "${r.comment.slice(0, 250)}" -j ACCEPT`);
        }
      }
    }
  }
  lines.push(`-A ${IPT_CHAIN} -m limit --limit 10/second -j LOG --log-prefix "wardline-deny "`, `-A ${IPT_CHAIN} -j DROP`, 'COMMIT');
  return lines.join('\n') + '\n';
}
