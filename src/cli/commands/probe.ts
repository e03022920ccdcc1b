import { writeFileSync } from 'node:fs';
import { PROBE_RULES } from '../../checks/probe/findings.ts';
import { parsePorts, runProbe, type ProbeReport } from '../../checks/probe/run.ts';
import { InputError } from '../../core/errors.ts';
import { severityRank } from '../../core/severity.ts';
import { ModelIndex } from '../../model/index.ts';
import { openModel } from '../../model/open.ts';
import { saveFindings } from '../../analyses/check/store.ts';
import { openStore } from '../../store/open.ts';
import type { Command } from '../command.ts';
import { gateExit } from '../gate.ts';

function int(v: unknown, name: string, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new InputError(`--${name} takes a number from ${min} to ${max}, not '${String(v)}'`);
  return n;
}

export const command: Command = {
  name: 'probe',
  summary: 'safe active checks of PACS (DICOM), web portals (HTTP/TLS) and HL7 MLLP listeners',
  usage: 'wardline probe <targets...> --scope CIDRS [--model DIR] [--intrusive] [--ports SPEC] [--rate N] [--concurrency N] [--timeout MS] [--json] [--fail-on SEVERITY]',
  description: [
    'Targets are addresses, CIDRs (up to 1024 addresses) or host names. Anything outside --scope refuses the whole run (exit 2); assets the model marks doNotProbe are skipped.',
    'DICOM (104, 11112, 4242, 2761, TLS 2762 and --ports): a real A-ASSOCIATE-RQ with a made-up called AE and an unregistered calling AE, accepted SOP classes, C-ECHO, the implementation fingerprint; on rejection, the model\'s AE titles and product defaults are tried as called AE.',
    'HTTP(S) (80, 8042, 8080, 443, 8443): banner, security headers, TLS versions and certificate, Orthanc /system and explorer, DICOMweb QIDO (the answer is dropped unread). HL7 MLLP (2575, TLS 12575): open, TLS or not.',
    'Intrusive checks (--intrusive, only with authorisation): C-FIND at PATIENT and STUDY level with universal matching (the number of matches is all that is kept: the answers hold PHI and are dropped undecoded), the documented default credentials, an HL7 NMQ^N01 test message with processing ID T.',
    'Every connection has --timeout; at most --rate new connections per second and --concurrency ports at once.',
  ].join('\n'),
  examples: [
    'wardline probe 10.20.3.10 --scope 10.20.0.0/16',
    'wardline probe 10.20.3.0/28 --scope 10.20.3.0/24 --model model/ --ports dicom:4243,https:9443 --json',
    'wardline probe pacs.hospital.local --scope 10.20.3.0/24 --intrusive --fail-on high',
    'wardline probe --checks   (lists the checks and their categories)',
  ],
  gate: true,
  options: {
    scope: { type: 'string', multiple: true, value: 'CIDRS', description: 'CIDRs you are authorised to probe (repeat or comma-separate); required' },
    model: { type: 'string', value: 'DIR', description: 'site model: do-not-probe assets, AE titles, exposure through DMZ/internet-facing zones' },
    intrusive: { type: 'boolean', description: 'also run intrusive checks (C-FIND counts, default credentials, HL7 test message)' },
    ports: { type: 'string', multiple: true, value: 'SPEC', description: 'extra ports: PORT (DICOM) or PROTO:PORT with dicom, dicom-tls, http, https, hl7, hl7-tls' },
    'only-ports': { type: 'boolean', description: 'probe only --ports, not the well-known ones' },
    'called-ae': { type: 'string', multiple: true, value: 'AET', description: 'called AE titles to try when the made-up one is rejected' },
    rate: { type: 'string', value: 'N', description: 'new connections per second', default: '10' },
    concurrency: { type: 'string', value: 'N', description: 'ports probed at once', default: '4' },
    timeout: { type: 'string', value: 'MS', description: 'timeout of each exchange', default: '5000' },
    'no-save': { type: 'boolean', description: 'do not store the findings in the store' },
    out: { type: 'string', value: 'FILE', description: 'also write the JSON report to FILE (for wardline baseline --probe-results)' },
    checks: { type: 'boolean', description: 'list the probe checks and exit' },
  },
  async run({ args, opts, out }) {
    if (opts.checks) {
      const rules = Object.values(PROBE_RULES);
      if (out.json) out.data(rules);
      else out.table(['CHECK', 'CATEGORY', 'SEVERITY', 'TITLE'], rules.map((r) => [r.id, r.category, r.severity, r.title]));
      return 0;
    }
    const index = opts.model ? new ModelIndex(openModel(opts.model as string).model) : undefined;
    const report: ProbeReport = await runProbe(args, {
      scope: (opts.scope as string[] | undefined) ?? [],
      index,
      intrusive: opts.intrusive === true,
      ports: parsePorts((opts.ports as string[] | undefined) ?? []),
      onlyPorts: opts['only-ports'] === true,
      calledAes: (opts['called-ae'] as string[] | undefined) ?? [],
      rate: int(opts.rate, 'rate', 0.1, 1000, 10),
      concurrency: int(opts.concurrency, 'concurrency', 1, 64, 4),
      timeoutMs: int(opts.timeout, 'timeout', 100, 120_000, 5000),
      onProgress: (d, t) => out.progress('probing', d, t),
    });
    out.clearProgress();
    if (opts.out) writeFileSync(opts.out as string, JSON.stringify(report, null, 2));
    if (opts['no-save'] !== true) {
      const db = await openStore(opts.db as string | undefined);
      try { await saveFindings(db, report.findings); } finally { await db.close(); }
    }
    if (out.json) out.data(report);
    else {
      for (const s of report.skipped) out.info(`skipped ${s.address} (${s.asset}): ${s.reason}`);
      const rows = report.targets.flatMap((t) => t.ports.map((p) => [t.asset ? `${t.asset} ${t.address}` : t.address, `${p.port}/${p.protocol}`, p.status, p.detail ?? ('implementation' in p && p.implementation?.software ? p.implementation.software : '')]));
      if (rows.length) out.table(['TARGET', 'PORT', 'STATUS', 'DETAIL'], rows);
      const f = [...report.findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
      if (f.length) { out.write(''); out.table(['SEVERITY', 'TARGET', 'CHECK', 'TITLE'], f.map((x) => [x.severity, `${x.subject}:${String(x.evidence.port)}`, x.rule, x.title])); }
      out.info(`${report.targets.length} target(s), ${report.findings.length} finding(s) in ${(report.durationMs / 1000).toFixed(1)} s${report.intrusive ? ' (intrusive checks on)' : ''}`);
    }
    return gateExit(report.findings, opts['fail-on']);
  },
};
