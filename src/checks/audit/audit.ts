import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../../core/errors.ts';
import type { Finding } from '../../core/finding.ts';
import { DCMQRSCP_RULES } from './dcmqrscp-rules.ts';
import { looksLikeDcmqrscp, parseDcmqrscp, type DcmqrscpConfig } from './dcmqrscp.ts';
import { parseJsonc, toPlain } from './jsonc.ts';
import { NGINX_RULES } from './nginx-rules.ts';
import { looksLikeNginx, parseNginx, type NginxConfig, type NginxDirective } from './nginx.ts';
import { OrthancConfig } from './orthanc.ts';
import { ORTHANC_RULES } from './orthanc-rules.ts';
import { hitToFinding, REF, type AuditRule } from './rule.ts';

export type ConfigKind = 'orthanc' | 'dcmqrscp' | 'nginx';

export interface AuditResult {
  file: string;
  kind: ConfigKind;
  /** sha256 of the file's bytes. */
  hash: string;
  findings: Finding[];
  /** Flattened settings for change control; secrets are replaced by a short hash. */
  settings: Record<string, string>;
}

/** Every rule, for documentation and `audit --rules`. */
export function allRules(): Array<{ kind: ConfigKind; rule: AuditRule<never> }> {
  return [
    ...ORTHANC_RULES.map((rule) => ({ kind: 'orthanc' as const, rule: rule as AuditRule<never> })),
    ...DCMQRSCP_RULES.map((rule) => ({ kind: 'dcmqrscp' as const, rule: rule as AuditRule<never> })),
    ...NGINX_RULES.map((rule) => ({ kind: 'nginx' as const, rule: rule as AuditRule<never> })),
  ];
}

