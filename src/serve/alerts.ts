/**
 * Live alerts over Server-Sent Events: one poller on the store's events
 * table for all connected browsers (the monitor writes there), started with
 * the first subscriber and stopped with the last.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../store/db.ts';

interface EventRow { id: number; ts: number; kind: string; severity: string; subject: string; payload_json: string }

export interface AlertMessage {
  id: number;
  ts: number;
  kind: string;
  severity: string;
  subject: string;
  title: string;
}

function toMessage(r: EventRow): AlertMessage {
  let title = r.kind;
  try {
    const p = JSON.parse(r.payload_json) as { title?: unknown; message?: unknown };
    if (typeof p.title === 'string') title = p.title;
    else if (typeof p.message === 'string') title = p.message;
  } catch { /* a bad payload still shows its kind */ }
  return { id: Number(r.id), ts: Number(r.ts), kind: r.kind, severity: r.severity, subject: r.subject, title };
}

export class AlertFeed {
  private readonly clients = new Set<ServerResponse>();
  private timer?: NodeJS.Timeout;
  private lastId = -1;
  private polling = false;
  private readonly db: Db;
  private readonly pollMs: number;

  constructor(db: Db, pollMs: number) {
    this.db = db;
    this.pollMs = pollMs;
  }

  async subscribe(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    // The latest few, so that a page opened just after an alert still shows it.
    const recent = await this.db.all<EventRow>('SELECT id, ts, kind, severity, subject, payload_json FROM events ORDER BY id DESC LIMIT 20');
    for (const r of recent.reverse()) res.write(`id: ${r.id}\nevent: alert\ndata: ${JSON.stringify(toMessage(r))}\n\n`);
    if (this.lastId < 0) this.lastId = recent.length ? Number(recent[recent.length - 1].id) : 0;
    this.clients.add(res);
    req.on('close', () => {
      this.clients.delete(res);
      if (!this.clients.size) this.stop();
    });
    if (!this.timer) this.timer = setInterval(() => void this.poll(), this.pollMs);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const rows = await this.db.all<EventRow>('SELECT id, ts, kind, severity, subject, payload_json FROM events WHERE id > ? ORDER BY id LIMIT 200', [this.lastId]);
      for (const r of rows) {
        this.lastId = Math.max(this.lastId, Number(r.id));
        const msg = `id: ${r.id}\nevent: alert\ndata: ${JSON.stringify(toMessage(r))}\n\n`;
        for (const c of this.clients) c.write(msg);
      }
      if (!rows.length) for (const c of this.clients) c.write(': keep-alive\n\n');
    } catch (err) {
      process.stderr.write(`dashboard alerts: ${(err as Error).message}\n`);
    } finally {
      this.polling = false;
    }
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stop();
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}
