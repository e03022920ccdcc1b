import { InputError } from '../../core/errors.ts';
import { datagramAnalyzers, streamAnalyzers } from '../../analyzers/registry.ts';
import { PacketPipeline, type PipelineStats } from '../../decoders/pipeline.ts';
import type { SiteModel } from '../../model/types.ts';
import { FlowAggregator } from '../../observations/aggregate.ts';
import { classifyEdges, ModelPlacer } from '../../observations/classify.ts';
import { LogWriter } from '../../observations/logs.ts';
import { emptyObservations, mergeObservations } from '../../observations/merge.ts';
import type { Observations } from '../../observations/types.ts';
import { openInput, sniffInput } from '../../sources/input.ts';
import { CaptureParser } from '../../sources/pcap.ts';
import { EXIT, type Command } from '../command.ts';
import type { Output } from '../output.ts';

export interface DiscoverOptions {
  /** Directory for per-protocol JSON-lines logs. */
  logsDir?: string;
  model?: SiteModel;
  /** Source tag for edges from captures. */
  source?: string;
  progress?(label: string, done: number, total?: number): void;
}

export interface DiscoverResult {
  observations: Observations;
  /** Packet pipeline counters over all capture inputs. */
  stats: PipelineStats;
  /** Lines per log file, when logsDir was given. */
  logs?: Record<string, number>;
}

/**
 * Reads every input (captures through the packet pipeline, other formats
 * through their readers), merges and labels the result. For other verbs,
 * the demo and the sensor: the whole of discover without the store and output.
 */
export async function discoverInputs(paths: string[], opts: DiscoverOptions = {}): Promise<DiscoverResult> {
  const logs = opts.logsDir ? new LogWriter(opts.logsDir) : undefined;
  const agg = new FlowAggregator({ source: opts.source ?? 'pcap', onRecord: logs ? (r) => logs.write(r) : undefined });
  const pipe = new PacketPipeline({ streamAnalyzers, datagramAnalyzers, sink: agg });
  let other = emptyObservations();
  const inputs: Observations['inputs'] = [];
  let captures = 0;
  let logLines: Record<string, number> | undefined;
  try {
    for (const path of paths) {
      const input = await openInput(path);
      const { format, reader } = await sniffInput(input);
      if (reader) {
        const obs = await reader.read(input, { progress: (d, t) => opts.progress?.(`reading ${input.name}`, d, t) });
        other = mergeObservations(other, obs);
        continue;
      }
      captures++;
      pipe.inputName = input.name;
      let n = 0;
      const parser = new CaptureParser(input.name, (p) => {
        pipe.packet(p);
        if ((++n & 0xffff) === 0) opts.progress?.(`reading ${input.name}`, input.readBytes(), input.size);
      });
      if (input.forEachChunk) {
        await input.forEachChunk((c) => {
          parser.push(c);
          return !parser.stopped;
        });
      } else {
        for await (const c of input.chunks) {
          parser.push(c);
          if (parser.stopped) break;
        }
      }
      const sum = parser.end();
      const warnings = [...sum.warnings, ...input.warnings];
      for (const w of warnings) agg.anomaly(w.includes('truncated') || w.includes('ends early') ? 'truncated-input' : 'corrupt-input', w, `${input.name}#${sum.packets}`);
      inputs.push({ path: input.name, format: `${format}${input.gzip ? '+gzip' : ''}`, packets: sum.packets, bytes: input.size ?? sum.bytes, warnings });
    }
    pipe.end();
  } finally {
    logLines = logs?.close();
  }
  let observations = captures ? agg.toObservations(inputs) : emptyObservations();
  if (other.edges.length || other.hosts.length || other.inputs.length) observations = mergeObservations(observations, other);
  else observations.inputs = inputs;
  addInventoryRoles(observations);
  classifyEdges(observations.edges, opts.model);
  return { observations, stats: pipe.stats, logs: logLines };
}

/** Roles that follow from the protocol alone, for the analyzers that did not set them. */
function addInventoryRoles(obs: Observations): void {
  const hosts = new Map(obs.hosts.map((h) => [h.address, h]));
  const add = (addr: string, role: string) => {
    const h = hosts.get(addr);
    if (h && !h.roles.includes(role)) h.roles.push(role);
  };
  for (const e of obs.edges) {
    if (e.protocolFrom !== 'content') continue;
    switch (e.protocol) {
      case 'dicom':
      case 'dicom-tls':
        add(e.src, 'dicom-scu');
        add(e.dst, 'dicom-scp');
        break;
      case 'hl7':
      case 'hl7-tls':
        add(e.src, 'hl7-sender');
        add(e.dst, 'hl7-receiver');
        break;
      case 'http':
      case 'fhir':
      case 'dicomweb':
        add(e.dst, e.protocol === 'http' ? 'http-server' : `${e.protocol}-server`);
        break;
      case 'tls':
        add(e.dst, 'tls-server');
        break;
      case 'dns':
        add(e.dst, 'dns-server');
        break;
    }
  }
}

