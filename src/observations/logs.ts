/**
 * Per-protocol JSON-lines logs (dicom.log, hl7.log, http.log, tls.log,
 * dns.log), one record a line as Zeek's JSON writer does: ts in epoch
 * seconds, the connection as id.orig_h/id.orig_p/id.resp_h/id.resp_p.
 * Records come from analyzers, which never put PHI in them.
 */
import { join } from 'node:path';
import type { ProtocolRecord } from './types.ts';

// Not an ESM import: see cli/main.ts.
const { closeSync, mkdirSync, openSync, writeSync } = process.getBuiltinModule('node:fs');

const FLUSH_AT = 64 * 1024;

export class LogWriter {
  readonly dir: string;
  private readonly files = new Map<string, { fd: number; buf: string; lines: number }>();

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  write(rec: ProtocolRecord): void {
    const name = /^[a-z0-9_-]{1,32}$/.test(rec.log) ? rec.log : 'other';
    let f = this.files.get(name);
    if (!f) {
      f = { fd: openSync(join(this.dir, `${name}.log`), 'w'), buf: '', lines: 0 };
      this.files.set(name, f);
    }
    f.buf += JSON.stringify(zeekShape(rec)) + '\n';
    f.lines++;
    if (f.buf.length >= FLUSH_AT) {
      writeSync(f.fd, f.buf);
      f.buf = '';
    }
  }

  /** Flushes and closes; returns lines written per log file name. */
  close(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, f] of this.files) {
      if (f.buf) writeSync(f.fd, f.buf);
      closeSync(f.fd);
      out[`${name}.log`] = f.lines;
    }
    this.files.clear();
    return out;
  }
}

/** "10.0.0.1:5000>10.0.0.2:104/tcp" or "[fd00::1]:5000>[fd00::2]:104/tcp". */
const CONN = /^\[?([^\]]*?)\]?:(\d+)>\[?([^\]]*?)\]?:(\d+)\/(\w+)$/;

export function zeekShape(rec: ProtocolRecord): Record<string, unknown> {
  const { log: _log, ts, conn, ...rest } = rec;
  const m = CONN.exec(conn);
  const head: Record<string, unknown> = { ts: ts / 1000 };
  if (m) {
    head['id.orig_h'] = m[1];
    head['id.orig_p'] = Number(m[2]);
    head['id.resp_h'] = m[3];
    head['id.resp_p'] = Number(m[4]);
    head.proto = m[5];
  } else head.conn = conn;
  return { ...head, ...rest };
}
