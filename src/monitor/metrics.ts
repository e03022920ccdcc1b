/** Counters the monitor exposes on /metrics (Prometheus text format 0.0.4). */
export interface MonitorMetrics {
  records: number;
  datagrams: number;
  /** Records or datagrams lost: malformed, missing templates, receive-queue overflows the kernel reports, sink drops. */
  drops: number;
  zeekLines: number;
  packets: number;
  batches: number;
  windows: number;
  /** Milliseconds between the end of the last window and the time its events were committed. */
  lagMs: number;
  /** Consumer lag: messages pending in the JetStream consumer. */
  pending: number;
  alerts: Record<string, number>;
  alertsByState: Record<string, number>;
  eventsStored: number;
  eventsForwarded: number;
  eventsSuppressed: number;
  startedAt: number;
}

export function newMetrics(): MonitorMetrics {
  return {
    records: 0, datagrams: 0, drops: 0, zeekLines: 0, packets: 0, batches: 0, windows: 0, lagMs: 0, pending: 0,
    alerts: {}, alertsByState: {}, eventsStored: 0, eventsForwarded: 0, eventsSuppressed: 0, startedAt: Date.now(),
  };
}

function esc(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Records/s is a rate over the uptime; Prometheus users take rate() of the counter instead. */
export function renderMetrics(m: MonitorMetrics, extra: Record<string, number> = {}, now = Date.now()): string {
  const up = Math.max(0.001, (now - m.startedAt) / 1000);
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: Array<[string, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) lines.push(`${name}${labels} ${Number.isFinite(v) ? v : 0}`);
  };
  metric('wardline_monitor_records_total', 'counter', 'Flow records, Zeek connections and packets ingested.', [['', m.records]]);
  metric('wardline_monitor_records_per_second', 'gauge', 'Records ingested per second since start.', [['', m.records / up]]);
  metric('wardline_monitor_datagrams_total', 'counter', 'NetFlow/IPFIX datagrams received.', [['', m.datagrams]]);
  metric('wardline_monitor_drops_total', 'counter', 'Records, datagrams or events lost (malformed, no template, sink overflow).', [['', m.drops]]);
  metric('wardline_monitor_windows_total', 'counter', 'Evaluation windows completed.', [['', m.windows]]);
  metric('wardline_monitor_batches_total', 'counter', 'Sensor batches committed.', [['', m.batches]]);
  metric('wardline_monitor_lag_milliseconds', 'gauge', 'Delay from the end of a window (or a batch arriving) to its events being committed.', [['', m.lagMs]]);
  metric('wardline_monitor_consumer_pending', 'gauge', 'Messages waiting in the JetStream consumer.', [['', m.pending]]);
  metric('wardline_monitor_alerts_total', 'counter', 'Alert events stored, by severity.', Object.entries(m.alerts).map(([s, n]) => [`{severity="${esc(s)}"}`, n]));
  metric('wardline_monitor_alerts', 'gauge', 'Alerts by state.', Object.entries(m.alertsByState).map(([s, n]) => [`{state="${esc(s)}"}`, n]));
  metric('wardline_monitor_events_stored_total', 'counter', 'Events committed to the store.', [['', m.eventsStored]]);
  metric('wardline_monitor_events_forwarded_total', 'counter', 'Events handed to the outputs.', [['', m.eventsForwarded]]);
  metric('wardline_monitor_events_suppressed_total', 'counter', 'Events stored but held back by rate limiting.', [['', m.eventsSuppressed]]);
  for (const [k, v] of Object.entries(extra)) metric(`wardline_monitor_${k}`, 'gauge', k.replaceAll('_', ' '), [['', v]]);
  return `${lines.join('\n')}\n`;
}
