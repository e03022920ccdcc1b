import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MonitorService } from '../../monitor/service.ts';
import { JsonlSink } from '../../outputs/siem/jsonl.ts';
import { PcapUdpWalker } from '../../sources/netflow/index.ts';
import { looksLikeExport } from '../../sources/netflow/sniff.ts';
import { demoModel } from './30-check.ts';
import type { DemoContext, DemoStep } from '../types.ts';

/** Step: the sample hospital's NetFlow/IPFIX export replayed over loopback into an in-process monitor. */
export const step: DemoStep = {
  name: 'monitor',
  async run(ctx: DemoContext) {
    const datagrams: Buffer[] = [];
    const walker = new PcapUdpWalker((d) => { if (looksLikeExport(d.payload)) datagrams.push(Buffer.from(d.payload)); });
    walker.push(readFileSync(join(ctx.capturesDir, 'hospital-netflow.pcap')));
    walker.end();
    const events = 'monitor-events.jsonl';
    const svc = new MonitorService({
      db: ctx.db, model: demoModel(ctx), netflowPort: 0, windowMs: 400, learnFirstWindow: false,
      sinks: [new JsonlSink(join(ctx.workDir, events))],
    });
    await svc.start();
    const tx = createSocket('udp4');
    try {
      for (const d of datagrams) await new Promise<void>((res, rej) => tx.send(d, svc.netflowPort!, '127.0.0.1', (e) => (e ? rej(e) : res())));
      // Two windows: the records land, get evaluated and their alerts committed.
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      tx.close();
      await svc.stop();
    }
    const m = svc.engine.metrics;
    const rows = await ctx.db.all<{ payload_json: string }>("SELECT payload_json FROM events WHERE kind = 'alert.open' ORDER BY id");
    const alerts = rows.map((r) => JSON.parse(r.payload_json) as { rule: string; severity: string; title: string });
    const byRule = new Map<string, number>();
    for (const a of alerts) byRule.set(a.rule, (byRule.get(a.rule) ?? 0) + 1);
    const sev = ['critical', 'high', 'medium', 'low', 'info'].map((s) => [s, alerts.filter((a) => a.severity === s).length] as const).filter(([, n]) => n > 0);
    const critical = alerts.find((a) => a.severity === 'critical');
    return {
      summary: [
        `replayed ${datagrams.length} NetFlow v9/IPFIX datagrams (${m.records} flow records) into a live monitor on loopback: ${m.eventsStored} alerts stored, then forwarded, in ${m.windows} windows`,
        `by severity: ${sev.map(([s, n]) => `${n} ${s}`).join(', ')}; by rule: ${[...byRule].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([r, n]) => `${n} ${r}`).join(', ')}`,
        ...(critical ? [`critical: ${critical.title}`] : []),
      ],
      artifacts: [events],
      data: { records: m.records, alerts: m.eventsStored },
    };
  },
};
