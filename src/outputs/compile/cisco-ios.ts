/**
 * Cisco IOS: network and service object-groups and one extended named ACL,
 * a remark carrying each conduit's id and justification before its permit.
 * IOS ACLs are stateless, so return traffic is admitted with `established`
 * for TCP and a mirrored permit for UDP services; everything else is denied
 * and logged.
 */
import { v4Addr, v4Mask, type AddressGroup, type PolicyIR, type RuleService, expiredNote, ipv6Note } from './ir.ts';

export const IOS_ACL = 'WARDLINE-POLICY';

function netGroup(g: AddressGroup): string[] {
  const out = [`object-group network ${g.name}`, ` description ${g.kind} ${g.of}`];
  for (const c of g.v4) out.push(c.prefix === 32 ? ` host ${v4Addr(c)}` : ` ${v4Addr(c)} ${v4Mask(c.prefix)}`);
  return out;
}

function svcLines(s: RuleService): string[] {
  if (s.ports.length === 0) return [` ${s.transport}`];
  return s.ports.map(([a, b]) => (a === b ? ` ${s.transport} eq ${a}` : ` ${s.transport} range ${a} ${b}`));
}

/** IOS and ASA cap remarks at 100 characters. */
export function remark(text: string): string {
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

export function serviceGroupName(id: string): string {
  return `S_${id.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

export function renderCiscoIos(ir: PolicyIR): string {
  const lines = [`! Wardline policy for ${ir.site}: default-deny, one permit per conduit`, '! Generated from the site model; edit the model, not this file.', ...expiredNote(ir, '!'), ...ipv6Note(ir, '!', 'write an ipv6 access-list for them'), '!'];
  const used = ir.groups.filter((g) => g.v4.length > 0);
  for (const g of used) lines.push(...netGroup(g), '!');
  for (const r of ir.rules) {
    lines.push(`object-group service ${serviceGroupName(r.id)}`, ...r.services.flatMap(svcLines), '!');
  }
  lines.push(`ip access-list extended ${IOS_ACL}`, ' remark stateful return traffic (TCP)', ' permit tcp any any established');
  for (const r of ir.rules) {
    if (!r.src.v4.length || !r.dst.v4.length) continue;
    lines.push(` remark ${remark(r.comment)}`, ` permit object-group ${serviceGroupName(r.id)} object-group ${r.src.name} object-group ${r.dst.name}`);
    for (const s of r.services) {
      if (s.transport !== 'udp') continue;
      for (const [a, b] of s.ports.length ? s.ports : [[1, 65535] as [number, number]]) {
        lines.push(` permit udp object-group ${r.dst.name} ${a === b ? `eq ${a}` : `range ${a} ${b}`} object-group ${r.src.name}`);
      }
    }
  }
  lines.push(' remark default deny, logged', ' deny ip any any log', '!');
  return lines.join('\n') + '\n';
}
