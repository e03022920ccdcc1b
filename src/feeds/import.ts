/**
 * `feeds import`: every file given (directories walked for .json and .csv),
 * each parsed on its own. A file that cannot be read or recognised is
 * reported with its path and skipped; the rest still import.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.ts';
import type { Db } from '../store/db.ts';
import { parseFeedText } from './parse.ts';
import { saveFeed } from './store.ts';
import type { FeedFormat } from './types.ts';

export interface ImportReport {
  imported: Array<{ path: string; format: FeedFormat; advisories: number; kev: number; notes: number }>;
  skipped: Array<{ path: string; error: string }>;
  warnings: string[];
}

/** Files under the given paths; a missing path is an InputError (the user typed it). */
export function feedFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string, depth: number) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      if (depth > 10) return;
      for (const f of readdirSync(p).sort()) {
        const child = join(p, f);
        if (statSync(child).isDirectory() || /\.(json|csv)$/i.test(f)) walk(child, depth + 1);
      }
    } else out.push(p);
  };
  for (const p of paths) {
    try {
      statSync(p);
    } catch {
      throw new InputError('no such file or directory', { location: { file: p } });
    }
    walk(p, 0);
  }
  return out;
}

export async function importFeeds(db: Db, paths: readonly string[], onFile?: (path: string, i: number, n: number) => void): Promise<ImportReport> {
  const files = feedFiles(paths);
  const report: ImportReport = { imported: [], skipped: [], warnings: [] };
  for (let i = 0; i < files.length; i++) {
    const path = files[i];
    onFile?.(path, i, files.length);
    try {
      const feed = parseFeedText(readFileSync(path, 'utf8'), path);
      const older = await saveFeed(db, feed, path);
      report.warnings.push(...feed.warnings);
      if (older) report.warnings.push(`${path}: ${older} record(s) not applied: the store holds newer versions`);
      const notes = feed.advisories.reduce((n, a) => n + a.notes.length, 0);
      report.imported.push({ path, format: feed.format, advisories: feed.advisories.length, kev: feed.kev.length, notes });
    } catch (err) {
      // Whatever went wrong with this file (unreadable, not a feed, a shape the parsers did not expect), the others still import.
      const line = err instanceof InputError && err.location?.line ? `line ${err.location.line}: ` : '';
      report.skipped.push({ path, error: line + (err instanceof Error ? err.message : String(err)) });
    }
  }
  return report;
}