/** With a model: observed hosts the model lacks, and modelled assets never seen. */
export function inventoryDiff(obs: Observations, model: SiteModel): { unmodelled: string[]; unseen: string[] } {
  const placer = new ModelPlacer(model);
  const unmodelled = obs.hosts.filter((h) => { const p = placer.place(h.address); return !p.asset && !p.partner; }).map((h) => h.address).sort();
  const seen = new Set<string>();
  for (const h of obs.hosts) {
    const a = placer.place(h.address).asset;
    if (a) seen.add(a.name);
  }
  const unseen = model.assets.filter((a) => !seen.has(a.name)).map((a) => a.name).sort();
  return { unmodelled, unseen };
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

function report(out: Output, res: DiscoverResult, extra: { store?: string; inventory?: { unmodelled: string[]; unseen: string[] } }): void {
  const obs = res.observations;
  for (const i of obs.inputs) {
    out.info(`${i.path}: ${i.format}, ${i.packets ?? i.records ?? 0} ${i.packets !== undefined ? 'packets' : 'records'}`);
  }
  const byProto = new Map<string, number>();
  for (const e of obs.edges) byProto.set(e.protocol, (byProto.get(e.protocol) ?? 0) + 1);
  const mix = [...byProto].sort((a, b) => b[1] - a[1]).map(([p, n]) => `${p} ${n}`).join(', ');
  out.write(`${obs.edges.length} flow edges, ${obs.hosts.length} hosts${mix ? ` (${mix})` : ''}`);
  const clinical = obs.edges.filter((e) => e.protocol !== 'unknown').sort((a, b) => b.bytes - a.bytes);
  if (clinical.length) {
    out.write('');
    out.table(
      ['FROM', 'TO', 'PORT', 'PROTOCOL', 'SESSIONS', 'BYTES', 'PROCESS / HANDOVER'],
      clinical.slice(0, 40).map((e) => [e.src, e.dst, `${e.dport}/${e.transport}`, e.protocol, e.sessions, fmtBytes(e.bytes), e.label?.handover ?? '']),
    );
    if (clinical.length > 40) out.write(`... and ${clinical.length - 40} more (wardline flows)`);
  }
  if (obs.anomalies.length) {
    out.write('');
    out.write('Anomalies:');
    for (const a of obs.anomalies) out.write(`  ${a.kind} x${a.count}: ${a.message}${a.where ? ` (first at ${a.where})` : ''}`);
  }
  if (extra.inventory) {
    out.write('');
    out.write(`Hosts not in the model: ${extra.inventory.unmodelled.join(', ') || 'none'}`);
    out.write(`Modelled assets never seen: ${extra.inventory.unseen.join(', ') || 'none'}`);
  }
  if (res.logs) out.write(`\nLogs: ${Object.entries(res.logs).map(([f, n]) => `${f} (${n})`).join(', ') || 'no protocol records'}`);
  if (extra.store) out.write(`\nSaved to ${extra.store} (wardline flows, wardline assets)`);
}

export const command: Command = {
  name: 'discover',
  summary: 'passive discovery of assets and clinical data flows from captures, Zeek logs and NetFlow',
  usage: 'wardline discover <input...> [--model DIR] [--logs DIR] [--db URL|PATH] [--json]',
  description: [
    'Reads pcap and pcapng captures (gzip-compressed or not, "-" for standard input) and',
    'other flow sources, decodes DICOM, HL7, HTTP/FHIR/DICOMweb, TLS and DNS by content on any',
    'port, and merges the flow edges and host facts into the store, adding to earlier runs.',
    'The input format is recognised from its content, not its name. Nothing is sent on the network.',
    'No patient data is kept: records hold metadata only.',
  ].join('\n'),
  examples: [
    'wardline discover ward3.pcapng',
    'wardline discover day1.pcap.gz day2.pcap.gz --model site/ --logs logs/',
    'tcpdump -i eth1 -w - | wardline discover -',
    'wardline discover lab.pcap --json | jq ".edges[] | select(.protocol==\\"dicom\\")"',
  ],
  options: {
    model: { type: 'string', value: 'DIR', description: 'site model: label flows with assets, zones and partners; list hosts the model lacks' },
    logs: { type: 'string', value: 'DIR', description: 'write per-protocol JSON-lines logs (dicom.log, hl7.log, http.log, tls.log, dns.log)' },
    'no-store': { type: 'boolean', description: 'do not save to the store; just report' },
  },
  async run(ctx) {
    const paths = ctx.args;
    if (!paths.length) throw new InputError('give at least one input: a capture file, a Zeek conn.log, a NetFlow export, or - for standard input');
    if (paths.filter((p) => p === '-').length > 1) throw new InputError('standard input (-) can be read only once');
    // The model loader and the store (with its PostgreSQL driver) load only when used: startup counts on small captures.
    const model = typeof ctx.opts.model === 'string' ? (await import('../../model/open.ts')).openModel(ctx.opts.model).model : undefined;
    const res = await discoverInputs(paths, {
      logsDir: typeof ctx.opts.logs === 'string' ? ctx.opts.logs : undefined,
      model,
      progress: (label, done, total) => ctx.out.progress(label, done, total),
    });
    ctx.out.clearProgress();
    for (const i of res.observations.inputs) for (const w of i.warnings) ctx.out.warn(w);
    let store: string | undefined;
    if (!ctx.opts['no-store']) {
      const { openStore } = await import('../../store/open.ts');
      const { saveObservations } = await import('../../observations/persist.ts');
      const db = await openStore(typeof ctx.opts.db === 'string' ? ctx.opts.db : undefined);
      try {
        const started = Date.now();
        await saveObservations(db, res.observations);
        await db.run('INSERT INTO runs (started_at, finished_at, command, inputs_json, summary_json) VALUES (?, ?, ?, ?, ?)', [
          started, Date.now(), 'discover', JSON.stringify(res.observations.inputs),
          JSON.stringify({ edges: res.observations.edges.length, hosts: res.observations.hosts.length, anomalies: res.observations.anomalies, stats: res.stats }),
        ]);
        store = db.location;
      } finally {
        await db.close();
      }
    }
    const inventory = model ? inventoryDiff(res.observations, model) : undefined;
    if (ctx.out.json) ctx.out.data({ ...res.observations, stats: res.stats, logs: res.logs, inventory, store });
    else report(ctx.out, res, { store, inventory });
    return EXIT.OK;
  },
};
