/**
 * Everything the CLI writes goes through here: data on stdout (a table or
 * JSON), messages and progress on stderr, progress only on a TTY.
 */
export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  private readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  private progressShown = false;

  constructor(o: OutputOptions) {
    this.json = o.json;
    this.quiet = o.quiet;
    this.stdout = o.stdout ?? process.stdout;
    this.stderr = o.stderr ?? process.stderr;
  }

  /** Raw text on stdout. */
  write(text: string): void {
    this.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** A JSON document on stdout. */
  data(value: unknown): void {
    this.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  info(msg: string): void {
    if (!this.quiet && !this.json) { this.clearProgress(); this.stderr.write(msg + '\n'); }
  }

  warn(msg: string): void {
    if (!this.quiet) { this.clearProgress(); this.stderr.write(`warning: ${msg}\n`); }
  }

  error(msg: string): void {
    this.clearProgress();
    this.stderr.write(`error: ${msg}\n`);
  }

  /** A progress line, redrawn in place; only when stderr is a terminal. */
  progress(label: string, done: number, total?: number): void {
    if (this.quiet || !this.stderr.isTTY) return;
    const width = Math.max(20, (this.stderr.columns ?? 80) - 1);
    let line = label;
    if (total && total > 0) {
      const pct = Math.min(1, done / total);
      const bar = 20;
      const filled = Math.round(pct * bar);
      line = `${label} [${'#'.repeat(filled)}${'.'.repeat(bar - filled)}] ${(pct * 100).toFixed(0)}%`;
    } else if (done) {
      line = `${label} ${done.toLocaleString('en-US')}`;
    }
    this.stderr.write('\r' + line.slice(0, width).padEnd(width));
    this.progressShown = true;
  }

  clearProgress(): void {
    if (this.progressShown) {
      this.stderr.write('\r' + ' '.repeat(Math.max(20, (this.stderr.columns ?? 80) - 1)) + '\r');
      this.progressShown = false;
    }
  }

  /** A plain-text table with a header row; columns sized to content. */
  table(headers: string[], rows: Array<Array<string | number | undefined>>): void {
    this.write(formatTable(headers, rows));
  }
}

export function formatTable(headers: string[], rows: Array<Array<string | number | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