const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export function detectKind(file: string, text: string): ConfigKind | undefined {
  const name = basename(file).toLowerCase();
  if (name.endsWith('.json') || /^\s*(\/\/[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*\{/.test(text) && !looksLikeNginx(text)) return 'orthanc';
  if (name.includes('dcmqrscp') || looksLikeDcmqrscp(text)) return 'dcmqrscp';
  if (name.endsWith('.conf') || name.includes('nginx') || looksLikeNginx(text)) return 'nginx';
  return undefined;
}

/** Files to audit: directories are walked for *.json, *.cfg and *.conf. */
export function expandConfigPaths(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string, top: boolean, depth: number) => {
    let st;
    try { st = statSync(p); } catch (err) {
      throw new InputError(`cannot read: ${(err as Error).message}`, { location: { file: p }, cause: err });
    }
    if (st.isDirectory()) {
      if (depth > 8) return;
      for (const f of readdirSync(p).sort()) walk(join(p, f), false, depth + 1);
    } else if (top || /\.(json|cfg|conf)$/i.test(p)) out.push(p);
  };
  for (const p of paths) walk(p, true, 0);
  return out;
}

export function auditFile(file: string, kind?: ConfigKind): AuditResult {
  let buf: Buffer;
  try {
    if (statSync(file).size > MAX_CONFIG_BYTES) throw new InputError(`larger than ${MAX_CONFIG_BYTES} bytes; not a configuration file`, { location: { file } });
    buf = readFileSync(file);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read: ${(err as Error).message}`, { location: { file }, cause: err });
  }
  return auditText(file, buf.toString('utf8'), kind, createHash('sha256').update(buf).digest('hex'));
}

export function auditText(file: string, text: string, kind?: ConfigKind, hash?: string): AuditResult {
  const k = kind ?? detectKind(file, text);
  if (!k) throw new InputError('not a recognised configuration (Orthanc JSON, DCMTK dcmqrscp.cfg or nginx)', { location: { file }, hint: 'name the file *.json, *dcmqrscp*.cfg or *.conf' });
  const h = hash ?? createHash('sha256').update(text).digest('hex');
  if (k === 'orthanc') return auditOrthanc(file, text, h);
  if (k === 'dcmqrscp') {
    const cfg = parseDcmqrscp(text);
    return { file, kind: k, hash: h, findings: runRules(DCMQRSCP_RULES, cfg, file), settings: dcmqrscpSettings(cfg) };
  }
  const cfg = parseNginx(text);
  return { file, kind: k, hash: h, findings: runRules(NGINX_RULES, cfg, file), settings: nginxSettings(cfg) };
}

function runRules<C>(rules: AuditRule<C>[], ctx: C, file: string): Finding[] {
  // Several subjects can share one line (an http-level directive inherited by two servers).
  const out = new Map<string, Finding>();
  for (const r of rules) for (const hit of r.check(ctx)) {
    const f = hitToFinding(r, file, hit);
    if (!out.has(f.id)) out.set(f.id, f);
  }
  return [...out.values()];
}

function auditOrthanc(file: string, text: string, hash: string): AuditResult {
  const parsed = parseJsonc(text);
  const findings: Finding[] = [];
  if (parsed.error) {
    findings.push(hitToFinding({
      id: 'audit.orthanc.syntax',
      title: 'Orthanc configuration is not valid (even tolerant) JSON',
      severity: 'medium',
      rationale: 'Orthanc refuses to start, or a later file of the folder silently wins; rules below only saw the part before the error.',
      fix: 'Correct the syntax at the given line and column.',
      references: [REF.orthancConfig],
    }, file, { line: parsed.error.line, column: parsed.error.column, evidence: { problem: parsed.error.message } }));
  }
  let settings: Record<string, string> = {};
  if (parsed.root && parsed.root.kind === 'object') {
    findings.push(...runRules(ORTHANC_RULES, new OrthancConfig(parsed.root), file));
    settings = flattenJson(toPlain(parsed.root));
  }
  return { file, kind: 'orthanc', hash, findings, settings };
}

const SECRET_KEY = /pass(word)?|secret|token|privatekey|apikey/i;

/** Secrets become a short hash so drift sees a change without storing the value. */
function redact(v: string): string {
  return `sha256:${createHash('sha256').update(v).digest('hex').slice(0, 12)}`;
}

export function flattenJson(v: unknown, prefix = '', out: Record<string, string> = {}, secret = false): Record<string, string> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const inUsers = prefix === '' && k === 'RegisteredUsers';
      flattenJson(x, prefix ? `${prefix}.${k}` : k, out, secret || SECRET_KEY.test(k) || inUsers);
    }
    return out;
  }
  if (Array.isArray(v) && v.length > 0) {
    // Peers may be [url, user, password]: the third item of a peer entry is a secret.
    const peer = /^(OrthancPeers|DicomWeb\.Servers)\.[^.]+$/.test(prefix);
    v.forEach((x, i) => flattenJson(x, `${prefix}[${i}]`, out, secret || (peer && i === 2)));
    return out;
  }
  const text = JSON.stringify(v) ?? 'null';
  out[prefix || '(root)'] = secret && v !== null && v !== '' ? redact(text) : text;
  return out;
}

function dcmqrscpSettings(c: DcmqrscpConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.globals)) out[k] = v.value;
  for (const h of c.hosts) out[`HostTable.${h.symbol}`] = h.entries.map((e) => (typeof e === 'string' ? e : `(${e.aeTitle}, ${e.host}, ${e.port})`)).join(', ');
  for (const v of c.vendors) out[`VendorTable.${v.name}`] = v.symbols.join(', ');
  for (const a of c.aes) out[`AETable.${a.aeTitle}`] = `${a.access} ${a.quota} ${a.peers.map((p) => p.text).join(' ')}`;
  return out;
}

function nginxSettings(c: NginxConfig): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (block: NginxDirective[], prefix: string) => {
    const seen = new Map<string, number>();
    for (const d of block) {
      if (d.block) {
        const id = d.name === 'server' ? serverId(d) : [d.name, ...d.args].join(' ');
        walk(d.block, prefix ? `${prefix} > ${id}` : id);
      } else {
        const key = `${prefix ? `${prefix} > ` : ''}${d.name}`;
        const n = (seen.get(key) ?? 0) + 1;
        seen.set(key, n);
        const secret = /password|secret/i.test(d.name);
        out[n === 1 ? key : `${key}#${n}`] = secret ? redact(d.args.join(' ')) : d.args.join(' ');
      }
    }
  };
  walk(c.directives, '');
  return out;
}

function serverId(d: NginxDirective): string {
  const name = d.block?.find((x) => x.name === 'server_name')?.args.join(',');
  const listen = d.block?.find((x) => x.name === 'listen')?.args.join(' ');
  return `server ${name ?? ''}:${listen ?? ''}`;
}
