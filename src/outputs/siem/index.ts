/** Builds the sinks the monitor's output options ask for. */
import { InputError } from '../../core/errors.ts';
import { formatCef } from './cef.ts';
import type { Sink } from './event.ts';
import { JsonlSink } from './jsonl.ts';
import { SyslogSink, facilityCode, parseSyslogUrl } from './syslog.ts';
import { WebhookSink, parseWebhookUrl } from './webhook.ts';

export { formatCef, parseCef, cefHeaderEscape, cefValueEscape } from './cef.ts';
export { formatSyslog, octetFrame, parseSyslogUrl, sdEscape, SyslogSink, SD_ID } from './syslog.ts';
export { JsonlSink } from './jsonl.ts';
export { WebhookSink } from './webhook.ts';
export { flowEndpoints, type SiemEvent, type Sink, type SinkStats, type AlertState } from './event.ts';

export interface SinkSpecs {
  syslog?: string[];
  /** CEF over syslog (udp://, tcp://, tls://) or CEF lines to a file / "-". */
  cef?: string[];
  jsonl?: string[];
  webhook?: string[];
  facility?: string;
  /** CA bundle for TLS receivers. */
  ca?: string;
  insecure?: boolean;
}

export function createSinks(s: SinkSpecs): Sink[] {
  const sinks: Sink[] = [];
  const facility = s.facility ? facilityCode(s.facility) : undefined;
  for (const spec of s.syslog ?? []) sinks.push(new SyslogSink(parseSyslogUrl(spec), { facility, ca: s.ca, insecure: s.insecure }));
  for (const spec of s.cef ?? []) {
    if (/^(udp|tcp|tls):\/\//.test(spec)) {
      sinks.push(new SyslogSink(parseSyslogUrl(spec, '--cef'), { facility, ca: s.ca, insecure: s.insecure, render: (ev) => formatCef(ev), name: `cef ${spec}` }));
    } else if (/^[a-z]+:\/\//.test(spec)) {
      throw new InputError(`--cef: unsupported target '${spec}'`, { hint: 'udp://, tcp://, tls://, a file path or -' });
    } else sinks.push(new JsonlSink(spec, (ev) => formatCef(ev)));
  }
  for (const spec of s.jsonl ?? []) sinks.push(new JsonlSink(spec));
  for (const spec of s.webhook ?? []) sinks.push(new WebhookSink(parseWebhookUrl(spec)));
  return sinks;
}
