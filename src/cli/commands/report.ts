import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../core/errors.ts';
import { openModel } from '../../model/open.ts';
import { REPORT_FORMATS, isReportFormat, renderReport } from '../../outputs/report/render.ts';
import { buildSiteView } from '../../outputs/report/site-view.ts';
import { openStore } from '../../store/open.ts';
import { gateExit } from '../gate.ts';
import { EXIT, type Command } from '../command.ts';
import { parseNow } from './check.ts';

export const command: Command = {
  name: 'report',
  summary: 'audit-ready report (HTML, Markdown, JSON, SARIF, PDF) with executive summary and compliance mapping',
  usage: 'wardline report --format html|md|json|sarif|pdf [--out FILE] [--model DIR] [--proposed DIR] [--blast ASSET] [--db STORE]',
  description: [
    'Reads the store (flows, hosts, findings of every analysis, events) and, with --model, judges every flow',
    'against the zones and conduits. HTML is self-contained (inline CSS, the data-flow map and charts as SVG,',
    'the before/after blast radius); PDF is the HTML printed by headless Chromium; SARIF 2.1.0 carries the',
    'findings with their file locations for CI code scanning. Every finding is mapped to HIPAA 164.312,',
    'HHS 405(d) HICP, IEC 62443-3-3 and NIST CSF 2.0 controls. Nothing about patients is in any report.',
    'Without --out, text formats go to stdout; PDF needs --out.',
  ].join('\n'),
  examples: [
    'wardline report --format html --model examples/hospital --out report.html',
    'wardline report --format pdf --model site/ --proposed proposed/ --out board.pdf',
    'wardline report --format sarif --model site/ --out wardline.sarif --fail-on high   # CI',
    'wardline report --format md --model site/ > wiki/network.md',
  ],
  gate: true,
  options: {
    format: { type: 'string', short: 'f', value: REPORT_FORMATS.join('|'), description: 'output format', default: 'html' },
    out: { type: 'string', short: 'o', value: 'FILE', description: 'write here instead of stdout' },
    model: { type: 'string', value: 'DIR', description: 'site model: flows get verdicts, assets get names and zones' },
    proposed: { type: 'string', value: 'DIR', description: 'a proposed model, for the blast radius after it is enforced' },
    blast: { type: 'string', value: 'ASSET', description: 'foothold for the blast radius (default: the riskiest exposed asset)' },
    now: { type: 'string', value: 'DATE', description: 'judge conduit expiry as of this date (default: now)' },
  },
  async run(ctx) {
    const format = String(ctx.opts.format ?? 'html');
    if (!isReportFormat(format)) throw new InputError(`--format takes ${REPORT_FORMATS.join(', ')}, not '${format}'`);
    const out = typeof ctx.opts.out === 'string' ? ctx.opts.out : undefined;
    if (format === 'pdf' && !out) throw new InputError('PDF is binary: give --out FILE');
    const now = parseNow(ctx.opts.now);
    const modelPath = typeof ctx.opts.model === 'string' ? ctx.opts.model : undefined;
    const model = modelPath ? openModel(modelPath).model : undefined;
    const proposedPath = typeof ctx.opts.proposed === 'string' ? ctx.opts.proposed : undefined;
    if (proposedPath && !model) throw new InputError('--proposed needs --model (today\'s model) to compare with');
    const proposed = proposedPath ? { model: openModel(proposedPath).model, label: proposedPath } : undefined;
    const db = await openStore(typeof ctx.opts.db === 'string' ? ctx.opts.db : undefined);
    try {
      const view = await buildSiteView(db, { model, proposed, now, blastTarget: typeof ctx.opts.blast === 'string' ? ctx.opts.blast : undefined });
      if (typeof ctx.opts.blast === 'string' && !view.blast) throw new InputError(`'${ctx.opts.blast}' is not an asset, zone, partner or address of the model`, { hint: 'wardline assets lists the names' });
      const body = await renderReport(view, format, { baseDir: modelPath ? resolve(modelPath, '..') : process.cwd() });
      if (out) {
        try {
          writeFileSync(out, body);
        } catch (err) {
          throw new InputError(`cannot write ${out}: ${(err as Error).message}`, { location: { file: out } });
        }
        ctx.out.info(`${format} report written to ${out}: ${view.findings.length} finding(s), ${view.counts.edges} flow(s), ${view.assets.length} asset(s)`);
      } else {
        process.stdout.write(body);
      }
      return ctx.opts['fail-on'] ? gateExit(view.findings.filter((f) => f.status === 'open'), ctx.opts['fail-on']) : EXIT.OK;
    } finally {
      await db.close();
    }
  },
};
