/**
 * Cisco ASA: network and service object-groups and one extended access-list
 * with a remark per conduit before its permit. The ASA is stateful, so
 * return traffic needs no rule; the final deny is logged.
 */
import { v4Addr, v4Mask, type AddressGroup, type PolicyIR, type RuleService, expiredNote, ipv6Note } from './ir.ts';
import { remark, serviceGroupName } from './cisco-ios.ts';

export const ASA_ACL = 'WARDLINE_POLICY';

function netGroup(g: AddressGroup): string[] {
  const out = [`object-group network ${g.name}`, ` description ${g.kind} ${g.of}`];
  for (const c of g.v4) out.push(c.prefix === 32 ? ` network-object host ${v4Addr(c)}` : ` network-object ${v4Addr(c)} ${v4Mask(c.prefix)}`);
  return out;
}

function svcLines(s: RuleService): string[] {
  if (s.ports.length === 0) return [` service-object ${s.transport}`];
  return s.ports.map(([a, b]) => (a === b ? ` service-object ${s.transport} destination eq ${a}` : ` service-object ${s.transport} destination range ${a} ${b}`));
}

export function renderCiscoAsa(ir: PolicyIR): string {
  const lines = [`: Wardline policy for ${ir.site}: default-deny, one permit per conduit`, ': Generated from the site model; edit the model, not this file.', ...expiredNote(ir, ':'), ...ipv6Note(ir, ':', 'add network-objects for them')];
  for (const g of ir.groups.filter((x) => x.v4.length > 0)) lines.push(...netGroup(g));
  for (const r of ir.rules) lines.push(`object-group service ${serviceGroupName(r.id)}`, ...r.services.flatMap(svcLines));
  for (const r of ir.rules) {
    if (!r.src.v4.length || !r.dst.v4.length) continue;
    lines.push(`access-list ${ASA_ACL} remark ${remark(r.comment)}`,
      `access-list ${ASA_ACL} extended permit object-group ${serviceGroupName(r.id)} object-group ${r.src.name} object-group ${r.dst.name}`);
  }
  lines.push(`access-list ${ASA_ACL} remark default deny, logged`, `access-list ${ASA_ACL} extended deny ip any any log`);
  return lines.join('\n') + '\n';
}
