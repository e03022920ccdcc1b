import type { Readable } from 'node:stream';
import { InputError } from '../../core/errors.ts';
import { createLogger } from '../../monitor/log.ts';
import { parseDuration, str, untilStopped } from '../../monitor/options.ts';
import { connectNats } from '../../monitor/scale/nats.ts';
import { Sensor } from '../../monitor/scale/sensor.ts';
import { LIVE_INPUT_OPTIONS, parseLiveInputs } from '../live-inputs.ts';
import { EXIT, type Command } from '../command.ts';

export const command: Command = {
  name: 'sensor',
  summary: 'decode at a site and publish compact observations (edges and facts, never packets or PHI) to NATS JetStream',
  usage: 'wardline sensor --site NAME --nats URL [--netflow PORT] [--zeek DIR] [--pcap - | --interface IF [--bpf FILTER] [--snaplen N]] [--interval DURATION]',
  description: [
    'Runs at a site next to the traffic. It decodes NetFlow/IPFIX, Zeek conn.log, a live pcap stream or a live',
    'capture from an interface locally and publishes one batch per --interval to JetStream subject',
    'wardline.obs.<site>: flow edges (addresses, ports, protocol, counters, DICOM AE titles, HL7 application',
    'names) and host facts. Packets and payloads never leave the site. Each batch has a unique id, used as the',
    'JetStream message id (duplicates within the stream\'s window are dropped) and by the central workers (a',
    'redelivered batch commits once).',
    'Batches are queued while NATS is unreachable. Central side: wardline monitor --nats URL --queue workers.',
    '',
    'Inputs: --netflow PORT (NetFlow v5/v9/IPFIX over UDP); --zeek DIR (conn.log, followed across rotation);',
    '--pcap - (a pcap or pcapng stream on stdin); --interface IF (live capture where libpcap is available: runs',
    'tcpdump, or dumpcap if tcpdump is missing, with its privileges: root or CAP_NET_RAW/CAP_NET_ADMIN on the tool;',
    '--bpf takes a capture filter, --snaplen the bytes kept per packet). A missing tool or interface, or no',
    'permission to capture, is a usage error (exit 2); a capture that stops while running ends the sensor after',
    'it has published what it holds (exit 3), for the service manager to restart it.',
  ].join('\n'),
  examples: [
    'wardline sensor --site st-brigid --nats nats://hub.example:4222 --netflow 2055 --listen 0.0.0.0',
    'tcpdump -i eth1 -w - | wardline sensor --site st-brigid --nats nats://hub.example:4222 --pcap -',
    'wardline sensor --site st-brigid --nats nats://hub.example:4222 --interface eth1 --bpf "tcp port 104 or tcp port 2575"',
    'wardline sensor --site clinic-7 --nats nats://a:4222,nats://b:4222,nats://c:4222 --zeek /opt/zeek/logs/current --replicas 3',
  ],
  options: {
    ...LIVE_INPUT_OPTIONS,
    site: { type: 'string', value: 'NAME', description: 'site name (letters, digits, . _ -): the subject and the alert prefix' },
    nats: { type: 'string', value: 'URL', description: 'NATS server URL(s), comma-separated' },
    interval: { type: 'string', value: 'DURATION', description: 'publish a batch this often (default 5s)' },
    replicas: { type: 'string', value: 'N', description: 'JetStream stream replicas when the sensor creates the stream (default 1; 3 on a 3-node cluster)' },
    duration: { type: 'string', value: 'DURATION', description: 'stop after this long (default: run until signalled)' },
  },
  async run(ctx) {
    const o = ctx.opts;
    const site = str(o.site);
    if (!site || !/^[A-Za-z0-9_.-]{1,64}$/.test(site)) throw new InputError('--site NAME is required (letters, digits, . _ -; at most 64)');
    const natsUrl = str(o.nats);
    if (!natsUrl) throw new InputError('--nats URL is required');
    const live = parseLiveInputs(o);
    const { netflowPort, zeekDirs, capture } = live;
    if (!live.any) throw new InputError('no input: give --netflow PORT, --zeek DIR, --pcap - or --interface IF', { hint: 'wardline sensor --help' });
    const intervalMs = o.interval !== undefined ? parseDuration(o.interval, '--interval') : 5000;
    const replicas = o.replicas !== undefined ? Number(o.replicas) : 1;
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) throw new InputError('--replicas takes 1 to 5');
    const durationMs = o.duration !== undefined ? parseDuration(o.duration, '--duration') : undefined;
    const log = createLogger({ quiet: ctx.out.quiet, name: 'wardline-sensor' });
    const nc = await connectNats(natsUrl, `wardline-sensor-${site}`);
    const sensor = new Sensor({ site, nats: nc, intervalMs, log, replicas, netflowPort, netflowHost: live.netflowHost, zeekDirs, pcap: live.pcapStdin ? (process.stdin as Readable) : undefined, capture });
    let stopped = false;
    let captureLost: string | undefined;
    try {
      await sensor.start();
      log.info({ site, netflow: sensor.inputs.port, zeek: zeekDirs.length || undefined, pcap: live.pcapStdin ? 'stdin' : undefined, interface: capture?.iface, interval: intervalMs }, 'sensor started');
      const pcapEnded = live.pcapStdin ? new Promise<void>((r) => { const t = setInterval(() => { if (sensor.inputs.finished) { clearInterval(t); r(); } }, 200); }) : undefined;
      const lost = sensor.inputs.captureLost?.then((why) => { captureLost = why; });
      const why = await untilStopped(durationMs, pcapEnded ?? lost);
      log.info({ reason: captureLost ? 'capture ended' : why }, 'stopping: publishing what is left');
      await sensor.stop();
      stopped = true;
    } finally {
      // A start that failed half-way (the capture tool running, another input refused) leaves nothing behind.
      if (!stopped) await sensor.stop().catch(() => undefined);
      await nc.drain().catch(() => undefined);
    }
    // Not a clean end: a supervisor should restart the sensor (what it had is published or was queued).
    if (captureLost) throw new Error(`capture from ${capture?.iface} ended: ${captureLost}${sensor.queued ? `; ${sensor.queued} batches unpublished` : ''}`);
    const summary = { site, batches: sensor.published, records: sensor.publishedRecords, queued: sensor.queued, drops: sensor.metrics.drops };
    if (ctx.out.json) ctx.out.data(summary);
    else ctx.out.info(`sensor ${site}: ${summary.records} records in ${summary.batches} batches published${summary.queued ? `, ${summary.queued} unpublished` : ''}`);
    return summary.queued > 0 ? EXIT.FINDINGS : EXIT.OK;
  },
};
