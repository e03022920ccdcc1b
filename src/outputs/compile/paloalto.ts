/**
 * Palo Alto PAN-OS `set` commands: address objects and address-groups per
 * model zone/asset/partner, services and service-groups per conduit, one
 * security rule per conduit (description = id and justification) and a
 * logged default deny last. PAN-OS sessions are stateful.
 */
import { cidrText, type PolicyIR, expiredNote } from './ir.ts';
import { serviceGroupName } from './cisco-ios.ts';

function q(s: string): string {
  return `"${s}"`;
}

export function renderPaloAlto(ir: PolicyIR): string {
  const lines = [`# Wardline policy for ${ir.site}: default-deny, one rule per conduit`, '# Generated from the site model; paste in configure mode.', ...expiredNote(ir, '#')];
  for (const g of ir.groups) {
    const members: string[] = [];
    [...g.v4, ...g.v6].forEach((c, i) => {
      const name = `${g.name}-${i + 1}`;
      members.push(name);
      lines.push(`set address ${name} ip-netmask ${cidrText(c)}`);
    });
    lines.push(`set address-group ${g.name} static [ ${members.join(' ')} ]`);
    lines.push(`set address-group ${g.name} description ${q(`${g.kind} ${g.of}`)}`);
  }
  for (const r of ir.rules) {
    const members: string[] = [];
    r.services.forEach((s, i) => {
      const name = `${serviceGroupName(r.id)}-${s.transport}-${i + 1}`;
      members.push(name);
      const ports = s.ports.length ? s.ports.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',') : '1-65535';
      lines.push(`set service ${name} protocol ${s.transport} port ${ports}`);
    });
    lines.push(`set service-group ${serviceGroupName(r.id)} members [ ${members.join(' ')} ]`);
  }
  for (const r of ir.rules) {
    const base = `set rulebase security rules ${q(r.id)}`;
    lines.push(
      `${base} from any to any source ${r.src.name} destination ${r.dst.name} service ${serviceGroupName(r.id)} application any action allow`,
      `${base} description ${q(r.comment)}`,
      `${base} log-end yes`,
    );
  }
  const deny = `set rulebase security rules ${q('wardline-default-deny')}`;
  lines.push(`${deny} from any to any source any destination any service any application any action deny`, `${deny} log-end yes`,
    `${deny} description ${q('default deny, logged')}`);
  return lines.join('\n') + '\n';
}
