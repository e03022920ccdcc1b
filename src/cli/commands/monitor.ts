import type { Readable } from 'node:stream';
import { InputError } from '../../core/errors.ts';
import { createLogger } from '../../monitor/log.ts';
import { list, parseDuration, parsePort, str, untilStopped } from '../../monitor/options.ts';
import { MonitorService } from '../../monitor/service.ts';
import { connectNats } from '../../monitor/scale/nats.ts';
import { openModel } from '../../model/open.ts';
import { createSinks } from '../../outputs/siem/index.ts';
import { openStoreShared } from '../../monitor/open-store.ts';
import { LIVE_INPUT_OPTIONS, parseLiveInputs } from '../live-inputs.ts';
import { EXIT, type Command } from '../command.ts';

export const command: Command = {
  name: 'monitor',
  summary: 'watch the network continuously: NetFlow/IPFIX, Zeek logs, live pcap or interface capture, sensor batches; alert to syslog, CEF, JSON lines, webhooks',
  usage: 'wardline monitor [--model DIR] [--netflow PORT] [--zeek DIR] [--pcap - | --interface IF [--bpf FILTER] [--snaplen N]] [--nats URL --queue NAME] [--db STORE] [--syslog URL] [--cef URL|FILE] [--jsonl FILE|-] [--webhook URL] [--health PORT]',
  description: [
    'Runs until SIGTERM/SIGINT (or --duration). Every --window it evaluates the flows seen in that window',
    'with the same check as `wardline check` and alerts on: violations (no conduit, wrong service, identity),',
    'cleartext PHI across zones, external flows without a partner conduit, PHI exposed to internet-facing',
    'zones, unknown and new hosts, new DICOM AE pairs and HL7 application pairs, and new flows outside an',
    'approved change (wardline change plan). Alerts are stateful (open, active, resolved after',
    '--resolve-after unseen), de-duplicated, rate-limited per rule, and each event is committed to the store',
    '(events table, idempotency key) before it is forwarded. The first window over an empty store is the',
    'baseline for "new" alerts (--no-learn alerts on everything).',
    '',
    'Inputs: --netflow PORT (NetFlow v5/v9/IPFIX over UDP); --zeek DIR (conn.log, followed across rotation; the',
    'position is committed with each window, so a restart resumes where the store left off); --pcap - (a pcap or',
    'pcapng stream on stdin); --interface IF (live capture where libpcap is available: runs tcpdump, or',
    'dumpcap if tcpdump is missing, with its privileges: root or CAP_NET_RAW/CAP_NET_ADMIN on the tool;',
    '--bpf takes a capture filter, --snaplen the bytes kept per packet). A missing tool or interface, or no',
    'permission to capture, is a usage error (exit 2); a capture that stops while running ends the monitor',
    'after the last window is committed (exit 3), for the service manager to restart it.',
    '',
    'Scale-out: sensors (`wardline sensor`) publish observation batches to NATS JetStream; run one or more',
    '`wardline monitor --nats URL --queue workers --db postgres://...`: the workers share a durable consumer',
    'and acknowledge a batch only after committing it. See docs/scale-out.md.',
    '',
    'Logs are JSON lines (pino) on stderr. /healthz and /metrics (Prometheus) on --health PORT (loopback).',
  ].join('\n'),
  examples: [
    'wardline monitor --model site/ --netflow 2055 --syslog tls://siem.example:6514 --ca siem-ca.pem',
    'tcpdump -i eth1 -w - | wardline monitor --model site/ --pcap - --jsonl -',
    'wardline monitor --model site/ --interface eth1 --bpf "tcp port 104 or tcp port 2575" --jsonl -',
    'wardline monitor --model site/ --zeek /opt/zeek/logs/current --cef udp://arcsight.example:514',
    'wardline monitor --model site/ --nats nats://hub:4222 --queue workers --db postgres://wardline@db/wardline --health 9464',
    'wardline monitor --model site/ --netflow 2055 --webhook https://hooks.example/wardline --window 30s',
  ],
  options: {
    ...LIVE_INPUT_OPTIONS,
    model: { type: 'string', value: 'DIR', description: 'site model to evaluate against (default wardline.yaml or model/)' },
    nats: { type: 'string', value: 'URL', description: 'consume sensor batches from NATS JetStream (comma-separated cluster URLs)' },
    queue: { type: 'string', value: 'NAME', description: 'shared durable consumer name of the worker group (default workers)' },
    site: { type: 'string', value: 'NAME', description: 'site name stamped on local alerts' },
    syslog: { type: 'string', multiple: true, value: 'URL', description: 'RFC 5424 syslog: udp://host:514, tcp://host:601, tls://host:6514' },
    cef: { type: 'string', multiple: true, value: 'URL|FILE', description: 'CEF over syslog (udp://, tcp://, tls://) or CEF lines to a file or -' },
    jsonl: { type: 'string', multiple: true, value: 'FILE|-', description: 'JSON lines, one event each, to a file or stdout' },
    webhook: { type: 'string', multiple: true, value: 'URL', description: 'POST each event as JSON (retried with exponential backoff)' },
    facility: { type: 'string', value: 'NAME', description: 'syslog facility (default local0)' },
    ca: { type: 'string', value: 'PEM', description: 'CA bundle to verify TLS syslog receivers' },
    insecure: { type: 'boolean', description: 'accept any TLS certificate from syslog receivers (labs only)' },
    health: { type: 'string', value: 'PORT', description: 'serve /healthz and /metrics on this loopback port (0: any)' },
    window: { type: 'string', value: 'DURATION', description: 'evaluation window (default 10s)' },
    'resolve-after': { type: 'string', value: 'DURATION', description: 'resolve an alert unseen this long (default 5m)' },
    'template-timeout': { type: 'string', value: 'DURATION', description: 'drop NetFlow v9/IPFIX templates not refreshed this long (default 30m)' },
    'ack-wait': { type: 'string', value: 'DURATION', description: 'JetStream redelivery delay for unacknowledged batches (default 30s)' },
    replicas: { type: 'string', value: 'N', description: 'JetStream stream replicas if the workers create the stream (default 1)' },
    duration: { type: 'string', value: 'DURATION', description: 'stop after this long (default: run until signalled)' },
    'no-learn': { type: 'boolean', description: 'alert on everything new, even in the first window over an empty store' },
  },
  async run(ctx) {
    const o = ctx.opts;
    const live = parseLiveInputs(o);
    const { netflowPort, zeekDirs, capture } = live;
    const natsUrl = str(o.nats);
    if (o.queue !== undefined && !natsUrl) throw new InputError('--queue needs --nats');
    if (!live.any && !natsUrl) {
      throw new InputError('no input: give --netflow PORT, --zeek DIR, --pcap -, --interface IF or --nats URL', { hint: 'wardline monitor --help' });
    }
    const windowMs = o.window !== undefined ? parseDuration(o.window, '--window') : 10_000;
    if (windowMs < 100) throw new InputError('--window must be at least 100ms');
    const healthPort = str(o.health) !== undefined ? parsePort(o.health, '--health') : undefined;
    const durationMs = o.duration !== undefined ? parseDuration(o.duration, '--duration') : undefined;
    const sinks = createSinks({ syslog: list(o.syslog), cef: list(o.cef), jsonl: list(o.jsonl), webhook: list(o.webhook), facility: str(o.facility), ca: str(o.ca), insecure: o.insecure === true });
    let model;
    if (o.model !== undefined || !natsUrl) {
      const m = openModel(str(o.model));
      for (const p of m.problems) ctx.out.warn(p.message);
      model = m.model;
    }
    const log = createLogger({ quiet: ctx.out.quiet });
    const db = await openStoreShared(str(o.db));
    const nats = natsUrl ? await connectNats(natsUrl, `wardline-monitor-${process.pid}`) : undefined;
    const svc = new MonitorService({
      db, model, sinks, log, site: str(o.site), windowMs, netflowPort, netflowHost: live.netflowHost, zeekDirs,
      pcap: live.pcapStdin ? (process.stdin as Readable) : undefined, capture, nats, queue: str(o.queue),
      resolveAfterMs: o['resolve-after'] !== undefined ? parseDuration(o['resolve-after'], '--resolve-after') : undefined,
      templateTimeoutMs: o['template-timeout'] !== undefined ? parseDuration(o['template-timeout'], '--template-timeout') : undefined,
      ackWaitMs: o['ack-wait'] !== undefined ? parseDuration(o['ack-wait'], '--ack-wait') : undefined,
      replicas: o.replicas !== undefined ? Number(o.replicas) : undefined, healthPort, learnFirstWindow: o['no-learn'] !== true,
    });
    let captureLost: string | undefined;
    try {
      await svc.start();
      log.info({ netflow: svc.netflowPort, health: svc.healthPort, zeek: zeekDirs.length || undefined, pcap: live.pcapStdin ? 'stdin' : undefined, interface: capture?.iface, nats: natsUrl ? 'on' : undefined, store: db.location, window: windowMs }, 'monitor started');
      const pcapEnded = live.pcapStdin ? new Promise<void>((r) => { const t = setInterval(() => { if (svc.inputs.finished) { clearInterval(t); r(); } }, 200); }) : undefined;
      const lost = svc.inputs.captureLost?.then((why) => { captureLost = why; });
      const why = await untilStopped(durationMs, pcapEnded ?? lost);
      log.info({ reason: captureLost ? 'capture ended' : why }, 'stopping: draining inputs and outputs');
      await svc.stop();
    } finally {
      await svc.stop().catch(() => undefined);
      if (nats) await nats.drain().catch(() => undefined);
      await db.close();
    }
    // Not a clean end: a supervisor should restart the monitor (the committed windows are kept).
    if (captureLost) throw new Error(`capture from ${capture?.iface} ended: ${captureLost}`);
    const m = svc.engine.metrics;
    const summary = { records: m.records, datagrams: m.datagrams, windows: m.windows, batches: m.batches, eventsStored: m.eventsStored, eventsForwarded: m.eventsForwarded, eventsSuppressed: m.eventsSuppressed, alerts: m.alerts, alertsByState: m.alertsByState, drops: m.drops };
    if (ctx.out.json) ctx.out.data(summary);
    else ctx.out.info(`monitor: ${m.records} records in ${m.windows} windows; ${m.eventsStored} events stored, ${m.eventsForwarded} forwarded`);
    return EXIT.OK;
  },
};
