/**
 * Line grammars for the device targets we cannot run here (Cisco IOS, ASA,
 * PAN-OS): every line must match one of the statement forms the devices
 * accept, and every object-group a rule names must be defined before use.
 */
const NAME = '[A-Za-z0-9_.-]+';
const IP = '\\d{1,3}(?:\\.\\d{1,3}){3}';
const PORTSPEC = '(?:eq \\d{1,5}|range \\d{1,5} \\d{1,5})';

function check(text: string, forms: RegExp[], defineRe: RegExp, useRe: RegExp): string[] {
  const errors: string[] = [];
  const defined = new Set<string>();
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    if (!forms.some((f) => f.test(line))) errors.push(`line ${i + 1}: not a valid statement: ${line}`);
    const d = defineRe.exec(line);
    if (d) defined.add(d[1]);
    for (const m of line.matchAll(useRe)) if (!defined.has(m[1])) errors.push(`line ${i + 1}: ${m[1]} used before it is defined`);
  });
  return errors;
}

export function iosErrors(text: string): string[] {
  return check(text, [
    /^!( .*)?$/,
    new RegExp(`^object-group (network|service) ${NAME}$`),
    /^ description [\x20-\x7e]{1,200}$/,
    new RegExp(`^ host ${IP}$`),
    new RegExp(`^ ${IP} ${IP}$`),
    new RegExp(`^ (tcp|udp)( ${PORTSPEC})?$`),
    new RegExp(`^ip access-list extended ${NAME}$`),
    /^ remark [\x20-\x7e]{1,100}$/,
    /^ permit tcp any any established$/,
    new RegExp(`^ permit object-group ${NAME} object-group ${NAME} object-group ${NAME}$`),
    new RegExp(`^ permit udp object-group ${NAME} ${PORTSPEC} object-group ${NAME}$`),
    /^ deny ip any any log$/,
  ], new RegExp(`^object-group (?:network|service) (${NAME})$`), new RegExp(` object-group (${NAME})`, 'g'));
}

export function asaErrors(text: string): string[] {
  return check(text, [
    /^: .*$/,
    new RegExp(`^object-group (network|service) ${NAME}$`),
    /^ description [\x20-\x7e]{1,200}$/,
    new RegExp(`^ network-object host ${IP}$`),
    new RegExp(`^ network-object ${IP} ${IP}$`),
    new RegExp(`^ service-object (tcp|udp)( destination ${PORTSPEC})?$`),
    new RegExp(`^access-list ${NAME} remark [\\x20-\\x7e]{1,100}$`),
    new RegExp(`^access-list ${NAME} extended permit object-group ${NAME} object-group ${NAME} object-group ${NAME}$`),
    new RegExp(`^access-list ${NAME} extended deny ip any any log$`),
  ], new RegExp(`^object-group (?:network|service) (${NAME})$`), new RegExp(` object-group (${NAME})`, 'g'));
}

export function panosErrors(text: string): string[] {
  const errors = check(text, [
    /^# .*$/,
    new RegExp(`^set address ${NAME} ip-netmask [0-9a-f.:]+(/\\d{1,3})?$`),
    new RegExp(`^set address-group ${NAME} static \\[ (${NAME} )+\\]$`),
    new RegExp(`^set address-group ${NAME} description "[^"]{1,255}"$`),
    new RegExp(`^set service ${NAME} protocol (tcp|udp) port \\d{1,5}(-\\d{1,5})?(,\\d{1,5}(-\\d{1,5})?)*$`),
    new RegExp(`^set service-group ${NAME} members \\[ (${NAME} )+\\]$`),
    new RegExp(`^set rulebase security rules "${NAME}" from any to any source ${NAME} destination ${NAME} service ${NAME} application any action (allow|deny)$`),
    /^set rulebase security rules "[A-Za-z0-9_.-]+" from any to any source any destination any service any application any action deny$/,
    /^set rulebase security rules "[A-Za-z0-9_.-]{1,63}" description "[^"]{1,1024}"$/,
    /^set rulebase security rules "[A-Za-z0-9_.-]+" log-end yes$/,
  ], new RegExp(`^set (?:address|address-group|service|service-group) (${NAME}) `), new RegExp(`(?:members \\[|static \\[| source| destination| service) ((?!any\\b)${NAME})`, 'g'));
  return errors;
}
